"""The read side's questions, answered from read models only (never by loading aggregates).

Every function takes a SQLAlchemy ``Session`` or ``Connection`` on the
application's database and returns frozen dataclasses. Who may ask what is the
caller's business (the API): e.g. ordinary users get :func:`search_directory`,
an organisation administrator :func:`search_users` for their own organisation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import and_, column, func, literal, or_, select, table
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from domain.user import Status
from projections.address_book import AddressBook
from projections.admin_search import AdminSearch
from projections.directory import KIND_GROUP_MAILBOX, KIND_LIST, KIND_USER, Directory
from projections.grants import Grants
from projections.routing import DELETED, RECEIVING, TARGET_GROUP_MAILBOX, TARGET_LIST, TARGET_USER, Routing
from projections.search_text import query_words

Reader = Session | Connection

# The live tables of each read model (no suffix): queries read only these.
_directory = Directory()
_admin = AdminSearch()
_routing = Routing()
_address_book = AddressBook()
_grants = Grants()

# Statuses an administrator can filter by; "ex_directory" is the flag beside them.
STATUSES = (Status.PENDING_ACTIVATION, Status.ACTIVE, Status.LOCKED, Status.SUSPENDED, Status.DELETED)
STATUS_FILTERS = (*STATUSES, "ex_directory")
SORTS = ("name", "username", "address", "status")
MAX_LIMIT = 500


class QueryError(ValueError):
    """Bad query input, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


# ---------------------------------------------------------------- directory


@dataclass(frozen=True)
class DirectoryEntry:
    kind: str  # "user", "distribution_list" or "group_mailbox"
    id: UUID
    name: str
    organisation_id: UUID
    organisation_name: str
    address: str
    addresses: tuple[str, ...]  # the address first, then aliases
    job_title: str | None = None
    telephone: str | None = None
    mobile: str | None = None
    department: str | None = None
    office_address: str | None = None


def search_directory(
    session: Reader, text: str = "", *, kinds: Sequence[str] = (), limit: int = 50, offset: int = 0
) -> list[DirectoryEntry]:
    """What an ordinary user finds: every word of ``text`` starts a word of
    the entry's name, organisation, address, job title, telephone or department.
    Ex-directory, deleted and purged users are never included."""
    _check_paging(limit, offset)
    unknown = [k for k in kinds if k not in (KIND_USER, KIND_LIST, KIND_GROUP_MAILBOX)]
    if unknown:
        raise QueryError("kinds", f"{unknown[0]!r} is not one of {KIND_USER}, {KIND_LIST}, {KIND_GROUP_MAILBOX}")
    e = _directory.entries.c
    words = query_words(text)
    if not words:
        query = select(_directory.entries).where(e.listed)
    elif _dialect(session) == "sqlite":
        # The FTS table holds listed entries only; let it drive, so the text narrows first.
        fts = table(_directory.fts_name, column("rowid"), column(_directory.fts_name))
        match = " ".join(f'"{w}"*' for w in words)
        query = (
            select(_directory.entries)
            .select_from(fts.join(_directory.entries, e.seq == fts.c.rowid))
            .where(fts.c[_directory.fts_name].op("MATCH")(match))
        )
    else:
        query = select(_directory.entries).where(e.listed, *[e.search_text.like(f"% {w}%") for w in words])
    if kinds:
        query = query.where(e.kind.in_(list(kinds)))
    rows = session.execute(query.order_by(e.sort_name, e.id).limit(limit).offset(offset)).mappings()
    return [_directory_entry(r) for r in rows]


def _directory_entry(row: Any) -> DirectoryEntry:
    details = row["details"] or {}
    return DirectoryEntry(
        kind=row["kind"],
        id=UUID(row["id"]),
        name=row["name"],
        organisation_id=UUID(row["organisation_id"]),
        organisation_name=row["organisation_name"],
        address=row["address"],
        addresses=(row["address"], *row["aliases"]),
        job_title=details.get("job_title"),
        telephone=details.get("telephone"),
        mobile=details.get("mobile"),
        department=details.get("department"),
        office_address=details.get("office_address"),
    )


# ---------------------------------------------------------- administrator search


@dataclass(frozen=True)
class UserSummary:
    id: UUID
    organisation_id: UUID
    kind: str
    username: str
    first_name: str
    last_name: str
    address: str
    aliases: tuple[str, ...]
    original_address: str | None
    mailbox_id: UUID | None
    status: str  # pending_activation, active, locked, suspended, deleted
    ex_directory: bool
    locked: bool
    suspended: bool
    deleted: bool
    deleted_at: datetime | None
    undeletable_until: datetime | None
    details: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class UserPage:
    total: int
    items: list[UserSummary]
    limit: int
    offset: int

    @property
    def ids(self) -> list[UUID]:
        return [u.id for u in self.items]


def search_users(
    session: Reader,
    organisation_id: UUID | None,
    *,
    text: str = "",
    statuses: Sequence[str] = (),
    ex_directory: bool | None = None,
    sort: str = "name",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> UserPage:
    """An administrator's view of users, ex-directory and deleted ones included.
    ``organisation_id=None``: every organisation (service administrators).
    ``statuses`` are OR-ed; "ex_directory" among them means the flag."""
    _check_paging(limit, offset)
    bad = [s for s in statuses if s not in STATUS_FILTERS]
    if bad:
        raise QueryError("statuses", f"{bad[0]!r} is not one of {', '.join(STATUS_FILTERS)}")
    if sort not in SORTS:
        raise QueryError("sort", f"must be one of {', '.join(SORTS)}")
    u = _admin.users.c
    conditions: list[Any] = []
    if organisation_id is not None:
        conditions.append(u.organisation_id == str(organisation_id))
    wanted = [s for s in statuses if s in STATUSES]
    alternatives = []
    if wanted:
        alternatives.append(u.status.in_(wanted))
    if "ex_directory" in statuses:
        alternatives.append(u.ex_directory)
    if alternatives:
        conditions.append(or_(*alternatives))
    if ex_directory is not None:
        conditions.append(u.ex_directory == ex_directory)
    for word in query_words(text):
        conditions.append(u.search_text.like(f"% {word}%"))
    total = session.execute(select(func.count()).select_from(_admin.users).where(*conditions)).scalar_one()
    order = {"name": u.sort_name, "username": u.username, "address": u.address, "status": u.status}[sort]
    order = order.desc() if descending else order
    rows = session.execute(select(_admin.users).where(*conditions).order_by(order, u.id).limit(limit).offset(offset)).mappings()
    return UserPage(total=int(total), items=[_user_summary(r) for r in rows], limit=limit, offset=offset)


def get_user_summary(session: Reader, user_id: UUID) -> UserSummary | None:
    """One user as administrators see them; ``None`` if unknown or purged."""
    row = session.execute(select(_admin.users).where(_admin.users.c.id == str(user_id))).mappings().first()
    return _user_summary(row) if row else None


def _user_summary(row: Any) -> UserSummary:
    return UserSummary(
        id=UUID(row["id"]),
        organisation_id=UUID(row["organisation_id"]),
        kind=row["kind"],
        username=row["username"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        address=row["address"],
        aliases=tuple(row["aliases"]),
        original_address=row["original_address"],
        mailbox_id=UUID(row["mailbox_id"]) if row["mailbox_id"] else None,
        status=row["status"],
        ex_directory=bool(row["ex_directory"]),
        locked=bool(row["locked"]),
        suspended=bool(row["suspended"]),
        deleted=bool(row["deleted"]),
        deleted_at=_aware(row["deleted_at"]),
        undeletable_until=_aware(row["undeletable_until"]),
        details=dict(row["details"] or {}),
    )


# ------------------------------------------------------------------ routing

DELIVER = "deliver"
RELAY = "relay"
EXPAND = "expand"
RETURN = "return"

REASON_UNKNOWN = "unknown"
REASON_ORGANISATION_SUSPENDED = "organisation_suspended"
REASON_DELETED = "deleted"
REASON_SUSPENDED = "suspended"


@dataclass(frozen=True)
class Route:
    """What happens to mail sent to ``address``."""

    address: str
    action: str  # deliver | relay | expand | return
    mailbox_id: UUID | None = None  # deliver
    relay_to: str | None = None  # relay: the smtp/gsc user's original address
    members: tuple[str, ...] = ()  # expand: the addresses of members who can receive
    reason: str | None = None  # return: unknown | organisation_suspended | deleted | suspended
    message: str | None = None  # return, organisation_suspended: the organisation's message to senders
    target_kind: str | None = None  # user | distribution_list | group_mailbox
    target_id: UUID | None = None


def route(session: Reader, address: str) -> Route:
    """One answer for any address: primary, alias, old-style, group mailbox or list."""
    address = address.strip().lower()
    if not address:
        raise QueryError("address", "must not be empty")
    a, o = _routing.addresses.c, _routing.organisations.c
    target = session.execute(select(a.target_kind, a.target_id).where(a.address == address)).first()
    if target is None:
        return Route(address, RETURN, reason=REASON_UNKNOWN)
    kind, target_id = target
    base: dict[str, Any] = {"address": address, "target_kind": kind, "target_id": UUID(target_id)}
    if kind == TARGET_USER:
        u = _routing.users.c
        row = session.execute(
            select(u.state, u.mailbox_id, u.original_address, o.account_type, o.suspended, o.suspension_message)
            .join_from(_routing.users, _routing.organisations, o.id == u.organisation_id)
            .where(u.id == target_id)
        ).one()
        if row.suspended:
            return Route(**base, action=RETURN, reason=REASON_ORGANISATION_SUSPENDED, message=row.suspension_message)
        if row.state == DELETED:
            return Route(**base, action=RETURN, reason=REASON_DELETED)
        if row.state != RECEIVING:
            return Route(**base, action=RETURN, reason=REASON_SUSPENDED)
        if row.original_address:
            return Route(**base, action=RELAY, relay_to=row.original_address)
        return Route(**base, action=DELIVER, mailbox_id=UUID(row.mailbox_id) if row.mailbox_id else None)
    if kind == TARGET_GROUP_MAILBOX:
        g = _routing.group_mailboxes.c
        row = session.execute(
            select(g.purged, o.suspended, o.suspension_message)
            .join_from(_routing.group_mailboxes, _routing.organisations, o.id == g.organisation_id)
            .where(g.id == target_id)
        ).one()
        if row.suspended:
            return Route(**base, action=RETURN, reason=REASON_ORGANISATION_SUSPENDED, message=row.suspension_message)
        if row.purged:
            return Route(**base, action=RETURN, reason=REASON_UNKNOWN)
        return Route(**base, action=DELIVER, mailbox_id=UUID(target_id))
    assert kind == TARGET_LIST, kind
    lists = _routing.lists.c
    row = session.execute(
        select(o.suspended, o.suspension_message)
        .join_from(_routing.lists, _routing.organisations, o.id == lists.organisation_id)
        .where(lists.id == target_id)
    ).one()
    if row.suspended:
        return Route(**base, action=RETURN, reason=REASON_ORGANISATION_SUSPENDED, message=row.suspension_message)
    return Route(**base, action=EXPAND, members=tuple(_receiving_members(session, target_id)))


def _receiving_members(session: Reader, list_id: str) -> list[str]:
    """Members who can receive: not suspended, deleted or purged, organisation not suspended."""
    m, u, o = _routing.members.c, _routing.users.c, _routing.organisations.c
    query = (
        select(u.address)
        .select_from(_routing.members.join(_routing.users, u.id == m.user_id).join(_routing.organisations, o.id == u.organisation_id))
        .where(m.list_id == list_id, u.state == RECEIVING, o.suspended == literal(False))
        .order_by(u.address)
    )
    return list(session.execute(query).scalars())


# -------------------------------------------------------------- address books


@dataclass(frozen=True)
class AddressBookEntry:
    entry_kind: str  # user | distribution_list | group_mailbox
    entry_id: UUID
    available: bool  # False once the entry left the directory (ex-directory, deleted, purged)
    entry: DirectoryEntry | None  # its directory details while available


def address_book(session: Reader, user_id: UUID) -> list[AddressBookEntry]:
    """A user's saved entries, in the order saved."""
    b, e = _address_book.entries.c, _directory.entries.c
    rows = session.execute(
        select(b.entry_kind, b.entry_id, _directory.entries)
        .select_from(_address_book.entries.outerjoin(_directory.entries, and_(e.id == b.entry_id, e.listed)))
        .where(b.user_id == str(user_id))
        .order_by(b.saved_seq)
    ).mappings()
    return [
        AddressBookEntry(
            entry_kind=r["entry_kind"],
            entry_id=UUID(r["entry_id"]),
            available=r["id"] is not None,
            entry=_directory_entry(r) if r["id"] is not None else None,
        )
        for r in rows
    ]


# ---------------------------------------------------------- exceptional access


@dataclass(frozen=True)
class GrantView:
    grant_id: UUID
    kind: str  # mailbox_access | user_reset
    target_id: UUID  # the mailbox, or the user to reset
    owner_id: UUID  # the user whose mailbox or account it is
    organisation_id: UUID
    reason: str
    state: str  # requested | granted | refused | revoked | expired | used
    requested_by: str
    requested_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    refusal_reason: str | None
    expires_at: datetime | None
    ended_at: datetime | None


def grants_on_mailbox(session: Reader, mailbox_id: UUID) -> list[GrantView]:
    return _grant_views(session, _grants.grants.c.target_id == str(mailbox_id))


def grants_for_owner(session: Reader, user_id: UUID) -> list[GrantView]:
    """Every grant on the user's mailbox (what the owner sees) and every reset of their account."""
    return _grant_views(session, _grants.grants.c.owner_id == str(user_id))


def pending_exceptional_access(session: Reader, kind: str | None = None) -> list[GrantView]:
    """Requests waiting for a service administrator's decision, oldest first."""
    condition = _grants.grants.c.state == "requested"
    if kind is not None:
        condition = and_(condition, _grants.grants.c.kind == kind)
    return _grant_views(session, condition)


def grants_in_organisation(session: Reader, organisation_id: UUID) -> list[GrantView]:
    return _grant_views(session, _grants.grants.c.organisation_id == str(organisation_id))


def grant(session: Reader, grant_id: UUID) -> GrantView | None:
    found = _grant_views(session, _grants.grants.c.grant_id == str(grant_id))
    return found[0] if found else None


def _grant_views(session: Reader, condition: Any) -> list[GrantView]:
    g = _grants.grants.c
    rows = session.execute(select(_grants.grants).where(condition).order_by(g.seq)).mappings()
    return [
        GrantView(
            grant_id=UUID(r["grant_id"]),
            kind=r["kind"],
            target_id=UUID(r["target_id"]),
            owner_id=UUID(r["owner_id"]),
            organisation_id=UUID(r["organisation_id"]),
            reason=r["reason"],
            state=r["state"],
            requested_by=r["requested_by"],
            requested_at=_aware(r["requested_at"]),  # type: ignore[arg-type]
            decided_by=r["decided_by"],
            decided_at=_aware(r["decided_at"]),
            refusal_reason=r["refusal_reason"],
            expires_at=_aware(r["expires_at"]),
            ended_at=_aware(r["ended_at"]),
        )
        for r in rows
    ]


# ------------------------------------------- organisations, lists, group mailboxes


@dataclass(frozen=True)
class OrganisationView:
    id: UUID
    name: str
    code: str
    account_type: str
    domains: tuple[str, ...]
    suspended: bool
    suspension_message: str | None
    administrator_ids: tuple[UUID, ...]


def organisations(session: Reader) -> list[OrganisationView]:
    o = _directory.organisations.c
    rows = session.execute(select(_directory.organisations).order_by(o.name, o.id)).mappings().all()
    admins = _administrators(session, None)
    return [_organisation_view(r, admins.get(r["id"], ())) for r in rows]


def organisation(session: Reader, organisation_id: UUID) -> OrganisationView | None:
    row = session.execute(select(_directory.organisations).where(_directory.organisations.c.id == str(organisation_id))).mappings().first()
    if row is None:
        return None
    return _organisation_view(row, _administrators(session, str(organisation_id)).get(row["id"], ()))


def _administrators(session: Reader, organisation_id: str | None) -> dict[str, tuple[UUID, ...]]:
    a = _directory.administrators.c
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


@dataclass(frozen=True)
class Member:
    user_id: UUID
    name: str
    address: str
    organisation_id: UUID
    organisation_name: str


@dataclass(frozen=True)
class DistributionListView:
    id: UUID
    organisation_id: UUID
    organisation_name: str
    name: str
    address: str
    members: tuple[Member, ...] = ()


@dataclass(frozen=True)
class GroupMailboxView:
    id: UUID
    organisation_id: UUID
    organisation_name: str
    name: str
    address: str
    permissions: dict[UUID, tuple[str, ...]] = field(default_factory=dict)  # user id → read/write/mail


def distribution_lists(session: Reader, organisation_id: UUID | None = None) -> list[DistributionListView]:
    """Lists not deleted (members not included: see :func:`distribution_list`)."""
    return [_list_view(r) for r in _addressables(session, KIND_LIST, organisation_id)]


def distribution_list(session: Reader, list_id: UUID) -> DistributionListView | None:
    row = _addressable(session, KIND_LIST, list_id)
    if row is None:
        return None
    m, e = _directory.members.c, _directory.entries.c
    rows = session.execute(
        select(e.id, e.name, e.address, e.organisation_id, e.organisation_name)
        .join_from(_directory.members, _directory.entries, e.id == m.user_id)
        .where(m.list_id == str(list_id))
        .order_by(e.sort_name, e.id)
    )
    members = tuple(Member(UUID(r.id), r.name, r.address, UUID(r.organisation_id), r.organisation_name) for r in rows)
    return _list_view(row, members)


def group_mailboxes(session: Reader, organisation_id: UUID | None = None) -> list[GroupMailboxView]:
    return [_group_view(r) for r in _addressables(session, KIND_GROUP_MAILBOX, organisation_id)]


def group_mailbox(session: Reader, mailbox_id: UUID) -> GroupMailboxView | None:
    row = _addressable(session, KIND_GROUP_MAILBOX, mailbox_id)
    if row is None:
        return None
    p = _directory.permissions.c
    held: dict[UUID, list[str]] = {}
    for user_id, permission in session.execute(select(p.user_id, p.permission).where(p.mailbox_id == str(mailbox_id)).order_by(p.user_id)):
        held.setdefault(UUID(user_id), []).append(permission)
    order = {"read": 0, "write": 1, "mail": 2}
    return _group_view(row, {k: tuple(sorted(v, key=order.__getitem__)) for k, v in held.items()})


def group_mailboxes_of_user(session: Reader, user_id: UUID) -> list[GroupMailboxView]:
    """The group mailboxes a user holds any permission on."""
    p = _directory.permissions.c
    ids = session.execute(select(p.mailbox_id).where(p.user_id == str(user_id)).distinct()).scalars().all()
    found = [group_mailbox(session, UUID(i)) for i in sorted(ids)]
    return [g for g in found if g is not None]


def _addressables(session: Reader, kind: str, organisation_id: UUID | None) -> list[Any]:
    e = _directory.entries.c
    query = select(_directory.entries).where(e.kind == kind, e.listed)
    if organisation_id is not None:
        query = query.where(e.organisation_id == str(organisation_id))
    return list(session.execute(query.order_by(e.sort_name, e.id)).mappings())


def _addressable(session: Reader, kind: str, entry_id: UUID) -> Any:
    e = _directory.entries.c
    return session.execute(select(_directory.entries).where(e.id == str(entry_id), e.kind == kind, e.listed)).mappings().first()


def _list_view(row: Any, members: tuple[Member, ...] = ()) -> DistributionListView:
    return DistributionListView(UUID(row["id"]), UUID(row["organisation_id"]), row["organisation_name"], row["name"], row["address"], members)


def _group_view(row: Any, permissions: dict[UUID, tuple[str, ...]] | None = None) -> GroupMailboxView:
    return GroupMailboxView(UUID(row["id"]), UUID(row["organisation_id"]), row["organisation_name"], row["name"], row["address"], permissions or {})


# ------------------------------------------------------------------ helpers


def _check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise QueryError("offset", "must not be negative")


def _dialect(session: Reader) -> str:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name


def _aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; every time we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
