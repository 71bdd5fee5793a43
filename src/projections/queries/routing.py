"""Mail routing: what happens to mail sent to an address."""

from __future__ import annotations

import functools
from typing import Any, Final, Literal
from uuid import UUID

from sqlalchemy import literal, select

from projections.queries.common import EntryKind, QueryError, Reader, View, routing
from projections.common_tables import TARGET_GROUP_MAILBOX, TARGET_LIST, TARGET_USER
from projections.routing import DELETED, RECEIVING

Action = Literal["deliver", "relay", "expand", "return"]
Reason = Literal["unknown", "organisation_suspended", "deleted", "suspended"]

DELIVER: Final = "deliver"
RELAY: Final = "relay"
EXPAND: Final = "expand"
RETURN: Final = "return"

REASON_UNKNOWN: Final = "unknown"
REASON_ORGANISATION_SUSPENDED: Final = "organisation_suspended"
REASON_DELETED: Final = "deleted"
REASON_SUSPENDED: Final = "suspended"


class Route(View):
    # What happens to mail sent to the address; the fields that do not apply to
    # the action are empty. (No docstring: it would become the API schema's description.)
    address: str
    action: Action
    mailbox_id: UUID | None  # deliver
    relay_to: str | None  # relay: the smtp/gsc user's original address
    members: tuple[str, ...]  # expand: the addresses of members who can receive
    reason: Reason | None  # return
    message: str | None  # return, organisation_suspended: the organisation's message to senders
    target_kind: EntryKind | None
    target_id: UUID | None
    organisation_id: UUID | None  # whose address it is; empty when unknown


_EMPTY: dict[str, Any] = {"mailbox_id": None, "relay_to": None, "members": (), "reason": None, "message": None, "target_kind": None, "target_id": None, "organisation_id": None}


def route(session: Reader, address: str) -> Route:
    """One answer for any address: primary, alias, old-style, group mailbox or list."""
    address = address.strip().lower()
    if not address:
        raise QueryError("address", "must not be empty")
    a, o = routing.addresses.c, routing.organisations.c
    target = session.execute(select(a.target_kind, a.target_id).where(a.address == address)).first()
    if target is None:
        return unknown_route(address)
    kind, target_id = target
    owner = {TARGET_USER: routing.users, TARGET_GROUP_MAILBOX: routing.group_mailboxes, TARGET_LIST: routing.lists}[kind]
    row = session.execute(
        select(owner, o.suspended.label("organisation_suspended"), o.suspension_message)
        .join_from(owner, routing.organisations, o.id == owner.c.organisation_id)
        .where(owner.c.id == target_id)
    ).one()
    answer = functools.partial(_route, address, target_kind=kind, target_id=UUID(target_id), organisation_id=UUID(row.organisation_id))
    if row.organisation_suspended:
        return answer(RETURN, reason=REASON_ORGANISATION_SUSPENDED, message=row.suspension_message)
    if kind == TARGET_USER:
        if row.state == DELETED:
            return answer(RETURN, reason=REASON_DELETED)
        if row.state != RECEIVING:
            return answer(RETURN, reason=REASON_SUSPENDED)
        if row.original_address:
            return answer(RELAY, relay_to=row.original_address)
        return answer(DELIVER, mailbox_id=UUID(row.mailbox_id) if row.mailbox_id else None)
    if kind == TARGET_GROUP_MAILBOX:
        if row.purged:
            return answer(RETURN, reason=REASON_UNKNOWN)
        return answer(DELIVER, mailbox_id=UUID(target_id))
    return answer(EXPAND, members=tuple(_receiving_members(session, target_id)))


def unknown_route(address: str) -> Route:
    """The answer for an address nobody holds (and for one the asker may not know about)."""
    return _route(address.strip().lower(), RETURN, reason=REASON_UNKNOWN)


def _route(address: str, action: Action, **fields: Any) -> Route:
    """An answer, with the fields that do not apply to its action empty."""
    return Route.model_validate({**_EMPTY, **fields, "address": address, "action": action})


def _receiving_members(session: Reader, list_id: str) -> list[str]:
    """Members who can receive: not suspended, deleted or purged, organisation not suspended."""
    m, u, o = routing.members.c, routing.users.c, routing.organisations.c
    query = (
        select(u.address)
        .select_from(routing.members.join(routing.users, u.id == m.user_id).join(routing.organisations, o.id == u.organisation_id))
        .where(m.list_id == list_id, u.state == RECEIVING, o.suspended == literal(False))
        .order_by(u.address)
    )
    return list(session.execute(query).scalars())
