"""Who is asking, and whether they may: the session behind a request, and the roles an operation allows."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request

from api.context import ApiState, Principal
from api.problems import ApiProblem
from domain.actors import Role
from projections.queries.principals import principal

def token_of(request: Request, cookie_name: str) -> str | None:
    authorization = request.headers.get("authorization", "")
    scheme, _, credentials = authorization.partition(" ")
    if scheme.lower() == "bearer" and credentials.strip():
        return credentials.strip()
    return request.cookies.get(cookie_name) or None


def authenticate(state: ApiState, request: Request, now: datetime) -> Principal:
    token = token_of(request, state.settings.cookie_name)
    unauthenticated = ApiProblem(401, "not-authenticated", "Not authenticated", "log in first: give the session token as a Bearer token or the session cookie", headers={"WWW-Authenticate": "Bearer"})
    if token is None or len(token) > 200:
        raise unauthenticated
    session = state.sessions.find(token, now)
    if session is None:
        raise unauthenticated
    # The role is read afresh so that an appointment, revocation, suspension or
    # deletion takes effect on the next request, not at the next log-in: from the
    # principals read model, which every command keeps in its own transaction.
    with state.app.engine.connect() as connection:
        found = principal(connection, session.user_id)
    if found is None:
        state.sessions.close(session.token_hash)
        raise unauthenticated
    return Principal(session=session, role=found.role, user_id=session.user_id, organisation_id=found.organisation_id)


def authorise(principal: Principal, roles: frozenset[Role] | None, during_activation: bool) -> None:
    """Raises unless the principal's role is among ``roles`` (``None``: any), and
    an account that must still activate only reaches what activation needs."""
    if principal.session.must_activate and not during_activation:
        raise ApiProblem(403, "activation-required", "Activation required", "choose your own password and set your security information first (POST /me/activation)")
    if roles is not None and principal.role not in roles:
        raise ApiProblem(403, "permission-denied", "Forbidden", f"a {principal.role.value.replace('_', ' ')} may not do this")
