"""Exceptional-access grants: on mailboxes (the owner sees every one) and user
resets; the requests still waiting for a service administrator."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, DateTime, Index, String, Text

from domain.grants import GrantingAggregate, GrantState
from domain.mailbox import Mailbox
from domain.user import User
from projections.batch import Batch
from projections.common_tables import UserRows
from projections.framework import handles, utc
from projections.tables import key, optional, required, table, text_id


class Grants(UserRows):
    name = "grants"
    rebuild_cost = 0.6
    # Queries' look-ups; the handlers key grants by grant id.
    deferred_indexes = ("ix_sema_grants_target", "ix_sema_grants_owner", "ix_sema_grants_state")

    mailboxes = table("sema_grant_mailboxes", key("id"), required("owner_id"), required("organisation_id"))
    users = table("sema_grant_users", key("id"), required("organisation_id"))
    grants = table(
        "sema_grants",
        key("grant_id"),
        required("seq", BigInteger),
        required("kind", String(30)),
        required("target_id"),
        required("owner_id"),
        required("organisation_id"),
        required("reason", Text),
        required("state", String(20)),
        required("requested_by", String(100)),
        required("requested_at", DateTime(timezone=True)),
        optional("decided_by", String(100)),
        optional("decided_at", DateTime(timezone=True)),
        optional("refusal_reason", Text),
        optional("expires_at", DateTime(timezone=True)),
        optional("ended_at", DateTime(timezone=True)),
        Index("ix_sema_grants_target", "target_id"),
        Index("ix_sema_grants_owner", "owner_id"),
        Index("ix_sema_grants_state", "state"),
    )

    @handles(Mailbox.Created)
    def _mailbox_created(self, batch: Batch, event: Mailbox.Created) -> None:
        batch.insert(self.mailboxes, {"id": text_id(event.originator_id), "owner_id": text_id(event.owner_id), "organisation_id": text_id(event.organisation_id)})

    @handles(Mailbox.ExceptionalAccessRequested, User.ExceptionalAccessRequested)
    def _requested(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessRequested) -> None:
        target_id = text_id(event.originator_id)
        if isinstance(event, Mailbox.ExceptionalAccessRequested):
            mailbox = batch.one(self.mailboxes, id=target_id)
            owner_id, organisation_id = mailbox["owner_id"], mailbox["organisation_id"]
        else:
            owner_id, organisation_id = target_id, batch.one(self.users, id=target_id)["organisation_id"]
        batch.insert(
            self.grants,
            {
                "grant_id": text_id(event.grant_id),
                "seq": batch.position,
                "kind": event.kind,
                "target_id": target_id,
                "owner_id": owner_id,
                "organisation_id": organisation_id,
                "reason": event.reason,
                "state": GrantState.REQUESTED,
                "requested_by": event.actor_id,
                "requested_at": utc(event.timestamp),
            },
        )

    def _update(self, batch: Batch, event: Any, **values: Any) -> None:
        batch.update(self.grants, {"grant_id": event.grant_id}, **values)

    @handles(Mailbox.ExceptionalAccessGranted, User.ExceptionalAccessGranted)
    def _granted(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessGranted) -> None:
        self._update(batch, event, state=GrantState.GRANTED, decided_by=event.actor_id, decided_at=utc(event.timestamp), expires_at=utc(event.expires_at))

    @handles(Mailbox.ExceptionalAccessRefused, User.ExceptionalAccessRefused)
    def _refused(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessRefused) -> None:
        self._update(batch, event, state=GrantState.REFUSED, decided_by=event.actor_id, decided_at=utc(event.timestamp), refusal_reason=event.reason)

    @handles(Mailbox.ExceptionalAccessRevoked, User.ExceptionalAccessRevoked)
    def _revoked(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessRevoked) -> None:
        self._update(batch, event, state=GrantState.REVOKED, ended_at=utc(event.timestamp))

    @handles(Mailbox.ExceptionalAccessExpired, User.ExceptionalAccessExpired)
    def _expired(self, batch: Batch, event: GrantingAggregate.ExceptionalAccessExpired) -> None:
        self._update(batch, event, state=GrantState.EXPIRED, ended_at=utc(event.timestamp))

    @handles(User.UserReset)
    def _used(self, batch: Batch, event: User.UserReset) -> None:
        self._update(batch, event, state=GrantState.USED, ended_at=utc(event.timestamp))
