"""The people of a test: the service administrator and auditor, organisations
with an administrator, users added and activated, challenges passed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID

from domain.actors import Actor, Role
from domain.errors import InvalidCredentials
from sema.application import ChallengePrompt, CreatedUser, NewUser, SemaApplication
from sema.credentials import normalise_answer

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
SERVICE_ADMIN = Actor(id="service-admin-under-test", role=Role.SERVICE_ADMINISTRATOR)
# Four eyes: exceptional access that SERVICE_ADMIN asks for is decided by another.
SECOND_SERVICE_ADMIN = Actor(id="second-service-admin-under-test", role=Role.SERVICE_ADMINISTRATOR)
AUDITOR = Actor(id="auditor-under-test", role=Role.AUDITOR)
PASSWORD = "a long enough password 42"
ANSWERS = {"mothers_maiden_name": "Quetzalcoatl", "first_school": "Hillcrest Primary", "place_of_birth": "Ulaanbaatar"}
NORMALISED = {question: normalise_answer(answer) for question, answer in ANSWERS.items()}


@dataclass(frozen=True)
class Org:
    id: UUID
    code: str
    admin: Actor
    admin_user: CreatedUser


def organisation_with_admin(app: SemaApplication, at: datetime, code: str = "org", account_type: str = "mailbox", domains: tuple[str, ...] = ()) -> Org:
    """A registered organisation with one appointed administrator, as that administrator acts."""
    organisation_id = app.register_organisation(SERVICE_ADMIN, at, name=f"Organisation {code}", code=code, account_type=account_type, domains=domains)
    first_row = NewUser("Ada", "Admin", original_address=f"ada.admin@{domains[0]}" if domains else None)
    (admin_user,) = app.add_users(SERVICE_ADMIN, at, organisation_id, [first_row])
    app.appoint_administrator(SERVICE_ADMIN, at, organisation_id, admin_user.user_id)
    admin = Actor(id=str(admin_user.user_id), role=Role.ORGANISATION_ADMINISTRATOR, organisation_id=organisation_id)
    return Org(organisation_id, code, admin, admin_user)


def add_user(app: SemaApplication, org: Org, at: datetime, first: str, last: str, original_address: str | None = None) -> CreatedUser:
    (created,) = app.add_users(org.admin, at, org.id, [NewUser(first, last, original_address=original_address)])
    return created


def user_actor(created: CreatedUser, organisation_id: UUID) -> Actor:
    return Actor(id=str(created.user_id), role=Role.USER, organisation_id=organisation_id)


def activate(app: SemaApplication, created: CreatedUser, at: datetime, password: str = PASSWORD, answers: dict[str, str] | None = None) -> Actor:
    """First log-in with the one-time password: own password and security answers set."""
    assert created.one_time_password is not None
    actor = app.log_in(created.username, created.one_time_password, at).actor()
    app.complete_first_log_in(actor, at, password, answers or ANSWERS)
    return actor


def letters_for(positions: list[tuple[str, int]]) -> list[str]:
    """The letters the user would spell out for a challenge, from ``ANSWERS``."""
    return [NORMALISED[q][p - 1] for q, p in positions]


def pass_challenge(app: SemaApplication, admin: Actor, user_id: UUID, at: datetime) -> ChallengePrompt:
    prompt = app.issue_challenge(admin, at, user_id)
    assert app.answer_challenge(admin, at, user_id, prompt.challenge_id, letters_for(prompt.positions))
    return prompt


def fail_log_ins(app: SemaApplication, username: str, at: datetime, times: int, password: str = "not the password at all") -> datetime:
    """``times`` wrong passwords, each after the longest wait log-in throttling
    can impose (so each is checked and counts); returns the time of the last."""
    wait = timedelta(seconds=app.settings.log_in_longest_delay_s)
    for _ in range(times):
        at += wait
        try:
            app.log_in(username, password, at)
        except InvalidCredentials:
            pass
        else:
            raise AssertionError("a wrong password logged in")
    return at
