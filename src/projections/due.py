"""Due work: what the time-based policies will have to do, and from when.

One table per kind of deadline, each row with the moment it falls due:
deleted users (purge once the undelete period ends), one-time passwords and
open authentication challenges (expire), granted exceptional access (expire),
and mailboxes (inactivity alert six months after the last use, unless the
alert for that quiet period was sent). A row leaves its table when the thing
is no longer due (undeleted, activated, answered, revoked, alerted, purged).

Times are stored in UTC: SQLite keeps them as text, so every value written
and compared here is normalised first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import Column, DateTime, Index, String, Table, and_, delete, or_, select, update
from sqlalchemy.orm import Session

from domain.base import INACTIVITY_PERIOD
from domain.grants import GrantingAggregate
from domain.mailbox import Mailbox
from domain.user import User
from projections.framework import ReadModel, handles


def utc(moment: datetime) -> datetime:
    """An aware UTC datetime, whether given aware or read back naive from SQLite."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def stored(moment: datetime) -> datetime:
    """How a time is written: UTC, without tzinfo, so SQLite's text compares in order."""
    return utc(moment).replace(tzinfo=None)


@dataclass(frozen=True)
class DueItem:
    """One thing due: ``target_id`` is a user or mailbox id; ``grant_id`` for grants."""

    kind: str
    target_id: str
    due_at: datetime
    grant_id: str | None = None
    grant_kind: str | None = None


class Due(ReadModel):
    name = "due"

    def define_tables(self) -> None:
        self.deleted_users = self.table(
            "sema_due_deleted_users",
            Column("user_id", String(36), primary_key=True),
            Column("due_at", DateTime, nullable=False),
            Index(self.index_name("ix_sema_due_deleted_users_due"), "due_at"),
        )
        self.one_time_passwords = self.table(
            "sema_due_one_time_passwords",
            Column("user_id", String(36), primary_key=True),
            Column("due_at", DateTime, nullable=False),
            Index(self.index_name("ix_sema_due_one_time_passwords_due"), "due_at"),
        )
        self.challenges = self.table(
            "sema_due_challenges",
            Column("user_id", String(36), primary_key=True),
            Column("challenge_id", String(36), nullable=False),
            Column("due_at", DateTime, nullable=False),
            Index(self.index_name("ix_sema_due_challenges_due"), "due_at"),
        )
        self.grants = self.table(
            "sema_due_grants",
            Column("grant_id", String(36), primary_key=True),
            Column("kind", String(30), nullable=False),
            Column("target_id", String(36), nullable=False),
            Column("due_at", DateTime, nullable=False),
            Index(self.index_name("ix_sema_due_grants_due"), "due_at"),
        )
        self.mailboxes = self.table(
            "sema_due_mailboxes",
            Column("mailbox_id", String(36), primary_key=True),
            Column("organisation_id", String(36), nullable=False),
            Column("last_used_at", DateTime, nullable=False),
            # Six months after the last use; NULL once the alert for this quiet period was sent.
            Column("due_at", DateTime),
            Index(self.index_name("ix_sema_due_mailboxes_due"), "due_at"),
        )

    # ------------------------------------------------------------ deleted users

    @handles(User.Deleted)
    def _deleted(self, session: Session, event: User.Deleted, notification_id: int) -> None:
        user_id = str(event.originator_id)
        self._replace(session, self.deleted_users, "user_id", user_id, due_at=stored(event.undeletable_until))
        # Deleting a user closes any open challenge (the aggregate forgets it).
        session.execute(delete(self.challenges).where(self.challenges.c.user_id == user_id))

    @handles(User.Undeleted)
    def _undeleted(self, session: Session, event: User.Undeleted, notification_id: int) -> None:
        session.execute(delete(self.deleted_users).where(self.deleted_users.c.user_id == str(event.originator_id)))

    @handles(User.Purged)
    def _purged(self, session: Session, event: User.Purged, notification_id: int) -> None:
        user_id = str(event.originator_id)
        for table in (self.deleted_users, self.one_time_passwords, self.challenges):
            session.execute(delete(table).where(table.c.user_id == user_id))

    # ------------------------------------------------------ one-time passwords

    @handles(User.OneTimePasswordIssued, appends_only=True)
    def _otp_issued(self, session: Session, event: User.OneTimePasswordIssued, notification_id: int) -> None:
        self._replace_later(session, self.one_time_passwords, "user_id", str(event.originator_id), due_at=stored(event.expires_at))

    @handles(User.PasswordReset, appends_only=True)
    def _password_reset(self, session: Session, event: User.PasswordReset, notification_id: int) -> None:
        self._replace_later(session, self.one_time_passwords, "user_id", str(event.originator_id), due_at=stored(event.one_time_password_expires_at))

    @handles(User.OneTimePasswordExpired, User.Activated, User.PasswordChanged)
    def _otp_gone(self, session: Session, event: Any, notification_id: int) -> None:
        session.execute(delete(self.one_time_passwords).where(self.one_time_passwords.c.user_id == str(event.originator_id)))

    # -------------------------------------------------------------- challenges

    @handles(User.ChallengeIssued, appends_only=True)
    def _challenge_issued(self, session: Session, event: User.ChallengeIssued, notification_id: int) -> None:
        self._replace_later(
            session, self.challenges, "user_id", str(event.originator_id), challenge_id=str(event.challenge_id), due_at=stored(event.expires_at)
        )

    @handles(User.ChallengePassed, User.ChallengeFailed, User.ChallengeExpired)
    def _challenge_closed(self, session: Session, event: Any, notification_id: int) -> None:
        session.execute(delete(self.challenges).where(self.challenges.c.user_id == str(event.originator_id)))

    # ------------------------------------------------------ exceptional access

    @handles(Mailbox.ExceptionalAccessGranted, User.ExceptionalAccessGranted)
    def _granted(self, session: Session, event: GrantingAggregate.ExceptionalAccessGranted, notification_id: int) -> None:
        kind = Mailbox.grant_kind if isinstance(event, Mailbox.ExceptionalAccessGranted) else User.grant_kind
        self._replace(
            session, self.grants, "grant_id", str(event.grant_id), kind=kind, target_id=str(event.originator_id), due_at=stored(event.expires_at)
        )

    @handles(Mailbox.ExceptionalAccessRevoked, User.ExceptionalAccessRevoked, Mailbox.ExceptionalAccessExpired, User.ExceptionalAccessExpired)
    def _grant_ended(self, session: Session, event: Any, notification_id: int) -> None:
        session.execute(delete(self.grants).where(self.grants.c.grant_id == str(event.grant_id)))

    @handles(User.UserReset)
    def _user_reset(self, session: Session, event: User.UserReset, notification_id: int) -> None:
        user_id = str(event.originator_id)
        session.execute(delete(self.grants).where(self.grants.c.grant_id == str(event.grant_id)))
        session.execute(delete(self.challenges).where(self.challenges.c.user_id == user_id))
        self._replace(session, self.one_time_passwords, "user_id", user_id, due_at=stored(event.one_time_password_expires_at))

    # --------------------------------------------------------------- mailboxes

    @handles(Mailbox.Created, Mailbox.GroupMailboxCreated, appends_only=True)
    def _mailbox_created(self, session: Session, event: Any, notification_id: int) -> None:
        self.insert_later(
            session,
            self.mailboxes,
            {
                "mailbox_id": str(event.originator_id),
                "organisation_id": str(event.organisation_id),
                "last_used_at": stored(event.timestamp),
                "due_at": stored(event.timestamp + INACTIVITY_PERIOD),
            },
        )

    @handles(Mailbox.Used)
    def _mailbox_used(self, session: Session, event: Mailbox.Used, notification_id: int) -> None:
        session.execute(
            update(self.mailboxes)
            .where(self.mailboxes.c.mailbox_id == str(event.originator_id))
            .values(last_used_at=stored(event.timestamp), due_at=stored(event.timestamp + INACTIVITY_PERIOD))
        )

    @handles(Mailbox.InactivityAlertSent)
    def _alert_sent(self, session: Session, event: Mailbox.InactivityAlertSent, notification_id: int) -> None:
        session.execute(
            update(self.mailboxes)
            .where(and_(self.mailboxes.c.mailbox_id == str(event.originator_id), self.mailboxes.c.last_used_at == stored(event.quiet_since)))
            .values(due_at=None)
        )

    @handles(Mailbox.Purged)
    def _mailbox_purged(self, session: Session, event: Mailbox.Purged, notification_id: int) -> None:
        session.execute(delete(self.mailboxes).where(self.mailboxes.c.mailbox_id == str(event.originator_id)))

    # -------------------------------------------------------------- helpers

    def _replace(self, session: Session, table: Table, key: str, value: str, **values: Any) -> None:
        """Insert or overwrite, the same on both stores."""
        session.execute(delete(table).where(table.c[key] == value))
        session.execute(table.insert().values({key: value, **values}))

    def _replace_later(self, session: Session, table: Table, key: str, value: str, **values: Any) -> None:
        """Like :meth:`_replace`, queued: a bulk add's 500 one-time passwords become
        one DELETE … IN and one multi-row INSERT. The framework flushes the queue
        before any handler that may read or change rows, so order is kept."""
        queued = session.info.setdefault(("sema_due_replace", id(self)), {})
        queued.setdefault((table, key), {})[value] = {key: value, **values}

    def flush(self, session: Session) -> None:
        queued = session.info.pop(("sema_due_replace", id(self)), None)
        for (table, key), rows in (queued or {}).items():
            session.execute(delete(table).where(table.c[key].in_(list(rows))))
            session.execute(table.insert(), list(rows.values()))
        super().flush(session)

    # --------------------------------------------------------------- queries

    KINDS = ("purge_user", "expire_one_time_password", "expire_challenge", "expire_exceptional_access", "send_inactivity_alert")

    def page(self, session: Session, kind: str, now: datetime, after: DueItem | None = None, limit: int = 500) -> list[DueItem]:
        """Up to ``limit`` things of ``kind`` due at ``now``, oldest first, after
        ``after`` (keyset on due time and id: acting on one page never shifts the
        next). Callers read a page, close the session, then act: on SQLite an
        open read would block the commands' writes."""
        table, key = self._table_of(kind)
        due_at, ident = table.c.due_at, table.c[key]
        query = select(table).where(due_at <= stored(now))
        if after is not None:
            last_due, last_id = stored(after.due_at), after.grant_id or after.target_id
            query = query.where(or_(due_at > last_due, and_(due_at == last_due, ident > last_id)))
        rows = session.execute(query.order_by(due_at, ident).limit(limit)).mappings().all()
        if kind == "expire_exceptional_access":
            return [DueItem(kind, r["target_id"], utc(r["due_at"]), grant_id=r["grant_id"], grant_kind=r["kind"]) for r in rows]
        return [DueItem(kind, r[key], utc(r["due_at"])) for r in rows]

    def _table_of(self, kind: str) -> tuple[Table, str]:
        return {
            "purge_user": (self.deleted_users, "user_id"),
            "expire_one_time_password": (self.one_time_passwords, "user_id"),
            "expire_challenge": (self.challenges, "user_id"),
            "expire_exceptional_access": (self.grants, "grant_id"),
            "send_inactivity_alert": (self.mailboxes, "mailbox_id"),
        }[kind]
