"""The request log: one line per HTTP request, after the response is sent,
in the service's one log format (``sema.logs``), secrets redacted.

For forensics each line names the client's address and user agent, the
server's request id (the one events carry) and, labelled apart, the id the
client sent in ``X-Request-Id``; a log-in names the username tried."""

from __future__ import annotations

import time
from typing import Any

import structlog
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.context import InFlight
from api.operations import client_request_id_of, new_request_id
from sema.logs import redact_secrets  # noqa: F401  (re-exported: the redaction tests import it from here)


class RequestLog:
    """ASGI middleware: binds the request id for every line logged while the
    request runs, and writes the request's own line when it is done."""

    def __init__(self, app: ASGIApp, logger: Any, in_flight: InFlight | None = None) -> None:
        self.app = app
        self.logger = logger
        self.in_flight = in_flight or InFlight()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500
        state = scope.setdefault("state", {})
        state["request_id"] = new_request_id()
        request = Request(scope)
        client_request_id = client_request_id_of(request)

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", state["request_id"].encode()))
                if client_request_id is not None:
                    headers.append((b"x-client-request-id", client_request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        self.in_flight.count += 1
        try:
            with structlog.contextvars.bound_contextvars(request_id=state["request_id"]):
                await self.app(scope, receive, send_and_note)
        finally:
            self.in_flight.count -= 1
            self.logger.info(
                "request",
                request_id=state.get("request_id"),
                client_request_id=client_request_id,
                client=request.client.host if request.client else None,
                user_agent=request.headers.get("user-agent", "")[:200] or None,
                method=scope["method"],
                route=state.get("route", "(no route)"),
                status=status,
                ran_on=state.get("ran_on"),
                principal_id=state.get("principal_id"),
                principal_role=state.get("principal_role"),
                username_tried=state.get("username_tried"),
                duration_ms=round((time.perf_counter() - started) * 1000, 2),
            )
