"""Stores for tests: settings for a test store, fresh PostgreSQL databases,
applications opened on them, and what tests read back from a store."""

from __future__ import annotations

import atexit
import base64
import os
import shutil
import tempfile
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from sema.application import SemaApplication
from sema.bootstrap import build_application
from sema.config import Settings

POSTGRES_ENV = "SEMA_TEST_POSTGRES_URL"
TEST_SECRET_KEY = base64.urlsafe_b64encode(b"sema test key, not for production!!")[:44].decode()


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


def open_app(settings: Settings) -> SemaApplication:
    return build_application(settings)


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
        close_app(open_app(make_settings(f"sqlite:///{directory / 'sema.db'}", directory)))
        _empty_store = directory / "sema.db"
    return _empty_store


class ScratchSqlite:
    """A fresh SQLite file in its own directory, removed afterwards: one per hypothesis example."""

    def __init__(self, **overrides: object) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="sema-scratch-"))
        empty = empty_store_file()
        for path in empty.parent.glob(f"{empty.name}*"):  # with any -wal file
            shutil.copy(path, self.directory / path.name)
        self.url = f"sqlite:///{self.directory / 'sema.db'}"
        self.app = open_app(make_settings(self.url, self.directory, **overrides))

    def close(self) -> None:
        close_app(self.app)
        shutil.rmtree(self.directory, ignore_errors=True)


def event_count(app: SemaApplication) -> int:
    """Stored events, counted (notification ids may have gaps on PostgreSQL)."""
    with app.transaction(commit=False) as session:
        return int(session.execute(select(func.count()).select_from(app.recorder.events_record_cls)).scalar_one())


def last_notification_id(app: SemaApplication) -> int:
    return app.recorder.max_notification_id() or 0


def events_of(app: SemaApplication, aggregate_id: uuid.UUID) -> list[Any]:
    return list(app.repository.event_store.get(aggregate_id))


def event_names(app: SemaApplication, aggregate_id: uuid.UUID) -> list[str]:
    return [type(e).__qualname__ for e in events_of(app, aggregate_id)]


def outbox_rows(app: SemaApplication) -> list[dict[str, Any]]:
    assert app.projections is not None
    outbox: Any = app.projections.by_name(["outbox"])[0]
    with Session(app.engine) as session:
        return [dict(r) for r in session.execute(select(outbox.messages).order_by(outbox.messages.c.seq, outbox.messages.c.message_key)).mappings()]
