"""Exceptional access (mailbox access, user reset): an administrator requests,
a service administrator decides, an administrator may revoke early."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.schemas import AccessRequestIn, Created, DecisionIn


def _request(ctx: Context, kind: str, target_id: UUID, body: AccessRequestIn) -> Created:
    return Created(id=ctx.app.request_exceptional_access(ctx.actor, ctx.now, kind, target_id, body.reason))


def request_mailbox_access(ctx: Context, mailbox_id: UUID, body: AccessRequestIn) -> Created:
    """Ask for exceptional access to a user's mailbox, with a reason"""
    return _request(ctx, "mailbox_access", mailbox_id, body)


def request_user_reset(ctx: Context, user_id: UUID, body: AccessRequestIn) -> Created:
    """Ask for approval to reset a user, with a reason"""
    return _request(ctx, "user_reset", user_id, body)


def decide_mailbox_access(ctx: Context, mailbox_id: UUID, grant_id: UUID, body: DecisionIn) -> None:
    """Grant (time-limited) or refuse a mailbox-access request"""
    ctx.app.decide_exceptional_access(ctx.actor, ctx.now, "mailbox_access", mailbox_id, grant_id, body.approve, body.reason)


def decide_user_reset(ctx: Context, user_id: UUID, grant_id: UUID, body: DecisionIn) -> None:
    """Approve or refuse a user-reset request"""
    ctx.app.decide_exceptional_access(ctx.actor, ctx.now, "user_reset", user_id, grant_id, body.approve, body.reason)


def revoke_mailbox_access(ctx: Context, mailbox_id: UUID, grant_id: UUID) -> None:
    """Revoke a mailbox-access grant early"""
    ctx.app.revoke_exceptional_access(ctx.actor, ctx.now, "mailbox_access", mailbox_id, grant_id)


def revoke_user_reset(ctx: Context, user_id: UUID, grant_id: UUID) -> None:
    """Revoke a user-reset grant before it is used"""
    ctx.app.revoke_exceptional_access(ctx.actor, ctx.now, "user_reset", user_id, grant_id)
