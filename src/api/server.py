"""``sema serve``: the HTTP API under uvicorn, with the policy loop in the background.

On the first start with an empty store it creates the service administrator
and prints its username and one-time password, once.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from datetime import timedelta
from typing import Any

import uvicorn

from api.app import create_app
from api.context import ApiSettings
from sema.bootstrap import build_application
from sema.clock import SystemClock
from sema.config import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    parser.add_argument("--insecure-cookies", action="store_true", help="session cookie without the Secure flag (plain-HTTP development only)")


def _policy_loop(app: Any, clock: SystemClock) -> Any | None:
    """The time-based policies run beside the API unless SEMA_POLICIES_IN_SERVER=false."""
    if os.environ.get("SEMA_POLICIES_IN_SERVER", "true").lower() in ("false", "0", "no"):
        return None
    try:
        runner = importlib.import_module("policies.runner")
    except ModuleNotFoundError as error:
        if error.name not in ("policies.runner", "policies"):
            raise
        return None
    loop = runner.PolicyLoop(app, clock)
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
    loop = _policy_loop(app, clock)
    api_settings = ApiSettings(
        secure_cookies=not args.insecure_cookies,
        session_idle=timedelta(minutes=float(os.environ.get("SEMA_SESSION_IDLE_MINUTES", "30"))),
        session_absolute=timedelta(hours=float(os.environ.get("SEMA_SESSION_ABSOLUTE_HOURS", "8"))),
    )
    asgi = create_app(app, clock=clock, settings=api_settings, log_stream=sys.stdout)
    try:
        uvicorn.run(asgi, host=args.host, port=args.port, access_log=False, log_level="warning")
    finally:
        if loop is not None:
            loop.stop()
        app.close()
    return 0
