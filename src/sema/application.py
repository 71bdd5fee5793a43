"""The application: the event store, and a thin facade over the service layer.

Every command takes the acting principal and the current time from its
caller. The commands themselves live in ``sema.services``, one module per
area; this class wires them to the store and keeps call sites simple
(``app.add_users(actor, at, organisation_id, rows)``).
"""

from __future__ import annotations

import string
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID, uuid4

from eventsourcing.application import Application, ProcessingEvent
from eventsourcing.persistence import Recording
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from domain.actors import Actor, Role, system_actor
from domain.base import SemaAggregate
from domain.claims import OrganisationCodeClaim
from domain.distribution_list import DistributionList
from domain.mail_domains import MailDomains
from domain.mailbox import Mailbox
from domain.organisation import ContactDetails, Organisation
from domain.user import User, UserKind
from domain.user_plans import NewUser, RowProblem
from sema import nowait
from sema.config import ConfigurationError, Settings
from sema.credentials import CredentialStore, SecretSource, WrongKey, credentials_table, key_check_table
from sema.services.activation import Activation
from sema.services.address_book import AddressBook
from sema.services.aggregate_cache import AggregateCache
from sema.services.break_glass import BreakGlass
from sema.services.aggregates import Aggregates
from sema.services.challenges import Challenges
from sema.services.claimed_numbers import ClaimedNumbers
from sema.services.claims import Claims
from sema.services.context import ServiceContext
from sema.services.distribution_lists import DistributionLists
from sema.services.exceptional_access import ExceptionalAccess
from sema.services.mail_access import MailAccess
from sema.services.mailboxes import Mailboxes
from sema.services.organisations import SERVICE_ORGANISATION_CODE, Organisations
from sema.services.results import ChallengePrompt, CreatedUser, LogInResult, Outcome
from sema.services.runner import CommandRunner, InlineProcessor
from sema.services.sensitive_reads import SensitiveReads
from sema.services.users import MAX_BULK, Users
from sema.side_tables import create_side_table

if TYPE_CHECKING:
    from projections.framework import Projections

__all__ = [
    "MAX_BULK",
    "SERVICE_ORGANISATION_CODE",
    "ChallengePrompt",
    "CreatedUser",
    "LogInResult",
    "NewUser",
    "Outcome",
    "SemaApplication",
]


def sqlalchemy_url(settings: Settings) -> str:
    """The configured store as SQLAlchemy wants it: psycopg 3 for PostgreSQL, a lock timeout for SQLite."""
    url = settings.resolved_database_url()
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///") and "?" not in url:
        return url + f"?timeout={settings.sqlite_lock_timeout_s}"
    return url


def sqlite_synchronous(engine: Engine, level: str) -> None:
    """Every SQLite connection (the setting is per connection) at ``level``;
    pooled ones made before are dropped, to reconnect with it."""

    def on_connect(connection: Any, _: Any) -> None:
        connection.execute(f"PRAGMA synchronous={level.upper()}")

    event.listen(engine, "connect", on_connect)
    engine.pool.dispose()


class SemaApplication(Application):
    name = "sema"
    # A user's stream grows by an event per log-in: a snapshot every so many
    # events bounds what loading one replays. Other streams stay short.
    snapshotting_intervals = {User: 25}

    def __init__(self, settings: Settings, env: dict[str, str] | None = None, secrets: SecretSource | None = None, new_id: Callable[[], UUID] = uuid4) -> None:
        self.settings = settings
        super().__init__(env={"PERSISTENCE_MODULE": "sema.persistence:Factory", "SQLALCHEMY_URL": sqlalchemy_url(settings), **(env or {})})
        self.engine: Engine = self.recorder.datastore.engine
        if self.engine.dialect.name == "sqlite":
            sqlite_synchronous(self.engine, settings.sqlite_synchronous)
            nowait.zero_busy_timeout_when_not_waiting(self.engine, settings.sqlite_lock_timeout_s)
            if self.recorder.datastore.write_lock is not None:
                self.recorder.datastore.write_lock = nowait.WriteLock()  # taken without waiting on the loop (ADR 63)
        create_side_table(credentials_table, self.engine)
        create_side_table(key_check_table, self.engine)
        self.credentials = CredentialStore(settings.resolved_secret_key(), settings.argon2)
        try:
            self.credentials.check_key(self.engine)
        except WrongKey as wrong:
            self.credentials.close()
            self.engine.dispose()
            raise ConfigurationError(
                f"the secret key ({settings.secret_key_source()}) is not the one this store's secrets were made with: {wrong}. "
                "Give every process the store's own key (SEMA_SECRET_KEY or SEMA_SECRET_KEY_FILE); with another, "
                "no one-time password or security answer could be checked"
            ) from None
        self.secrets = secrets or SecretSource()
        self.new_id = new_id
        # The aggregates commands load by id (claims are read by value, not kept).
        cache = AggregateCache(settings.aggregate_cache_size, (User, Organisation, Mailbox, DistributionList, MailDomains))
        self.runner = CommandRunner(self, cache=cache)
        numbers = ClaimedNumbers(self)
        numbers.create()
        self.runner.inline_processors.append(numbers.record)  # the claims' side table, in step (ADR 44)
        claims = Claims(self.recorder, self.repository, numbers)
        self.aggregates = Aggregates(self.repository, lambda: claims.owner(OrganisationCodeClaim, SERVICE_ORGANISATION_CODE), cache)
        context = ServiceContext(settings, self.runner, self.aggregates, claims, self.credentials, self.secrets, new_id)
        self.organisations = Organisations(context)
        self.users = Users(context)
        self.activation = Activation(context)
        self.challenges = Challenges(context)
        self.exceptional_access = ExceptionalAccess(context)
        self.mailboxes = Mailboxes(context)
        self.distribution_lists = DistributionLists(context)
        self.address_book = AddressBook(context)
        self.break_glass = BreakGlass(context)
        self.sensitive_reads = SensitiveReads(context)
        self.mail_access = MailAccess(context)
        self.projections: Projections | None = None  # set by the composition root (sema.bootstrap)

    def close(self) -> None:
        self.credentials.close()
        super().close()

    @property
    def inline_processors(self) -> list[InlineProcessor]:
        """Run in every command's transaction after its events are recorded (read models, outbox)."""
        return self.runner.inline_processors

    def transaction(self, commit: bool = True) -> AbstractContextManager[Session]:
        return self.recorder.transaction(commit=commit)  # type: ignore[no-any-return]

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[UUID]]:
        """The library's ``save``, our aggregates' pending events collected without its
        ``isinstance`` checks against runtime protocols: on Python 3.11 each walks the
        protocol's members, a seventh of a bulk add of 500 users under the profiler and
        a one-user command's too (issue 12, ``benchmarks/bench_domain.py``). Anything
        else is collected by the library as before."""
        processing_event: ProcessingEvent[UUID] = ProcessingEvent()
        for obj in objs:
            if isinstance(obj, SemaAggregate):
                processing_event.events.extend(obj.collect_events())
                processing_event.aggregates[obj.id] = obj
            else:
                processing_event.collect_events(obj)
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's deprecated hook, called as its save does
        return recordings

    # ------------------------------------------------------------ loading

    def get_user(self, user_id: UUID) -> User:
        return self.aggregates.user(user_id)

    def get_organisation(self, organisation_id: UUID) -> Organisation:
        return self.aggregates.organisation(organisation_id)

    def get_mailbox(self, mailbox_id: UUID) -> Mailbox:
        return self.aggregates.mailbox(mailbox_id)

    def get_list(self, list_id: UUID) -> DistributionList:
        return self.aggregates.distribution_list(list_id)

    # ---------------------------------------------------- organisations

    def bootstrap(self, at: datetime) -> tuple[str, str] | None:
        """On an empty store: the service organisation and a first service
        administrator; returns its username and one-time password, once."""
        organisation_id = self.organisations.register_service_organisation(at)
        if organisation_id is None:
            return None
        # A username nobody can guess: it is printed once, and guessing a known one is the first step of an attack.
        suffix = "".join(self.secrets.rng.choice(string.ascii_lowercase + string.digits) for _ in range(8))
        rows = [NewUser("Service", f"Administrator-{suffix}")]
        (created,) = self.users.add(system_actor("bootstrap"), at, organisation_id, rows, kind=UserKind.SERVICE_ADMINISTRATOR)
        return created.username, created.one_time_password or ""

    def service_organisation_id(self) -> UUID | None:
        return self.organisations.service_organisation_id()

    def register_organisation(self, actor: Actor, at: datetime, *, name: str, code: str, account_type: str, domains: Sequence[str] = ()) -> UUID:
        return self.organisations.register(actor, at, name=name, code=code, account_type=account_type, domains=domains)

    def appoint_administrator(self, actor: Actor, at: datetime, organisation_id: UUID, user_id: UUID) -> None:
        self.organisations.appoint_administrator(actor, at, organisation_id, user_id)

    def revoke_administrator(self, actor: Actor, at: datetime, organisation_id: UUID, user_id: UUID) -> None:
        self.organisations.revoke_administrator(actor, at, organisation_id, user_id)

    def suspend_organisation(self, actor: Actor, at: datetime, organisation_id: UUID, message: str | None = None) -> None:
        self.organisations.suspend(actor, at, organisation_id, message)

    def unsuspend_organisation(self, actor: Actor, at: datetime, organisation_id: UUID) -> None:
        self.organisations.unsuspend(actor, at, organisation_id)

    def rename_organisation(self, actor: Actor, at: datetime, organisation_id: UUID, name: str) -> None:
        self.organisations.rename(actor, at, organisation_id, name)

    def add_mail_domain(self, actor: Actor, at: datetime, organisation_id: UUID, domain: str) -> None:
        self.organisations.add_mail_domain(actor, at, organisation_id, domain)

    def remove_mail_domain(self, actor: Actor, at: datetime, organisation_id: UUID, domain: str) -> None:
        self.organisations.remove_mail_domain(actor, at, organisation_id, domain)

    def change_contact_details(self, actor: Actor, at: datetime, organisation_id: UUID, contact: ContactDetails) -> None:
        self.organisations.change_contact_details(actor, at, organisation_id, contact)

    # ------------------------------------------------------------ users

    def add_users(self, actor: Actor, at: datetime, organisation_id: UUID, rows: Sequence[NewUser], *, dry_run: bool = False, kind: str = UserKind.PERSON) -> list[CreatedUser]:
        return self.users.add(actor, at, organisation_id, rows, dry_run=dry_run, kind=kind)

    def check_users(self, actor: Actor, organisation_id: UUID, rows: Sequence[NewUser | None]) -> list[RowProblem]:
        return self.users.check(actor, organisation_id, rows)

    def change_statuses(self, actor: Actor, at: datetime, user_ids: Sequence[UUID], action: str) -> list[Outcome]:
        return self.users.change_statuses(actor, at, user_ids, action)

    def change_details(self, actor: Actor, at: datetime, user_ids: Sequence[UUID], details: dict[str, str]) -> list[Outcome]:
        return self.users.change_details(actor, at, user_ids, details)

    def change_last_name(self, actor: Actor, at: datetime, user_id: UUID, last_name: str) -> str:
        return self.users.change_last_name(actor, at, user_id, last_name)

    def change_first_name(self, actor: Actor, at: datetime, user_id: UUID, first_name: str) -> str:
        return self.users.change_first_name(actor, at, user_id, first_name)

    def change_original_address(self, actor: Actor, at: datetime, user_id: UUID, original_address: str) -> str:
        return self.users.change_original_address(actor, at, user_id, original_address)

    def remove_alias(self, actor: Actor, at: datetime, user_id: UUID, address: str) -> None:
        self.users.remove_alias(actor, at, user_id, address)

    def purge_user(self, actor: Actor, at: datetime, user_id: UUID) -> None:
        self.users.purge(actor, at, user_id)

    def expire_one_time_password(self, actor: Actor, at: datetime, user_id: UUID) -> None:
        self.users.expire_one_time_password(actor, at, user_id)

    # ------------------------------------------------ log-in and self-service

    def find_user_id(self, username: str) -> UUID | None:
        return self.activation.find_user_id(username)

    def log_in(self, username: str, password: str, at: datetime, request_id: str | None = None, client: str | None = None) -> LogInResult:
        return self.activation.log_in(username, password, at, request_id, client)

    def current_role(self, user_id: UUID) -> Role:
        return self.activation.role_of(self.get_user(user_id))

    def complete_first_log_in(self, actor: Actor, at: datetime, new_password: str, security_answers: dict[str, str] | None) -> None:
        self.activation.complete_first_log_in(actor, at, new_password, security_answers)

    def change_password(self, actor: Actor, at: datetime, current_password: str, new_password: str, client: str | None = None) -> None:
        self.activation.change_password(actor, at, current_password, new_password, client)

    def set_security_information(self, actor: Actor, at: datetime, current_password: str, security_answers: dict[str, str], client: str | None = None) -> None:
        self.activation.set_security_information(actor, at, current_password, security_answers, client)

    # -------------------------------------------- authenticating and resetting

    def issue_challenge(self, actor: Actor, at: datetime, user_id: UUID) -> ChallengePrompt:
        return self.challenges.issue(actor, at, user_id)

    def answer_challenge(self, actor: Actor, at: datetime, user_id: UUID, challenge_id: UUID, letters: Sequence[str]) -> bool:
        return self.challenges.answer(actor, at, user_id, challenge_id, letters)

    def expire_challenge(self, actor: Actor, at: datetime, user_id: UUID) -> None:
        self.challenges.expire(actor, at, user_id)

    def reset_password(self, actor: Actor, at: datetime, user_id: UUID) -> tuple[str, datetime]:
        return self.challenges.reset_password(actor, at, user_id)

    def reissue_one_time_password(self, actor: Actor, at: datetime, user_id: UUID) -> tuple[str, datetime]:
        return self.users.reissue_one_time_password(actor, at, user_id)

    # ------------------------------------------------------ exceptional access

    def request_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, reason: str) -> UUID:
        return self.exceptional_access.request(actor, at, kind, target_id, reason)

    def decide_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID, approve: bool, reason: str = "") -> None:
        self.exceptional_access.decide(actor, at, kind, target_id, grant_id, approve, reason)

    def revoke_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID) -> None:
        self.exceptional_access.revoke(actor, at, kind, target_id, grant_id)

    def expire_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID) -> None:
        self.exceptional_access.expire(actor, at, kind, target_id, grant_id)

    def reset_user(self, actor: Actor, at: datetime, user_id: UUID, grant_id: UUID) -> tuple[str, datetime]:
        return self.exceptional_access.reset_user(actor, at, user_id, grant_id)

    # ------------------------------------------------------------ mailboxes

    def create_group_mailbox(self, actor: Actor, at: datetime, organisation_id: UUID, name: str, local_part: str) -> tuple[UUID, str]:
        return self.mailboxes.create_group(actor, at, organisation_id, name, local_part)

    def rename_group_mailbox(self, actor: Actor, at: datetime, mailbox_id: UUID, name: str) -> None:
        self.mailboxes.rename_group(actor, at, mailbox_id, name)

    def delete_group_mailbox(self, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        self.mailboxes.delete_group(actor, at, mailbox_id)

    def grant_mailbox_permission(self, actor: Actor, at: datetime, mailbox_id: UUID, user_id: UUID, permission: str) -> None:
        self.mailboxes.grant_permission(actor, at, mailbox_id, user_id, permission)

    def revoke_mailbox_permission(self, actor: Actor, at: datetime, mailbox_id: UUID, user_id: UUID, permission: str) -> None:
        self.mailboxes.revoke_permission(actor, at, mailbox_id, user_id, permission)

    def record_mailbox_use(self, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        self.mailboxes.record_use(actor, at, mailbox_id)

    def send_inactivity_alert(self, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        self.mailboxes.send_inactivity_alert(actor, at, mailbox_id)

    def report_imap_log_in(self, at: datetime, login: str, person: str, success: bool) -> None:
        """Dovecot's report of an IMAP log-in (see sema.services.mail_access)."""
        self.mail_access.imap_log_in(at, login, person, success)

    # ------------------------------------------------------ distribution lists

    def create_distribution_list(self, actor: Actor, at: datetime, organisation_id: UUID, name: str, local_part: str, member_ids: Sequence[UUID] = ()) -> tuple[UUID, str]:
        return self.distribution_lists.create(actor, at, organisation_id, name, local_part, member_ids)

    def rename_distribution_list(self, actor: Actor, at: datetime, list_id: UUID, name: str) -> None:
        self.distribution_lists.rename(actor, at, list_id, name)

    def add_list_member(self, actor: Actor, at: datetime, list_id: UUID, user_id: UUID) -> None:
        self.distribution_lists.add_member(actor, at, list_id, user_id)

    def remove_list_member(self, actor: Actor, at: datetime, list_id: UUID, user_id: UUID) -> None:
        self.distribution_lists.remove_member(actor, at, list_id, user_id)

    def delete_distribution_list(self, actor: Actor, at: datetime, list_id: UUID) -> datetime:
        return self.distribution_lists.delete(actor, at, list_id)

    def restore_distribution_list(self, actor: Actor, at: datetime, list_id: UUID) -> None:
        self.distribution_lists.restore(actor, at, list_id)

    def purge_distribution_list(self, actor: Actor, at: datetime, list_id: UUID) -> None:
        self.distribution_lists.purge(actor, at, list_id)

    def change_distribution_list_address(self, actor: Actor, at: datetime, list_id: UUID, local_part: str) -> str:
        return self.distribution_lists.change_address(actor, at, list_id, local_part)

    # ---------------------------------------------------------- sensitive reads

    def record_sensitive_read(self, actor: Actor, at: datetime, what: str, subject_ids: Sequence[object]) -> None:
        """Someone read what they must account for; auditors see it in the history."""
        self.sensitive_reads.record(actor, at, what, subject_ids)

    # ---------------------------------------------------------- address book

    def save_address_book_entry(self, actor: Actor, at: datetime, entry_kind: str, entry_id: UUID) -> None:
        self.address_book.save_entry(actor, at, entry_kind, entry_id)

    def remove_address_book_entry(self, actor: Actor, at: datetime, entry_id: UUID) -> None:
        self.address_book.remove_entry(actor, at, entry_id)
