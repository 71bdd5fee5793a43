"""The request log: one line per HTTP request, after the response is sent,
in the service's one log format (``sema.logs``), secrets redacted."""

from __future__ import annotations

import time
from typing import Any

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.operations import request_id_of
from sema.logs import redact_secrets  # noqa: F401  (re-exported: the redaction tests import it from here)


class RequestLog:
    """ASGI middleware: binds the request id for every line logged while the
    request runs, and writes the request's own line when it is done."""

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
                headers.append((b"x-request-id", state["request_id"].encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            with structlog.contextvars.bound_contextvars(request_id=state["request_id"]):
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
