"""Who may act on what: rules about the acting principal, as pure functions.

Organisation administrators act on their own organisation only; anything else
of theirs looks as if it did not exist (the caller passes the not-found error
to raise), so no one learns what another organisation holds.
"""

from __future__ import annotations

from uuid import UUID

from domain.actors import Actor, Role
from domain.errors import NotFound, PermissionDenied


def require_change(actor: Actor) -> None:
    if actor.role is Role.AUDITOR:
        raise PermissionDenied("auditors change nothing")


def require_service_administrator(actor: Actor) -> None:
    if not actor.is_service_administrator:
        raise PermissionDenied("only a service administrator may do this")


def require_administrator(actor: Actor) -> None:
    require_change(actor)
    if not actor.is_administrator:
        raise PermissionDenied("only an administrator may do this")


def require_administers(actor: Actor, organisation_id: UUID, not_found: NotFound, service_organisation_id: UUID | None = None) -> None:
    """The service's own organisation (its administrators and auditors) is
    administered by service administrators only, even by one of its own
    organisation administrators: they must not unlock, challenge or reset those
    who administer the service."""
    require_administrator(actor)
    if actor.is_service_administrator:
        return
    if actor.organisation_id != organisation_id:
        raise not_found
    if organisation_id == service_organisation_id:
        raise PermissionDenied("the service's own people are administered by service administrators only")
