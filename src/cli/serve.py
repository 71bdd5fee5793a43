"""``sema serve``: the HTTP API under uvicorn, with the policy loop in the background.

On the first start with an empty store it creates the service administrator
and prints its username and one-time password, once. ``--workers N`` runs N
API processes on the one port (uvicorn's workers; each builds its own
application from the same settings); the policy loop, if in the server, runs
once, in the supervising process. With SEMA_INLINE_READ_MODELS=false the read
models are left to ``sema projections run`` (README: Running in production).
"""

from __future__ import annotations

import argparse
import os
import sys
from datetime import timedelta

import uvicorn
from starlette.applications import Starlette

from api.app import create_app
from api.context import ApiSettings
from api.slow_clients import HeaderDeadlineProtocol, with_header_timeout
from policies.runner import PolicyLoop
from sema import logs
from sema.application import SemaApplication
from sema.bootstrap import build_application
from sema.clock import SystemClock
from sema.config import Settings


# How the supervising process tells its workers about --insecure-cookies (not a setting).
INSECURE_COOKIES_ENV = "SEMA_SERVE_INSECURE_COOKIES"


def add_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure-cookies", action="store_true", help="session cookie without the Secure flag (plain-HTTP development only)")
    parser.add_argument("--workers", type=int, default=1, help="API processes on the port (default 1); use PostgreSQL for more than one")


def policy_loop(app: SemaApplication, clock: SystemClock, settings: Settings) -> PolicyLoop | None:
    """The time-based policies run beside the API unless SEMA_POLICIES_IN_SERVER=false."""
    if not settings.policies_in_server:
        return None
    loop = PolicyLoop(app, clock)
    loop.start()
    return loop


def api_settings(settings: Settings, insecure_cookies: bool) -> ApiSettings:
    return ApiSettings(
        secure_cookies=not insecure_cookies,
        session_idle=timedelta(minutes=settings.session_idle_minutes),
        session_absolute=timedelta(hours=settings.session_absolute_hours),
        mail_system_token=settings.mail_system_token,
        allowed_hosts=settings.served_hosts(),
        hsts_seconds=settings.hsts_seconds,
        max_header_bytes=settings.http_max_header_bytes,
    )


def worker_app() -> Starlette:
    """One worker's ASGI app (uvicorn's factory in each ``--workers`` process)."""
    settings = Settings()
    # A spawned worker starts afresh: without this its request log ignores SEMA_LOG_FORMAT and SEMA_LOG_LEVEL.
    logs.configure(settings.log_format, settings.log_level)
    HeaderDeadlineProtocol.header_timeout = settings.http_header_timeout_s
    app = build_application(settings, inline_projections=settings.inline_read_models)
    return create_app(app, clock=SystemClock(), settings=api_settings(settings, os.environ.get(INSECURE_COOKIES_ENV) == "1"))


def run(args: argparse.Namespace) -> int:
    if args.workers < 1:
        print("sema serve: --workers must be at least 1", file=sys.stderr)
        return 2
    settings = Settings()
    clock = SystemClock()
    app = build_application(settings, inline_projections=settings.inline_read_models)
    if args.workers > 1 and app.engine.dialect.name == "sqlite":
        print(
            f"sema serve: warning: {args.workers} API processes on SQLite take turns for its one write lock;"
            " run more than one on PostgreSQL (README: Running in production)",
            file=sys.stderr,
            flush=True,
        )
    credentials = app.bootstrap(clock.now())
    if credentials is not None:
        username, one_time_password = credentials
        print("First start: the service administrator has been created.", flush=True)
        print(f"  username:          {username}", flush=True)
        print(f"  one-time password: {one_time_password}", flush=True)
        print("Log in with these now (POST /session); the password is not shown again.", flush=True)
    loop = policy_loop(app, clock, settings)
    options = {
        "host": settings.host,
        "port": settings.port,
        "access_log": False,
        "log_config": None,
        "log_level": settings.log_level,
        "timeout_keep_alive": settings.http_keep_alive_s,
        "limit_concurrency": settings.http_max_connections,
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        "server_header": False,
    }
    try:
        if args.workers == 1:
            asgi = create_app(app, clock=clock, settings=api_settings(settings, args.insecure_cookies))
            uvicorn.run(asgi, http=with_header_timeout(settings.http_header_timeout_s), **options)  # type: ignore[arg-type]
        else:
            os.environ[INSECURE_COOKIES_ENV] = "1" if args.insecure_cookies else "0"
            # A worker builds its application before it answers uvicorn's health check;
            # on a busy machine that takes longer than uvicorn's 5 s, which would kill it.
            # Workers are spawned, so the protocol goes by name; worker_app sets its deadline.
            uvicorn.run(
                "cli.serve:worker_app",
                factory=True,
                workers=args.workers,
                timeout_worker_healthcheck=60,
                http="api.slow_clients:HeaderDeadlineProtocol",
                **options,  # type: ignore[arg-type]
            )
    finally:
        if loop is not None:
            loop.stop()
        app.close()
    return 0
