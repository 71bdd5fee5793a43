"""The Starlette application: the routes table, error handlers and request log."""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import AsyncIterator
from typing import IO, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from api.context import ApiSettings, ApiState
from api.endpoints import exceptional_access, mailboxes, organisations, queries, self_service, users
from api.letters import LetterStore
from api.logging import RequestLog
from api.openapi import document
from api.operations import Operation, route_for
from api.problems import problem_response
from api.sessions import SessionStore
from sema import logs
from sema.application import SemaApplication
from sema.clock import Clock, SystemClock


def operations() -> list[Operation]:
    """Every operation of the API, in the order the document lists them."""
    found: list[Operation] = []
    for module in (self_service, organisations, users, mailboxes, exceptional_access, queries):
        found += module.table.operations
    return found


def extra_routes() -> list[BaseRoute]:
    """Routes other parts of the service contribute (the auditors' export), if present."""
    try:
        module = importlib.import_module("api.audit_routes")
    except ModuleNotFoundError as error:
        if error.name != "api.audit_routes":
            raise
        return []
    return list(getattr(module, "routes", []))


def extra_operations() -> list[Operation]:
    try:
        module = importlib.import_module("api.audit_routes")
    except ModuleNotFoundError as error:
        if error.name != "api.audit_routes":
            raise
        return []
    table = getattr(module, "table", None)
    return list(table.operations) if table is not None else []


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    return problem_response(exc.status_code, code, str(exc.detail), headers=exc.headers)


async def _server_error(request: Request, exc: Exception) -> Response:
    return problem_response(500, "internal-error", "something went wrong on our side; the request id is in the X-Request-Id header")


def create_app(sema: SemaApplication, *, clock: Clock | None = None, settings: ApiSettings | None = None, log_stream: IO[str] | None = None) -> Starlette:
    settings = settings or ApiSettings()
    state = ApiState(
        app=sema,
        clock=clock or SystemClock(),
        settings=settings,
        sessions=SessionStore(sema.engine, settings.session_idle, settings.session_absolute),
        letters=LetterStore(sema.engine),
    )
    table = [*operations(), *extra_operations()]
    openapi = document(table)

    def openapi_json(request: Request) -> Response:
        return JSONResponse(openapi)

    routes: list[BaseRoute] = [route_for(op) for op in table]
    routes += extra_routes()
    routes.append(Route("/openapi.json", openapi_json, methods=["GET"], include_in_schema=False))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, Any]]:
        yield {"api": state}

    return Starlette(
        routes=routes,
        middleware=[Middleware(RequestLog, logger=logs.stream_logger(log_stream) if log_stream is not None else logs.get("sema.api"))],
        exception_handlers={HTTPException: _http_exception, Exception: _server_error},
        lifespan=lifespan,
    )
