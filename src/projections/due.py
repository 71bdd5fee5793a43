"""Due work: what the time-based policies will have to do, and from when.

One table per kind of deadline, each row with the moment it falls due:
deleted users (purge once the undelete period ends), one-time passwords and
open authentication challenges (expire), granted exceptional access (expire),
and mailboxes (inactivity alert six months after the last use, unless the
alert for that quiet period was sent; listed only while their organisation has
an administrator to receive it). A row leaves its table when the thing
is no longer due (undeleted, activated, answered, revoked, alerted, purged).

Times are stored in UTC: SQLite keeps them as text, so every value written
and compared here is normalised first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import DateTime, Index, String, Table, and_, exists, or_, select
from sqlalchemy.orm import Session

from domain.base import INACTIVITY_PERIOD
from domain.distribution_list import DistributionList
from domain.grants import GrantingAggregate
from domain.mailbox import Mailbox
from domain.user import User
from projections.batch import Batch
from projections.common_tables import Administrators
from projections.framework import handles
from projections.tables import key, optional, required, table, text_id


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


class Due(Administrators):
    name = "due"
    rebuild_cost = 1.5
    # The policies' look-ups of what is due; the handlers key every table by its id.
    deferred_indexes = (
        "ix_sema_due_deleted_users_due",
        "ix_sema_due_one_time_passwords_due",
        "ix_sema_due_challenges_due",
        "ix_sema_due_grants_due",
        "ix_sema_due_mailboxes_due",
        "ix_sema_due_removed_lists_due",
    )

    deleted_users = table("sema_due_deleted_users", key("user_id"), required("due_at", DateTime), Index("ix_sema_due_deleted_users_due", "due_at"))
    one_time_passwords = table(
        "sema_due_one_time_passwords", key("user_id"), required("due_at", DateTime), Index("ix_sema_due_one_time_passwords_due", "due_at")
    )
    challenges = table(
        "sema_due_challenges", key("user_id"), required("challenge_id"), required("due_at", DateTime), Index("ix_sema_due_challenges_due", "due_at")
    )
    grants = table(
        "sema_due_grants",
        key("grant_id"),
        required("kind", String(30)),
        required("target_id"),
        required("due_at", DateTime),
        Index("ix_sema_due_grants_due", "due_at"),
    )
    mailboxes = table(
        "sema_due_mailboxes",
        key("mailbox_id"),
        required("organisation_id"),
        required("last_used_at", DateTime),
        # Six months after the last use; NULL once the alert for this quiet period was sent.
        optional("due_at", DateTime),
        Index("ix_sema_due_mailboxes_due", "due_at"),
    )
    # Lists deleted with an undo period: deleted for good (address released) when it ends.
    removed_lists = table("sema_due_removed_lists", key("list_id"), required("due_at", DateTime), Index("ix_sema_due_removed_lists_due", "due_at"))
    # An inactivity alert is due only where an administrator can receive it (not the service's own organisation).
    administrators = table("sema_due_administrators", key("organisation_id"), key("user_id"))

    # ------------------------------------------------------------ deleted users

    @handles(User.Deleted)
    def _deleted(self, batch: Batch, event: User.Deleted) -> None:
        user_id = text_id(event.originator_id)
        _replace(batch, self.deleted_users, user_id=user_id, due_at=stored(event.undeletable_until))
        # Deleting a user closes any open challenge (the aggregate forgets it).
        batch.delete(self.challenges, user_id=user_id)

    @handles(User.Undeleted)
    def _undeleted(self, batch: Batch, event: User.Undeleted) -> None:
        batch.delete(self.deleted_users, user_id=event.originator_id)

    @handles(User.Purged)
    def _purged(self, batch: Batch, event: User.Purged) -> None:
        for deadlines in (self.deleted_users, self.one_time_passwords, self.challenges):
            batch.delete(deadlines, user_id=event.originator_id)

    # ------------------------------------------------------ one-time passwords

    @handles(User.OneTimePasswordIssued)
    def _otp_issued(self, batch: Batch, event: User.OneTimePasswordIssued) -> None:
        _replace(batch, self.one_time_passwords, user_id=text_id(event.originator_id), due_at=stored(event.expires_at))

    @handles(User.PasswordReset)
    def _password_reset(self, batch: Batch, event: User.PasswordReset) -> None:
        _replace(batch, self.one_time_passwords, user_id=text_id(event.originator_id), due_at=stored(event.one_time_password_expires_at))

    @handles(User.OneTimePasswordExpired, User.Activated, User.PasswordChanged)
    def _otp_gone(self, batch: Batch, event: User.OneTimePasswordExpired | User.Activated | User.PasswordChanged) -> None:
        batch.delete(self.one_time_passwords, user_id=event.originator_id)

    # -------------------------------------------------------------- challenges

    @handles(User.ChallengeIssued)
    def _challenge_issued(self, batch: Batch, event: User.ChallengeIssued) -> None:
        _replace(batch, self.challenges, user_id=text_id(event.originator_id), challenge_id=text_id(event.challenge_id), due_at=stored(event.expires_at))

    @handles(User.ChallengePassed, User.ChallengeFailed, User.ChallengeExpired)
    def _challenge_closed(self, batch: Batch, event: User.ChallengePassed | User.ChallengeFailed | User.ChallengeExpired) -> None:
        batch.delete(self.challenges, user_id=event.originator_id)

    # ------------------------------------------------------ exceptional access

    @handles(Mailbox.ExceptionalAccessGranted, User.ExceptionalAccessGranted)
    def _granted(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessGranted) -> None:
        kind = Mailbox.grant_kind if isinstance(event, Mailbox.ExceptionalAccessGranted) else User.grant_kind
        _replace(batch, self.grants, grant_id=text_id(event.grant_id), kind=kind, target_id=text_id(event.originator_id), due_at=stored(event.expires_at))

    @handles(Mailbox.ExceptionalAccessRevoked, User.ExceptionalAccessRevoked, Mailbox.ExceptionalAccessExpired, User.ExceptionalAccessExpired)
    def _grant_ended(self, batch: Batch, event: Any) -> None:
        batch.delete(self.grants, grant_id=event.grant_id)

    @handles(User.UserReset)
    def _user_reset(self, batch: Batch, event: User.UserReset) -> None:
        user_id = text_id(event.originator_id)
        batch.delete(self.grants, grant_id=event.grant_id)
        batch.delete(self.challenges, user_id=user_id)
        _replace(batch, self.one_time_passwords, user_id=user_id, due_at=stored(event.one_time_password_expires_at))

    # --------------------------------------------------------------- mailboxes

    @handles(Mailbox.Created, Mailbox.GroupMailboxCreated)
    def _mailbox_created(self, batch: Batch, event: Mailbox.Created | Mailbox.GroupMailboxCreated) -> None:
        batch.insert(
            self.mailboxes,
            {
                "mailbox_id": text_id(event.originator_id),
                "organisation_id": text_id(event.organisation_id),
                "last_used_at": stored(event.timestamp),
                "due_at": stored(event.timestamp + INACTIVITY_PERIOD),
            },
        )

    @handles(Mailbox.Used)
    def _mailbox_used(self, batch: Batch, event: Mailbox.Used) -> None:
        batch.update(
            self.mailboxes, {"mailbox_id": event.originator_id}, last_used_at=stored(event.timestamp), due_at=stored(event.timestamp + INACTIVITY_PERIOD)
        )

    @handles(Mailbox.InactivityAlertSent)
    def _alert_sent(self, batch: Batch, event: Mailbox.InactivityAlertSent) -> None:
        batch.update(self.mailboxes, {"mailbox_id": event.originator_id, "last_used_at": stored(event.quiet_since)}, due_at=None)

    @handles(Mailbox.Purged, Mailbox.GroupMailboxDeleted)
    def _mailbox_purged(self, batch: Batch, event: Mailbox.Purged | Mailbox.GroupMailboxDeleted) -> None:
        batch.delete(self.mailboxes, mailbox_id=event.originator_id)

    # ------------------------------------------------------------------- lists

    @handles(DistributionList.Removed)
    def _list_removed(self, batch: Batch, event: DistributionList.Removed) -> None:
        _replace(batch, self.removed_lists, list_id=text_id(event.originator_id), due_at=stored(event.restorable_until))

    @handles(DistributionList.Restored, DistributionList.Deleted)
    def _list_back_or_gone(self, batch: Batch, event: DistributionList.Restored | DistributionList.Deleted) -> None:
        batch.delete(self.removed_lists, list_id=event.originator_id)

    # --------------------------------------------------------------- queries

    KINDS = ("purge_user", "expire_one_time_password", "expire_challenge", "expire_exceptional_access", "send_inactivity_alert", "purge_list")

    def page(self, session: Session, kind: str, now: datetime, after: DueItem | None = None, limit: int = 500) -> list[DueItem]:
        """Up to ``limit`` things of ``kind`` due at ``now``, oldest first, after
        ``after`` (keyset on due time and id: acting on one page never shifts the
        next). Callers read a page, close the session, then act: on SQLite an
        open read would block the commands' writes."""
        table, key = self._table_of(kind)
        due_at, ident = table.c.due_at, table.c[key]
        query = select(table).where(due_at <= stored(now))
        if kind == "send_inactivity_alert":
            query = query.where(exists().where(self.administrators.c.organisation_id == table.c.organisation_id))
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
            "purge_list": (self.removed_lists, "list_id"),
        }[kind]


def _replace(batch: Batch, deadlines: Table, **row: Any) -> None:
    """Insert or overwrite (by the row's first column, its key), the same on both stores."""
    first = next(iter(row))
    batch.delete(deadlines, **{first: row[first]})
    batch.insert(deadlines, row)
