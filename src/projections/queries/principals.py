"""Who a logged-in user is now: what authenticating a request reads."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from domain.actors import Role, role_for
from projections import direct
from projections.principals import Principals
from projections.queries.common import Reader, View

principals = Principals()
_PRINCIPAL = select(principals.principals).where(principals.principals.c.user_id == bindparam("user_id"))  # made once: every request runs it


class PrincipalView(View):
    user_id: UUID
    organisation_id: UUID
    role: Role


def principal(session: Reader, user_id: UUID) -> PrincipalView | None:
    """The user's organisation and role; ``None`` if they are unknown, purged,
    deleted, suspended or locked (such a user's sessions no longer count)."""
    found = direct.rows(session.connection() if isinstance(session, Session) else session, _PRINCIPAL, {"user_id": str(user_id)})
    row = found[0] if found else None
    if row is None or row["suspended"] or row["deleted"] or row["locked"]:
        return None
    return PrincipalView(user_id=user_id, organisation_id=UUID(row["organisation_id"]), role=role_for(row["kind"], row["administrator"]))
