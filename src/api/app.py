"""The Starlette application: its routes, error handlers, request log and state."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import IO, TypedDict

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from api.console import CONSOLE
from api.context import ApiSettings, ApiState
from api.hardening import CrossSiteRefusal, HeadSizeLimit, SecurityHeaders
from api.idempotency import IdempotencyStore
from api.letters import LetterStore
from api.logging import RequestLog
from api.openapi import openapi_route
from api.operations import served
from api.problems import problem_response
from api.routes import API
from api.sessions import SessionStore
from sema import logs
from sema.application import SemaApplication
from sema.clock import Clock, SystemClock


class State(TypedDict):
    """What every request finds in ``request.state``."""

    api: ApiState


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
    return problem_response(exc.status_code, code, str(exc.detail), headers=dict(exc.headers) if exc.headers else None)


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
        idempotency=IdempotencyStore(sema.engine, sema.settings.resolved_secret_key()),
    )
    # Each part of the service adds its list of routes here.
    routes: list[BaseRoute] = [
        *served(API),
        openapi_route(API),
        *CONSOLE,
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[State]:
        yield {"api": state}

    return Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestLog, logger=logs.stream_logger(log_stream) if log_stream is not None else logs.get("sema.api"), in_flight=state.in_flight),
            Middleware(SecurityHeaders, hsts_seconds=settings.hsts_seconds),
            Middleware(HeadSizeLimit, limit=settings.max_header_bytes),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts), www_redirect=False),
            Middleware(CrossSiteRefusal, cookie_name=settings.cookie_name),
        ],
        exception_handlers={HTTPException: _http_exception, Exception: _server_error},
        lifespan=lifespan,
    )
