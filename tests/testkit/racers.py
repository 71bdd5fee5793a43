"""Racers for the concurrency tests, run in spawned processes: plain functions of
picklable arguments, each opening its own application on the shared database."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from domain.actors import Actor
from domain.errors import AddressTaken
from sema.application import NewUser
from sema.config import Settings
from testkit.people import START
from testkit.stores import close_app, make_settings, open_app


def _open(database_url: str, data_dir: str) -> Any:
    return open_app(make_settings(database_url, Path(data_dir)))


def race_for_addresses(database_url: str, data_dir: str, admin: Actor, organisation_id: UUID, local_parts: list[str], barrier: Any) -> list[str]:
    """Tries to create a distribution list at each local part; returns those this racer won."""
    app = _open(database_url, data_dir)
    won = []
    try:
        barrier.wait(timeout=120)
        for local_part in local_parts:
            try:
                app.create_distribution_list(admin, START, organisation_id, f"List {local_part}", local_part)
            except AddressTaken:
                continue
            won.append(local_part)
    finally:
        close_app(app)
    return won


def save_address_book_entries(database_url: str, data_dir: str, owner: Actor, entry_ids: list[UUID], barrier: Any) -> list[str]:
    """Saves each entry into ``owner``'s address book, racing the other racers;
    returns what went wrong, as text (our errors do not survive pickling)."""
    app = _open(database_url, data_dir)
    problems = []
    try:
        barrier.wait(timeout=120)
        for entry_id in entry_ids:
            try:
                app.save_address_book_entry(owner, START, "user", entry_id)
            except Exception as error:
                problems.append(f"{entry_id}: {error!r}")
    finally:
        close_app(app)
    return problems


def add_clashing_users(database_url: str, data_dir: str, admin: Actor, organisation_id: UUID, rounds: int, barrier: Any) -> list[str]:
    """Adds three Peter Pans per round, racing the other racers; returns their addresses, or what went wrong."""
    app = _open(database_url, data_dir)
    addresses = []
    try:
        barrier.wait(timeout=120)
        for _ in range(rounds):
            try:
                created = app.add_users(admin, START, organisation_id, [NewUser("Peter", "Pan")] * 3)
            except Exception as error:
                addresses.append(f"failed: {error!r}")
            else:
                addresses += [c.address for c in created]
    finally:
        close_app(app)
    return addresses


def tick_in_process(settings: Settings, now: datetime, barrier: Any) -> dict[str, dict[str, int]]:
    from policies.runner import PolicyRunner

    app = open_app(settings)
    try:
        runner = PolicyRunner(app)
        barrier.wait(timeout=120)
        report = runner.tick(now)
        return {"done": dict(report.done), "skipped": dict(report.skipped), "failed": dict(report.failed)}
    finally:
        close_app(app)


def deliver_in_process(settings: Settings, now: datetime, barrier: Any) -> int:
    from policies.mailer import Mailer
    from sema.clock import SettableClock

    app = open_app(settings)
    try:
        mailer = Mailer(app, SettableClock(now), batch_size=2)
        barrier.wait(timeout=120)
        return mailer.deliver().sent
    finally:
        close_app(app)
