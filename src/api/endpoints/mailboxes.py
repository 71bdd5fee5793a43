"""Group mailboxes and their permissions; distribution lists and their members."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.operations import ADMINISTRATORS, OperationTable
from api.schemas import CreatedWithAddress, DistributionListIn, GroupMailboxIn, PermissionName, RenameIn

table = OperationTable()


@table("POST", "/organisations/{organisation_id}/group-mailboxes", summary="Create a group mailbox (mailbox organisations only)", tag="mailboxes", roles=ADMINISTRATORS, body=GroupMailboxIn, response=CreatedWithAddress, status=201)
def create_group_mailbox(ctx: Context, organisation_id: UUID, body: GroupMailboxIn) -> CreatedWithAddress:
    mailbox_id, address = ctx.app.create_group_mailbox(ctx.actor, ctx.now, organisation_id, body.name, body.local_part)
    return CreatedWithAddress(id=mailbox_id, address=address)


@table("PUT", "/mailboxes/{mailbox_id}/permissions/{user_id}/{permission}", summary="Grant a user read, write or mail permission on a group mailbox", tag="mailboxes", roles=ADMINISTRATORS, status=204)
def grant_mailbox_permission(ctx: Context, mailbox_id: UUID, user_id: UUID, permission: PermissionName) -> None:
    ctx.app.grant_mailbox_permission(ctx.actor, ctx.now, mailbox_id, user_id, permission)


@table("DELETE", "/mailboxes/{mailbox_id}/permissions/{user_id}/{permission}", summary="Revoke a user's permission on a group mailbox", tag="mailboxes", roles=ADMINISTRATORS, status=204)
def revoke_mailbox_permission(ctx: Context, mailbox_id: UUID, user_id: UUID, permission: PermissionName) -> None:
    ctx.app.revoke_mailbox_permission(ctx.actor, ctx.now, mailbox_id, user_id, permission)


@table("POST", "/organisations/{organisation_id}/distribution-lists", summary="Create a distribution list (members may be users of any organisation)", tag="distribution lists", roles=ADMINISTRATORS, body=DistributionListIn, response=CreatedWithAddress, status=201)
def create_distribution_list(ctx: Context, organisation_id: UUID, body: DistributionListIn) -> CreatedWithAddress:
    list_id, address = ctx.app.create_distribution_list(ctx.actor, ctx.now, organisation_id, body.name, body.local_part, body.member_ids)
    return CreatedWithAddress(id=list_id, address=address)


@table("PATCH", "/distribution-lists/{list_id}", summary="Rename a distribution list", tag="distribution lists", roles=ADMINISTRATORS, body=RenameIn, status=204)
def rename_distribution_list(ctx: Context, list_id: UUID, body: RenameIn) -> None:
    ctx.app.rename_distribution_list(ctx.actor, ctx.now, list_id, body.name)


@table("PUT", "/distribution-lists/{list_id}/members/{user_id}", summary="Add a member to a distribution list", tag="distribution lists", roles=ADMINISTRATORS, status=204)
def add_list_member(ctx: Context, list_id: UUID, user_id: UUID) -> None:
    ctx.app.add_list_member(ctx.actor, ctx.now, list_id, user_id)


@table("DELETE", "/distribution-lists/{list_id}/members/{user_id}", summary="Remove a member from a distribution list", tag="distribution lists", roles=ADMINISTRATORS, status=204)
def remove_list_member(ctx: Context, list_id: UUID, user_id: UUID) -> None:
    ctx.app.remove_list_member(ctx.actor, ctx.now, list_id, user_id)


@table("DELETE", "/distribution-lists/{list_id}", summary="Delete a distribution list (its address is released)", tag="distribution lists", roles=ADMINISTRATORS, status=204)
def delete_distribution_list(ctx: Context, list_id: UUID) -> None:
    ctx.app.delete_distribution_list(ctx.actor, ctx.now, list_id)
