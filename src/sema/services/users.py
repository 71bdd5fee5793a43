"""Users: adding them (one or 500, all or nothing), statuses and details of
many at once, names and addresses, and what time does to them (purge, expiry)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from uuid import UUID

from domain.actors import Actor
from domain.base import SemaAggregate
from domain.claims import AddressClaim, Claim, UsernameClaim
from domain.errors import AddressTaken, AlreadySo, BulkValidationFailed, DomainError, InvalidValue, NotFound
from domain.mailbox import Mailbox
from domain.naming import new_style_address, new_style_local_part, still_names
from domain.organisation import AccountType, Organisation
from domain.permissions import require_administrator, require_service_administrator
from domain.user import User, UserKind
from domain.user_plans import NewUser, RowProblem, UserPlan, plan_users, taken_address_problems
from sema.services.context import Service
from sema.services.results import CreatedUser, Outcome
from sema.services.runner import UnitOfWork, collector_paused, command

MAX_BULK = 500

STATUS_ACTIONS: dict[str, Callable[[User, Actor, datetime], None]] = {
    "suspend": User.suspend,
    "unsuspend": User.unsuspend,
    "delete": User.delete,
    "undelete": User.undelete,
    "unlock": User.unlock,
    "mark_ex_directory": User.mark_ex_directory,
    "unmark_ex_directory": User.unmark_ex_directory,
}


class Users(Service):
    # ---------------------------------------------------------------- adding

    def add(self, actor: Actor, at: datetime, organisation_id: UUID, rows: Sequence[NewUser], *, dry_run: bool = False, kind: str = UserKind.PERSON) -> list[CreatedUser]:
        """Creates up to 500 users at once, or none: every row is validated first."""
        if kind != UserKind.PERSON:
            require_service_administrator(actor)
        if not rows:
            raise InvalidValue("users", "give at least one user")
        if len(rows) > MAX_BULK:
            raise InvalidValue("users", f"at most {MAX_BULK} users can be added at once; got {len(rows)}")
        with collector_paused():
            return self._add(actor, at, organisation_id, rows, dry_run, kind)

    @command
    def _add(self, uow: UnitOfWork, actor: Actor, at: datetime, organisation_id: UUID, rows: Sequence[NewUser], dry_run: bool, kind: str) -> list[CreatedUser]:
        organisation = self.aggregates.administered_organisation(actor, organisation_id)
        if kind != UserKind.PERSON and organisation.id != self.aggregates.service_organisation_id():
            raise InvalidValue("kind", "service administrators and auditors belong to the service's own organisation")
        plans = self._plan(organisation, rows)
        expires_at = at + self.settings.one_time_password_lifetime
        address_claims = self.claims.existing(AddressClaim, [a for p in plans for a in p.addresses])
        username_claims = self.claims.existing(UsernameClaim, [p.username or "" for p in plans])
        created: list[CreatedUser] = []
        aggregates: list[SemaAggregate] = []
        otp_rows: list[dict[str, object]] = []
        for plan in plans:
            user_id = self.context.new_id()
            mailbox_id = self.context.new_id() if organisation.hosts_mailboxes else None
            otp = None if dry_run else self.context.secrets.one_time_password()
            if otp is not None:
                aggregates += self._register(organisation, plan, user_id, mailbox_id, kind, expires_at, actor, at, address_claims, username_claims)
                otp_rows.append(self.credentials.one_time_password_row(user_id, otp, at))
            created.append(
                CreatedUser(
                    row=plan.row,
                    user_id=user_id,
                    username=plan.username or "",
                    address=plan.addresses[0],
                    aliases=plan.addresses[1:],
                    mailbox_id=mailbox_id,
                    one_time_password=otp,
                    one_time_password_expires_at=expires_at,
                )
            )
        if not dry_run:
            self.credentials.set_one_time_passwords(uow.session, otp_rows)
            uow.save(*aggregates)
        return created

    def check(self, actor: Actor, organisation_id: UUID, rows: Sequence[NewUser | None]) -> list[RowProblem]:
        """Every problem adding these rows would be refused for, by row, adding no one.
        ``None`` is a row the caller refused already (it could not be read as a user):
        numbered, not checked. So one answer lists the caller's faults and the domain's."""
        organisation = self.aggregates.administered_organisation(actor, organisation_id)
        return self._checked(organisation, rows)[1]

    def _checked(self, organisation: Organisation, rows: Sequence[NewUser | None]) -> tuple[list[UserPlan], list[RowProblem]]:
        """The plans of the valid rows, and every problem of the others in row order."""
        plans, problems = plan_users(organisation, rows, self.settings.service_domain)
        fixed = [a for p in plans for a in p.fixed_addresses]
        problems += taken_address_problems(plans, self.claims.held(AddressClaim, fixed))
        return plans, sorted(problems, key=lambda p: p["row"])

    def _plan(self, organisation: Organisation, rows: Sequence[NewUser]) -> list[UserPlan]:
        """Every row validated (every problem reported at once), then usernames and
        new-style addresses allocated with the lowest free numbers."""
        domain = self.settings.service_domain
        plans, problems = self._checked(organisation, rows)
        if problems:
            raise BulkValidationFailed(problems)
        fixed = [a for p in plans for a in p.fixed_addresses]
        usernames = self.claims.lowest_free(UsernameClaim, [p.local_part for p in plans], lambda u: u, set())
        if organisation.account_type != AccountType.MAILBOX:
            return [plan.allocated(username) for plan, username in zip(plans, usernames)]
        addresses = self.claims.lowest_free(
            AddressClaim, [p.local_part for p in plans], lambda local: new_style_address(local, organisation.code, domain), set(fixed)
        )
        return [plan.allocated(username, address) for plan, username, address in zip(plans, usernames, addresses)]

    def _register(
        self,
        organisation: Organisation,
        plan: UserPlan,
        user_id: UUID,
        mailbox_id: UUID | None,
        kind: str,
        expires_at: datetime,
        actor: Actor,
        at: datetime,
        address_claims: dict[str, Claim],
        username_claims: dict[str, Claim],
    ) -> list[SemaAggregate]:
        """The user, their mailbox and their claims, ready to save."""
        assert plan.username is not None and plan.address is not None  # allocated by _plan
        user = User.register(
            id=user_id,
            organisation_id=organisation.id,
            kind=kind,
            username=plan.username,
            first_name=plan.first_name,
            last_name=plan.last_name,
            primary_address=plan.address,
            original_address=plan.original_address,
            old_style_address=plan.old_style_address,
            mailbox_id=mailbox_id,
            directory=plan.directory,
            ex_directory=plan.ex_directory,
            one_time_password_expires_at=expires_at,
            by=actor,
            at=at,
        )
        made: list[SemaAggregate] = [user]
        if mailbox_id is not None:
            made.append(Mailbox.create_personal(id=mailbox_id, organisation_id=organisation.id, owner_id=user_id, by=actor, at=at))
        made += [self.claims.claim(AddressClaim, address, "user", user_id, actor, at, address_claims) for address in plan.addresses]
        made.append(self.claims.claim(UsernameClaim, plan.username, "user", user_id, actor, at, username_claims))
        return made

    # ----------------------------------------------------- many users at once

    def change_statuses(self, actor: Actor, at: datetime, user_ids: Sequence[UUID], action: str) -> list[Outcome]:
        """Multiple status change: one outcome per user; all changes commit together."""
        if action not in STATUS_ACTIONS:
            raise InvalidValue("action", f"must be one of {', '.join(STATUS_ACTIONS)}")
        change = STATUS_ACTIONS[action]
        return self._change_each(actor, user_ids, lambda user: change(user, actor, at))

    def change_details(self, actor: Actor, at: datetime, user_ids: Sequence[UUID], details: dict[str, str]) -> list[Outcome]:
        """Multiple details change: the same directory details for every selected user."""
        if not details:
            raise InvalidValue("details", "give at least one detail to set")
        return self._change_each(actor, user_ids, lambda user: user.change_directory_details(details, actor, at))

    def _change_each(self, actor: Actor, user_ids: Sequence[UUID], change: Callable[[User], None]) -> list[Outcome]:
        if not user_ids:
            raise InvalidValue("user_ids", "select at least one user")
        require_administrator(actor)
        return self._apply_each(actor, user_ids, change)

    @command
    def _apply_each(self, uow: UnitOfWork, actor: Actor, user_ids: Sequence[UUID], change: Callable[[User], None]) -> list[Outcome]:
        outcomes, changed = [], []
        for user_id in dict.fromkeys(user_ids):
            try:
                user = self.aggregates.administered_user(actor, user_id)
                change(user)
            except AlreadySo as error:
                outcomes.append(Outcome(user_id=user_id, result="already_so", reason=error.message))
            except InvalidValue:
                raise  # the request itself is wrong, for every user alike
            except NotFound:
                outcomes.append(Outcome(user_id=user_id, result="refused", reason="no such user in your organisation"))
            except DomainError as error:
                outcomes.append(Outcome(user_id=user_id, result="refused", reason=error.message))
            else:
                outcomes.append(Outcome(user_id=user_id, result="changed"))
                changed.append(user)
        uow.save(*changed)
        return outcomes

    # ---------------------------------------------------- names and addresses

    @command
    def change_last_name(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID, last_name: str) -> str:
        """Returns the user's secure address afterwards; a mailbox user's old address stays as an alias."""
        return self._rename(uow, actor, at, user_id, lambda user: user.change_last_name(last_name, actor, at))

    @command
    def change_first_name(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID, first_name: str) -> str:
        """Returns the user's secure address afterwards; a mailbox user's old address stays as an alias."""
        return self._rename(uow, actor, at, user_id, lambda user: user.change_first_name(first_name, actor, at))

    def _rename(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID, change: Callable[[User], None]) -> str:
        """A mailbox user's address follows their names (a new one, the old kept as an alias); an smtp/gsc user's follows their original address."""
        user = self.aggregates.administered_user(actor, user_id)
        change(user)
        organisation = self.aggregates.organisation(user.organisation_id)
        claim = None
        if organisation.hosts_mailboxes and not still_names(user.primary_address, user.first_name, user.last_name):
            render = lambda local: new_style_address(local, organisation.code, self.settings.service_domain)  # noqa: E731
            # A name changed back (a typo corrected, a marriage undone): the user's
            # own alias that renders it becomes their address again, not a numbered one.
            domain = render("").split("@", 1)[1]
            own = [a for a in user.aliases if a.endswith("@" + domain) and still_names(a, user.first_name, user.last_name)]
            if own:
                address = own[0]
            else:
                (address,) = self.claims.lowest_free(AddressClaim, [new_style_local_part(user.first_name, user.last_name)], render, set())
                claim = self.claims.claim(AddressClaim, address, "user", user.id, actor, at, self.claims.existing(AddressClaim, [address]))
            user.change_secure_address(address, actor, at)
        uow.save(user, claim)
        return user.primary_address

    @command
    def change_original_address(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID, original_address: str) -> str:
        """smtp/gsc users: a new original address gives a new secure address; the old one stays as an alias."""
        user = self.aggregates.administered_user(actor, user_id)
        organisation = self.aggregates.organisation(user.organisation_id)
        original, address = organisation.relay_address_for(original_address, self.settings.service_domain)
        if address == user.primary_address:
            raise AlreadySo(f"the original address is already {original}")
        # Back to an earlier original address: the alias the user still holds is theirs again.
        claim = None if address in user.aliases else self.claims.claim_one(AddressClaim, address, "user", user.id, actor, at, AddressTaken)
        user.change_secure_address(address, actor, at, original_address=original)
        uow.save(user, claim)
        return address

    @command
    def remove_alias(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID, address: str) -> None:
        address = address.strip().lower()
        user = self.aggregates.administered_user(actor, user_id)
        user.remove_alias(address, actor, at)
        uow.save(user, self.claims.release(AddressClaim, address, user.id, actor, at))

    # ------------------------------------------------------------- time

    @command
    def purge(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID) -> None:
        """After the undelete period: the user, their mailbox, credentials and any
        appointment as an administrator go; their addresses and username are released."""
        require_service_administrator(actor)
        user = self.aggregates.user(user_id)
        addresses = user.addresses
        user.purge(actor, at)
        mailbox = None
        if user.mailbox_id is not None:
            mailbox = self.aggregates.mailbox(user.mailbox_id)
            if not mailbox.purged:
                mailbox.purge(actor, at)
        organisation = self.aggregates.organisation(user.organisation_id)
        if organisation.is_administrator(user.id):  # a purged user administers nothing
            organisation.revoke_administrator(user.id, actor, at, able=())
        else:
            organisation = None
        released = [self.claims.release(AddressClaim, a, user.id, actor, at) for a in addresses]
        released.append(self.claims.release(UsernameClaim, user.username, user.id, actor, at))
        self.credentials.forget(uow.session, user.id)
        uow.save(user, mailbox, organisation, *released)

    @command
    def reissue_one_time_password(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID) -> tuple[str, datetime]:
        """A user who never activated gets a new one-time password from their administrator."""
        user = self.aggregates.administered_user(actor, user_id)
        otp = self.context.secrets.one_time_password()
        expires_at = at + self.settings.one_time_password_lifetime
        user.reissue_one_time_password(expires_at, actor, at)
        self.credentials.set_one_time_passwords(uow.session, [self.credentials.one_time_password_row(user.id, otp, at)])
        uow.save(user)
        return otp, expires_at

    @command
    def expire_one_time_password(self, uow: UnitOfWork, actor: Actor, at: datetime, user_id: UUID) -> None:
        require_service_administrator(actor)
        user = self.aggregates.user(user_id)
        user.expire_one_time_password(actor, at)
        self.credentials.forget_one_time_password(uow.session, user.id)
        uow.save(user)
