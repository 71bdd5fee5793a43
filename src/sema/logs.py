"""One log format for the whole service: the server, the policy loop, the
mailer and the command line all log through structlog.

- JSON lines in production (a pipe, a file, a service manager), readable
  lines on a terminal; ``SEMA_LOG_FORMAT`` (``auto``, ``json``, ``console``)
  chooses otherwise.
- Every line carries what is bound for the work in hand: the request id and
  the principal in the HTTP API, the pass id and the system actor in the
  policy loop (:func:`bound`).
- Secrets are redacted everywhere: the value of any key that names one
  (password, token, answer, cookie …), at any depth, and bearer tokens in text.
- The standard library's loggers (uvicorn's, the libraries') go through the
  same processors, so one process writes one format. sema's own lines do not
  go through the standard library: a request's line cost twice as much
  rendered through a ``logging`` record and handler (issue 12's profile).
"""

from __future__ import annotations

import functools
import logging
import re
import sys
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Literal

import structlog
from structlog.types import EventDict, Processor, WrappedLogger

REDACTED = "[redacted]"
SECRET_KEY = re.compile(r"pass(word)?|one_time|otp|answer|token|cookie|authori[sz]ation|secret|key|credential", re.IGNORECASE)
BEARER = re.compile(r"(bearer\s+)\S+", re.IGNORECASE)

LogFormat = Literal["auto", "json", "console"]


@functools.lru_cache(maxsize=4096)
def _names_secret(key: str) -> bool:
    """Whether a key names a secret: decided once per key (lines reuse a few keys)."""
    return SECRET_KEY.search(key) is not None


_PLAIN = frozenset({type(None), bool, int, float})


def _redact(value: Any) -> Any:
    if type(value) in _PLAIN:  # most values of a line (ids are text): no ABC check of a Mapping
        return value
    if isinstance(value, str):
        # The regex only where it could match (in any case): most values hold no "bearer".
        return BEARER.sub(r"\1" + REDACTED, value) if "bearer" in value.lower() else value
    if isinstance(value, Mapping):
        return {k: (REDACTED if isinstance(k, str) and _names_secret(k) else _redact(v)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_redact(v) for v in value]
    return value


def redact_secrets(logger: WrappedLogger, method: str, event: EventDict) -> EventDict:
    """Replaces the value of any key that names a secret, at any depth, and bearer tokens in text."""
    return {k: (REDACTED if _names_secret(k) else _redact(v)) for k, v in event.items()}


def _shared(json: bool = True) -> list[Processor]:
    """``json``: a line's exception becomes its traceback as text (``exception``), redacted
    as any text is; the console renderer prints the traceback itself."""
    return [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        *([structlog.processors.format_exc_info] if json else []),
        redact_secrets,
    ]


def _console(format: LogFormat, stream: IO[str]) -> bool:
    return format == "console" or (format == "auto" and stream.isatty())


def _renderer(format: LogFormat, stream: IO[str]) -> Processor:
    if _console(format, stream):
        return structlog.dev.ConsoleRenderer(colors=stream.isatty(), sort_keys=True)
    return structlog.processors.JSONRenderer(sort_keys=True)


def _drop_terminal_colours(logger: Any, method: str, event_dict: EventDict) -> EventDict:
    """uvicorn logs a copy of some messages with terminal colour codes as an extra
    (``color_message``): on a log line it is the message again, with escapes."""
    event_dict.pop("color_message", None)
    return event_dict


class _StandardError(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is when a line is logged (it may be replaced after set-up)."""

    @property  # type: ignore[override]
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


class _Lines:
    """What structlog writes sema's lines to: one line per call, whole (a lock per
    process, as ``logging``'s handler takes), to ``stream()`` as it is at the time."""

    _lock = threading.Lock()

    def __init__(self, stream: Callable[[], IO[str]], name: str | None = None) -> None:
        self.stream = stream
        self.name = name or ""  # structlog.stdlib.add_logger_name reads it

    def msg(self, message: str) -> None:
        with self._lock:
            out = self.stream()
            out.write(message + "\n")
            out.flush()

    debug = info = warning = error = critical = exception = log = msg


def configure(format: LogFormat = "auto", level: str = "info", stream: IO[str] | None = None) -> None:
    """Sets up logging for this process (called once by each ``sema`` command)."""
    renderer = _renderer(format, stream or sys.stderr)
    json = not _console(format, stream or sys.stderr)
    handler = logging.StreamHandler(stream) if stream is not None else _StandardError()
    current: Callable[[], IO[str]] = (lambda: stream) if stream is not None else (lambda: sys.stderr)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, renderer],
            foreign_pre_chain=[structlog.stdlib.add_logger_name, *_shared(json), structlog.stdlib.ExtraAdder(), _drop_terminal_colours],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    # sema.api logs every request, with more (principal, route, duration): uvicorn's access
    # line would be a second one, as it was in each --workers process, configured after uvicorn.
    logging.getLogger("uvicorn.access").handlers[:] = []
    logging.getLogger("uvicorn.access").propagate = False
    structlog.configure(
        processors=[structlog.stdlib.add_logger_name, *_shared(json), renderer],
        logger_factory=lambda name=None, *_: _Lines(current, name),
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        cache_logger_on_first_use=False,
    )


def stream_logger(stream: IO[str]) -> Any:
    """A logger of its own writing JSON lines to ``stream`` (tests read what the API logs)."""
    return structlog.wrap_logger(structlog.PrintLogger(stream), processors=[*_shared(), structlog.processors.JSONRenderer(sort_keys=True)])


def get(name: str) -> Any:
    return structlog.get_logger(name)


@contextmanager
def bound(**values: object) -> Iterator[None]:
    """Every line logged inside carries these values (a request id, a pass id, the actor)."""
    with structlog.contextvars.bound_contextvars(**values):
        yield


def bind(**values: object) -> None:
    structlog.contextvars.bind_contextvars(**values)
