"""Who is asking, and whether they may: the session behind a request, and the roles an operation allows."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime

from starlette.requests import Request

from api.context import ApiState, Principal
from api.problems import ApiProblem
from domain.actors import Role
from domain.errors import DomainError

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
    session = state.sessions.find(token, now)
    if session is None:
        raise unauthenticated
    # The role is read afresh so that an appointment, revocation, suspension or
    # deletion takes effect on the next request, not at the next log-in.
    try:
        user = state.app.get_user(session.user_id)
        user.check_can_log_in(now, with_one_time_password=False)
        role = state.app.current_role(session.user_id)
    except DomainError:
        state.sessions.close(session.token_hash)
        raise unauthenticated from None
    return Principal(session=session, role=role, user_id=session.user_id, organisation_id=user.organisation_id)


def authorise(principal: Principal, roles: frozenset[Role] | None, during_activation: bool) -> None:
    """Raises unless the principal's role is among ``roles`` (``None``: any), and
    an account that must still activate only reaches what activation needs."""
    if principal.session.must_activate and not during_activation:
        raise ApiProblem(403, "activation-required", "Activation required", "choose your own password and set your security information first (POST /me/activation)")
    if roles is not None and principal.role not in roles:
        raise ApiProblem(403, "permission-denied", "Forbidden", f"a {principal.role.value.replace('_', ' ')} may not do this")
