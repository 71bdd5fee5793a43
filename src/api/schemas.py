"""Request and response models of the HTTP API (the OpenAPI document is generated from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from domain.naming import MAX_PERSON_NAME
from domain.user import DIRECTORY_FIELDS, SECURITY_QUESTIONS
from sema.services.results import CreatedUser, Outcome

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
PersonName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_PERSON_NAME)]  # the User aggregate's own limit
Text = Annotated[str, StringConstraints(max_length=1000)]
Secret = Annotated[str, StringConstraints(min_length=1, max_length=200)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=254)]
Question = Literal[tuple(SECURITY_QUESTIONS)]  # type: ignore[valid-type]
DirectoryField = Literal[tuple(DIRECTORY_FIELDS)]  # type: ignore[valid-type]
AccountTypeName = Literal["smtp", "gsc", "mailbox"]
StatusAction = Literal["suspend", "unsuspend", "delete", "undelete", "unlock", "mark_ex_directory", "unmark_ex_directory"]
PermissionName = Literal["read", "write", "mail"]
EntryKind = Literal["user", "distribution_list", "group_mailbox"]
RoleName = Literal["user", "organisation_administrator", "service_administrator", "auditor"]


class Request(BaseModel):
    """A request body: unknown fields refused; booleans are StrictBool (0, 1 and "true" are not booleans)."""

    model_config = ConfigDict(extra="forbid")


# ------------------------------------------------------------ sessions, self


class LogIn(Request):
    username: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    password: Secret


class SessionOut(BaseModel):
    token: str = Field(description="the session token: send it as `Authorization: Bearer <token>` (it is also set as an HttpOnly cookie)")
    expires_at: datetime
    user_id: UUID
    username: str
    role: RoleName
    organisation_id: UUID
    must_activate: bool = Field(description="true after a log-in with a one-time password: only activation, /me and log-out work until it is done")


class Me(BaseModel):
    user_id: UUID
    role: RoleName
    organisation_id: UUID
    must_activate: bool
    session_expires_at: datetime


class Activation(Request):
    new_password: Secret
    security_answers: dict[Question, Annotated[str, StringConstraints(max_length=200)]] | None = Field(
        None, description="three answers, keyed by question; needed at the first activation and after a reset or renewal request"
    )


class PasswordChange(Request):
    current_password: Secret
    new_password: Secret


class SecurityInformation(Request):
    current_password: Secret = Field(description="re-authentication: a session alone cannot change security information")
    security_answers: dict[Question, Annotated[str, StringConstraints(max_length=200)]]


class SessionView(BaseModel):
    session_id: str = Field(description="names the session; it is not its token")
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    current: bool = Field(description="the session this request came with")


class SessionsOut(BaseModel):
    sessions: list[SessionView]


class SecurityQuestionOut(BaseModel):
    key: str
    text: str


class SecurityQuestions(BaseModel):
    questions: list[SecurityQuestionOut]


class AddressBookEntryIn(Request):
    entry_kind: EntryKind
    entry_id: UUID


# ------------------------------------------------------------ organisations


class OrganisationIn(Request):
    name: Name
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=63)]
    account_type: AccountTypeName
    domains: list[Annotated[str, StringConstraints(max_length=253)]] = Field(default_factory=list, max_length=50)


class OrganisationRenameIn(Request):
    name: Name


class ContactDetailsIn(Request):
    """The whole set: a part left out or empty is cleared."""

    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None
    email: Annotated[str, StringConstraints(strip_whitespace=True, max_length=254)] | None = None
    telephone: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None
    postal_address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class Created(BaseModel):
    id: UUID


class CreatedWithAddress(BaseModel):
    id: UUID
    address: str


class Suspension(Request):
    message: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] | None = Field(None, description="shown to senders whose mail is returned")


# ------------------------------------------------------------------- users


class NewUserIn(Request):
    first_name: PersonName
    last_name: PersonName
    original_address: Address | None = Field(None, description="smtp/gsc organisations: the user's address on the organisation's own server")
    old_style_address: Address | None = Field(None, description="only for users imported from before the address change")
    directory: dict[DirectoryField, Annotated[str, StringConstraints(max_length=200)]] = Field(default_factory=dict)
    ex_directory: StrictBool = False


class ServicePersonIn(Request):
    first_name: PersonName
    last_name: PersonName
    kind: Literal["service_administrator", "auditor"]


class BulkAddIn(Request):
    users: list[NewUserIn] = Field(min_length=1, max_length=500)
    dry_run: StrictBool = False


class BulkAddQuery(Request):
    dry_run: bool = Field(False, description="for CSV uploads: validate and report without creating anything")


class LetterBatchOut(BaseModel):
    batch_id: UUID
    key: str = Field(description="decrypts the letters; returned only here and kept nowhere: send it as the `Sema-Letters-Key` header")
    url: str
    expires_at: datetime


class BulkAddOut(BaseModel):
    dry_run: bool
    users: list[CreatedUser]
    letters: LetterBatchOut | None


class StatusChangeIn(Request):
    user_ids: list[UUID] = Field(min_length=1, max_length=1000)
    action: StatusAction


class DetailsChangeIn(Request):
    user_ids: list[UUID] = Field(min_length=1, max_length=1000)
    details: dict[DirectoryField, Annotated[str, StringConstraints(max_length=200)]] = Field(min_length=1)


class Outcomes(BaseModel):
    outcomes: list[Outcome]


class LastNameIn(Request):
    last_name: PersonName


class FirstNameIn(Request):
    first_name: PersonName


class OriginalAddressIn(Request):
    original_address: Address


class AddressOut(BaseModel):
    address: str


class ChallengePosition(BaseModel):
    question: str
    question_text: str
    position: int = Field(description="1-based letter position in the normalised answer (letters and digits only)")


class ChallengeOut(BaseModel):
    challenge_id: UUID
    positions: list[ChallengePosition]
    expires_at: datetime


class ChallengeAnswer(Request):
    letters: list[Annotated[str, StringConstraints(min_length=1, max_length=1)]] = Field(min_length=1, max_length=20)


class ChallengeResult(BaseModel):
    passed: bool


class NewOneTimePassword(BaseModel):
    one_time_password: str
    expires_at: datetime
    letters: LetterBatchOut


class UserResetIn(Request):
    grant_id: UUID


# -------------------------------------------------------- mailboxes, lists


class GroupMailboxIn(Request):
    name: Name
    local_part: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]


class DistributionListIn(Request):
    name: Name
    local_part: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
    member_ids: list[UUID] = Field(default_factory=list, max_length=5000)


class RenameIn(Request):
    name: Name


class ListAddressIn(Request):
    local_part: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)] = Field(
        description="the part before the @; the address is in the organisation's form, like a new list's"
    )


# ----------------------------------------------------- exceptional access


class AccessRequestIn(Request):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class DecisionIn(Request):
    approve: StrictBool
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""
