"""Organisations: registration and administrators (service administrators), suspension."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.operations import ADMINISTRATORS, SERVICE, OperationTable
from api.schemas import Created, OrganisationIn, Suspension

table = OperationTable()
TAG = "organisations"


@table("POST", "/organisations", summary="Register an organisation", tag=TAG, roles=SERVICE, body=OrganisationIn, response=Created, status=201)
def register_organisation(ctx: Context, body: OrganisationIn) -> Created:
    organisation_id = ctx.app.register_organisation(ctx.actor, ctx.now, name=body.name, code=body.code, account_type=body.account_type, domains=body.domains)
    return Created(id=organisation_id)


@table("PUT", "/organisations/{organisation_id}/administrators/{user_id}", summary="Appoint a user administrator of their organisation", tag=TAG, roles=SERVICE, status=204)
def appoint_administrator(ctx: Context, organisation_id: UUID, user_id: UUID) -> None:
    ctx.app.appoint_administrator(ctx.actor, ctx.now, organisation_id, user_id)


@table("DELETE", "/organisations/{organisation_id}/administrators/{user_id}", summary="Revoke an organisation administrator", tag=TAG, roles=SERVICE, status=204)
def revoke_administrator(ctx: Context, organisation_id: UUID, user_id: UUID) -> None:
    ctx.app.revoke_administrator(ctx.actor, ctx.now, organisation_id, user_id)


@table("PUT", "/organisations/{organisation_id}/suspension", summary="Suspend an organisation: mail to it is returned with the message", tag=TAG, roles=ADMINISTRATORS, body=Suspension, status=204)
def suspend_organisation(ctx: Context, organisation_id: UUID, body: Suspension) -> None:
    ctx.app.suspend_organisation(ctx.actor, ctx.now, organisation_id, body.message or None)


@table("DELETE", "/organisations/{organisation_id}/suspension", summary="Unsuspend an organisation", tag=TAG, roles=ADMINISTRATORS, status=204)
def unsuspend_organisation(ctx: Context, organisation_id: UUID) -> None:
    ctx.app.unsuspend_organisation(ctx.actor, ctx.now, organisation_id)
