"""``sema serve``: the HTTP API under uvicorn, with the policy loop in the background.

On the first start with an empty store it creates the service administrator
and prints its username and one-time password, once.
"""

from __future__ import annotations

import argparse
from datetime import timedelta

import uvicorn

from api.app import create_app
from api.context import ApiSettings
from api.slow_clients import with_header_timeout
from policies.runner import PolicyLoop
from sema.application import SemaApplication
from sema.bootstrap import build_application
from sema.clock import SystemClock
from sema.config import Settings


def add_arguments(parser: argparse.ArgumentParser, flags: argparse.ArgumentParser) -> None:
    parser.add_argument("--insecure-cookies", action="store_true", help="session cookie without the Secure flag (plain-HTTP development only)")


def policy_loop(app: SemaApplication, clock: SystemClock, settings: Settings) -> PolicyLoop | None:
    """The time-based policies run beside the API unless SEMA_POLICIES_IN_SERVER=false."""
    if not settings.policies_in_server:
        return None
    loop = PolicyLoop(app, clock)
    loop.start()
    return loop


def run(args: argparse.Namespace) -> int:
    settings = Settings()
    clock = SystemClock()
    app = build_application(settings)
    credentials = app.bootstrap(clock.now())
    if credentials is not None:
        username, one_time_password = credentials
        print("First start: the service administrator has been created.", flush=True)
        print(f"  username:          {username}", flush=True)
        print(f"  one-time password: {one_time_password}", flush=True)
        print("Log in with these now (POST /session); the password is not shown again.", flush=True)
    loop = policy_loop(app, clock, settings)
    api_settings = ApiSettings(
        secure_cookies=not args.insecure_cookies,
        session_idle=timedelta(minutes=settings.session_idle_minutes),
        session_absolute=timedelta(hours=settings.session_absolute_hours),
        mail_system_token=settings.mail_system_token,
        allowed_hosts=settings.served_hosts(),
        hsts_seconds=settings.hsts_seconds,
    )
    asgi = create_app(app, clock=clock, settings=api_settings)
    try:
        uvicorn.run(
            asgi,
            host=settings.host,
            port=settings.port,
            access_log=False,
            log_config=None,
            log_level=settings.log_level,
            http=with_header_timeout(settings.http_header_timeout_s),
            timeout_keep_alive=settings.http_keep_alive_s,
            limit_concurrency=settings.http_max_connections,
            h11_max_incomplete_event_size=settings.http_max_header_bytes,
            server_header=False,
        )
    finally:
        if loop is not None:
            loop.stop()
        app.close()
    return 0
