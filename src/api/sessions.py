"""Log-in sessions: not domain events, so they live in their own table.

Only a SHA-256 hash of each token is stored; the token itself exists in the
client's cookie or header and nowhere on the server. A session ends at the
first of: log-out, ``idle`` without use, ``absolute`` after log-in.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import Boolean, Connection, Engine, Index, Select, String, bindparam, delete, select, update

from projections import direct
from sema.credentials import same_text
from sema.side_tables import MOMENT, create_side_table, side_table

sessions_table = side_table(
    "sema_sessions",
    key={"token_hash": String(64)},
    required={
        "user_id": String(36),
        "role": String(40),
        "organisation_id": String(36),
        "must_activate": Boolean,
        "created_at": MOMENT,
        "last_used_at": MOMENT,
        "expires_at": MOMENT,
    },
    indexes=[Index("ix_sema_sessions_user", "user_id")],
)

TOKEN_BYTES = 32  # 256 bits
# Idle time is counted to within this much, so most requests only read the session.
TOUCH_EVERY = timedelta(seconds=30)


# Made once: every authenticated request runs them.
_FIND = select(sessions_table).where(sessions_table.c.token_hash == bindparam("hash"))
_END = delete(sessions_table).where(sessions_table.c.token_hash == bindparam("hash"))
_TOUCH = update(sessions_table).where(sessions_table.c.token_hash == bindparam("hash")).values(last_used_at=bindparam("at"))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Session:
    token_hash: str
    user_id: UUID
    role: str
    organisation_id: UUID
    must_activate: bool
    expires_at: datetime


@dataclass(frozen=True)
class SessionInfo:
    token_hash: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime

    @property
    def session_id(self) -> str:
        """The session's public name: derived from its token's hash, useless for logging in."""
        return hashlib.sha256(f"session id {self.token_hash}".encode()).hexdigest()[:20]


def _aware(at: datetime) -> datetime:
    # SQLite returns naive datetimes; every time we store is UTC.
    return at if at.tzinfo is not None else at.replace(tzinfo=timezone.utc)


class SessionStore:
    def __init__(self, engine: Engine, idle: timedelta, absolute: timedelta) -> None:
        self.engine = engine
        self.idle = idle
        self.absolute = absolute
        create_side_table(sessions_table, engine)

    def open(self, user_id: UUID, role: str, organisation_id: UUID, must_activate: bool, at: datetime) -> tuple[str, Session]:
        """A new session; returns the token (shown to the client once) and the session."""
        token = secrets.token_urlsafe(TOKEN_BYTES)
        session = Session(hash_token(token), user_id, role, organisation_id, must_activate, at + self.absolute)
        with self.engine.begin() as conn:
            conn.execute(
                sessions_table.insert().values(
                    token_hash=session.token_hash,
                    user_id=str(user_id),
                    role=role,
                    organisation_id=str(organisation_id),
                    must_activate=must_activate,
                    created_at=at,
                    last_used_at=at,
                    expires_at=session.expires_at,
                )
            )
        return token, session

    def find(self, token: str, at: datetime, connection: Connection | None = None) -> Session | None:
        """The live session for ``token``, touched; ``None`` if unknown, idle too long or
        expired. On ``connection`` if given (its transaction is committed when this writes)."""
        found = self.find_with(token, at, _FIND, connection)
        return found[0] if found is not None else None

    def find_with(self, token: str, at: datetime, statement: Select[Any], connection: Connection | None = None) -> tuple[Session, dict[str, Any]] | None:
        """:meth:`find` by ``statement``: a select of this table's row by the token's hash
        (parameter ``hash``, made once) with more columns beside it, e.g. of a join, so
        a request reads what else it needs in the same statement; the session and the row.
        Without ``connection``, the read takes one of its own, and a write (ending or
        touching the session) another."""
        token_hash = hash_token(token)
        params = {"hash": token_hash}
        found = direct.rows(connection, statement, params) if connection is not None else direct.read(self.engine, statement, params)
        row = found[0] if found else None
        if row is None:
            return None
        if at >= _aware(row["expires_at"]) or at >= _aware(row["last_used_at"]) + self.idle:
            self._write(connection, _END, {"hash": token_hash})
            return None
        if at - _aware(row["last_used_at"]) >= TOUCH_EVERY:
            self._write(connection, _TOUCH, {"hash": token_hash, "at": at})
        return Session(token_hash, UUID(row["user_id"]), row["role"], UUID(row["organisation_id"]), bool(row["must_activate"]), _aware(row["expires_at"])), row

    def _write(self, connection: Connection | None, statement: Any, params: dict[str, Any]) -> None:
        """A write of :meth:`find_with`, committed: on ``connection`` (its transaction) or on one of its own."""
        if connection is None:
            with self.engine.begin() as own:
                direct.run(own, statement, params)
            return
        direct.run(connection, statement, params)
        connection.commit()

    def activated(self, user_id: UUID, token_hash: str) -> None:
        """The session that completed activation is an ordinary one now; every other
        session of the person opened with a one-time password ends (whoever else
        read the letter must not keep a way in)."""
        with self.engine.begin() as conn:
            table = sessions_table.c
            conn.execute(delete(sessions_table).where(table.user_id == str(user_id), table.must_activate.is_(True), table.token_hash != token_hash))
            conn.execute(update(sessions_table).where(table.token_hash == token_hash).values(must_activate=False))

    def close(self, token_hash: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions_table).where(sessions_table.c.token_hash == token_hash))

    def purge_expired(self, at: datetime) -> None:
        """Forgets sessions past their absolute or idle end (they no longer work anyway)."""
        with self.engine.begin() as conn:
            conn.execute(delete(sessions_table).where((sessions_table.c.expires_at <= at) | (sessions_table.c.last_used_at <= at - self.idle)))

    def of_user(self, user_id: UUID) -> list[SessionInfo]:
        """A person's sessions, newest first (what their account page lists)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(sessions_table).where(sessions_table.c.user_id == str(user_id)).order_by(sessions_table.c.created_at.desc())).mappings()
            return [SessionInfo(r["token_hash"], _aware(r["created_at"]), _aware(r["last_used_at"]), _aware(r["expires_at"])) for r in rows]

    def close_others(self, user_id: UUID, keep_token_hash: str) -> int:
        """Ends every session of the person but one; returns how many ended."""
        with self.engine.begin() as conn:
            table = sessions_table.c
            return conn.execute(delete(sessions_table).where(table.user_id == str(user_id), table.token_hash != keep_token_hash)).rowcount or 0

    def close_all_for(self, user_id: UUID) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(sessions_table).where(sessions_table.c.user_id == str(user_id)))

    def live_of_user(self, user_id: UUID, at: datetime) -> list[SessionInfo]:
        """:meth:`of_user`, but only those that still work at ``at``."""
        return [s for s in self.of_user(user_id) if at < s.expires_at and at < s.last_used_at + self.idle]

    def close_by_id(self, user_id: UUID, id_: str, at: datetime) -> bool:
        """Ends the user's session named ``id_`` (:attr:`SessionInfo.session_id`); whether there was one."""
        for info in self.live_of_user(user_id, at):
            if same_text(id_, info.session_id):
                self.close(info.token_hash)
                return True
        return False
