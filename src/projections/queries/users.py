"""An administrator's search of users, ex-directory and deleted ones included."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import Field
from sqlalchemy import false, func, or_, select

from domain.user import Status
from projections.queries.common import QueryError, Reader, View, admin_search, aware, check_paging
from projections.search_text import finds_nothing, query_words

# Statuses an administrator can filter by; "ex_directory" is the flag beside them.
STATUSES = (Status.PENDING_ACTIVATION, Status.ACTIVE, Status.LOCKED, Status.SUSPENDED, Status.DELETED)
STATUS_FILTERS = (*STATUSES, "ex_directory")
SORTS = ("name", "username", "address", "status")


class UserSummary(View):
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
    status: Literal["pending_activation", "active", "locked", "suspended", "deleted"]
    ex_directory: bool
    locked: bool
    suspended: bool
    deleted: bool
    deleted_at: datetime | None
    undeletable_until: datetime | None = Field(description="after this a deleted user can no longer be undeleted")
    details: dict[str, str]
    never_activated: bool = Field(description="the user has never chosen their own password and security information")
    last_log_in_at: datetime | None
    last_mailbox_use_at: datetime | None
    one_time_password_expires_at: datetime | None = Field(description="while the user holds a one-time password: when it expires")


class UserPage(View):
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
    never_activated: bool | None = None,
    sort: str = "name",
    descending: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> UserPage:
    """An administrator's view of users, ex-directory and deleted ones included.
    ``organisation_id=None``: every organisation (service administrators).
    ``statuses`` are OR-ed; "ex_directory" among them means the flag."""
    check_paging(limit, offset)
    bad = [s for s in statuses if s not in STATUS_FILTERS]
    if bad:
        raise QueryError("statuses", f"{bad[0]!r} is not one of {', '.join(STATUS_FILTERS)}")
    if sort not in SORTS:
        raise QueryError("sort", f"must be one of {', '.join(SORTS)}")
    u = admin_search.users.c
    conditions: list[Any] = []
    if organisation_id is not None:
        conditions.append(u.organisation_id == str(organisation_id))
    wanted = [s for s in statuses if s in STATUSES]
    alternatives: list[Any] = []
    if wanted:
        alternatives.append(u.status.in_(wanted))
    if "ex_directory" in statuses:
        alternatives.append(u.ex_directory)
    if alternatives:
        conditions.append(or_(*alternatives))
    if ex_directory is not None:
        conditions.append(u.ex_directory == ex_directory)
    if never_activated is not None:
        a = admin_search.activity.c
        conditions.append(a.activated_at.is_(None) if never_activated else a.activated_at.is_not(None))
    if finds_nothing(text):
        conditions.append(false())
    for word in query_words(text):
        conditions.append(u.search_text.like(f"% {word}%"))
    total = session.execute(select(func.count()).select_from(_with_activity()).where(*conditions)).scalar_one()
    column = {"name": u.sort_name, "username": u.username, "address": u.address, "status": u.status}[sort]
    order = column.desc() if descending else column
    rows = session.execute(_select_with_activity().where(*conditions).order_by(order, u.id).limit(limit).offset(offset)).mappings()
    return UserPage(total=int(total), items=[_user_summary(r) for r in rows], limit=limit, offset=offset)


def _with_activity() -> Any:
    # An outer join: a store that has not rebuilt admin_search since activity was added has no rows for older users.
    return admin_search.users.outerjoin(admin_search.activity, admin_search.activity.c.user_id == admin_search.users.c.id)


def _select_with_activity() -> Any:
    a = admin_search.activity.c
    return select(admin_search.users, a.activated_at, a.last_log_in_at, a.last_mailbox_use_at, a.one_time_password_expires_at).select_from(_with_activity())


def get_user_summary(session: Reader, user_id: UUID) -> UserSummary | None:
    """One user as administrators see them; ``None`` if unknown or purged."""
    row = session.execute(_select_with_activity().where(admin_search.users.c.id == str(user_id))).mappings().first()
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
        deleted_at=aware(row["deleted_at"]),
        undeletable_until=aware(row["undeletable_until"]),
        details=dict(row["details"] or {}),
        never_activated=row["activated_at"] is None,
        last_log_in_at=aware(row["last_log_in_at"]),
        last_mailbox_use_at=aware(row["last_mailbox_use_at"]),
        one_time_password_expires_at=aware(row["one_time_password_expires_at"]),
    )
