"""Organisations with their administrators and contact details; the service administrator's search."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal
from uuid import UUID

from sqlalchemy import Text, cast, func, select

from projections.queries.common import QueryError, Reader, View, check_paging, directory

ACCOUNT_TYPES = ("smtp", "gsc", "mailbox")


class ContactDetailsView(View):
    contact_name: str | None = None
    email: str | None = None
    telephone: str | None = None
    postal_address: str | None = None


class OrganisationView(View):
    id: UUID
    name: str
    code: str
    account_type: Literal["smtp", "gsc", "mailbox"]
    domains: tuple[str, ...]
    suspended: bool
    suspension_message: str | None
    administrator_ids: tuple[UUID, ...]
    contact: ContactDetailsView


class OrganisationPage(View):
    total: int
    items: list[OrganisationView]
    limit: int
    offset: int


def organisations(session: Reader) -> list[OrganisationView]:
    return search_organisations(session, limit=None).items


def search_organisations(
    session: Reader,
    *,
    text: str = "",
    account_types: Sequence[str] = (),
    suspended: bool | None = None,
    domain: str = "",
    only: UUID | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> OrganisationPage:
    """Organisations by name, code or mail domain (``text``, every word a substring,
    case-insensitive), account types (OR-ed), suspension and a mail domain
    (exact); ``only`` narrows to one (an organisation
    administrator's own). Ordered by name; ``limit=None`` for all."""
    if limit is not None:
        check_paging(limit, offset)
    bad = [t for t in account_types if t not in ACCOUNT_TYPES]
    if bad:
        raise QueryError("account_type", f"{bad[0]!r} is not one of {', '.join(ACCOUNT_TYPES)}")
    o = directory.organisations.c
    conditions: list[Any] = []
    if only is not None:
        conditions.append(o.id == str(only))
    if account_types:
        conditions.append(o.account_type.in_(list(account_types)))
    if suspended is not None:
        conditions.append(o.suspended == suspended)
    domains_text = cast(o.domains, Text)  # a JSON list of strings: each domain appears quoted
    if domain:
        conditions.append(domains_text.contains(f'"{domain.strip().lower()}"', autoescape=True))
    searchable = func.lower(o.name + " " + o.code + " " + domains_text)
    for word in text.lower().split():
        conditions.append(searchable.contains(word, autoescape=True))
    total = session.execute(select(func.count()).select_from(directory.organisations).where(*conditions)).scalar_one()
    query = select(directory.organisations).where(*conditions).order_by(func.lower(o.name), o.id)
    rows = session.execute(query).mappings().all() if limit is None else session.execute(query.limit(limit).offset(offset)).mappings().all()
    admins = _administrators(session, None)
    contacts = _contacts(session, [r["id"] for r in rows])
    items = [_organisation_view(r, admins.get(r["id"], ()), contacts.get(r["id"])) for r in rows]
    return OrganisationPage(total=int(total), items=items, limit=limit or len(items), offset=offset)


def organisation(session: Reader, organisation_id: UUID) -> OrganisationView | None:
    row = session.execute(select(directory.organisations).where(directory.organisations.c.id == str(organisation_id))).mappings().first()
    if row is None:
        return None
    admins = _administrators(session, str(organisation_id)).get(row["id"], ())
    return _organisation_view(row, admins, _contacts(session, [row["id"]]).get(row["id"]))


def _administrators(session: Reader, organisation_id: str | None) -> dict[str, tuple[UUID, ...]]:
    a = directory.administrators.c
    query = select(a.organisation_id, a.user_id).order_by(a.organisation_id, a.user_id)
    if organisation_id is not None:
        query = query.where(a.organisation_id == organisation_id)
    found: dict[str, list[UUID]] = {}
    for org_id, user_id in session.execute(query):
        found.setdefault(org_id, []).append(UUID(user_id))
    return {k: tuple(v) for k, v in found.items()}


def _contacts(session: Reader, organisation_ids: list[str]) -> dict[str, ContactDetailsView]:
    if not organisation_ids:
        return {}
    c = directory.contacts.c
    rows = session.execute(select(directory.contacts).where(c.organisation_id.in_(organisation_ids))).mappings()
    return {r["organisation_id"]: ContactDetailsView(contact_name=r["contact_name"], email=r["email"], telephone=r["telephone"], postal_address=r["postal_address"]) for r in rows}


def _organisation_view(row: Any, administrator_ids: tuple[UUID, ...], contact: ContactDetailsView | None) -> OrganisationView:
    return OrganisationView(
        id=UUID(row["id"]),
        name=row["name"],
        code=row["code"],
        account_type=row["account_type"],
        domains=tuple(row["domains"]),
        suspended=bool(row["suspended"]),
        suspension_message=row["suspension_message"],
        administrator_ids=administrator_ids,
        contact=contact or ContactDetailsView(),
    )
