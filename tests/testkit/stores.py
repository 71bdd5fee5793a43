"""Stores for tests: settings for a test store, fresh PostgreSQL databases,
applications opened on them, and what tests read back from a store."""

from __future__ import annotations

import atexit
import base64
import os
import queue
import shutil
import tempfile
import threading
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


def create_postgres_database(template: str | None = None) -> str:
    """A new database on the test server, empty or a copy of ``template``; its URL."""
    admin = postgres_admin_url()
    if admin is None:
        pytest.skip(f"PostgreSQL tests need {POSTGRES_ENV}=postgresql://user@host:port/db")
    name = f"sema_t_{uuid.uuid4().hex[:16]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return make_url(admin).set(database=name).render_as_string(hide_password=False)


_empty_postgres_store: str | None = None


def create_empty_postgres_store() -> str:
    """A new database as the application leaves it on first start (tables, no events):
    a copy of one made once per process, like ``empty_store_file`` on SQLite. Copying
    takes 0.04 s where creating the tables takes 0.9 s, which most PostgreSQL tests paid."""
    global _empty_postgres_store
    if _empty_postgres_store is None:
        url = create_postgres_database()
        directory = Path(tempfile.mkdtemp(prefix="sema-empty-pg-"))
        close_app(open_app(make_settings(url, directory)))
        shutil.rmtree(directory, ignore_errors=True)
        atexit.register(drop_postgres_database, url)
        _empty_postgres_store = make_url(url).database
    return create_postgres_database(template=_empty_postgres_store)


def drop_postgres_database(url: str) -> None:
    admin = postgres_admin_url()
    name = make_url(url).database
    assert admin and name and name.startswith("sema_t_")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_dropping: queue.Queue[str] = queue.Queue()
_dropper: threading.Thread | None = None


def drop_postgres_database_later(url: str) -> None:
    """Drop a test's database on a background thread: a drop waits on the server
    (0.5-1.6 s here) and the next test need not. Every drop is done before the process ends."""
    global _dropper
    if _dropper is None:
        _dropper = threading.Thread(target=_drop_queued, name="drop-test-databases", daemon=True)
        _dropper.start()
        atexit.register(_dropping.join)
    _dropping.put(url)


def _drop_queued() -> None:
    while True:
        url = _dropping.get()
        try:
            drop_postgres_database(url)
        finally:
            _dropping.task_done()


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
