"""The application service: one method per command of the product.

Every command takes the acting principal and the current time from its caller,
checks permissions, loads aggregates, calls them, writes credential rows and
saves everything in one database transaction, retrying when another writer got
there first (the event store's optimistic concurrency is the only lock).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar
from uuid import UUID, uuid4

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError, Recording
from sqlalchemy import select
from sqlalchemy.orm import Session

from domain.actors import Actor, Role, system_actor
from domain.base import SemaAggregate
from domain.claims import AddressClaim, Claim, ClaimKind, OrganisationCodeClaim, UsernameClaim
from domain.distribution_list import DistributionList
from domain.errors import (
    AddressTaken,
    AlreadySo,
    BulkValidationFailed,
    ConcurrencyConflict,
    DistributionListNotFound,
    DomainError,
    InvalidCredentials,
    InvalidValue,
    InvalidValues,
    MailboxNotFound,
    NotFound,
    OrganisationCodeTaken,
    OrganisationNotFound,
    PermissionDenied,
    RuleViolated,
    UserNotFound,
)
from domain.mailbox import Mailbox, MailboxKind
from domain.naming import (
    check_domain,
    check_email,
    check_organisation_code,
    fold,
    in_domains,
    is_old_style_address,
    new_style_address,
    new_style_local_part,
    numbered,
    relay_address,
)
from domain.organisation import AccountType, Organisation
from domain.user import DIRECTORY_FIELDS, User, UserKind, check_questions
from sema.config import Settings
from sema.credentials import ONE_TIME_PASSWORD, CredentialStore, SecretSource, check_answers, check_new_password, metadata

MAX_BULK = 500
COMMAND_RETRY_BUDGET_S = 5.0  # how long a command keeps re-running after lost races
RETRY_PAUSE_S = 0.002  # doubled after each lost race, up to RETRY_PAUSE_MAX_S
RETRY_PAUSE_MAX_S = 0.05
SERVICE_ORGANISATION_CODE = "service"

R = TypeVar("R")
A = TypeVar("A", bound=SemaAggregate)

# Runs inside a command's transaction after its events are recorded: inline projections, outbox.
InlineProcessor = Callable[[Session, Sequence[Recording]], None]


@dataclass(frozen=True)
class NewUser:
    """One row of a user add. ``original_address`` for smtp/gsc organisations;
    ``old_style_address`` only for users imported from before the address change."""

    first_name: str
    last_name: str
    original_address: str | None = None
    old_style_address: str | None = None
    directory: dict[str, str] = field(default_factory=dict)
    ex_directory: bool = False


@dataclass(frozen=True)
class CreatedUser:
    row: int
    user_id: UUID
    username: str
    address: str
    aliases: list[str]
    mailbox_id: UUID | None
    one_time_password: str | None  # None in a dry run
    one_time_password_expires_at: datetime


@dataclass(frozen=True)
class LogInResult:
    user_id: UUID
    username: str
    organisation_id: UUID
    role: Role
    must_change_password: bool
    must_set_security_information: bool

    def actor(self, request_id: str | None = None) -> Actor:
        return Actor(id=str(self.user_id), role=self.role, organisation_id=self.organisation_id, request_id=request_id)


@dataclass(frozen=True)
class ChallengePrompt:
    challenge_id: UUID
    positions: list[tuple[str, int]]
    expires_at: datetime


@dataclass(frozen=True)
class Outcome:
    """Per-user result of a multiple change: ``changed``, ``already_so`` or ``refused``."""

    user_id: UUID
    result: str
    reason: str | None = None


STATUS_ACTIONS: dict[str, Callable[[User, Actor, datetime], None]] = {
    "suspend": User.suspend,
    "unsuspend": User.unsuspend,
    "delete": User.delete,
    "undelete": User.undelete,
    "unlock": User.unlock,
    "mark_ex_directory": User.mark_ex_directory,
    "unmark_ex_directory": User.unmark_ex_directory,
}


class SemaApplication(Application):
    name = "sema"

    def __init__(self, settings: Settings, env: dict[str, str] | None = None, secrets: SecretSource | None = None, new_id: Callable[[], UUID] = uuid4) -> None:
        self.settings = settings
        url = settings.resolved_database_url()
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        elif url.startswith("sqlite:///") and "?" not in url:
            url += f"?timeout={settings.sqlite_lock_timeout_s}"
        super().__init__(env={"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": url, **(env or {})})
        self.engine = self.recorder.datastore.engine
        metadata.create_all(self.engine)
        self.credentials = CredentialStore(settings.resolved_secret_key(), settings.argon2)
        self.secrets = secrets or SecretSource()
        self.new_id = new_id
        self.inline_processors: list[InlineProcessor] = []
        self.projections: Any = None  # set by the composition root (sema.bootstrap)

    # ------------------------------------------------------------ plumbing

    def transaction(self, commit: bool = True) -> Any:
        return self.recorder.transaction(commit=commit)

    def _command(self, work: Callable[[Session], R]) -> R:
        """Runs ``work`` in one transaction; a lost race re-runs it on fresh state."""
        give_up_at = time.monotonic() + COMMAND_RETRY_BUDGET_S
        attempt = 0
        while True:
            try:
                with self.recorder.transaction(commit=True) as session:
                    return work(session)
            except IntegrityError:
                # A writer busy with one aggregate can win race after race against a
                # loser that re-runs at once; a random, growing pause, for a while
                # rather than a number of times, lets the loser through.
                pause = random.uniform(0, min(RETRY_PAUSE_MAX_S, RETRY_PAUSE_S * 2**attempt))
                if time.monotonic() + pause > give_up_at:
                    raise ConcurrencyConflict() from None
                time.sleep(pause)
                attempt += 1

    def _save(self, session: Session, *aggregates: SemaAggregate | None) -> list[Recording]:
        recordings = self.save(*[a for a in aggregates if a is not None])
        for process in self.inline_processors:
            process(session, recordings)
        return recordings

    def _get(self, cls: type[A], aggregate_id: UUID, not_found: Callable[[UUID], NotFound]) -> A:
        try:
            aggregate = self.repository.get(aggregate_id)
        except AggregateNotFoundError:
            raise not_found(aggregate_id) from None
        if not isinstance(aggregate, cls):
            raise not_found(aggregate_id)
        return aggregate

    def get_user(self, user_id: UUID) -> User:
        return self._get(User, user_id, UserNotFound)

    def get_organisation(self, organisation_id: UUID) -> Organisation:
        return self._get(Organisation, organisation_id, OrganisationNotFound)

    def get_mailbox(self, mailbox_id: UUID) -> Mailbox:
        return self._get(Mailbox, mailbox_id, MailboxNotFound)

    def get_list(self, list_id: UUID) -> DistributionList:
        return self._get(DistributionList, list_id, DistributionListNotFound)

    # --------------------------------------------------------- permissions

    @staticmethod
    def _require_change(actor: Actor) -> None:
        if actor.role is Role.AUDITOR:
            raise PermissionDenied("auditors change nothing")

    @staticmethod
    def _require_service_administrator(actor: Actor) -> None:
        if not actor.is_service_administrator:
            raise PermissionDenied("only a service administrator may do this")

    def _require_administrator(self, actor: Actor) -> None:
        self._require_change(actor)
        if not actor.is_administrator:
            raise PermissionDenied("only an administrator may do this")

    def _require_administers(self, actor: Actor, organisation_id: UUID, not_found: NotFound) -> None:
        """Organisation administrators act on their own organisation only; anything
        else of theirs looks as if it did not exist (no existence leak)."""
        self._require_change(actor)
        if actor.is_service_administrator:
            return
        if actor.role is not Role.ORGANISATION_ADMINISTRATOR:
            raise PermissionDenied("only an administrator may do this")
        if actor.organisation_id != organisation_id:
            raise not_found

    def _administered_user(self, actor: Actor, user_id: UUID) -> User:
        self._require_administrator(actor)
        user = self.get_user(user_id)
        self._require_administers(actor, user.organisation_id, UserNotFound(user_id))
        return user

    def _administered_organisation(self, actor: Actor, organisation_id: UUID) -> Organisation:
        self._require_administrator(actor)
        self._require_administers(actor, organisation_id, OrganisationNotFound(organisation_id))
        return self.get_organisation(organisation_id)

    def _own_user(self, actor: Actor) -> User:
        self._require_change(actor)
        return self.get_user(UUID(actor.id))

    def _own_credentials(self, actor: Actor) -> User:
        """Anyone, auditors included, looks after their own password and security information."""
        return self.get_user(UUID(actor.id))

    # -------------------------------------------------------------- claims

    def _existing_claims(self, claim_cls: ClaimKind, values: Iterable[str]) -> dict[str, Claim]:
        """The claims that exist (held or released) among ``values``, in one query."""
        ids = {claim_cls.id_for(v): v.strip().lower() for v in values}
        if not ids:
            return {}
        record = self.recorder.events_record_cls
        with self.recorder.transaction(commit=False) as session:
            found = set(
                session.execute(
                    select(record.originator_id).where(record.originator_id.in_(list(ids)), record.originator_version == 1)
                ).scalars()
            )
        return {ids[i]: self.repository.get(i) for i in found}

    def _free_values(self, claim_cls: ClaimKind, values: Iterable[str]) -> set[str]:
        values = {v.strip().lower() for v in values}
        existing = self._existing_claims(claim_cls, values)
        return {v for v in values if v not in existing or not existing[v].is_held}

    def _claim(self, claim_cls: ClaimKind, value: str, owner_kind: str, owner_id: UUID, by: Actor, at: datetime, existing: dict[str, Claim]) -> Claim:
        value = value.strip().lower()
        claim = existing.get(value)
        if claim is None:
            return claim_cls.claim_new(value, owner_kind, owner_id, by, at)
        if claim.is_held:
            # Free when planned, taken by a concurrent command since: re-plan on fresh state.
            raise IntegrityError(f"{value} was claimed concurrently")
        claim.reclaim(owner_kind, owner_id, by, at)
        return claim

    def _claim_one(self, claim_cls: ClaimKind, value: str, owner_kind: str, owner_id: UUID, by: Actor, at: datetime, taken: Callable[[str], DomainError]) -> Claim:
        existing = self._existing_claims(claim_cls, [value])
        claim = existing.get(value.strip().lower())
        if claim is not None and claim.is_held:
            raise taken(value)
        return self._claim(claim_cls, value, owner_kind, owner_id, by, at, existing)

    def _lowest_free(self, claim_cls: ClaimKind, bases: Sequence[str], render: Callable[[str], str], reserved: set[str]) -> list[str]:
        """For each base, the lowest-numbered rendering not held in the store nor ``reserved``."""
        chosen: list[str | None] = [None] * len(bases)
        candidates = [numbered(b) for b in bases]
        pending = {i: render(next(candidates[i])) for i in range(len(bases))}
        while pending:
            free = self._free_values(claim_cls, pending.values())
            retry = {}
            for i, value in pending.items():
                if value in free and value not in reserved:
                    chosen[i] = value
                    reserved.add(value)
                else:
                    retry[i] = render(next(candidates[i]))
            pending = retry
        return [c for c in chosen if c is not None]

    def _release(self, claim_cls: ClaimKind, value: str, owner_id: UUID, by: Actor, at: datetime) -> Claim | None:
        try:
            claim = self.repository.get(claim_cls.id_for(value))
        except AggregateNotFoundError:
            return None
        if claim.owner_id != owner_id:
            return None
        claim.release(owner_id, by, at)
        return claim

    # -------------------------------------------------------- organisations

    def bootstrap(self, at: datetime) -> tuple[str, str] | None:
        """On an empty store: the service organisation and a first service
        administrator; returns its username and one-time password, once."""
        if self._existing_claims(OrganisationCodeClaim, [SERVICE_ORGANISATION_CODE]):
            return None
        actor = system_actor("bootstrap")
        organisation_id = self.register_organisation(actor, at, name="Secure eMail service", code=SERVICE_ORGANISATION_CODE, account_type=AccountType.MAILBOX)
        created = self.add_users(actor, at, organisation_id, [NewUser("Service", "Administrator")], kind=UserKind.SERVICE_ADMINISTRATOR)
        return created[0].username, created[0].one_time_password or ""

    def service_organisation_id(self) -> UUID | None:
        claims = self._existing_claims(OrganisationCodeClaim, [SERVICE_ORGANISATION_CODE])
        claim = claims.get(SERVICE_ORGANISATION_CODE)
        return claim.owner_id if claim else None

    def register_organisation(self, actor: Actor, at: datetime, *, name: str, code: str, account_type: str, domains: Sequence[str] = ()) -> UUID:
        self._require_service_administrator(actor)
        code = check_organisation_code(code)
        domains = [check_domain(f"domains[{i}]", d) for i, d in enumerate(domains)]
        organisation_id = self.new_id()

        def work(session: Session) -> UUID:
            organisation = Organisation.register(id=organisation_id, name=name, code=code, account_type=account_type, domains=domains, by=actor, at=at)
            claim = self._claim_one(OrganisationCodeClaim, code, "organisation", organisation_id, actor, at, OrganisationCodeTaken)
            self._save(session, organisation, claim)
            return organisation_id

        return self._command(work)

    def appoint_administrator(self, actor: Actor, at: datetime, organisation_id: UUID, user_id: UUID) -> None:
        self._require_service_administrator(actor)

        def work(session: Session) -> None:
            organisation = self.get_organisation(organisation_id)
            user = self.get_user(user_id)
            if user.organisation_id != organisation_id:
                raise RuleViolated("an administrator must be a user of the organisation")
            if user.deleted or user.purged:
                raise RuleViolated("a deleted user cannot be appointed administrator")
            organisation.appoint_administrator(user_id, actor, at)
            self._save(session, organisation)

        self._command(work)

    def revoke_administrator(self, actor: Actor, at: datetime, organisation_id: UUID, user_id: UUID) -> None:
        self._require_service_administrator(actor)

        def work(session: Session) -> None:
            organisation = self.get_organisation(organisation_id)
            organisation.revoke_administrator(user_id, actor, at)
            self._save(session, organisation)

        self._command(work)

    def suspend_organisation(self, actor: Actor, at: datetime, organisation_id: UUID, message: str | None = None) -> None:
        def work(session: Session) -> None:
            organisation = self._administered_organisation(actor, organisation_id)
            organisation.suspend(message, actor, at)
            self._save(session, organisation)

        self._command(work)

    def unsuspend_organisation(self, actor: Actor, at: datetime, organisation_id: UUID) -> None:
        def work(session: Session) -> None:
            organisation = self._administered_organisation(actor, organisation_id)
            organisation.unsuspend(actor, at)
            self._save(session, organisation)

        self._command(work)

    # ---------------------------------------------------------------- users

    def add_users(
        self,
        actor: Actor,
        at: datetime,
        organisation_id: UUID,
        rows: Sequence[NewUser],
        *,
        dry_run: bool = False,
        kind: str = UserKind.PERSON,
    ) -> list[CreatedUser]:
        """Creates up to 500 users at once, or none: every row is validated first."""
        if kind != UserKind.PERSON:
            self._require_service_administrator(actor)
        if not rows:
            raise InvalidValue("users", "give at least one user")
        if len(rows) > MAX_BULK:
            raise InvalidValue("users", f"at most {MAX_BULK} users can be added at once; got {len(rows)}")

        def work(session: Session) -> list[CreatedUser]:
            organisation = self._administered_organisation(actor, organisation_id)
            plans = self._plan_users(organisation, rows)
            expires_at = at + self.settings.one_time_password_lifetime
            created: list[CreatedUser] = []
            aggregates: list[SemaAggregate] = []
            otp_rows: list[dict[str, object]] = []
            address_claims = self._existing_claims(AddressClaim, [a for p in plans for a in p["addresses"]])
            username_claims = self._existing_claims(UsernameClaim, [p["username"] for p in plans])
            for plan in plans:
                row: NewUser = plan["row"]
                user_id = self.new_id()
                mailbox_id = self.new_id() if organisation.hosts_mailboxes else None
                otp = None if dry_run else self.secrets.one_time_password()
                if not dry_run:
                    user = User.register(
                        id=user_id,
                        organisation_id=organisation.id,
                        kind=kind,
                        username=plan["username"],
                        first_name=row.first_name.strip(),
                        last_name=row.last_name.strip(),
                        primary_address=plan["address"],
                        original_address=plan["original_address"],
                        old_style_address=plan["old_style_address"],
                        mailbox_id=mailbox_id,
                        directory=plan["directory"],
                        ex_directory=row.ex_directory,
                        one_time_password_expires_at=expires_at,
                        by=actor,
                        at=at,
                    )
                    aggregates.append(user)
                    if mailbox_id is not None:
                        aggregates.append(Mailbox.create_personal(id=mailbox_id, organisation_id=organisation.id, owner_id=user_id, by=actor, at=at))
                    for address in plan["addresses"]:
                        aggregates.append(self._claim(AddressClaim, address, "user", user_id, actor, at, address_claims))
                    aggregates.append(self._claim(UsernameClaim, plan["username"], "user", user_id, actor, at, username_claims))
                    otp_rows.append(self.credentials.one_time_password_row(user_id, otp, at))
                created.append(
                    CreatedUser(
                        row=plan["index"],
                        user_id=user_id,
                        username=plan["username"],
                        address=plan["address"],
                        aliases=[plan["old_style_address"]] if plan["old_style_address"] else [],
                        mailbox_id=mailbox_id,
                        one_time_password=otp,
                        one_time_password_expires_at=expires_at,
                    )
                )
            if not dry_run:
                self.credentials.set_one_time_passwords(session, otp_rows)
                self._save(session, *aggregates)
            return created

        return self._command(work)

    def _plan_users(self, organisation: Organisation, rows: Sequence[NewUser]) -> list[dict[str, Any]]:
        """Validates every row and allocates addresses and usernames; raises with
        every problem (row number and field) at once."""
        domain = self.settings.service_domain
        errors: list[dict[str, Any]] = []
        plans: list[dict[str, Any]] = []
        seen: dict[str, int] = {}

        def problem(index: int, field_name: str, message: str) -> None:
            errors.append({"row": index, "field": field_name, "message": message})

        for index, row in enumerate(rows, start=1):
            plan: dict[str, Any] = {"index": index, "row": row, "original_address": None, "old_style_address": None}
            try:
                plan["local_part"] = new_style_local_part(row.first_name, row.last_name)
            except InvalidValue as error:
                problem(index, error.field, error.message.split(": ", 1)[1])
                continue
            unknown = set(row.directory) - set(DIRECTORY_FIELDS)
            if unknown:
                problem(index, f"directory.{sorted(unknown)[0]}", f"not a directory field; use one of {', '.join(DIRECTORY_FIELDS)}")
            plan["directory"] = {k: v.strip() for k, v in row.directory.items() if v and v.strip()}
            fixed: list[str] = []
            if organisation.account_type in AccountType.RELAYING:
                if not row.original_address:
                    problem(index, "original_address", f"required for an {organisation.account_type} organisation")
                    continue
                try:
                    original = check_email("original_address", row.original_address)
                except InvalidValue as error:
                    problem(index, "original_address", error.message.split(": ", 1)[1])
                    continue
                if not in_domains(original, organisation.domains):
                    problem(index, "original_address", f"must be in one of the organisation's domains: {', '.join(organisation.domains)}")
                    continue
                plan["original_address"] = original
                try:
                    plan["address"] = relay_address(original, domain)
                except InvalidValue as error:
                    problem(index, "original_address", error.message.split(": ", 1)[1])
                    continue
                fixed.append(plan["address"])
            elif row.original_address:
                problem(index, "original_address", "only smtp and gsc organisations relay to an original address")
            if row.old_style_address:
                old = row.old_style_address.strip().lower()
                if organisation.account_type != AccountType.MAILBOX or not is_old_style_address(old, organisation.code, domain):
                    problem(index, "old_style_address", f"must look like firstlast-{organisation.code}@{domain} (mailbox organisations only)")
                    continue
                try:
                    old = check_email("old_style_address", old)
                except InvalidValue as error:
                    problem(index, "old_style_address", error.message.split(": ", 1)[1])
                    continue
                plan["old_style_address"] = old
                fixed.append(old)
            for address in fixed:
                if address in seen:
                    problem(index, "original_address" if address == plan.get("address") else "old_style_address", f"{address} is also in row {seen[address]}")
                seen[address] = index
            plan["fixed"] = fixed
            plans.append(plan)

        taken = {a for a, c in self._existing_claims(AddressClaim, list(seen)).items() if c.is_held}
        for plan in plans:
            for address in plan["fixed"]:
                if address in taken:
                    field_name = "old_style_address" if address == plan["old_style_address"] else "original_address"
                    problem(plan["index"], field_name, f"the address {address} is already in use")
        if errors:
            raise BulkValidationFailed(sorted(errors, key=lambda e: e["row"]))

        reserved = set(seen)
        mailbox_plans = [p for p in plans if organisation.account_type == AccountType.MAILBOX]
        addresses = self._lowest_free(
            AddressClaim, [p["local_part"] for p in mailbox_plans], lambda local: new_style_address(local, organisation.code, domain), reserved
        )
        for plan, address in zip(mailbox_plans, addresses):
            plan["address"] = address
        usernames = self._lowest_free(UsernameClaim, [p["local_part"] for p in plans], lambda u: u, set())
        for plan, username in zip(plans, usernames):
            plan["username"] = username
            plan["addresses"] = [plan["address"]] + ([plan["old_style_address"]] if plan["old_style_address"] else [])
        return plans

    def change_statuses(self, actor: Actor, at: datetime, user_ids: Sequence[UUID], action: str) -> list[Outcome]:
        """Multiple status change: one outcome per user; all changes commit together."""
        if action not in STATUS_ACTIONS:
            raise InvalidValue("action", f"must be one of {', '.join(STATUS_ACTIONS)}")
        if not user_ids:
            raise InvalidValue("user_ids", "select at least one user")
        change = STATUS_ACTIONS[action]
        self._require_administrator(actor)

        def work(session: Session) -> list[Outcome]:
            outcomes, changed = [], []
            for user_id in dict.fromkeys(user_ids):
                try:
                    user = self._administered_user(actor, user_id)
                    if actor.id == str(user_id) and action in ("suspend", "delete"):
                        raise RuleViolated("administrators cannot suspend or delete themselves")
                    change(user, actor, at)
                except AlreadySo as error:
                    outcomes.append(Outcome(user_id, "already_so", error.message))
                except NotFound:
                    outcomes.append(Outcome(user_id, "refused", "no such user in your organisation"))
                except DomainError as error:
                    outcomes.append(Outcome(user_id, "refused", error.message))
                else:
                    outcomes.append(Outcome(user_id, "changed"))
                    changed.append(user)
            self._save(session, *changed)
            return outcomes

        return self._command(work)

    def change_details(self, actor: Actor, at: datetime, user_ids: Sequence[UUID], details: dict[str, str]) -> list[Outcome]:
        """Multiple details change: the same directory details for every selected user."""
        if not user_ids:
            raise InvalidValue("user_ids", "select at least one user")
        if not details:
            raise InvalidValue("details", "give at least one detail to set")
        self._require_administrator(actor)

        def work(session: Session) -> list[Outcome]:
            outcomes, changed = [], []
            for user_id in dict.fromkeys(user_ids):
                try:
                    user = self._administered_user(actor, user_id)
                    user.change_directory_details(details, actor, at)
                except AlreadySo as error:
                    outcomes.append(Outcome(user_id, "already_so", error.message))
                except InvalidValue:
                    raise
                except NotFound:
                    outcomes.append(Outcome(user_id, "refused", "no such user in your organisation"))
                except DomainError as error:
                    outcomes.append(Outcome(user_id, "refused", error.message))
                else:
                    outcomes.append(Outcome(user_id, "changed"))
                    changed.append(user)
            self._save(session, *changed)
            return outcomes

        return self._command(work)

    def change_last_name(self, actor: Actor, at: datetime, user_id: UUID, last_name: str) -> str:
        """Returns the user's secure address afterwards; a mailbox user's old address stays as an alias."""

        def work(session: Session) -> str:
            user = self._administered_user(actor, user_id)
            user.change_last_name(last_name, actor, at)
            claims: list[Claim] = []
            organisation = self.get_organisation(user.organisation_id)
            if organisation.hosts_mailboxes:
                local = new_style_local_part(user.first_name, user.last_name)
                current_local = user.primary_address.split("@", 1)[0]
                # The address changes only if it is no longer a (numbered) rendering of the name.
                suffix = current_local[len(local) :] if current_local.startswith(local) else "?"
                if suffix and not suffix.isdigit():
                    (address,) = self._lowest_free(
                        AddressClaim, [local], lambda lp: new_style_address(lp, organisation.code, self.settings.service_domain), set()
                    )
                    claims.append(self._claim(AddressClaim, address, "user", user.id, actor, at, self._existing_claims(AddressClaim, [address])))
                    user.change_secure_address(address, actor, at)
            self._save(session, user, *claims)
            return user.primary_address

        return self._command(work)

    def change_original_address(self, actor: Actor, at: datetime, user_id: UUID, original_address: str) -> str:
        """smtp/gsc users: a new original address gives a new secure address; the old one stays as an alias."""
        original = check_email("original_address", original_address)

        def work(session: Session) -> str:
            user = self._administered_user(actor, user_id)
            organisation = self.get_organisation(user.organisation_id)
            if organisation.account_type not in AccountType.RELAYING:
                raise RuleViolated("only smtp and gsc users have an original address")
            if not in_domains(original, organisation.domains):
                raise InvalidValue("original_address", f"must be in one of the organisation's domains: {', '.join(organisation.domains)}")
            address = relay_address(original, self.settings.service_domain)
            claim = self._claim_one(AddressClaim, address, "user", user.id, actor, at, AddressTaken)
            user.change_secure_address(address, actor, at, original_address=original)
            self._save(session, user, claim)
            return address

        return self._command(work)

    def remove_alias(self, actor: Actor, at: datetime, user_id: UUID, address: str) -> None:
        address = address.strip().lower()

        def work(session: Session) -> None:
            user = self._administered_user(actor, user_id)
            user.remove_alias(address, actor, at)
            self._save(session, user, self._release(AddressClaim, address, user.id, actor, at))

        self._command(work)

    def purge_user(self, actor: Actor, at: datetime, user_id: UUID) -> None:
        """After the undelete period: the user, their mailbox and credentials go;
        their addresses and username are released."""
        self._require_service_administrator(actor)

        def work(session: Session) -> None:
            user = self.get_user(user_id)
            addresses = user.addresses
            user.purge(actor, at)
            mailbox = None
            if user.mailbox_id is not None:
                mailbox = self.get_mailbox(user.mailbox_id)
                if not mailbox.purged:
                    mailbox.purge(actor, at)
            released = [self._release(AddressClaim, a, user.id, actor, at) for a in addresses]
            released.append(self._release(UsernameClaim, user.username, user.id, actor, at))
            self.credentials.forget(session, user.id)
            self._save(session, user, mailbox, *released)

        self._command(work)

    def expire_one_time_password(self, actor: Actor, at: datetime, user_id: UUID) -> None:
        self._require_service_administrator(actor)

        def work(session: Session) -> None:
            user = self.get_user(user_id)
            user.expire_one_time_password(actor, at)
            self.credentials.forget_one_time_password(session, user.id)
            self._save(session, user)

        self._command(work)

    # -------------------------------------------------- log-in and self-service

    def find_user_id(self, username: str) -> UUID | None:
        claim = self._existing_claims(UsernameClaim, [username]).get(username.strip().lower())
        return claim.owner_id if claim is not None and claim.is_held else None

    def log_in(self, username: str, password: str, at: datetime, request_id: str | None = None) -> LogInResult:
        """Unknown username and wrong password fail the same way (and take as long)."""
        user_id = self.find_user_id(username)
        if user_id is None:
            self.credentials.burn_time_as_if_verifying()
            raise InvalidCredentials()
        with self.recorder.transaction(commit=False) as session:
            matched = self.credentials.verify_password(session, user_id, password)
        actor = Actor(id=str(user_id), role=Role.USER, request_id=request_id)

        def work(session: Session) -> LogInResult | None:
            user = self.get_user(user_id)
            if matched is None:
                user.fail_log_in(actor, at, self.settings.max_failed_log_ins)
                self._save(session, user)
                return None
            user.log_in(actor, at, with_one_time_password=matched == ONE_TIME_PASSWORD)
            self._save(session, user)
            return LogInResult(
                user_id=user.id,
                username=user.username,
                organisation_id=user.organisation_id,
                role=self._role_of(user),
                must_change_password=user.must_change_password,
                must_set_security_information=user.must_set_security_information,
            )

        result = self._command(work)
        if result is None:
            raise InvalidCredentials()
        return result

    def _role_of(self, user: User) -> Role:
        if user.kind == UserKind.SERVICE_ADMINISTRATOR:
            return Role.SERVICE_ADMINISTRATOR
        if user.kind == UserKind.AUDITOR:
            return Role.AUDITOR
        if self.get_organisation(user.organisation_id).is_administrator(user.id):
            return Role.ORGANISATION_ADMINISTRATOR
        return Role.USER

    def current_role(self, user_id: UUID) -> Role:
        return self._role_of(self.get_user(user_id))

    def complete_first_log_in(self, actor: Actor, at: datetime, new_password: str, security_answers: dict[str, str] | None) -> None:
        """Replaces the one-time password and, where needed, sets security information."""
        user = self._own_credentials(actor)

        def answers_given() -> None:
            if user.must_set_security_information and not security_answers:
                raise InvalidValue("security_answers", "answer three security questions")
            if security_answers:
                check_questions(list(security_answers))
                check_answers(security_answers)

        InvalidValues.check(lambda: check_new_password("new_password", new_password, user.username), answers_given)
        answers = check_answers(security_answers) if security_answers else None

        def work(session: Session) -> None:
            user = self._own_credentials(actor)
            if not user.must_change_password and not user.must_set_security_information:
                raise AlreadySo("the account is already activated")
            if not user.security_questions and answers:
                user.activate(list(answers), actor, at)
            else:
                if user.must_change_password:
                    user.change_password(actor, at)
                if answers:
                    user.set_security_information(list(answers), actor, at)
            self.credentials.set_password(session, user.id, new_password, at)
            if answers:
                self.credentials.set_answers(session, user.id, answers, at)
            self._save(session, user)

        self._command(work)

    def change_password(self, actor: Actor, at: datetime, current_password: str, new_password: str) -> None:
        user = self._own_credentials(actor)
        check_new_password("new_password", new_password, user.username)
        with self.recorder.transaction(commit=False) as session:
            if self.credentials.verify_password(session, user.id, current_password) is None:
                raise InvalidValue("current_password", "is not correct")

        def work(session: Session) -> None:
            user = self._own_credentials(actor)
            user.change_password(actor, at)
            self.credentials.set_password(session, user.id, new_password, at)
            self._save(session, user)

        self._command(work)

    def set_security_information(self, actor: Actor, at: datetime, security_answers: dict[str, str]) -> None:
        answers = check_answers(security_answers)

        def work(session: Session) -> None:
            user = self._own_credentials(actor)
            user.set_security_information(list(answers), actor, at)
            self.credentials.set_answers(session, user.id, answers, at)
            self._save(session, user)

        self._command(work)

    # ----------------------------------------- authenticating and resetting

    def issue_challenge(self, actor: Actor, at: datetime, user_id: UUID) -> ChallengePrompt:
        """Random letter positions from at least two answers, avoiding revealed ones."""
        challenge_id = self.new_id()
        expires_at = at + self.settings.challenge_lifetime

        def work(session: Session) -> ChallengePrompt:
            user = self._administered_user(actor, user_id)
            lengths = self.credentials.answer_lengths(session, user.id)
            positions = self._choose_positions(lengths, user.revealed)
            user.issue_challenge(challenge_id, positions, lengths, expires_at, actor, at)
            self._save(session, user)
            return ChallengePrompt(challenge_id, positions, expires_at)

        return self._command(work)

    def _choose_positions(self, lengths: dict[str, int], revealed: dict[str, list[int]]) -> list[tuple[str, int]]:
        rng = self.secrets.rng
        unrevealed = {q: [p for p in range(1, n + 1) if p not in revealed.get(q, [])] for q, n in lengths.items()}
        usable = [q for q, ps in unrevealed.items() if ps]
        if len(usable) < 2:
            raise RuleViolated("too many letters have been revealed; the user must set new security information")
        count = max(2, min(self.settings.challenge_letters, sum(len(unrevealed[q]) for q in usable)))
        questions = rng.sample(usable, 2)
        while len(questions) < count:
            questions.append(rng.choice(usable))
        picked: list[tuple[str, int]] = []
        for question in questions:
            left = [p for p in unrevealed[question] if (question, p) not in picked]
            if left:
                picked.append((question, rng.choice(left)))
        return sorted(picked)

    def answer_challenge(self, actor: Actor, at: datetime, user_id: UUID, challenge_id: UUID, letters: Sequence[str]) -> bool:
        """Pass or fail only; which letter was wrong is never told."""

        def work(session: Session) -> bool:
            user = self._administered_user(actor, user_id)
            challenge = user.open_challenge(challenge_id, at)
            positions = [(q, p) for q, p in challenge["positions"]]
            passed = self.credentials.letters_match(session, user.id, positions, list(letters))
            if passed:
                user.pass_challenge(challenge_id, actor, at)
            else:
                user.fail_challenge(challenge_id, actor, at, self.settings.max_failed_challenges)
            self._save(session, user)
            return passed

        return self._command(work)

    def expire_challenge(self, actor: Actor, at: datetime, user_id: UUID) -> None:
        self._require_service_administrator(actor)

        def work(session: Session) -> None:
            user = self.get_user(user_id)
            user.expire_challenge(actor, at)
            self._save(session, user)

        self._command(work)

    def reset_password(self, actor: Actor, at: datetime, user_id: UUID) -> tuple[str, datetime]:
        """After a passed challenge: a new one-time password; the old password stops working."""
        otp = self.secrets.one_time_password()
        expires_at = at + self.settings.one_time_password_lifetime

        def work(session: Session) -> tuple[str, datetime]:
            user = self._administered_user(actor, user_id)
            user.reset_password(expires_at, actor, at, self.settings.passed_challenge_validity)
            self.credentials.set_one_time_passwords(session, [self.credentials.one_time_password_row(user.id, otp, at)])
            self._save(session, user)
            return otp, expires_at

        return self._command(work)

    # ------------------------------------------------------ exceptional access

    def _grant_holder(self, kind: str, target_id: UUID) -> User | Mailbox:
        if kind == "mailbox_access":
            return self.get_mailbox(target_id)
        if kind == "user_reset":
            return self.get_user(target_id)
        raise InvalidValue("kind", "must be mailbox_access or user_reset")

    def request_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, reason: str) -> UUID:
        """An administrator asks; a service administrator will decide."""
        grant_id = self.new_id()

        def work(session: Session) -> UUID:
            holder = self._grant_holder(kind, target_id)
            not_found = MailboxNotFound(target_id) if isinstance(holder, Mailbox) else UserNotFound(target_id)
            if not actor.is_administrator:
                raise PermissionDenied("only an administrator may request exceptional access")
            self._require_administers(actor, holder.organisation_id, not_found)
            if isinstance(holder, Mailbox) and holder.kind != MailboxKind.PERSONAL:
                raise RuleViolated("exceptional access is to a user's personal mailbox")
            holder.request_exceptional_access(grant_id, reason, actor, at)
            self._save(session, holder)
            return grant_id

        return self._command(work)

    def decide_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID, approve: bool, reason: str = "") -> None:
        self._require_service_administrator(actor)
        self._require_change(actor)

        def work(session: Session) -> None:
            holder = self._grant_holder(kind, target_id)
            if approve:
                holder.grant_exceptional_access(grant_id, at + self.settings.exceptional_access_lifetime, actor, at)
            else:
                holder.refuse_exceptional_access(grant_id, reason, actor, at)
            self._save(session, holder)

        self._command(work)

    def revoke_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID) -> None:
        def work(session: Session) -> None:
            holder = self._grant_holder(kind, target_id)
            not_found = MailboxNotFound(target_id) if isinstance(holder, Mailbox) else UserNotFound(target_id)
            if not actor.is_administrator:
                raise PermissionDenied("only an administrator may revoke exceptional access")
            self._require_administers(actor, holder.organisation_id, not_found)
            holder.revoke_exceptional_access(grant_id, actor, at)
            self._save(session, holder)

        self._command(work)

    def expire_exceptional_access(self, actor: Actor, at: datetime, kind: str, target_id: UUID, grant_id: UUID) -> None:
        self._require_service_administrator(actor)

        def work(session: Session) -> None:
            holder = self._grant_holder(kind, target_id)
            holder.expire_exceptional_access(grant_id, actor, at)
            self._save(session, holder)

        self._command(work)

    def reset_user(self, actor: Actor, at: datetime, user_id: UUID, grant_id: UUID) -> tuple[str, datetime]:
        """Under an approved exceptional-access grant: security information cleared,
        a new one-time password, back to pending activation."""
        otp = self.secrets.one_time_password()
        expires_at = at + self.settings.one_time_password_lifetime

        def work(session: Session) -> tuple[str, datetime]:
            user = self._administered_user(actor, user_id)
            user.reset(grant_id, expires_at, actor, at)
            self.credentials.clear_answers(session, user.id)
            self.credentials.set_one_time_passwords(session, [self.credentials.one_time_password_row(user.id, otp, at)])
            self._save(session, user)
            return otp, expires_at

        return self._command(work)

    # ------------------------------------------------------------ mailboxes

    def create_group_mailbox(self, actor: Actor, at: datetime, organisation_id: UUID, name: str, local_part: str) -> tuple[UUID, str]:
        mailbox_id = self.new_id()

        def work(session: Session) -> tuple[UUID, str]:
            organisation = self._administered_organisation(actor, organisation_id)
            organisation.require_mailboxes()
            address = self._service_address(organisation, local_part)
            mailbox = Mailbox.create_group(id=mailbox_id, organisation_id=organisation.id, name=name, address=address, by=actor, at=at)
            claim = self._claim_one(AddressClaim, address, "group_mailbox", mailbox_id, actor, at, AddressTaken)
            self._save(session, mailbox, claim)
            return mailbox_id, address

        return self._command(work)

    def _service_address(self, organisation: Organisation, local_part: str) -> str:
        local = local_part.strip().lower()
        if not local or fold(local.replace(".", "-")) != local.replace(".", "-") or local.startswith(".") or local.endswith("."):
            raise InvalidValue("local_part", "use lower-case letters, digits, dots and hyphens")
        return new_style_address(local, organisation.code, self.settings.service_domain)

    def _administered_mailbox(self, actor: Actor, mailbox_id: UUID) -> Mailbox:
        self._require_administrator(actor)
        mailbox = self.get_mailbox(mailbox_id)
        self._require_administers(actor, mailbox.organisation_id, MailboxNotFound(mailbox_id))
        return mailbox

    def grant_mailbox_permission(self, actor: Actor, at: datetime, mailbox_id: UUID, user_id: UUID, permission: str) -> None:
        def work(session: Session) -> None:
            mailbox = self._administered_mailbox(actor, mailbox_id)
            user = self.get_user(user_id)
            if user.organisation_id != mailbox.organisation_id or user.purged:
                raise UserNotFound(user_id)
            mailbox.grant_permission(user_id, permission, actor, at)
            self._save(session, mailbox)

        self._command(work)

    def revoke_mailbox_permission(self, actor: Actor, at: datetime, mailbox_id: UUID, user_id: UUID, permission: str) -> None:
        def work(session: Session) -> None:
            mailbox = self._administered_mailbox(actor, mailbox_id)
            mailbox.revoke_permission(user_id, permission, actor, at)
            self._save(session, mailbox)

        self._command(work)

    def record_mailbox_use(self, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        """The webmail reports use; the owner, a permission holder or the service may record it."""
        self._require_change(actor)

        def work(session: Session) -> None:
            mailbox = self.get_mailbox(mailbox_id)
            allowed = actor.is_service_administrator or str(mailbox.owner_id) == actor.id or actor.id in mailbox.permissions
            if not allowed:
                raise MailboxNotFound(mailbox_id)
            mailbox.record_use(actor, at)
            self._save(session, mailbox)

        self._command(work)

    def send_inactivity_alert(self, actor: Actor, at: datetime, mailbox_id: UUID) -> None:
        self._require_service_administrator(actor)

        def work(session: Session) -> None:
            mailbox = self.get_mailbox(mailbox_id)
            mailbox.send_inactivity_alert(actor, at)
            self._save(session, mailbox)

        self._command(work)

    # ------------------------------------------------------ distribution lists

    def create_distribution_list(self, actor: Actor, at: datetime, organisation_id: UUID, name: str, local_part: str, member_ids: Sequence[UUID] = ()) -> tuple[UUID, str]:
        list_id = self.new_id()

        def work(session: Session) -> tuple[UUID, str]:
            organisation = self._administered_organisation(actor, organisation_id)
            address = self._service_address(organisation, local_part)
            dl = DistributionList.create(id=list_id, organisation_id=organisation.id, name=name, address=address, by=actor, at=at)
            claim = self._claim_one(AddressClaim, address, "distribution_list", list_id, actor, at, AddressTaken)
            for member_id in dict.fromkeys(member_ids):
                self._require_member(member_id)
                dl.add_member(member_id, actor, at)
            self._save(session, dl, claim)
            return list_id, address

        return self._command(work)

    def _require_member(self, user_id: UUID) -> None:
        user = self.get_user(user_id)
        if user.purged or user.kind != UserKind.PERSON:
            raise UserNotFound(user_id)

    def _administered_list(self, actor: Actor, list_id: UUID) -> DistributionList:
        self._require_administrator(actor)
        dl = self.get_list(list_id)
        self._require_administers(actor, dl.organisation_id, DistributionListNotFound(list_id))
        return dl

    def rename_distribution_list(self, actor: Actor, at: datetime, list_id: UUID, name: str) -> None:
        def work(session: Session) -> None:
            dl = self._administered_list(actor, list_id)
            dl.rename(name, actor, at)
            self._save(session, dl)

        self._command(work)

    def add_list_member(self, actor: Actor, at: datetime, list_id: UUID, user_id: UUID) -> None:
        def work(session: Session) -> None:
            dl = self._administered_list(actor, list_id)
            self._require_member(user_id)
            dl.add_member(user_id, actor, at)
            self._save(session, dl)

        self._command(work)

    def remove_list_member(self, actor: Actor, at: datetime, list_id: UUID, user_id: UUID) -> None:
        def work(session: Session) -> None:
            dl = self._administered_list(actor, list_id)
            dl.remove_member(user_id, actor, at)
            self._save(session, dl)

        self._command(work)

    def delete_distribution_list(self, actor: Actor, at: datetime, list_id: UUID) -> None:
        def work(session: Session) -> None:
            dl = self._administered_list(actor, list_id)
            dl.delete(actor, at)
            self._save(session, dl, self._release(AddressClaim, dl.address, dl.id, actor, at))

        self._command(work)

    # ---------------------------------------------------------- address book

    def save_address_book_entry(self, actor: Actor, at: datetime, entry_kind: str, entry_id: UUID) -> None:
        def work(session: Session) -> None:
            user = self._own_user(actor)
            if entry_kind == "user":
                entry: SemaAggregate = self.get_user(entry_id)
                if entry.purged or entry.deleted:
                    raise UserNotFound(entry_id)
            elif entry_kind == "distribution_list":
                entry = self.get_list(entry_id)
            elif entry_kind == "group_mailbox":
                entry = self.get_mailbox(entry_id)
                if entry.kind != MailboxKind.GROUP:
                    raise MailboxNotFound(entry_id)
            else:
                raise InvalidValue("entry_kind", "must be user, distribution_list or group_mailbox")
            user.save_address_book_entry(entry_kind, entry.id, actor, at)
            self._save(session, user)

        self._command(work)

    def remove_address_book_entry(self, actor: Actor, at: datetime, entry_id: UUID) -> None:
        def work(session: Session) -> None:
            user = self._own_user(actor)
            user.remove_address_book_entry(entry_id, actor, at)
            self._save(session, user)

        self._command(work)
