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


class ConcurrencyConflict(DomainError):
    """Another writer changed the same thing and retrying did not help."""

    code = "concurrency-conflict"

    def __init__(self) -> None:
        super().__init__("the change conflicted with concurrent changes; try again")


# ---------------------------------------------------------------------- rules


class RuleViolated(DomainError):
    """The command is well-formed but the current state forbids it (a base: raise a subclass)."""

    code = "rule-violated"


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


class OrganisationCodeTaken(RuleViolated):
    code = "organisation-code-taken"

    def __init__(self, code: str) -> None:
        super().__init__(f"the organisation code {code} is already in use", organisation_code=code)


class ClaimHeld(RuleViolated):
    def __init__(self, value: str, owner_kind: str | None, owner_id: UUID | None) -> None:
        super().__init__(f"{value} is held by {owner_kind} {owner_id}", value=value)


class ClaimNotHeldBy(RuleViolated):
    def __init__(self, value: str, owner_id: UUID) -> None:
        super().__init__(f"{value} is not held by {owner_id}", value=value)


# users


class UserPurged(RuleViolated):
    def __init__(self, user_id: UUID, doing: str = "") -> None:
        super().__init__(f"the user has been purged{doing}", user_id=str(user_id))


class UserDeleted(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("the user is deleted; undelete them first", user_id=str(user_id))


class UserNotDeleted(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("only a deleted user can be purged", user_id=str(user_id))


class UndeletePeriodOver(RuleViolated):
    def __init__(self, user_id: UUID, undeletable_until: datetime) -> None:
        super().__init__(
            f"the user can no longer be undeleted: the 30 days ended at {undeletable_until.isoformat()}",
            user_id=str(user_id),
            undeletable_until=undeletable_until.isoformat(),
        )


class UndeletePeriodRunning(RuleViolated):
    def __init__(self, user_id: UUID, undeletable_until: datetime) -> None:
        super().__init__(f"the user can still be undeleted until {undeletable_until.isoformat()}", user_id=str(user_id))
        self.undeletable_until = undeletable_until


class CannotChangeOwnStatus(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("administrators cannot suspend or delete themselves", user_id=str(user_id))


class OneTimePasswordStillValid(RuleViolated):
    def __init__(self, user_id: UUID, expires_at: datetime) -> None:
        super().__init__(f"the one-time password is valid until {expires_at.isoformat()}", user_id=str(user_id))


class NotARelayingUser(RuleViolated):
    def __init__(self, organisation_code: str) -> None:
        super().__init__("only smtp and gsc users have an original address", organisation_code=organisation_code)


# authentication by security letters


class NoSecurityInformation(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("the user has not set security information yet", user_id=str(user_id))


class ChallengeTooNarrow(RuleViolated):
    def __init__(self) -> None:
        super().__init__("a challenge must ask for letters from at least two different answers")


class LetterRevealedBefore(RuleViolated):
    def __init__(self, question: str, position: int) -> None:
        super().__init__(f"letter {position} of {question} has been revealed before", question=question, position=position)


class SecurityInformationExhausted(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("too many letters have been revealed; the user must set new security information", user_id=str(user_id))


class ChallengeNotOpen(RuleViolated):
    def __init__(self, challenge_id: UUID) -> None:
        super().__init__("this challenge is not open: it was answered, replaced or never issued", challenge_id=str(challenge_id))


class ChallengeOutOfTime(RuleViolated):
    def __init__(self, challenge_id: UUID) -> None:
        super().__init__("this challenge has expired; ask for a new one", challenge_id=str(challenge_id))


class ChallengeStillOpen(RuleViolated):
    def __init__(self, challenge_id: UUID) -> None:
        super().__init__("the challenge has not expired yet", challenge_id=str(challenge_id))


class NoPassedChallenge(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("reset the password only after the user has passed an authentication challenge with you", user_id=str(user_id))


class PassedChallengeTooOld(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("the passed challenge is too old; authenticate the user again", user_id=str(user_id))


# organisations


class NotAMemberOfTheOrganisation(RuleViolated):
    def __init__(self, user_id: UUID, organisation_id: UUID) -> None:
        super().__init__("an administrator must be a user of the organisation", user_id=str(user_id), organisation_id=str(organisation_id))


class DeletedUserCannotAdminister(RuleViolated):
    def __init__(self, user_id: UUID) -> None:
        super().__init__("a deleted user cannot be appointed administrator", user_id=str(user_id))


class MailboxesNotHosted(RuleViolated):
    def __init__(self, code: str, account_type: str) -> None:
        super().__init__(f"group mailboxes and hosted mailboxes are only for mailbox organisations; {code} is {account_type}")


# mailboxes


class MailboxPurged(RuleViolated):
    def __init__(self, mailbox_id: UUID) -> None:
        super().__init__("the mailbox has been purged", mailbox_id=str(mailbox_id))


class MailboxUseOutOfOrder(RuleViolated):
    def __init__(self, mailbox_id: UUID) -> None:
        super().__init__("mailbox use cannot be recorded earlier than the last use", mailbox_id=str(mailbox_id))


class MailboxRecentlyUsed(RuleViolated):
    def __init__(self, mailbox_id: UUID) -> None:
        super().__init__("the mailbox has been used in the last six months", mailbox_id=str(mailbox_id))


class NotAGroupMailbox(RuleViolated):
    def __init__(self, mailbox_id: UUID) -> None:
        super().__init__("permissions are held on group mailboxes only", mailbox_id=str(mailbox_id))


class NotAPersonalMailbox(RuleViolated):
    def __init__(self, mailbox_id: UUID) -> None:
        super().__init__("exceptional access is to a user's personal mailbox", mailbox_id=str(mailbox_id))


# distribution lists


class DistributionListDeleted(RuleViolated):
    def __init__(self, list_id: UUID) -> None:
        super().__init__("the distribution list has been deleted", list_id=str(list_id))


# exceptional access


class GrantExists(RuleViolated):
    def __init__(self, grant_id: UUID) -> None:
        super().__init__(f"exceptional-access request {grant_id} already exists", grant_id=str(grant_id))


class GrantStillRunning(RuleViolated):
    def __init__(self, grant_id: UUID, expires_at: datetime) -> None:
        super().__init__(f"exceptional access {grant_id} runs until {expires_at.isoformat()}", grant_id=str(grant_id))


class GrantNotInForce(RuleViolated):
    def __init__(self, grant_id: UUID) -> None:
        super().__init__(f"exceptional access {grant_id} is not in force", grant_id=str(grant_id))


class GrantInAnotherState(RuleViolated):
    def __init__(self, grant_id: UUID, state: str, verb: str) -> None:
        super().__init__(f"exceptional-access request {grant_id} is {state} and cannot be {verb}", grant_id=str(grant_id))
