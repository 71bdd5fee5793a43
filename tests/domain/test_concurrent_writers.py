"""Concurrent writers: the event store's optimistic concurrency is the only
lock. Many threads on a SQLite file, two processes on PostgreSQL: exactly one
claim on an address wins, and no change to a shared user is lost."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.claims import AddressClaim
from domain.errors import AddressTaken, BulkValidationFailed, MailDomainTaken
from domain.user import DIRECTORY_FIELDS, User
from sema.application import NewUser, SemaApplication
from testkit import SERVICE_ADMIN, START, close_app, make_settings, open_app, organisation_with_admin, user_actor
from testkit.racers import add_clashing_users, race_for_addresses, save_address_book_entries
from testkit.threads import run_together

THREADS = 8
ROUNDS = 5


@pytest.fixture
def sqlite_app(tmp_path: Path) -> Any:
    app = open_app(make_settings(f"sqlite:///{tmp_path / 'sema.db'}", tmp_path))
    yield app
    close_app(app)


# ------------------------------------------------------------ threads, SQLite


def test_threads_registering_overlapping_mail_domains_leave_one_organisation_listing_them(sqlite_app: SemaApplication) -> None:
    domains = ["police.uk", "westmids.police.uk", "traffic.westmids.police.uk", "westmids.police.uk"]
    results = run_together(
        len(domains),
        lambda i: sqlite_app.register_organisation(SERVICE_ADMIN, START, name=f"Force {i}", code=f"force-{i}", account_type="smtp", domains=[domains[i]]),
    )
    assert sum(isinstance(r, UUID) for r in results) == 1, results
    assert all(isinstance(r, (UUID, MailDomainTaken)) for r in results), results


def test_threads_racing_for_one_list_address_leave_exactly_one_winner(sqlite_app: SemaApplication) -> None:
    organisation = organisation_with_admin(sqlite_app, START)
    for round_ in range(ROUNDS):
        local_part = f"team-{round_}"
        results = run_together(
            THREADS, lambda i: sqlite_app.create_distribution_list(organisation.admin, START, organisation.id, f"Team {i}", local_part)
        )
        winners = [r for r in results if isinstance(r, tuple)]
        assert len(winners) == 1, results
        assert all(isinstance(r, AddressTaken) for r in results if r not in winners), results
        (list_id, address) = winners[0]
        assert sqlite_app.repository.get(AddressClaim.id_for(address)).owner_id == list_id


def test_threads_racing_for_one_original_address_leave_exactly_one_user(sqlite_app: SemaApplication) -> None:
    organisation = organisation_with_admin(sqlite_app, START, code="police", account_type="smtp", domains=("police.gov.uk",))
    results = run_together(
        THREADS,
        lambda i: sqlite_app.add_users(organisation.admin, START, organisation.id, [NewUser("Jane", f"Doe{i}", original_address="Jane.Doe@police.gov.uk")]),
    )
    winners = [r for r in results if isinstance(r, list)]
    assert len(winners) == 1, results
    losers = [r for r in results if r not in winners]
    assert all(isinstance(r, BulkValidationFailed) and "already in use" in r.errors[0]["message"] for r in losers), results


def test_threads_adding_clashing_names_all_get_distinct_addresses_with_the_lowest_numbers(sqlite_app: SemaApplication) -> None:
    organisation = organisation_with_admin(sqlite_app, START)
    results = run_together(THREADS, lambda i: sqlite_app.add_users(organisation.admin, START, organisation.id, [NewUser("Peter", "Pan")] * 3))
    assert all(isinstance(r, list) for r in results), results
    addresses = [c.address for r in results for c in r]  # type: ignore[union-attr]
    assert sorted(addresses) == sorted(peter_pans(THREADS * 3))


def peter_pans(count: int) -> list[str]:
    return [f"peter.pan{n if n > 1 else ''}@org.cjsm.net" for n in range(1, count + 1)]


def test_threads_changing_one_user_lose_no_update(sqlite_app: SemaApplication) -> None:
    organisation = organisation_with_admin(sqlite_app, START)
    jane, *others = sqlite_app.add_users(
        organisation.admin, START, organisation.id, [NewUser("Jane", "Doe")] + [NewUser(f"Entry{i}", "User") for i in range(THREADS)]
    )
    jane_acts = user_actor(jane, organisation.id)

    def change(i: int) -> None:
        sqlite_app.save_address_book_entry(jane_acts, START, "user", others[i].user_id)
        field = DIRECTORY_FIELDS[i % len(DIRECTORY_FIELDS)]
        if i < len(DIRECTORY_FIELDS):
            sqlite_app.change_details(organisation.admin, START, [jane.user_id], {field: f"set by writer {i}"})

    results = run_together(THREADS, change)
    assert results == [None] * THREADS
    user = sqlite_app.repository.get(jane.user_id)
    assert set(user.address_book) == {o.user_id for o in others}
    assert user.directory == {DIRECTORY_FIELDS[i]: f"set by writer {i}" for i in range(len(DIRECTORY_FIELDS))}
    saved = [e for e in sqlite_app.repository.event_store.get(jane.user_id) if isinstance(e, User.AddressBookEntrySaved)]
    assert len(saved) == THREADS


# ------------------------------------------------------ processes, PostgreSQL

PROCESSES = 2
CLAIMS_PER_RACE = 20
ENTRIES_PER_PROCESS = 15


def spawn_pool() -> Any:
    return multiprocessing.get_context("spawn")


@pytest.mark.postgres
def test_two_processes_racing_for_the_same_addresses_leave_exactly_one_winner_each(postgres_url: str, tmp_path: Path) -> None:
    app = open_app(make_settings(postgres_url, tmp_path))
    try:
        organisation = organisation_with_admin(app, START)
    finally:
        close_app(app)
    local_parts = [f"race-{i}" for i in range(CLAIMS_PER_RACE)]
    context = spawn_pool()
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        args = (postgres_url, str(tmp_path), organisation.admin, organisation.id, local_parts, barrier)
        won = pool.starmap(race_for_addresses, [args] * PROCESSES, chunksize=1)
    assert sorted(won[0] + won[1]) == sorted(local_parts)
    assert not set(won[0]) & set(won[1])


@pytest.mark.postgres
def test_two_processes_adding_clashing_names_all_get_distinct_addresses_with_the_lowest_numbers(postgres_url: str, tmp_path: Path) -> None:
    app = open_app(make_settings(postgres_url, tmp_path))
    try:
        organisation = organisation_with_admin(app, START)
    finally:
        close_app(app)
    rounds = 5
    context = spawn_pool()
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        args = (postgres_url, str(tmp_path), organisation.admin, organisation.id, rounds, barrier)
        added = pool.starmap(add_clashing_users, [args] * PROCESSES, chunksize=1)
    assert sorted(added[0] + added[1]) == sorted(peter_pans(PROCESSES * rounds * 3))


@pytest.mark.postgres
def test_two_processes_changing_one_user_lose_no_update(postgres_url: str, tmp_path: Path) -> None:
    app = open_app(make_settings(postgres_url, tmp_path))
    try:
        organisation = organisation_with_admin(app, START)
        jane, *others = app.add_users(
            organisation.admin, START, organisation.id, [NewUser("Jane", "Doe")] + [NewUser(f"Entry{i}", "User") for i in range(PROCESSES * ENTRIES_PER_PROCESS)]
        )
    finally:
        close_app(app)
    jane_acts = user_actor(jane, organisation.id)
    shares = [[o.user_id for o in others[i::PROCESSES]] for i in range(PROCESSES)]
    context = spawn_pool()
    with context.Manager() as manager, context.Pool(PROCESSES) as pool:
        barrier = manager.Barrier(PROCESSES)
        problems = pool.starmap(save_address_book_entries, [(postgres_url, str(tmp_path), jane_acts, share, barrier) for share in shares], chunksize=1)
    assert problems == [[]] * PROCESSES
    app = open_app(make_settings(postgres_url, tmp_path))
    try:
        user = app.repository.get(jane.user_id)
        assert set(user.address_book) == {o.user_id for o in others}
        events = [e for e in app.repository.event_store.get(jane.user_id) if isinstance(e, User.AddressBookEntrySaved)]
        assert len(events) == PROCESSES * ENTRIES_PER_PROCESS
    finally:
        close_app(app)
