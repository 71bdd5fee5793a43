"""What Dovecot reports of IMAP log-ins: failures count like failed sema
log-ins, and a log-in is use of the mailbox opened (at most once an hour)."""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from domain.actors import Actor, Role
from domain.claims import AddressClaim, UsernameClaim
from domain.mailbox import MailboxKind
from domain.user import Status
from sema.services.context import Service
from sema.services.runner import UnitOfWork

# Mail clients log in every few minutes: one "mailbox used" event an hour is enough for a six-month policy.
USE_REPORT_INTERVAL = timedelta(hours=1)


class MailAccess(Service):
    def _user_id(self, login: str) -> UUID | None:
        login = login.strip().lower()
        if "@" in login:
            claim = self.claims.existing(AddressClaim, [login]).get(login)
            return claim.owner_id if claim is not None and claim.is_held and claim.owner_kind == "user" else None
        return self.claims.owner(UsernameClaim, login)

    def _mailbox_id(self, login: str) -> UUID | None:
        login = login.strip().lower()
        claim = self.claims.existing(AddressClaim, [login]).get(login)
        if claim is not None and claim.is_held and claim.owner_kind == "group_mailbox":
            return claim.owner_id
        user_id = self._user_id(login)
        return self.aggregates.user(user_id).mailbox_id if user_id is not None else None

    def imap_log_in(self, at: datetime, login: str, person: str, success: bool) -> None:
        """``login``: the mailbox asked for; ``person``: who authenticated — the same
        login, or someone opening a group mailbox or, under exceptional access,
        someone else's (``mailbox*person``)."""
        person = person or login
        opened = login if login.strip().lower() != person.strip().lower() else ""
        user_id = self._user_id(person)
        if user_id is None:
            return
        actor = Actor(id=str(user_id), role=Role.USER)
        if not success:
            self._failed(actor, at, user_id)
            return
        mailbox_id = self._mailbox_id(opened) if opened else self.aggregates.user(user_id).mailbox_id
        if mailbox_id is not None:
            self._used(actor, at, user_id, mailbox_id)

    def _failed(self, actor: Actor, at: datetime, user_id: UUID) -> None:
        def work(uow: UnitOfWork) -> None:
            user = self.aggregates.user(user_id)
            user.fail_log_in(actor, at, self.settings.max_failed_log_ins)
            uow.save(user)

        self.run(work)

    def _used(self, actor: Actor, at: datetime, user_id: UUID, mailbox_id: UUID) -> None:
        """The mailbox's holder, or a permission holder of a group mailbox, opened it;
        exceptional access is not use. Refused log-ins (nologin) are reported as successes
        by Dovecot: only a person who may log in counts."""

        def work(uow: UnitOfWork) -> None:
            user = self.aggregates.user(user_id)
            if user.status != Status.ACTIVE or self.aggregates.organisation(user.organisation_id).suspended:
                return
            mailbox = self.aggregates.mailbox(mailbox_id)
            personal = mailbox.kind == MailboxKind.PERSONAL
            if (personal and mailbox.owner_id != user_id) or (not personal and not mailbox.may_be_used_by(str(user_id))):
                return
            if mailbox.purged or at < mailbox.last_used_at + USE_REPORT_INTERVAL:
                return
            mailbox.record_use(actor, at)
            uow.save(mailbox)

        self.run(work)
