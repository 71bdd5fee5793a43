"""The server's log lines as an operator reads them: one JSON object per line,
the libraries' lines (uvicorn's) included, with nothing meant for a terminal."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
import structlog

from sema import logs


@pytest.fixture
def configured() -> Iterator[io.StringIO]:
    root = logging.getLogger()
    kept_handlers, kept_level = root.handlers[:], root.level
    kept_uvicorn = {name: (logging.getLogger(name).handlers[:], logging.getLogger(name).propagate) for name in ("uvicorn", "uvicorn.error", "uvicorn.access")}
    stream = io.StringIO()
    logs.configure("json", "info", stream)
    try:
        yield stream
    finally:
        root.handlers[:], root.level = kept_handlers, kept_level
        for name, (handlers, propagate) in kept_uvicorn.items():
            logging.getLogger(name).handlers[:] = handlers
            logging.getLogger(name).propagate = propagate
        structlog.reset_defaults()


def test_uvicorns_lines_are_json_without_its_terminal_colour_copy(configured: io.StringIO) -> None:
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 4242, extra={"color_message": "Started server process [\x1b[36m%d\x1b[0m]"})
    (line,) = [json.loads(text) for text in configured.getvalue().splitlines()]
    assert line["event"] == "Started server process [4242]"
    assert line["logger"] == "uvicorn.error" and line["level"] == "info"
    assert "color_message" not in line
    assert "\x1b" not in configured.getvalue() and "\\u001b" not in configured.getvalue()


def test_an_exceptions_traceback_is_in_the_line_as_text_with_tokens_redacted(configured: io.StringIO) -> None:
    def fail() -> None:
        raise RuntimeError("the token was Bearer abcdefghijklmnopqrstuvwxyz0123456789")

    try:
        fail()
    except RuntimeError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")  # how a 500 is logged
        logs.get("sema.test").exception("our own line")
    lines = [json.loads(text) for text in configured.getvalue().splitlines()]
    assert [line["event"] for line in lines] == ["Exception in ASGI application", "our own line"]
    for line in lines:
        assert "exc_info" not in line
        assert line["exception"].startswith("Traceback (most recent call last):")
        assert "in fail" in line["exception"] and "RuntimeError: the token was Bearer [redacted]" in line["exception"]
        assert "abcdefghijklmnopqrstuvwxyz" not in line["exception"]


def test_a_request_is_logged_once_by_sema_not_again_by_uvicorns_access_log(configured: io.StringIO) -> None:
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", "/me", "1.1", 200)
    assert configured.getvalue() == ""
