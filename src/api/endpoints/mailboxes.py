"""Group mailboxes and their permissions; distribution lists and their members."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.schemas import AddressOut, CreatedWithAddress, ListAddressIn, DistributionListIn, GroupMailboxIn, PermissionName, RenameIn


def create_group_mailbox(ctx: Context, organisation_id: UUID, body: GroupMailboxIn) -> CreatedWithAddress:
    """Create a group mailbox (mailbox organisations only)"""
    mailbox_id, address = ctx.app.create_group_mailbox(ctx.actor, ctx.now, organisation_id, body.name, body.local_part)
    return CreatedWithAddress(id=mailbox_id, address=address)


def rename_group_mailbox(ctx: Context, mailbox_id: UUID, body: RenameIn) -> None:
    """Rename a group mailbox (its address stays)"""
    ctx.app.rename_group_mailbox(ctx.actor, ctx.now, mailbox_id, body.name)


def delete_group_mailbox(ctx: Context, mailbox_id: UUID) -> None:
    """Delete a group mailbox: its mail and permissions go, its address is released"""
    ctx.app.delete_group_mailbox(ctx.actor, ctx.now, mailbox_id)


def grant_mailbox_permission(ctx: Context, mailbox_id: UUID, user_id: UUID, permission: PermissionName) -> None:
    """Grant a user read, write or mail permission on a group mailbox"""
    ctx.app.grant_mailbox_permission(ctx.actor, ctx.now, mailbox_id, user_id, permission)


def revoke_mailbox_permission(ctx: Context, mailbox_id: UUID, user_id: UUID, permission: PermissionName) -> None:
    """Revoke a user's permission on a group mailbox"""
    ctx.app.revoke_mailbox_permission(ctx.actor, ctx.now, mailbox_id, user_id, permission)


def create_distribution_list(ctx: Context, organisation_id: UUID, body: DistributionListIn) -> CreatedWithAddress:
    """Create a distribution list (members may be users of any organisation)"""
    list_id, address = ctx.app.create_distribution_list(ctx.actor, ctx.now, organisation_id, body.name, body.local_part, body.member_ids)
    return CreatedWithAddress(id=list_id, address=address)


def rename_distribution_list(ctx: Context, list_id: UUID, body: RenameIn) -> None:
    """Rename a distribution list"""
    ctx.app.rename_distribution_list(ctx.actor, ctx.now, list_id, body.name)


def add_list_member(ctx: Context, list_id: UUID, user_id: UUID) -> None:
    """Add a member to a distribution list"""
    ctx.app.add_list_member(ctx.actor, ctx.now, list_id, user_id)


def remove_list_member(ctx: Context, list_id: UUID, user_id: UUID) -> None:
    """Remove a member from a distribution list"""
    ctx.app.remove_list_member(ctx.actor, ctx.now, list_id, user_id)


def delete_distribution_list(ctx: Context, list_id: UUID) -> None:
    """Delete a distribution list: mail to it is returned at once; it can be restored for 30 days, then its address is released"""
    ctx.app.delete_distribution_list(ctx.actor, ctx.now, list_id)


def restore_distribution_list(ctx: Context, list_id: UUID) -> None:
    """Restore a distribution list deleted less than 30 days ago, with its address and members"""
    ctx.app.restore_distribution_list(ctx.actor, ctx.now, list_id)


def change_distribution_list_address(ctx: Context, list_id: UUID, body: ListAddressIn) -> AddressOut:
    """Give a distribution list a new address (its old one is released)"""
    return AddressOut(address=ctx.app.change_distribution_list_address(ctx.actor, ctx.now, list_id, body.local_part))
