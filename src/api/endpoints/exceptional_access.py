"""Exceptional access (mailbox access, user reset): an administrator requests,
a service administrator decides, an administrator may revoke early."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.operations import ADMINISTRATORS, SERVICE, OperationTable
from api.schemas import AccessRequestIn, Created, DecisionIn

table = OperationTable()
TAG = "exceptional access"



def _request(ctx: Context, kind: str, target_id: UUID, body: AccessRequestIn) -> Created:
    return Created(id=ctx.app.request_exceptional_access(ctx.actor, ctx.now, kind, target_id, body.reason))


@table("POST", "/mailboxes/{mailbox_id}/exceptional-access", summary="Ask for exceptional access to a user's mailbox, with a reason", tag=TAG, roles=ADMINISTRATORS, body=AccessRequestIn, response=Created, status=201)
def request_mailbox_access(ctx: Context, mailbox_id: UUID, body: AccessRequestIn) -> Created:
    return _request(ctx, "mailbox_access", mailbox_id, body)


@table("POST", "/users/{user_id}/exceptional-access", summary="Ask for approval to reset a user, with a reason", tag=TAG, roles=ADMINISTRATORS, body=AccessRequestIn, response=Created, status=201)
def request_user_reset(ctx: Context, user_id: UUID, body: AccessRequestIn) -> Created:
    return _request(ctx, "user_reset", user_id, body)


@table("POST", "/mailboxes/{mailbox_id}/exceptional-access/{grant_id}/decision", summary="Grant (time-limited) or refuse a mailbox-access request", tag=TAG, roles=SERVICE, body=DecisionIn, status=204)
def decide_mailbox_access(ctx: Context, mailbox_id: UUID, grant_id: UUID, body: DecisionIn) -> None:
    ctx.app.decide_exceptional_access(ctx.actor, ctx.now, "mailbox_access", mailbox_id, grant_id, body.approve, body.reason)


@table("POST", "/users/{user_id}/exceptional-access/{grant_id}/decision", summary="Approve or refuse a user-reset request", tag=TAG, roles=SERVICE, body=DecisionIn, status=204)
def decide_user_reset(ctx: Context, user_id: UUID, grant_id: UUID, body: DecisionIn) -> None:
    ctx.app.decide_exceptional_access(ctx.actor, ctx.now, "user_reset", user_id, grant_id, body.approve, body.reason)


@table("DELETE", "/mailboxes/{mailbox_id}/exceptional-access/{grant_id}", summary="Revoke a mailbox-access grant early", tag=TAG, roles=ADMINISTRATORS, status=204)
def revoke_mailbox_access(ctx: Context, mailbox_id: UUID, grant_id: UUID) -> None:
    ctx.app.revoke_exceptional_access(ctx.actor, ctx.now, "mailbox_access", mailbox_id, grant_id)


@table("DELETE", "/users/{user_id}/exceptional-access/{grant_id}", summary="Revoke a user-reset grant before it is used", tag=TAG, roles=ADMINISTRATORS, status=204)
def revoke_user_reset(ctx: Context, user_id: UUID, grant_id: UUID) -> None:
    ctx.app.revoke_exceptional_access(ctx.actor, ctx.now, "user_reset", user_id, grant_id)
