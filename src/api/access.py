"""Who is asking, and whether they may: the session behind a request, and the roles an operation allows."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from sqlalchemy import bindparam, select
from starlette.requests import Request
from starlette.responses import Response

from api.context import ApiSettings, ApiState, Principal
from api.sessions import Session, sessions_table
from api.problems import ApiProblem
from domain.actors import Role
from domain.text import with_article
from projections.queries.principals import PRINCIPALS, principal_columns, principal_of
from sema.application import LogInResult

PREFIX = "principal_"
# Made once: the session of a request's token, and its user's principals row beside it (one select).
_SESSION_AND_PRINCIPAL = (
    select(sessions_table, *principal_columns(PREFIX))
    .select_from(sessions_table.outerjoin(PRINCIPALS, PRINCIPALS.c.user_id == sessions_table.c.user_id))
    .where(sessions_table.c.token_hash == bindparam("hash"))
)


def token_of(request: Request, cookie_name: str) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(cookie_name) or None


def is_mail_system(state: ApiState, request: Request) -> bool:
    """Whether the request carries the mail system's own bearer token (compared in constant time)."""
    expected = state.settings.mail_system_token
    authorization = request.headers.get("authorization", "")
    scheme, _, given = authorization.partition(" ")
    if not expected or scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(hashlib.sha256(given.strip().encode()).digest(), hashlib.sha256(expected.encode()).digest())


def authenticate(state: ApiState, request: Request, now: datetime) -> Principal:
    token = token_of(request, state.settings.cookie_name)
    unauthenticated = ApiProblem(401, "not-authenticated", "Not authenticated", "log in first: give the session token as a Bearer token or the session cookie", headers={"WWW-Authenticate": "Bearer"})
    if token is None or len(token) > 200:
        raise unauthenticated
    found_session = state.sessions.find_with(token, now, _SESSION_AND_PRINCIPAL)
    if found_session is None:
        raise unauthenticated
    session, row = found_session
    # The role is read afresh so that an appointment, revocation, suspension or
    # deletion takes effect on the next request, not at the next log-in: from the
    # principals read model, which every command keeps in its own transaction.
    found = principal_of(row, session.user_id, PREFIX)
    if found is None:
        state.sessions.close(session.token_hash)
        raise unauthenticated
    # The request log names who asked.
    request.scope.setdefault("state", {}).update(principal_id=str(session.user_id), principal_role=found.role.value)
    return Principal(session=session, role=found.role, user_id=session.user_id, organisation_id=found.organisation_id)


# All that a session opened with a one-time password may reach: activation, and what
# it needs (who the session is, logging out), in the API and the console. Named here
# once rather than flagged route by route: such flags had opened GET and DELETE
# /me/sessions to it, so a session on a leaked letter outlived activation and could
# end the real user's sessions.
BEFORE_ACTIVATION = frozenset(
    {
        ("GET", "/me"),
        ("DELETE", "/session"),
        ("POST", "/me/activation"),
        ("GET", "/console/activate"),
        ("POST", "/console/activate"),
        ("POST", "/console/sign-out"),
    }
)


def reachable_before_activation(method: str, path: str) -> bool:
    """Whether a session that must still activate may call ``method`` on the route ``path``."""
    return ("GET" if method == "HEAD" else method, path) in BEFORE_ACTIVATION


def authorise(principal: Principal, roles: frozenset[Role] | None, method: str, path: str) -> None:
    """Raises unless the principal's role is among ``roles`` (``None``: any), and a
    session that must still activate only reaches :data:`BEFORE_ACTIVATION`
    (``method`` on the route ``path``, as the routes table names it)."""
    if principal.session.must_activate and not reachable_before_activation(method, path):
        raise ApiProblem(403, "activation-required", "Activation required", "choose your own password and set your security information first (POST /me/activation)")
    if roles is not None and principal.role not in roles:
        raise ApiProblem(403, "permission-denied", "Forbidden", f"{with_article(principal.role.value.replace('_', ' '))} may not do this")


def open_session(state: ApiState, request: Request, result: LogInResult, now: datetime) -> tuple[str, Session]:
    """A session after a successful log-in (API or console); expired sessions and letters are cleared first."""
    state.sessions.purge_expired(now)
    state.letters.purge_expired(now)
    state.idempotency.purge_expired(now)
    must_activate = result.must_change_password or result.must_set_security_information
    request.scope.setdefault("state", {}).update(principal_id=str(result.user_id), principal_role=result.role.value)
    return state.sessions.open(result.user_id, result.role.value, result.organisation_id, must_activate, now)


def set_session_cookie(response: Response, settings: ApiSettings, token: str) -> None:
    max_age = int(settings.session_absolute.total_seconds())
    response.set_cookie(settings.cookie_name, token, max_age=max_age, httponly=True, samesite="strict", secure=settings.secure_cookies, path="/")


def clear_session_cookie(response: Response, settings: ApiSettings) -> None:
    response.delete_cookie(settings.cookie_name, path="/", httponly=True, samesite="strict", secure=settings.secure_cookies)
