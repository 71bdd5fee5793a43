"""Helpers every test directory shares: settings for a test store, and fresh
PostgreSQL databases. Import with ``from testkit import …`` (``tests/`` is on
the path because its conftest.py is a rootdir-level one)."""

from __future__ import annotations

import base64
import os
import uuid
from datetime import datetime, timezone
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from sema.config import Settings

POSTGRES_ENV = "SEMA_TEST_POSTGRES_URL"
TEST_SECRET_KEY = base64.urlsafe_b64encode(b"sema test key, not for production!!")[:44].decode()
START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


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
