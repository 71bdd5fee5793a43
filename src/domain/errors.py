"""One error base for the domain; one class per rule, each carrying the ids it is about.

``code`` is a stable slug the API uses as the problem ``type``; ``message`` is
meant for a person. The API maps errors to HTTP by their class (``api/problems.py``).
A rule's error derives from :class:`RuleViolated` (the request is well formed
but the current state forbids it), so clients that know only ``rule-violated``
keep working while code and tests can tell the rules apart.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID


class DomainError(Exception):
    code = "domain-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


# ------------------------------------------------------------ malformed input


class InvalidValue(DomainError):
    """A value given to a command is malformed; names the field."""

    code = "invalid-value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field
        self.reason = message


class InvalidValues(DomainError):
    """Several fields of one request are malformed; names each."""

    code = "invalid-value"

    def __init__(self, problems: list[InvalidValue]) -> None:
        super().__init__("; ".join(p.message for p in problems), fields=[p.field for p in problems])
        self.problems = problems

    @classmethod
    def check(cls, *checks: Callable[[], object]) -> None:
        """Runs every check; raises one error naming every field that failed."""
        problems = []
        for check in checks:
            try:
                check()
            except InvalidValue as problem:
                problems.append(problem)
        cls.raise_any(problems)

    @classmethod
    def raise_any(cls, problems: list[InvalidValue]) -> None:
        """Raises the one problem as it is, several as one error naming each field; none, nothing."""
        if len(problems) == 1:
            raise problems[0]
        if problems:
            raise cls(problems)


class BulkValidationFailed(DomainError):
    """Some rows of a bulk request are invalid; nothing was changed."""

    code = "bulk-validation-failed"

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        rows = sorted({e["row"] for e in errors})
        super().__init__(
            f"{len(errors)} problem(s) in row(s) {', '.join(map(str, rows))}; nothing was created",
            errors=errors,
        )
        self.errors = errors


# ------------------------------------------------------------------ not found


class NotFound(DomainError):
    code = "not-found"
    kind = "record"

    def __init__(self, id: UUID | str) -> None:
        super().__init__(f"{self.kind} {id} not found", kind=self.kind, id=str(id))
        self.id = id


class UserNotFound(NotFound):
    kind = "user"


class OrganisationNotFound(NotFound):
    kind = "organisation"


class MailboxNotFound(NotFound):
    kind = "mailbox"


class DistributionListNotFound(NotFound):
    kind = "distribution list"


class GrantNotFound(NotFound):
    kind = "exceptional-access request"


# ----------------------------------------------------------------- who may act


class PermissionDenied(DomainError):
    """The acting principal's role may not do this at all."""

    code = "permission-denied"


# ---------------------------------------------------------------- log-in


class InvalidCredentials(DomainError):
    """Unknown username and wrong password look the same, on purpose."""

    code = "invalid-credentials"

    def __init__(self) -> None:
        super().__init__("the username or password is not correct")


class AccountLocked(DomainError):
    code = "account-locked"

    def __init__(self) -> None:
        super().__init__("the account is locked; ask your administrator to unlock it")


class AccountUnavailable(DomainError):
    code = "account-unavailable"

    def __init__(self, reason: str) -> None:
        super().__init__(f"the account cannot log in: it is {reason}", reason=reason)


class TooManyLogInAttempts(DomainError):
    """Too many failed log-ins from this client or for this username: wait, then try again.

    Said before any password is checked, and the same for unknown usernames, so
    it tells nothing about the account."""

    code = "too-many-attempts"

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed log-ins; try again in {retry_after_s} seconds", retry_after_s=retry_after_s)
        self.retry_after_s = retry_after_s


class ConcurrencyConflict(DomainError):
    """Another writer changed the same thing and retrying did not help."""

    code = "concurrency-conflict"

    def __init__(self) -> None:
        super().__init__("the change conflicted with concurrent changes; try again")


# ---------------------------------------------------------------------- rules


class RuleViolated(DomainError):
    """The command is well-formed but the current state forbids it: a base,
    raise a subclass. A subclass states its rule in ``template``, filled from
    the keyword arguments it is raised with (times in ISO 8601), which also
    become its attributes: ``UndeletePeriodOver(user_id=…, until=…).until``."""

    code = "rule-violated"
    template = ""

    def __init__(self, message: str | None = None, **facts: Any) -> None:
        shown = {k: v.isoformat() if isinstance(v, datetime) else v for k, v in facts.items()}
        super().__init__(message or self.template.format(**shown), **{k: str(v) for k, v in shown.items()})
        for name, value in facts.items():
            setattr(self, name, value)


class AlreadySo(RuleViolated):
    """The change asked for is already the state: nothing to record."""

    code = "already-so"


class AddressTaken(RuleViolated):
    code = "address-taken"

    def __init__(self, address: str) -> None:
        super().__init__(f"the address {address} is already in use", address=address)
        self.address = address


class UsernameTaken(RuleViolated):
    code = "username-taken"

    def __init__(self, username: str) -> None:
        super().__init__(f"the username {username} is already in use", username=username)


class MailDomainTaken(RuleViolated):
    code = "mail-domain-taken"
    template = "the mail domain {domain} overlaps {listed}, a mail domain of another organisation"


class OrganisationCodeTaken(RuleViolated):
    code = "organisation-code-taken"

    def __init__(self, code: str) -> None:
        super().__init__(f"the organisation code {code} is already in use", organisation_code=code)

# claims


class ClaimHeld(RuleViolated):
    template = "{value} is held by {owner_kind} {owner_id}"


class ClaimNotHeldBy(RuleViolated):
    template = "{value} is not held by {owner_id}"

# users


class UserPurged(RuleViolated):
    template = "the user has been purged"


class UserDeleted(RuleViolated):
    template = "the user is deleted; undelete them first"


class UserNotDeleted(RuleViolated):
    template = "only a deleted user can be purged"


class UndeletePeriodOver(RuleViolated):
    template = "the user can no longer be undeleted: the 30 days ended at {until}"


class UndeletePeriodRunning(RuleViolated):
    template = "the user can still be undeleted until {until}"


class RestorePeriodOver(UndeletePeriodOver):
    """A distribution list's 30 days: its own words, the user's rule's code."""

    template = "the distribution list can no longer be restored: the 30 days ended at {until}"


class RestorePeriodRunning(UndeletePeriodRunning):
    template = "the distribution list can still be restored until {until}"


class CannotChangeOwnStatus(RuleViolated):
    template = "administrators cannot suspend or delete themselves"


class OneTimePasswordStillValid(RuleViolated):
    template = "the one-time password is valid until {until}"


class AlreadyActivated(RuleViolated):
    code = "already-activated"
    template = "the user has activated their account: authenticate them with a challenge, then reset the password"


class NotARelayingUser(RuleViolated):
    template = "only smtp and gsc users have an original address"

# authentication by security letters


class UserLocked(RuleViolated):
    """An administrator acts on a user whose account is locked (not their own log-in:
    that is ``AccountLocked``, a 401)."""

    code = "user-locked"
    template = "the user's account is locked; unlock it first"


class NoSecurityInformation(RuleViolated):
    template = "the user has not set security information yet"


class ChallengeTooNarrow(RuleViolated):
    template = "a challenge must ask for letters from at least two different answers"


class LetterRevealedBefore(RuleViolated):
    template = "letter {position} of {question} has been revealed before"


class SecurityInformationExhausted(RuleViolated):
    template = "too many letters have been revealed; the user must set new security information"


class ChallengeNotOpen(RuleViolated):
    template = "this challenge is not open: it was answered, replaced or never issued"


class ChallengeOutOfTime(RuleViolated):
    template = "this challenge has expired; ask for a new one"


class ChallengeStillOpen(RuleViolated):
    template = "the challenge has not expired yet"


class NoPassedChallenge(RuleViolated):
    template = "reset the password only after the user has passed an authentication challenge with you"


class PassedChallengeTooOld(RuleViolated):
    template = "the passed challenge is too old; authenticate the user again"

# organisations


class NotAMemberOfTheOrganisation(RuleViolated):
    template = "an administrator must be a user of the organisation"


class DeletedUserCannotAdminister(RuleViolated):
    template = "a deleted user cannot be appointed administrator"


class NoMailDomainsOfItsOwn(RuleViolated):
    code = "no-mail-domains-of-its-own"
    template = "a mailbox organisation uses the service's domain and has no mail domains of its own"


class LastMailDomain(RuleViolated):
    code = "last-mail-domain"
    template = "an organisation of type {account_type} keeps at least one mail domain; add another before removing {domain}"


class LastAdministrator(RuleViolated):
    code = "last-administrator"
    template = "the organisation's last administrator cannot be revoked; appoint another first"


class MailboxesNotHosted(RuleViolated):
    template = "group mailboxes and hosted mailboxes are only for mailbox organisations; {organisation_code} is {account_type}"

# mailboxes


class MailboxPurged(RuleViolated):
    template = "the mailbox has been purged"


class MailboxUseOutOfOrder(RuleViolated):
    template = "mailbox use cannot be recorded earlier than the last use"


class MailboxRecentlyUsed(RuleViolated):
    template = "the mailbox has been used in the last six months"


class NotAGroupMailbox(RuleViolated):
    template = "mailbox {mailbox_id} is a user's personal mailbox: only a group mailbox is renamed, deleted or shared by permissions"


class NotAPersonalMailbox(RuleViolated):
    template = "exceptional access is to a user's personal mailbox"


class NoOneToAlert(RuleViolated):
    code = "no-one-to-alert"
    template = "no administrator of organisation {organisation_id} can receive the inactivity alert; it waits until one is appointed"

# distribution lists


class DistributionListDeleted(RuleViolated):
    template = "the distribution list has been deleted"

# exceptional access


class GrantExists(RuleViolated):
    template = "exceptional-access request {grant_id} already exists"


class GrantAlreadyRequested(RuleViolated):
    template = "exceptional-access request {grant_id}, asked for by the same person, is still waiting for a decision"


class GrantStillRunning(RuleViolated):
    template = "exceptional access {grant_id} runs until {until}"


class GrantNotInForce(RuleViolated):
    template = "exceptional access {grant_id} is not in force"


class ApproverIsRequester(RuleViolated):
    """Four eyes: whoever asked for exceptional access cannot also grant it."""

    template = "exceptional-access request {grant_id} was made by you; another service administrator must decide it"


class GrantInAnotherState(RuleViolated):
    template = "exceptional-access request {grant_id} is {state} and cannot be {verb}"
