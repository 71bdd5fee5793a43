"""The side table of claimed numbers (ADR 44): the lowest free numbers of a name
come from it, it stays in step with the claims (purges, renames, races), and a
store made before it gets it filled when opened. Each runs on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from domain.claims import UsernameClaim
from domain.naming import new_style_address
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.config import Settings
from sema.services.claimed_numbers import claimed_numbers_table, numbered_stem, stem_and_number
from testkit import SERVICE_ADMIN, Org, close_app, make_settings, open_app

SERVICE_DOMAIN = "cjsm.net"


def rows(app: SemaApplication) -> list[tuple[Any, ...]]:
    with app.transaction(commit=False) as session:
        return sorted(tuple(r) for r in session.execute(select(claimed_numbers_table)))


def assert_in_step(app: SemaApplication) -> None:
    """The rows commands wrote are those a fill from the claims' events makes."""
    kept = rows(app)
    app.users.claims.numbers.fill()
    assert rows(app) == kept


def address(local: str) -> str:
    return new_style_address(local, "org", SERVICE_DOMAIN)


def test_values_split_into_stem_and_number() -> None:
    assert stem_and_number("ann.lee") == ("ann.lee", 1)
    assert stem_and_number("ann.lee401@org.cjsm.net") == ("ann.lee@org.cjsm.net", 401)
    assert stem_and_number("ann.lee2") == ("ann.lee", 2)
    for not_numbered in ("ann.lee1", "ann.lee02", "2024@org.cjsm.net"):
        assert stem_and_number(not_numbered) is None
    assert numbered_stem("ann.lee", address) == address("ann.lee")
    assert numbered_stem("ann.lee2", address) is None  # ann.lee22 is also ann.lee numbered 22: probed instead


def test_a_purged_users_lowest_number_is_reused(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    added = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Peter", "Pan")] * 5)
    assert [c.address for c in added] == [address(f"peter.pan{n}") for n in ("", "2", "3", "4", "5")]
    for purged in (added[3], added[1]):
        app.change_statuses(organisation.admin, clock.now(), [purged.user_id], "delete")
    clock.advance(timedelta(days=30))
    app.purge_user(SERVICE_ADMIN, clock.now(), added[3].user_id)
    app.purge_user(SERVICE_ADMIN, clock.now(), added[1].user_id)
    again = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Peter", "Pan")] * 3)
    assert [c.address for c in again] == [address("peter.pan2"), address("peter.pan4"), address("peter.pan6")]
    assert [c.username for c in again] == ["peter.pan2", "peter.pan4", "peter.pan6"]
    assert_in_step(app)


def test_numbers_skip_values_held_otherwise_and_names_ending_in_digits(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Not a person", "jane.doe2")
    app.create_group_mailbox(organisation.admin, clock.now(), organisation.id, "Nor this", "jane.doe1")
    jane = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")] * 3)
    assert [c.address for c in jane] == [address("jane.doe"), address("jane.doe3"), address("jane.doe4")]
    digits = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe3")] * 2)
    assert [c.address for c in digits] == [address("jane.doe32"), address("jane.doe33")]  # jane.doe3 is the third Jane Doe's
    list_id = app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Renamed", "jane.doe5")[0]
    app.change_distribution_list_address(organisation.admin, clock.now(), list_id, "someone.else")
    (fifth,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    assert fifth.address == address("jane.doe5")
    assert_in_step(app)


def test_a_store_made_before_the_table_gets_it_filled_when_opened(app: SemaApplication, clock: SettableClock, organisation: Org, settings: Settings) -> None:
    added = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Ann", "Lee")] * 4)
    app.change_statuses(organisation.admin, clock.now(), [added[1].user_id], "delete")
    clock.advance(timedelta(days=30))
    app.purge_user(SERVICE_ADMIN, clock.now(), added[1].user_id)
    kept = rows(app)
    claimed_numbers_table.drop(app.engine)
    reopened = open_app(settings)
    try:
        assert rows(reopened) == kept
        (next_one,) = reopened.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Ann", "Lee")])
        assert next_one.address == address("ann.lee2")
    finally:
        close_app(reopened)


def test_two_applications_adding_the_same_names_at_once_take_each_number_once(app: SemaApplication, clock: SettableClock, organisation: Org, settings: Settings) -> None:
    other = open_app(settings)
    created: list[str] = []
    failures: list[BaseException] = []

    def add(application: SemaApplication) -> None:
        try:
            for _ in range(4):
                made = application.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Mo", "Li")] * 5)
                created.extend(c.address for c in made)
        except BaseException as error:  # noqa: BLE001 - reported below
            failures.append(error)

    try:
        threads = [threading.Thread(target=add, args=(a,)) for a in (app, other, app, other)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        close_app(other)
    assert failures == []
    assert sorted(created) == sorted([address("mo.li")] + [address(f"mo.li{n}") for n in range(2, 81)])
    assert_in_step(app)


@pytest.mark.postgres
def test_a_value_another_command_is_numbering_is_skipped_until_it_ends(postgres_url: str, tmp_path: Any) -> None:
    """PostgreSQL (ADR 45): a small numbering locks each value it chooses; another
    skips those values while that transaction lasts, and sees them free after a rollback."""
    first, second = (open_app(make_settings(postgres_url, tmp_path / name)) for name in ("first", "second"))
    found: list[list[str]] = []

    def number_elsewhere() -> None:  # a thread of its own: its own transaction
        found.append(second.users.claims.lowest_free(UsernameClaim, ["zed.x"], str, set()))

    try:
        with first.transaction(commit=False):
            assert first.users.claims.lowest_free(UsernameClaim, ["zed.x", "zed.x"], str, set()) == ["zed.x", "zed.x2"]
            elsewhere = threading.Thread(target=number_elsewhere)
            elsewhere.start()
            elsewhere.join()
        number_elsewhere()
        assert found == [["zed.x3"], ["zed.x"]]
    finally:
        close_app(first)
        close_app(second)
