"""One error base for the domain; each error carries the ids it is about.

``code`` is a stable slug the API uses as the problem ``type``; ``message`` is
meant for a person.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from uuid import UUID


class DomainError(Exception):
    code = "domain-error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class InvalidValue(DomainError):
    """A value given to a command is malformed; names the field."""

    code = "invalid-value"

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", field=field)
        self.field = field


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


class NotFound(DomainError):
    code = "not-found"

    def __init__(self, kind: str, id: UUID | str) -> None:
        super().__init__(f"{kind} {id} not found", kind=kind, id=str(id))
        self.id = id


class UserNotFound(NotFound):
    def __init__(self, user_id: UUID | str) -> None:
        super().__init__("user", user_id)


class OrganisationNotFound(NotFound):
    def __init__(self, organisation_id: UUID | str) -> None:
        super().__init__("organisation", organisation_id)


class MailboxNotFound(NotFound):
    def __init__(self, mailbox_id: UUID | str) -> None:
        super().__init__("mailbox", mailbox_id)


class DistributionListNotFound(NotFound):
    def __init__(self, list_id: UUID | str) -> None:
        super().__init__("distribution list", list_id)


class GrantNotFound(NotFound):
    def __init__(self, grant_id: UUID | str) -> None:
        super().__init__("exceptional-access request", grant_id)


class PermissionDenied(DomainError):
    """The acting principal's role may not do this at all."""

    code = "permission-denied"


class RuleViolated(DomainError):
    """The command is well-formed but the current state forbids it."""

    code = "rule-violated"


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


class AlreadySo(RuleViolated):
    """The change asked for is already the state: nothing to record."""

    code = "already-so"
