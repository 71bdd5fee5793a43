"""Organisations with their administrators."""

from __future__ import annotations

from typing import Any, Literal
from uuid import UUID

from sqlalchemy import select

from projections.queries.common import Reader, View, directory


class OrganisationView(View):
    id: UUID
    name: str
    code: str
    account_type: Literal["smtp", "gsc", "mailbox"]
    domains: tuple[str, ...]
    suspended: bool
    suspension_message: str | None
    administrator_ids: tuple[UUID, ...]


def organisations(session: Reader) -> list[OrganisationView]:
    o = directory.organisations.c
    rows = session.execute(select(directory.organisations).order_by(o.name, o.id)).mappings().all()
    admins = _administrators(session, None)
    return [_organisation_view(r, admins.get(r["id"], ())) for r in rows]


def organisation(session: Reader, organisation_id: UUID) -> OrganisationView | None:
    row = session.execute(select(directory.organisations).where(directory.organisations.c.id == str(organisation_id))).mappings().first()
    if row is None:
        return None
    return _organisation_view(row, _administrators(session, str(organisation_id)).get(row["id"], ()))


def _administrators(session: Reader, organisation_id: str | None) -> dict[str, tuple[UUID, ...]]:
    a = directory.administrators.c
    query = select(a.organisation_id, a.user_id).order_by(a.organisation_id, a.user_id)
    if organisation_id is not None:
        query = query.where(a.organisation_id == organisation_id)
    found: dict[str, list[UUID]] = {}
    for org_id, user_id in session.execute(query):
        found.setdefault(org_id, []).append(UUID(user_id))
    return {k: tuple(v) for k, v in found.items()}


def _organisation_view(row: Any, administrator_ids: tuple[UUID, ...]) -> OrganisationView:
    return OrganisationView(
        id=UUID(row["id"]),
        name=row["name"],
        code=row["code"],
        account_type=row["account_type"],
        domains=tuple(row["domains"]),
        suspended=bool(row["suspended"]),
        suspension_message=row["suspension_message"],
        administrator_ids=administrator_ids,
    )
