"""Helpers shared by the benchmark modules."""

from __future__ import annotations

import itertools
import os
import socket
import statistics
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

from sema.config import Settings


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def fresh_sqlite_settings(directory: str | None = None, **overrides: object) -> Settings:
    """Settings for a new SQLite file in a temporary directory (production argon2 unless overridden)."""
    data_dir = Path(directory or tempfile.mkdtemp(prefix="sema-bench-"))
    values: dict[str, object] = {
        "data_dir": data_dir,
        "database_url": f"sqlite:///{data_dir / 'sema.db'}",
        "secret_key": "c2VtYSBiZW5jaG1hcmsga2V5LCBub3QgZm9yIHByb2R1Y3Rpb24h",
    }
    values.update(overrides)
    return Settings(**values)


def postgres_admin_url() -> str | None:
    """The PostgreSQL server the ``pg_*`` figures use: SEMA_BENCH_POSTGRES_URL, else
    the tests' SEMA_TEST_POSTGRES_URL; unset, those figures are skipped."""
    return os.environ.get("SEMA_BENCH_POSTGRES_URL") or os.environ.get("SEMA_TEST_POSTGRES_URL") or None


@contextmanager
def fresh_postgres_database(admin_url: str) -> Iterator[str]:
    """A new, empty database on the benchmark server, dropped afterwards; its URL.
    Named SEMA_BENCH_DATABASE_PREFIX (default ``sema_bench_``) and a random suffix."""
    name = f"{os.environ.get('SEMA_BENCH_DATABASE_PREFIX', 'sema_bench_')}{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_next_port = itertools.count(int(os.environ.get("SEMA_BENCH_PORT_BASE", "0")))


def free_port() -> int:
    """A loopback port for a benchmark server: from SEMA_BENCH_PORT_BASE upwards
    when set (machines where each user has a port range), else any free one."""
    if os.environ.get("SEMA_BENCH_PORT_BASE"):
        return next(_next_port)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
