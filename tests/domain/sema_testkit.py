"""Builders shared by the domain-core tests: real applications on real stores.

Hypothesis examples and spawned processes cannot use pytest's function-scoped
fixtures, so they build their applications with these plain functions.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from domain.actors import Actor, Role
from domain.errors import AddressTaken
from sema.application import CreatedUser, NewUser, SemaApplication
from sema.bootstrap import build_application
from sema.config import Settings
from testkit import TEST_SECRET_KEY, make_settings

KEY = TEST_SECRET_KEY
START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
SERVICE_ADMIN = Actor(id="service-admin-under-test", role=Role.SERVICE_ADMINISTRATOR)
AUDITOR = Actor(id="auditor-under-test", role=Role.AUDITOR)
PASSWORD = "a long enough password 42"
ANSWERS = {"mothers_maiden_name": "Quetzal", "first_school": "Hill Primary", "place_of_birth": "Ulaanbaatar"}


def settings_for(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    return make_settings(database_url, data_dir, **overrides)


def open_app(database_url: str, data_dir: Path, **overrides: object) -> SemaApplication:
    return build_application(settings_for(database_url, data_dir, **overrides))


def close_app(app: SemaApplication) -> None:
    app.close()
    app.engine.dispose()


_empty_store: Path | None = None


def empty_store_file() -> Path:
    """A SQLite file as the application leaves it on first start (tables, no events),
    made once per process: copying it is 20 times quicker than creating the tables."""
    global _empty_store
    if _empty_store is None:
        directory = Path(tempfile.mkdtemp(prefix="sema-empty-"))
        atexit.register(shutil.rmtree, directory, ignore_errors=True)
        close_app(open_app(f"sqlite:///{directory / 'sema.db'}", directory))
        _empty_store = directory / "sema.db"
    return _empty_store


class ScratchSqlite:
    """A fresh SQLite file in its own directory, removed afterwards: one per hypothesis example."""

    def __init__(self, **overrides: object) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="sema-domain-"))
        empty = empty_store_file()
        for path in empty.parent.glob(f"{empty.name}*"):  # with any -wal file
            shutil.copy(path, self.directory / path.name)
        self.url = f"sqlite:///{self.directory / 'sema.db'}"
        self.app = open_app(self.url, self.directory, **overrides)

    def close(self) -> None:
        close_app(self.app)
        shutil.rmtree(self.directory, ignore_errors=True)


@dataclass(frozen=True)
class Organisation:
    id: UUID
    code: str
    admin: Actor
    admin_user: CreatedUser


def organisation_with_admin(app: SemaApplication, at: datetime, code: str = "org", account_type: str = "mailbox", domains: tuple[str, ...] = ()) -> Organisation:
    """A registered organisation with one appointed administrator, as that administrator acts."""
    organisation_id = app.register_organisation(SERVICE_ADMIN, at, name=f"Organisation {code}", code=code, account_type=account_type, domains=domains)
    first_row = NewUser("Ada", "Admin", original_address=f"ada.admin@{domains[0]}" if domains else None)
    (admin_user,) = app.add_users(SERVICE_ADMIN, at, organisation_id, [first_row])
    app.appoint_administrator(SERVICE_ADMIN, at, organisation_id, admin_user.user_id)
    admin = Actor(id=str(admin_user.user_id), role=Role.ORGANISATION_ADMINISTRATOR, organisation_id=organisation_id)
    return Organisation(organisation_id, code, admin, admin_user)


def user_actor(created: CreatedUser, organisation_id: UUID) -> Actor:
    return Actor(id=str(created.user_id), role=Role.USER, organisation_id=organisation_id)


def activate(app: SemaApplication, created: CreatedUser, at: datetime, password: str = PASSWORD, answers: dict[str, str] | None = None) -> Actor:
    """First log-in with the one-time password: own password and security answers set."""
    assert created.one_time_password is not None
    result = app.log_in(created.username, created.one_time_password, at)
    actor = result.actor()
    app.complete_first_log_in(actor, at, password, answers or ANSWERS)
    return actor


def event_count(app: SemaApplication) -> int:
    """Stored events, counted (notification ids may have gaps on PostgreSQL)."""
    with app.transaction(commit=False) as session:
        return session.execute(select(func.count()).select_from(app.recorder.events_record_cls)).scalar_one()


def last_notification_id(app: SemaApplication) -> int:
    return app.recorder.max_notification_id() or 0


# ------------------------------------------------------------------ racers
# Run in spawned processes (PostgreSQL concurrency tests): plain functions of
# picklable arguments, each opening its own application on the shared database.


def race_for_addresses(database_url: str, data_dir: str, admin: Actor, organisation_id: UUID, local_parts: list[str], barrier: Any) -> list[str]:
    """Tries to create a distribution list at each local part; returns those this racer won."""
    app = open_app(database_url, Path(data_dir))
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
    app = open_app(database_url, Path(data_dir))
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
    app = open_app(database_url, Path(data_dir))
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
