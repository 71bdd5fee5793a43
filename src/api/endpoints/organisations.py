"""Organisations: registration and upkeep (service administrators), contact details, administrators, suspension."""

from __future__ import annotations

from uuid import UUID

from api.context import Context
from api.schemas import ContactDetailsIn, Created, OrganisationIn, OrganisationRenameIn, Suspension
from domain.organisation import ContactDetails


def register_organisation(ctx: Context, body: OrganisationIn) -> Created:
    """Register an organisation"""
    organisation_id = ctx.app.register_organisation(ctx.actor, ctx.now, name=body.name, code=body.code, account_type=body.account_type, domains=body.domains)
    return Created(id=organisation_id)


def rename_organisation(ctx: Context, organisation_id: UUID, body: OrganisationRenameIn) -> None:
    """Rename an organisation (its code, and so its users' addresses, stay)"""
    ctx.app.rename_organisation(ctx.actor, ctx.now, organisation_id, body.name)


def add_mail_domain(ctx: Context, organisation_id: UUID, domain: str) -> None:
    """Add a mail domain to an smtp or gsc organisation: its users' original addresses may be in it"""
    ctx.app.add_mail_domain(ctx.actor, ctx.now, organisation_id, domain)


def remove_mail_domain(ctx: Context, organisation_id: UUID, domain: str) -> None:
    """Remove a mail domain (never the last one); users already relaying to it keep their addresses"""
    ctx.app.remove_mail_domain(ctx.actor, ctx.now, organisation_id, domain)


def change_contact_details(ctx: Context, organisation_id: UUID, body: ContactDetailsIn) -> None:
    """Set the organisation's contact details (the whole set; parts left out are cleared)"""
    contact = ContactDetails.checked(contact_name=body.contact_name, email=body.email, telephone=body.telephone, postal_address=body.postal_address)
    ctx.app.change_contact_details(ctx.actor, ctx.now, organisation_id, contact)


def appoint_administrator(ctx: Context, organisation_id: UUID, user_id: UUID) -> None:
    """Appoint a user administrator of their organisation (a service administrator, or one of its administrators)"""
    ctx.app.appoint_administrator(ctx.actor, ctx.now, organisation_id, user_id)


def revoke_administrator(ctx: Context, organisation_id: UUID, user_id: UUID) -> None:
    """Revoke an organisation administrator (an organisation administrator never revokes the last one)"""
    ctx.app.revoke_administrator(ctx.actor, ctx.now, organisation_id, user_id)


def suspend_organisation(ctx: Context, organisation_id: UUID, body: Suspension) -> None:
    """Suspend an organisation: mail to it is returned with the message"""
    ctx.app.suspend_organisation(ctx.actor, ctx.now, organisation_id, body.message or None)


def unsuspend_organisation(ctx: Context, organisation_id: UUID) -> None:
    """Unsuspend an organisation"""
    ctx.app.unsuspend_organisation(ctx.actor, ctx.now, organisation_id)
