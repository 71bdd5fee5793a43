"""Log-in, log-out, activation and what every user does for themself."""

from __future__ import annotations

from uuid import UUID

from starlette.responses import JSONResponse, Response

from api.access import clear_session_cookie, open_session, set_session_cookie
from api.context import Context
from api.problems import ApiProblem
from api.schemas import Activation, AddressBookEntryIn, LogIn, Me, PasswordChange, SecurityInformation, SecurityQuestionOut, SecurityQuestions, SessionOut
from domain.user import SECURITY_QUESTIONS


def log_in(ctx: Context, body: LogIn) -> Response:
    """Log in with username and password (or one-time password)"""
    ctx.request.scope.setdefault("state", {})["username_tried"] = body.username  # the request log names it, failed or not
    result = ctx.app.log_in(body.username, body.password, ctx.now, request_id=ctx.request_id, client=_client(ctx))
    token, session = open_session(ctx.state, ctx.request, result, ctx.now)
    out = SessionOut(
        token=token,
        expires_at=session.expires_at,
        user_id=result.user_id,
        username=result.username,
        role=result.role.value,
        organisation_id=result.organisation_id,
        must_activate=session.must_activate,
    )
    response = JSONResponse(out.model_dump(mode="json"), status_code=201)
    set_session_cookie(response, ctx.state.settings, token)
    return response


def _client(ctx: Context) -> str | None:
    """The client's address: password guesses are throttled by it as well as by username."""
    return ctx.request.client.host if ctx.request.client else None


def log_out(ctx: Context) -> Response:
    """Log out: the session token stops working"""
    assert ctx.principal is not None
    ctx.state.sessions.close(ctx.principal.session.token_hash)
    response = Response(status_code=204)
    clear_session_cookie(response, ctx.state.settings)
    return response


def me(ctx: Context) -> Me:
    """Who the session belongs to"""
    assert ctx.principal is not None
    p = ctx.principal
    return Me(user_id=p.user_id, role=p.role.value, organisation_id=p.organisation_id, must_activate=p.session.must_activate, session_expires_at=p.session.expires_at)


def security_questions(ctx: Context) -> SecurityQuestions:
    """The fixed list of security questions"""
    return SecurityQuestions(questions=[SecurityQuestionOut(key=k, text=t) for k, t in SECURITY_QUESTIONS.items()])


def activate(ctx: Context, body: Activation) -> None:
    """First log-in: replace the one-time password and set three security answers"""
    assert ctx.principal is not None
    if not ctx.principal.session.must_activate:
        raise ApiProblem(403, "activation-session-required", "Forbidden", "activation is done from the session of a log-in that requires it; change your password with POST /me/password")
    ctx.app.complete_first_log_in(ctx.actor, ctx.now, body.new_password, dict(body.security_answers) if body.security_answers else None)
    ctx.state.sessions.activated(ctx.principal.user_id, ctx.principal.session.token_hash)


def change_password(ctx: Context, body: PasswordChange) -> None:
    """Change own password (the current one is required); every other session of yours ends"""
    assert ctx.principal is not None
    ctx.app.change_password(ctx.actor, ctx.now, body.current_password, body.new_password, client=_client(ctx))
    ctx.state.sessions.close_others(ctx.principal.user_id, ctx.principal.session.token_hash)


def set_security_information(ctx: Context, body: SecurityInformation) -> None:
    """Set own security information (three answers; the current password is required)"""
    ctx.app.set_security_information(ctx.actor, ctx.now, body.current_password, dict(body.security_answers), client=_client(ctx))


def save_address_book_entry(ctx: Context, body: AddressBookEntryIn) -> None:
    """Save a directory entry or list into own address book"""
    ctx.app.save_address_book_entry(ctx.actor, ctx.now, body.entry_kind, body.entry_id)


def remove_address_book_entry(ctx: Context, entry_id: UUID) -> None:
    """Remove an entry from own address book"""
    ctx.app.remove_address_book_entry(ctx.actor, ctx.now, entry_id)


def record_mailbox_use(ctx: Context, mailbox_id: UUID) -> None:
    """Record that a mailbox was used (reported by the webmail)"""
    ctx.app.record_mailbox_use(ctx.actor, ctx.now, mailbox_id)
