"""Log-in under attack (issue 10, findings 1, 2, 5 and 6): a lock never confirms
a password, every path costs one argon2 verification, guessing is throttled
before any hard lock, the hashing is bounded, and a locked account's history
stops growing."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from argon2 import PasswordHasher

from domain.errors import AccountUnavailable, InvalidCredentials, TooManyLogInAttempts
from sema.application import CreatedUser, NewUser, SemaApplication
from sema.bootstrap import build_application
from sema.clock import SettableClock
from sema.config import Settings
from testkit import PASSWORD, SERVICE_ADMIN, Org, activate, event_count, fail_log_ins, organisation_with_admin

WRONG = "not the password at all"


@pytest.fixture
def organisation(app: SemaApplication, clock: SettableClock) -> Org:
    return organisation_with_admin(app, clock.now(), code="org")


@pytest.fixture
def jane(app: SemaApplication, clock: SettableClock, organisation: Org) -> CreatedUser:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    activate(app, created, clock.now())
    return created


def failure_of(app: SemaApplication, username: str, password: str, at: Any) -> Exception:
    try:
        app.log_in(username, password, at)
    except Exception as error:  # noqa: BLE001 - the test compares what each case raises
        return error
    raise AssertionError("logged in")


# ------------------------------------------------------------ finding 1


def test_a_locked_account_answers_the_right_password_as_it_answers_a_wrong_one(app: SemaApplication, clock: SettableClock, jane: CreatedUser) -> None:
    at = fail_log_ins(app, jane.username, clock.now(), app.settings.max_failed_log_ins) + timedelta(hours=1)
    assert app.get_user(jane.user_id).locked
    right, wrong = failure_of(app, jane.username, PASSWORD, at), failure_of(app, jane.username, WRONG, at + timedelta(hours=1))
    assert type(right) is type(wrong) is InvalidCredentials and str(right) == str(wrong)


def test_a_suspended_account_is_told_only_after_the_password_is_proven(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser) -> None:
    app.change_statuses(organisation.admin, clock.now(), [jane.user_id], "suspend")
    assert isinstance(failure_of(app, jane.username, WRONG, clock.now()), InvalidCredentials)
    assert isinstance(failure_of(app, jane.username, PASSWORD, clock.now()), AccountUnavailable)


# ------------------------------------------------------------ finding 5


class Argon2Spy:
    """Counts argon2 verifications, and how many ran at once (the library's, not ours)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, hold_s: float = 0.0) -> None:
        self.calls = 0
        self.running = self.most_at_once = 0
        self._lock = threading.Lock()
        real = PasswordHasher.verify

        def verify(hasher: PasswordHasher, hash: Any, password: Any) -> Any:
            with self._lock:
                self.calls += 1
                self.running += 1
                self.most_at_once = max(self.most_at_once, self.running)
            try:
                time.sleep(hold_s)
                return real(hasher, hash, password)
            finally:
                with self._lock:
                    self.running -= 1

        monkeypatch.setattr(PasswordHasher, "verify", verify)


def test_every_log_in_path_costs_exactly_one_argon2_verification(app: SemaApplication, clock: SettableClock, organisation: Org, jane: CreatedUser, monkeypatch: pytest.MonkeyPatch) -> None:
    (pending,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Paul", "Pending")])
    assert pending.one_time_password is not None
    spy = Argon2Spy(monkeypatch)
    at = clock.now()
    cases = [
        ("no.such.user", WRONG),
        (pending.username, WRONG),  # only a one-time password: no password hash to verify
        (pending.username, pending.one_time_password),
        (jane.username, WRONG),
        (jane.username, PASSWORD),
    ]
    for username, password in cases:
        at += timedelta(hours=1)
        before = spy.calls
        try:
            app.log_in(username, password, at)
        except InvalidCredentials:
            pass
        assert spy.calls - before == 1, (username, password == WRONG)


# ------------------------------------------------------------ findings 2 and 6


def test_quick_guesses_are_throttled_before_any_password_is_checked_and_record_nothing(app: SemaApplication, clock: SettableClock, jane: CreatedUser, monkeypatch: pytest.MonkeyPatch) -> None:
    at = clock.now()
    for _ in range(app.settings.log_in_free_failures):
        assert isinstance(failure_of(app, jane.username, WRONG, at), InvalidCredentials)
    events = event_count(app)
    spy = Argon2Spy(monkeypatch)
    throttled = failure_of(app, jane.username, PASSWORD, at)
    assert isinstance(throttled, TooManyLogInAttempts) and throttled.retry_after_s >= 1
    assert spy.calls == 0 and event_count(app) == events
    # An unknown username is throttled alike, so being throttled tells nothing about the account.
    for _ in range(app.settings.log_in_free_failures):
        failure_of(app, "no.such.user", WRONG, at)
    assert isinstance(failure_of(app, "no.such.user", WRONG, at), TooManyLogInAttempts)
    # Once the wait is over, the right password works.
    assert app.log_in(jane.username, PASSWORD, at + timedelta(seconds=throttled.retry_after_s)).user_id == jane.user_id


def test_an_anonymous_storm_cannot_lock_out_the_service_administrator(app: SemaApplication, clock: SettableClock) -> None:
    username, otp = app.bootstrap(clock.now()) or ("", "")
    at = clock.now()
    for second in range(600):  # ten minutes of guesses, one a second, from many addresses
        try:
            app.log_in(username, WRONG, at + timedelta(seconds=second), client=f"203.0.113.{second % 250}")
        except (InvalidCredentials, TooManyLogInAttempts):
            pass
    administrator = app.get_user(app.find_user_id(username))  # type: ignore[arg-type]
    assert not administrator.locked and administrator.failed_log_ins < app.settings.max_failed_log_ins
    later = at + timedelta(seconds=600 + app.settings.log_in_longest_delay_s)
    assert app.log_in(username, otp, later).username == username


def test_one_client_address_guessing_many_usernames_is_throttled(app: SemaApplication, clock: SettableClock) -> None:
    at = clock.now()
    for n in range(app.settings.log_in_free_failures_per_client):
        assert isinstance(failure_of_from(app, f"someone.{n}", at, "198.51.100.7"), InvalidCredentials)
    assert isinstance(failure_of_from(app, "someone.else", at, "198.51.100.7"), TooManyLogInAttempts)
    assert isinstance(failure_of_from(app, "someone.else", at, "198.51.100.8"), InvalidCredentials)


def failure_of_from(app: SemaApplication, username: str, at: Any, client: str) -> Exception:
    try:
        app.log_in(username, WRONG, at, client=client)
    except Exception as error:  # noqa: BLE001
        return error
    raise AssertionError("logged in")


def test_a_locked_accounts_history_stops_growing_with_more_guesses(app: SemaApplication, clock: SettableClock, jane: CreatedUser) -> None:
    at = fail_log_ins(app, jane.username, clock.now(), app.settings.max_failed_log_ins)
    version = app.get_user(jane.user_id).version
    fail_log_ins(app, jane.username, at, 10)
    assert app.get_user(jane.user_id).version == version


def test_argon2_work_is_bounded_however_many_log_ins_arrive_at_once(settings: Settings, clock: SettableClock, monkeypatch: pytest.MonkeyPatch) -> None:
    app = build_application(settings.model_copy(update={"argon2_concurrency": 2}))
    try:
        spy = Argon2Spy(monkeypatch, hold_s=0.05)
        at = clock.now()

        def guess(n: int) -> None:
            try:
                app.log_in(f"nobody.{n}", WRONG, at, client=f"192.0.2.{n}")
            except InvalidCredentials:
                pass

        with ThreadPoolExecutor(12) as pool:
            list(pool.map(guess, range(24)))
        assert spy.calls == 24 and spy.most_at_once <= 2
    finally:
        app.close()
        app.engine.dispose()


def test_the_api_answers_throttled_log_ins_with_429_and_retry_after(app: SemaApplication, clock: SettableClock) -> None:
    from starlette.testclient import TestClient

    from api.app import create_app
    from api.context import ApiSettings

    with TestClient(create_app(app, clock=clock, settings=ApiSettings(secure_cookies=False))) as client:
        for _ in range(app.settings.log_in_free_failures):
            assert client.post("/session", json={"username": "no.such.user", "password": WRONG}).status_code == 401
        throttled = client.post("/session", json={"username": "no.such.user", "password": WRONG})
    assert throttled.status_code == 429 and int(throttled.headers["retry-after"]) >= 1
    assert throttled.json()["type"].endswith("/too-many-attempts")
