"""Shared fixtures: real stores only — a SQLite file per test, and a fresh
PostgreSQL database per test when ``SEMA_TEST_POSTGRES_URL`` is set."""

from __future__ import annotations

import base64
import os
import sys
import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from domain.actors import Actor, Role
from sema.application import SemaApplication
from sema.bootstrap import build_application
from sema.clock import SettableClock
from sema.config import Settings

POSTGRES_ENV = "SEMA_TEST_POSTGRES_URL"
TEST_SECRET_KEY = base64.urlsafe_b64encode(b"sema test key, not for production!!")[:44].decode()
START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


_THIS_MODULE = sys.modules[__name__]  # while this file is imported, the name is still its own


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> None:
    """Test modules share helpers with ``from conftest import …``, meaning this file.
    pytest leaves ``sys.modules["conftest"]`` at whichever sub-directory's conftest
    it loaded last, so point the name back here before each test module is imported."""
    sys.modules["conftest"] = _THIS_MODULE


def postgres_admin_url() -> str | None:
    return os.environ.get(POSTGRES_ENV) or None


def create_postgres_database() -> str:
    """A new, empty database on the test server; its URL."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}=postgresql://user@host:port/db")
    name = f"sema_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    admin = postgres_admin_url()
    name = make_url(url).database
    assert admin and name and name.startswith("sema_t_")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on a SQLite file and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sema.db'}"
    else:
        url = create_postgres_database()
        try:
            yield url
        finally:
            drop_postgres_database(url)


def make_settings(database_url: str, data_dir: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": database_url,
        "secret_key": TEST_SECRET_KEY,
        # Cheap argon2 in tests; production defaults are in Settings.
        "argon2_time_cost": 1,
        "argon2_memory_cost": 8,
        "argon2_parallelism": 1,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[SemaApplication]:
    application = build_application(settings)
    try:
        yield application
    finally:
        application.close()
        application.engine.dispose()


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
def service_admin(app: SemaApplication, clock: SettableClock) -> Actor:
    """The service administrator created on first start, as logged in."""
    username, otp = app.bootstrap(clock.now()) or ("", "")
    result = app.log_in(username, otp, clock.now())
    return result.actor()
