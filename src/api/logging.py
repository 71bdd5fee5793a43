"""structlog JSON logs, one line per request, with secrets redacted wherever they appear."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Mapping, MutableMapping
from typing import IO, Any

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.operations import request_id_of

REDACTED = "[redacted]"
SECRET_KEY = re.compile(r"pass(word)?|one_time|otp|answer|token|cookie|authori[sz]ation|secret|key|credential", re.IGNORECASE)
BEARER = re.compile(r"(bearer\s+)\S+", re.IGNORECASE)


def _redact(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: (REDACTED if isinstance(k, str) and SECRET_KEY.search(k) else _redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    if isinstance(value, str):
        return BEARER.sub(r"\1" + REDACTED, value)
    return value


def redact_secrets(logger: Any, method: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Replaces the value of any key that names a secret, at any depth, and bearer tokens in text."""
    return {k: (REDACTED if SECRET_KEY.search(k) else _redact(v)) for k, v in event.items()}


def request_logger(stream: IO[str] | None = None) -> Any:
    return structlog.wrap_logger(
        structlog.PrintLogger(stream or sys.stdout),
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            redact_secrets,
            structlog.processors.JSONRenderer(sort_keys=True),
        ],
    )


class RequestLog:
    """ASGI middleware: one log line per HTTP request, after the response is sent."""

    def __init__(self, app: ASGIApp, logger: Any) -> None:
        self.app = app
        self.logger = logger

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})
        state["request_id"] = request_id_of(Request(scope))

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                if "request_id" in state:
                    headers.append((b"x-request-id", state["request_id"].encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.logger.info(
                "request",
                request_id=state.get("request_id"),
                method=scope["method"],
                route=state.get("route", "(no route)"),
                status=status,
                principal_id=state.get("principal_id"),
                principal_role=state.get("principal_role"),
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
