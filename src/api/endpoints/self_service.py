"""Log-in, log-out, activation and what every user does for themself."""

from __future__ import annotations

from uuid import UUID

from starlette.responses import JSONResponse, Response

from api.context import Context
from api.operations import EVERYONE, PEOPLE, OperationTable
from api.schemas import Activation, AddressBookEntryIn, LogIn, Me, PasswordChange, SecurityInformation, SecurityQuestionOut, SecurityQuestions, SessionOut
from domain.user import SECURITY_QUESTIONS

table = OperationTable()
TAG = "self-service"


@table("POST", "/session", summary="Log in with username and password (or one-time password)", tag=TAG, roles=None, body=LogIn, response=SessionOut, status=201)
def log_in(ctx: Context, body: LogIn) -> Response:
    result = ctx.app.log_in(body.username, body.password, ctx.now, request_id=ctx.request_id)
    ctx.state.sessions.purge_expired(ctx.now)
    ctx.state.letters.purge_expired(ctx.now)
    must_activate = result.must_change_password or result.must_set_security_information
    token, session = ctx.state.sessions.open(result.user_id, result.role.value, result.organisation_id, must_activate, ctx.now)
    ctx.request.scope.setdefault("state", {}).update(principal_id=str(result.user_id), principal_role=result.role.value)
    out = SessionOut(
        token=token,
        expires_at=session.expires_at,
        user_id=result.user_id,
        username=result.username,
        role=result.role.value,
        organisation_id=result.organisation_id,
        must_activate=must_activate,
    )
    response = JSONResponse(out.model_dump(mode="json"), status_code=201)
    settings = ctx.state.settings
    response.set_cookie(
        settings.cookie_name,
        token,
        max_age=int(settings.session_absolute.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=settings.secure_cookies,
        path="/",
    )
    return response


@table("DELETE", "/session", summary="Log out: the session token stops working", tag=TAG, roles=EVERYONE, during_activation=True, status=204)
def log_out(ctx: Context) -> Response:
    assert ctx.principal is not None
    ctx.state.sessions.close(ctx.principal.session.token_hash)
    response = Response(status_code=204)
    response.delete_cookie(ctx.state.settings.cookie_name, path="/", httponly=True, samesite="strict", secure=ctx.state.settings.secure_cookies)
    return response


@table("GET", "/me", summary="Who the session belongs to", tag=TAG, roles=EVERYONE, during_activation=True, response=Me)
def me(ctx: Context) -> Me:
    assert ctx.principal is not None
    p = ctx.principal
    return Me(user_id=p.user_id, role=p.role.value, organisation_id=p.organisation_id, must_activate=p.session.must_activate, session_expires_at=p.session.expires_at)


@table("GET", "/security-questions", summary="The fixed list of security questions", tag=TAG, roles=None, response=SecurityQuestions)
def security_questions(ctx: Context) -> SecurityQuestions:
    return SecurityQuestions(questions=[SecurityQuestionOut(key=k, text=t) for k, t in SECURITY_QUESTIONS.items()])


@table("POST", "/me/activation", summary="First log-in: replace the one-time password and set three security answers", tag=TAG, roles=EVERYONE, during_activation=True, body=Activation, status=204)
def activate(ctx: Context, body: Activation) -> None:
    assert ctx.principal is not None
    ctx.app.complete_first_log_in(ctx.actor, ctx.now, body.new_password, dict(body.security_answers) if body.security_answers else None)
    ctx.state.sessions.activated(ctx.principal.session.token_hash)


@table("POST", "/me/password", summary="Change own password", tag=TAG, roles=EVERYONE, body=PasswordChange, status=204)
def change_password(ctx: Context, body: PasswordChange) -> None:
    ctx.app.change_password(ctx.actor, ctx.now, body.current_password, body.new_password)


@table("PUT", "/me/security-information", summary="Set own security information (three answers)", tag=TAG, roles=EVERYONE, body=SecurityInformation, status=204)
def set_security_information(ctx: Context, body: SecurityInformation) -> None:
    ctx.app.set_security_information(ctx.actor, ctx.now, dict(body.security_answers))


@table("POST", "/me/address-book", summary="Save a directory entry or list into own address book", tag=TAG, roles=PEOPLE, body=AddressBookEntryIn, status=204)
def save_address_book_entry(ctx: Context, body: AddressBookEntryIn) -> None:
    ctx.app.save_address_book_entry(ctx.actor, ctx.now, body.entry_kind, body.entry_id)


@table("DELETE", "/me/address-book/{entry_id}", summary="Remove an entry from own address book", tag=TAG, roles=PEOPLE, status=204)
def remove_address_book_entry(ctx: Context, entry_id: UUID) -> None:
    ctx.app.remove_address_book_entry(ctx.actor, ctx.now, entry_id)


@table("POST", "/mailboxes/{mailbox_id}/use", summary="Record that a mailbox was used (reported by the webmail)", tag="mailboxes", roles=PEOPLE, status=204)
def record_mailbox_use(ctx: Context, mailbox_id: UUID) -> None:
    ctx.app.record_mailbox_use(ctx.actor, ctx.now, mailbox_id)
