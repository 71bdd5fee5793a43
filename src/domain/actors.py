"""Who acts: every command takes the acting principal from its caller."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    USER = "user"
    ORGANISATION_ADMINISTRATOR = "organisation_administrator"
    SERVICE_ADMINISTRATOR = "service_administrator"
    AUDITOR = "auditor"
    SYSTEM = "system"  # time-based policies and the first-start bootstrap


@dataclass(frozen=True)
class Actor:
    id: str
    role: Role
    organisation_id: UUID | None = None
    request_id: str | None = None

    @property
    def is_service_administrator(self) -> bool:
        return self.role in (Role.SERVICE_ADMINISTRATOR, Role.SYSTEM)

    @property
    def is_administrator(self) -> bool:
        return self.is_service_administrator or self.role is Role.ORGANISATION_ADMINISTRATOR


def system_actor(name: str, request_id: str | None = None) -> Actor:
    return Actor(id=f"system:{name}", role=Role.SYSTEM, request_id=request_id)


def role_for(kind: str, administers_own_organisation: bool) -> Role:
    """A user's role from their kind (``domain.user.UserKind``'s values) and
    whether they administer their organisation."""
    if kind == Role.SERVICE_ADMINISTRATOR.value:
        return Role.SERVICE_ADMINISTRATOR
    if kind == Role.AUDITOR.value:
        return Role.AUDITOR
    return Role.ORGANISATION_ADMINISTRATOR if administers_own_organisation else Role.USER
