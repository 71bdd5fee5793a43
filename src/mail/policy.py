"""The listener Dovecot reports IMAP log-ins to (its "auth policy" protocol).

Dovecot posts one JSON report after every authentication, with the login
(the mailbox asked for), the person who authenticated (Dovecot's
``auth_user``: the same login, or in ``mailbox*person`` the person) and
whether it succeeded (``auth_policy_report_after_auth``); sema
counts a failure like a failed sema log-in and a success as use of the
mailbox opened. It never refuses a log-in here: the SQL passdb already did
what sema's state says. The shared key (``mail.config.policy_key``) keeps
others from reporting.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import structlog
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from mail.config import POLICY_HEADER, POLICY_PATH, policy_key
from sema.application import SemaApplication
from sema.credentials import same_text

log = structlog.get_logger("sema.mail")

# Dovecot's answer format: status 0 lets the log-in proceed as it would anyway.
CARRY_ON = {"status": 0, "msg": ""}


def policy_app(app: SemaApplication, now: Callable[[], datetime]) -> Starlette:
    key = policy_key(app.settings.resolved_secret_key())

    async def endpoint(request: Request) -> Response:
        if not same_text(request.headers.get(POLICY_HEADER, ""), key):
            return JSONResponse({"status": -1, "msg": "unknown reporter"}, status_code=403)
        body = await request.json()
        if request.query_params.get("command") == "report":
            login, person, success = str(body.get("login") or ""), str(body.get("person") or ""), bool(body.get("success"))
            if login:
                try:  # the application is synchronous: in the thread pool
                    await run_in_threadpool(app.report_imap_log_in, now(), login, person, success)
                except Exception:  # a report that cannot be recorded must not hold up the mail server
                    log.exception("IMAP log-in report not recorded", login=login, success=success)
        return JSONResponse(CARRY_ON)

    return Starlette(routes=[Route(POLICY_PATH, endpoint, methods=["POST"])])
