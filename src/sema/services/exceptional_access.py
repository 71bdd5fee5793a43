"""Exceptional access (mailbox access, user reset): an administrator requests
with a reason, a service administrator decides, an administrator may revoke
early; an approved user reset is carried out once."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.errors import InvalidValue, MailboxNotFound, UserNotFound
from domain.mailbox import Mailbox
from domain.permissions import require_change, require_service_administrator
from domain.user import User
from sema.services.context import Service
from sema.services.runner import UnitOfWork, command

KINDS = ("mailbox_access", "user_reset")


class ExceptionalAccess(Service):
    def _holder(self, kind: str, target_id: UUID) -> User | Mailbox:
        if kind == "mailbox_access":
            return self.aggregates.mailbox(target_id)
        if kind == "user_reset":
            return self.aggregates.user(target_id)
        raise InvalidValue("kind", f"must be {' or '.join(KINDS)}")

    def _administered_holder(self, actor: Actor, kind: str, target_id: UUID) -> User | Mailbox:
        holder = self._holder(kind, target_id)
        not_found = MailboxNotFound(target_id) if isinstance(holder, Mailbox) else UserNotFound(target_id)
        self.aggregates.require_administers(actor, holder.organisation_id, not_found)
        return holder

    @command
    def request(self, uow: UnitOfWork, actor: Actor, at: datetime, kind: str, target_id: UUID, reason: str) -> UUID:
        """An administrator asks; a service administrator will decide."""
        holder = self._administered_holder(actor, kind, target_id)
        grant_id = self.context.new_id()
        holder.request_exceptional_access(grant_id, reason, actor, at)
        uow.save(holder)
        return grant_id

    @command
    def decide(self, uow: UnitOfWork, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID, approve: bool, reason: str = "") -> None:
        require_service_administrator(actor)
        require_change(actor)
        holder = self._holder(kind, target_id)
        if approve:
            holder.grant_exceptional_access(grant_id, at + self.settings.exceptional_access_lifetime, actor, at)
        else:
            holder.refuse_exceptional_access(grant_id, reason, actor, at)
        uow.save(holder)

    @command
    def revoke(self, uow: UnitOfWork, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID) -> None:
        holder = self._administered_holder(actor, kind, target_id)
        holder.revoke_exceptional_access(grant_id, actor, at)
        uow.save(holder)

    @command
    def expire(self, uow: UnitOfWork, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID) -> None:
        require_service_administrator(actor)
        holder = self._holder(kind, target_id)
        holder.expire_exceptional_access(grant_id, actor, at)
        uow.save(holder)

    @command
    def reset_user(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID, grant_id: UUID) -> tuple[str, datetime]:
        """Under an approved grant: security information cleared, a new one-time
        password, back to pending activation."""
        otp = self.context.secrets.one_time_password()
        expires_at = at + self.settings.one_time_password_lifetime
        user = self.aggregates.administered_user(actor, user_id)
        user.reset(grant_id, expires_at, actor, at)
        self.credentials.clear_answers(uow.session, user.id)
        self.credentials.set_one_time_passwords(uow.session, [self.credentials.one_time_password_row(user.id, otp, at)])
        uow.save(user)
        return otp, expires_at
