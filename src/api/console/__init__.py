"""The web console: server-rendered pages over the same service layer, queries,
sessions and authorisation as the JSON API (``create_app`` mounts ``CONSOLE``).

Pages live at ``/`` (home) and under ``/console/``; every path is listed here,
top to bottom, as the API's are in ``api.routes``.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from api.console import account
from api.console.pages import Page
from api.operations import EVERYONE, PUBLIC

POST = ("GET", "POST")

CONSOLE: list[BaseRoute] = [
    # --- anyone: signing in and out, activation, own account
    Page("/", account.home, EVERYONE),
    Page("/console/sign-in", account.sign_in, PUBLIC, methods=POST),
    Page("/console/sign-out", account.sign_out, EVERYONE, methods=("POST",), during_activation=True),
    Page("/console/activate", account.activate, EVERYONE, methods=POST, during_activation=True),
    Page("/console/account", account.account, EVERYONE),
    Page("/console/account/password", account.change_password, EVERYONE, methods=POST),
    Page("/console/account/security-information", account.security_information, EVERYONE, methods=POST),
    Page("/console/account/sessions/end-others", account.end_other_sessions, EVERYONE, methods=("POST",)),
    Mount("/console/static", app=StaticFiles(packages=[("api.console", "static")]), name="console-static"),
]
