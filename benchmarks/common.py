"""Helpers shared by the benchmark modules."""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

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
