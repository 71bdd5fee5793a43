"""The service's own administrators (issue 10, findings 2 and 3): several of
them, a first username nobody can guess, break glass for an operator, and
nobody but a service administrator administering them."""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from uuid import UUID

import pytest

from cli import main
from domain.actors import Actor, Role
from domain.errors import InvalidCredentials, PermissionDenied
from domain.user import UserKind
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.config import Settings
from testkit import TEST_SECRET_KEY, fail_log_ins, outbox_rows

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.context import ApiSettings  # noqa: E402
from testkit.http import Person, activate  # noqa: E402


@pytest.fixture
def first(app: SemaApplication, clock: SettableClock) -> tuple[str, str]:
    credentials = app.bootstrap(clock.now())
    assert credentials is not None
    return credentials


@pytest.fixture
def client(app: SemaApplication, clock: SettableClock) -> Iterator[TestClient]:
    with TestClient(create_app(app, clock=clock, settings=ApiSettings(secure_cookies=False))) as test_client:
        yield test_client


@pytest.fixture
def service(client: TestClient, first: tuple[str, str]) -> Person:
    return activate(client, *first)


def test_the_first_service_administrators_username_cannot_be_guessed(first: tuple[str, str]) -> None:
    username, _ = first
    assert re.fullmatch(r"service\.administrator-[a-z0-9]{8}", username), username


def test_a_service_administrator_registers_another_and_an_auditor(client: TestClient, service: Person) -> None:
    people = {}
    for kind in ("service_administrator", "auditor"):
        response = service.post("/service-people", json={"first_name": "Second", "last_name": kind.title(), "kind": kind})
        assert response.status_code == 201, response.text
        (created,) = response.json()["users"]
        people[kind] = activate(client, created["username"], created["one_time_password"])
    assert people["service_administrator"].get("/me").json()["role"] == "service_administrator"
    assert people["auditor"].get("/me").json()["role"] == "auditor"
    # The second one can do what only a service administrator may.
    assert people["service_administrator"].post("/organisations", json={"name": "Org", "code": "org", "account_type": "mailbox", "domains": []}).status_code == 201


def test_only_a_service_administrator_registers_service_people(app: SemaApplication, clock: SettableClock, client: TestClient, service: Person) -> None:
    organisation_id = app.service_organisation_id()
    (person,) = app.add_users(Actor(id=str(service.user_id), role=Role.SERVICE_ADMINISTRATOR), clock.now(), organisation_id, [NewUser("Olga", "Orgadmin")])  # type: ignore[arg-type]
    assert service.put(f"/organisations/{organisation_id}/administrators/{person.user_id}").status_code == 204
    olga = activate(client, person.username, person.one_time_password or "")
    refused = olga.post("/service-people", json={"first_name": "Evil", "last_name": "Twin", "kind": "service_administrator"})
    assert refused.status_code == 403


def run_operator(settings: Settings, *args: str) -> int:
    flags = ["--database-url", str(settings.database_url), "--data-dir", str(settings.data_dir), "--secret-key", TEST_SECRET_KEY,
             "--argon2-time-cost", "1", "--argon2-memory-cost", "8", "--argon2-parallelism", "1", "--log-format", "json"]
    return main(["operator", *args, *flags])


def test_an_operator_unlocks_a_locked_service_administrator_from_the_command_line(app: SemaApplication, settings: Settings, clock: SettableClock, first: tuple[str, str]) -> None:
    username, otp = first
    user_id = app.find_user_id(username)
    assert user_id is not None
    at = fail_log_ins(app, username, clock.now(), app.settings.max_failed_log_ins)
    assert app.get_user(user_id).locked
    assert run_operator(settings, "unlock", username) == 0
    assert not app.get_user(user_id).locked
    assert app.log_in(username, otp, at + timedelta(hours=1)).username == username


def test_an_operator_unlocking_a_service_administrator_tells_them_by_email(app: SemaApplication, settings: Settings, clock: SettableClock, first: tuple[str, str]) -> None:
    username, otp = first
    user_id = app.find_user_id(username)
    fail_log_ins(app, username, clock.now(), app.settings.max_failed_log_ins)
    assert run_operator(settings, "unlock", username) == 0
    told = [r for r in outbox_rows(app) if r["recipient_user_id"] == str(user_id)]
    assert [r["reason"] for r in told] == ["account_locked", "account_unlocked"]
    assert told[-1]["subject"] == "Your account has been unlocked" and otp not in told[-1]["body"]


def test_an_operator_reissues_a_one_time_password_for_a_service_administrator(app: SemaApplication, settings: Settings, clock: SettableClock, first: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    username, old_otp = first
    assert run_operator(settings, "reissue", username) == 0
    new_otp = re.search(r"one-time password: (\S+)", capsys.readouterr().out).group(1)  # type: ignore[union-attr]
    at = clock.now() + timedelta(hours=1)
    with pytest.raises(InvalidCredentials):
        app.log_in(username, old_otp, at)
    assert app.log_in(username, new_otp, at + timedelta(hours=1)).must_change_password


def test_the_operator_command_refuses_anyone_but_a_service_administrator(app: SemaApplication, settings: Settings, clock: SettableClock, first: tuple[str, str]) -> None:
    assert run_operator(settings, "reissue", "no.such.user") == 2


# ------------------------------------------------------------ finding 3


def test_an_organisation_administrator_of_the_service_cannot_unlock_challenge_or_reset_service_administrators(app: SemaApplication, clock: SettableClock, first: tuple[str, str]) -> None:
    service_admin = app.log_in(*first, clock.now()).actor()
    organisation_id = app.service_organisation_id()
    assert organisation_id is not None
    (person,) = app.add_users(service_admin, clock.now(), organisation_id, [NewUser("Olga", "Orgadmin")])
    app.appoint_administrator(service_admin, clock.now(), organisation_id, person.user_id)
    olga = Actor(id=str(person.user_id), role=Role.ORGANISATION_ADMINISTRATOR, organisation_id=organisation_id)
    target: UUID = app.find_user_id(first[0])  # type: ignore[assignment]
    assert app.get_user(target).kind == UserKind.SERVICE_ADMINISTRATOR
    (outcome,) = app.change_statuses(olga, clock.now(), [target], "unlock")
    assert outcome.result == "refused"
    with pytest.raises(PermissionDenied):
        app.issue_challenge(olga, clock.now(), target)
    with pytest.raises(PermissionDenied):
        app.request_exceptional_access(olga, clock.now(), "user_reset", target, "they asked me to")
    with pytest.raises(PermissionDenied):
        app.add_users(olga, clock.now(), organisation_id, [NewUser("Another", "Person")])


