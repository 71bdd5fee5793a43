"""Organisations: registration and administrators (service administrators), suspension."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.schemas import Created, OrganisationIn, Suspension


def register_organisation(ctx: Context, body: OrganisationIn) -> Created:
    """Register an organisation"""
    organisation_id = ctx.app.register_organisation(ctx.actor, ctx.now, name=body.name, code=body.code, account_type=body.account_type, domains=body.domains)
    return Created(id=organisation_id)


def appoint_administrator(ctx: Context, organisation_id: UUID, user_id: UUID) -> None:
    """Appoint a user administrator of their organisation"""
    ctx.app.appoint_administrator(ctx.actor, ctx.now, organisation_id, user_id)


def revoke_administrator(ctx: Context, organisation_id: UUID, user_id: UUID) -> None:
    """Revoke an organisation administrator"""
    ctx.app.revoke_administrator(ctx.actor, ctx.now, organisation_id, user_id)


def suspend_organisation(ctx: Context, organisation_id: UUID, body: Suspension) -> None:
    """Suspend an organisation: mail to it is returned with the message"""
    ctx.app.suspend_organisation(ctx.actor, ctx.now, organisation_id, body.message or None)


def unsuspend_organisation(ctx: Context, organisation_id: UUID) -> None:
    """Unsuspend an organisation"""
    ctx.app.unsuspend_organisation(ctx.actor, ctx.now, organisation_id)
