"""Who a logged-in user is now: what authenticating a request reads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from sqlalchemy import Label, bindparam, select
from sqlalchemy.orm import Session

from domain.actors import Role, role_for
from projections import direct
from projections.principals import Principals
from projections.queries.common import Reader, View

principals = Principals()
PRINCIPALS = principals.principals  # the live table
_PRINCIPAL = select(PRINCIPALS).where(PRINCIPALS.c.user_id == bindparam("user_id"))  # made once


class PrincipalView(View):
    user_id: UUID
    organisation_id: UUID
    role: Role


def principal(session: Reader, user_id: UUID) -> PrincipalView | None:
    """The user's organisation and role; ``None`` if they are unknown, purged,
    deleted, suspended or locked (such a user's sessions no longer count)."""
    found = direct.rows(session.connection() if isinstance(session, Session) else session, _PRINCIPAL, {"user_id": str(user_id)})
    return principal_of(found[0] if found else None, user_id)


def principal_of(row: Mapping[str, Any] | None, user_id: UUID, prefix: str = "") -> PrincipalView | None:
    """:func:`principal` from the user's principals row (its columns named ``prefix``
    and the column's name, as :func:`principal_columns` labels them), or ``None``:
    no row (an outer join's nulls)."""
    if row is None or row[f"{prefix}user_id"] is None or row[f"{prefix}suspended"] or row[f"{prefix}deleted"] or row[f"{prefix}locked"]:
        return None
    return PrincipalView(user_id=user_id, organisation_id=UUID(row[f"{prefix}organisation_id"]), role=role_for(row[f"{prefix}kind"], row[f"{prefix}administrator"]))


def principal_columns(prefix: str) -> list[Label[Any]]:
    """The principals table's columns labelled ``prefix`` and their names, for a
    select that reads a user's principal beside something else (an outer join on
    :data:`PRINCIPALS`'s ``user_id``)."""
    return [c.label(f"{prefix}{c.name}") for c in PRINCIPALS.c]
