"""Distribution lists with their members, group mailboxes with who holds which permission."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field
from sqlalchemy import func, select

from projections.directory import KIND_GROUP_MAILBOX, KIND_LIST
from projections.due import stored
from projections.queries.common import Reader, View, aware, directory, due


Permission = Literal["read", "write", "mail"]


HIDDEN_MEMBER = "Not in the directory"


class Member(View):
    user_id: UUID
    name: str = Field(description=f"the member's name; '{HIDDEN_MEMBER}' for another organisation's member who is ex-directory or deleted (hidden)")
    address: str | None = Field(description="the member's address; none when hidden")
    organisation_id: UUID
    organisation_name: str
    hidden: bool = Field(False, description="another organisation's member who is ex-directory or deleted: still a member, not shown (ADR 64)")


class DistributionListView(View):
    id: UUID
    organisation_id: UUID
    organisation_name: str
    name: str
    address: str
    members: tuple[Member, ...]
    restorable_until: datetime | None = Field(
        None, description="set while the list is deleted: until then it can be restored (POST /distribution-lists/{list_id}/restoration); null for a list in use"
    )


class GroupMailboxView(View):
    id: UUID
    organisation_id: UUID
    organisation_name: str
    name: str
    address: str
    permissions: dict[UUID, tuple[Permission, ...]] = Field(description="user id → permissions held")


def distribution_lists(session: Reader, organisation_id: UUID | None = None) -> list[DistributionListView]:
    """Lists not deleted (members not included: see :func:`distribution_list`)."""
    return [_list_view(r) for r in _addressables(session, KIND_LIST, organisation_id)]


class RestorableList(View):
    id: UUID
    name: str
    address: str
    restorable_until: datetime


def _restorable(now: datetime) -> Any:
    """Deleted lists still in their 30 days at ``now`` (the due read model's deadline), with it as ``due_at``."""
    e, r = directory.entries.c, due.removed_lists.c
    return select(directory.entries, r.due_at).join_from(directory.entries, due.removed_lists, r.list_id == e.id).where(e.kind == KIND_LIST, r.due_at > stored(now))


def restorable_distribution_lists(session: Reader, organisation_id: UUID, now: datetime) -> list[RestorableList]:
    """An organisation's deleted lists still in their 30 days, in name order."""
    e = directory.entries.c
    query = _restorable(now).where(e.organisation_id == str(organisation_id)).order_by(e.sort_name, e.id)
    return [RestorableList(id=UUID(row.id), name=row.name, address=row.address, restorable_until=aware(row.due_at)) for row in session.execute(query)]


def distribution_list(session: Reader, list_id: UUID, viewer_organisation_id: UUID | None = None, now: datetime | None = None) -> DistributionListView | None:
    """A list with its members; for a viewer of an organisation (not the service's
    administrators, ``None``), another organisation's ex-directory or deleted
    members are hidden: named as such, without their name or address. Given
    ``now``, a deleted list that can still be restored is found too, with its
    ``restorable_until`` (ADR 67)."""
    row = _addressable(session, KIND_LIST, list_id)
    restorable_until = None
    if row is None and now is not None:
        row = session.execute(_restorable(now).where(directory.entries.c.id == str(list_id))).mappings().first()
        restorable_until = None if row is None else aware(row["due_at"])
    if row is None:
        return None
    return _list_view(row, _members(session, list_id, viewer_organisation_id), restorable_until)


def _members(session: Reader, list_id: UUID, viewer_organisation_id: UUID | None) -> tuple[Member, ...]:
    m, e = directory.members.c, directory.entries.c
    rows = session.execute(
        select(e.id, e.name, e.address, e.organisation_id, e.organisation_name, e.ex_directory, e.gone)
        .join_from(directory.members, directory.entries, e.id == m.user_id)
        .where(m.list_id == str(list_id))
        .order_by(e.sort_name, e.id)
    )
    members = []
    for r in rows:
        hidden = viewer_organisation_id is not None and _hidden_from(r, viewer_organisation_id)
        name, address = (HIDDEN_MEMBER, None) if hidden else (r.name, r.address)
        members.append(Member(user_id=UUID(r.id), name=name, address=address, organisation_id=UUID(r.organisation_id), organisation_name=r.organisation_name, hidden=hidden))
    return tuple(members)


def hidden_member_addresses(session: Reader, list_id: UUID, viewer_organisation_id: UUID) -> set[str]:
    """The addresses of the list's members hidden from a viewer of that organisation (see :func:`distribution_list`)."""
    m, e = directory.members.c, directory.entries.c
    rows = session.execute(
        select(e.address, e.organisation_id, e.ex_directory, e.gone)
        .join_from(directory.members, directory.entries, e.id == m.user_id)
        .where(m.list_id == str(list_id), e.ex_directory | e.gone)
    )
    return {r.address for r in rows if _hidden_from(r, viewer_organisation_id)}


def _hidden_from(member: Any, viewer_organisation_id: UUID) -> bool:
    """ADR 64: another organisation's member who is ex-directory or deleted is not shown to the viewer."""
    return bool(member.ex_directory or member.gone) and UUID(member.organisation_id) != viewer_organisation_id


def group_mailboxes(session: Reader, organisation_id: UUID | None = None) -> list[GroupMailboxView]:
    return [_group_view(r) for r in _addressables(session, KIND_GROUP_MAILBOX, organisation_id)]


def group_mailbox(session: Reader, mailbox_id: UUID) -> GroupMailboxView | None:
    row = _addressable(session, KIND_GROUP_MAILBOX, mailbox_id)
    return None if row is None else _group_view(row, _permissions_held(session, mailbox_id))


def _permissions_held(session: Reader, mailbox_id: UUID) -> dict[UUID, tuple[Permission, ...]]:
    p = directory.permissions.c
    held: dict[UUID, list[Permission]] = {}
    for user_id, permission in session.execute(select(p.user_id, p.permission).where(p.mailbox_id == str(mailbox_id)).order_by(p.user_id)):
        held.setdefault(UUID(user_id), []).append(permission)
    order = {"read": 0, "write": 1, "mail": 2}
    return {k: tuple(sorted(v, key=order.__getitem__)) for k, v in held.items()}


def group_mailboxes_of_user(session: Reader, user_id: UUID) -> list[GroupMailboxView]:
    """The group mailboxes a user holds any permission on."""
    p = directory.permissions.c
    ids = session.execute(select(p.mailbox_id).where(p.user_id == str(user_id)).distinct()).scalars().all()
    found = [group_mailbox(session, UUID(i)) for i in sorted(ids)]
    return [g for g in found if g is not None]


def group_sizes(session: Reader, organisation_id: UUID) -> dict[UUID, int]:
    """Per group mailbox of the organisation, how many people hold a permission on it;
    per distribution list, how many members it has (as :func:`group_mailbox` and
    :func:`distribution_list` list them): an overview's counts in two queries."""
    p, m, e = directory.permissions.c, directory.members.c, directory.entries.c
    groups = directory.entries.alias("groups")
    of_organisation = select(groups.c.id).where(groups.c.organisation_id == str(organisation_id))
    holders = select(p.mailbox_id, func.count(func.distinct(p.user_id))).where(p.mailbox_id.in_(of_organisation)).group_by(p.mailbox_id)
    members = (
        select(m.list_id, func.count())
        .join_from(directory.members, directory.entries, e.id == m.user_id)
        .where(m.list_id.in_(of_organisation))
        .group_by(m.list_id)
    )
    return {UUID(group_id): count for query in (holders, members) for group_id, count in session.execute(query)}


def _addressables(session: Reader, kind: str, organisation_id: UUID | None) -> list[Any]:
    e = directory.entries.c
    query = select(directory.entries).where(e.kind == kind, e.listed)
    if organisation_id is not None:
        query = query.where(e.organisation_id == str(organisation_id))
    return list(session.execute(query.order_by(e.sort_name, e.id)).mappings())


def _addressable(session: Reader, kind: str, entry_id: UUID) -> Any:
    e = directory.entries.c
    return session.execute(select(directory.entries).where(e.id == str(entry_id), e.kind == kind, e.listed)).mappings().first()


def _addressed(row: Any) -> dict[str, Any]:
    """The fields lists and group mailboxes share, from their directory entry."""
    return {"id": UUID(row["id"]), "organisation_id": UUID(row["organisation_id"]), "organisation_name": row["organisation_name"], "name": row["name"], "address": row["address"]}


def _list_view(row: Any, members: tuple[Member, ...] = (), restorable_until: datetime | None = None) -> DistributionListView:
    return DistributionListView(**_addressed(row), members=members, restorable_until=restorable_until)


def _group_view(row: Any, permissions: dict[UUID, tuple[Permission, ...]] | None = None) -> GroupMailboxView:
    return GroupMailboxView(**_addressed(row), permissions=permissions or {})
