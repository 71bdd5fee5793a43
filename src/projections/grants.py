"""Exceptional-access grants: on mailboxes (the owner sees every one) and user
resets; the requests still waiting for a service administrator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, Index, String, Text, select, update
from sqlalchemy.orm import Session

from domain.grants import GrantingAggregate, GrantState
from domain.mailbox import Mailbox
from domain.user import User
from projections.framework import ReadModel, handles, utc


class Grants(ReadModel):
    name = "grants"

    def define_tables(self) -> None:
        self.mailboxes = self.table(
            "sema_grant_mailboxes",
            Column("id", String(36), primary_key=True),
            Column("owner_id", String(36), nullable=False),
            Column("organisation_id", String(36), nullable=False),
        )
        self.users = self.table(
            "sema_grant_users",
            Column("id", String(36), primary_key=True),
            Column("organisation_id", String(36), nullable=False),
        )
        self.grants = self.table(
            "sema_grants",
            Column("grant_id", String(36), primary_key=True),
            Column("seq", BigInteger, nullable=False),
            Column("kind", String(30), nullable=False),
            Column("target_id", String(36), nullable=False),
            Column("owner_id", String(36), nullable=False),
            Column("organisation_id", String(36), nullable=False),
            Column("reason", Text, nullable=False),
            Column("state", String(20), nullable=False),
            Column("requested_by", String(100), nullable=False),
            Column("requested_at", DateTime(timezone=True), nullable=False),
            Column("decided_by", String(100)),
            Column("decided_at", DateTime(timezone=True)),
            Column("refusal_reason", Text),
            Column("expires_at", DateTime(timezone=True)),
            Column("ended_at", DateTime(timezone=True)),
            Index(self.index_name("ix_sema_grants_target"), "target_id"),
            Index(self.index_name("ix_sema_grants_owner"), "owner_id"),
            Index(self.index_name("ix_sema_grants_state"), "state"),
        )

    @handles(Mailbox.Created, appends_only=True)
    def _mailbox_created(self, session: Session, event: Mailbox.Created, notification_id: int) -> None:
        self.insert_later(
            session, self.mailboxes, {"id": str(event.originator_id), "owner_id": str(event.owner_id), "organisation_id": str(event.organisation_id)}
        )

    @handles(User.Registered, appends_only=True)
    def _user_registered(self, session: Session, event: User.Registered, notification_id: int) -> None:
        self.insert_later(session, self.users, {"id": str(event.originator_id), "organisation_id": str(event.organisation_id)})

    @handles(Mailbox.ExceptionalAccessRequested, User.ExceptionalAccessRequested)
    def _requested(self, session: Session, event: GrantingAggregate.ExceptionalAccessRequested, notification_id: int) -> None:
        target_id = str(event.originator_id)
        if isinstance(event, Mailbox.ExceptionalAccessRequested):
            owner_id, organisation_id = session.execute(
                select(self.mailboxes.c.owner_id, self.mailboxes.c.organisation_id).where(self.mailboxes.c.id == target_id)
            ).one()
        else:
            owner_id = target_id
            organisation_id = session.execute(select(self.users.c.organisation_id).where(self.users.c.id == target_id)).scalar_one()
        session.execute(
            self.grants.insert().values(
                grant_id=str(event.grant_id),
                seq=notification_id,
                kind=event.kind,
                target_id=target_id,
                owner_id=owner_id,
                organisation_id=organisation_id,
                reason=event.reason,
                state=GrantState.REQUESTED,
                requested_by=event.actor_id,
                requested_at=utc(event.timestamp),
            )
        )

    def _update(self, event: Any, **values: Any) -> Any:
        return update(self.grants).where(self.grants.c.grant_id == str(event.grant_id)).values(**values)

    @handles(Mailbox.ExceptionalAccessGranted, User.ExceptionalAccessGranted)
    def _granted(self, session: Session, event: GrantingAggregate.ExceptionalAccessGranted, notification_id: int) -> None:
        session.execute(
            self._update(event, state=GrantState.GRANTED, decided_by=event.actor_id, decided_at=utc(event.timestamp), expires_at=utc(event.expires_at))
        )

    @handles(Mailbox.ExceptionalAccessRefused, User.ExceptionalAccessRefused)
    def _refused(self, session: Session, event: GrantingAggregate.ExceptionalAccessRefused, notification_id: int) -> None:
        session.execute(
            self._update(event, state=GrantState.REFUSED, decided_by=event.actor_id, decided_at=utc(event.timestamp), refusal_reason=event.reason)
        )

    @handles(Mailbox.ExceptionalAccessRevoked, User.ExceptionalAccessRevoked)
    def _revoked(self, session: Session, event: GrantingAggregate.ExceptionalAccessRevoked, notification_id: int) -> None:
        session.execute(self._update(event, state=GrantState.REVOKED, ended_at=utc(event.timestamp)))

    @handles(Mailbox.ExceptionalAccessExpired, User.ExceptionalAccessExpired)
    def _expired(self, session: Session, event: GrantingAggregate.ExceptionalAccessExpired, notification_id: int) -> None:
        session.execute(self._update(event, state=GrantState.EXPIRED, ended_at=utc(event.timestamp)))

    @handles(User.UserReset)
    def _used(self, session: Session, event: User.UserReset, notification_id: int) -> None:
        session.execute(self._update(event, state=GrantState.USED, ended_at=utc(event.timestamp)))
