"""Secrets at rest (issue 10, finding 9): the store's files and directory are
private, and the key can live outside the data directory."""

from __future__ import annotations

import stat
from pathlib import Path

from sema.bootstrap import build_application
from sema.clock import SystemClock
from sema.config import Settings
from testkit import close_app


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_database_and_its_journal_files_are_private(tmp_path: Path) -> None:
    data_dir = tmp_path / "sema-data"
    app = build_application(Settings(data_dir=data_dir, argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1))
    try:
        app.bootstrap(SystemClock().now())  # writes: the -wal and -shm files exist now
        files = sorted(data_dir.iterdir())
        assert {"sema.db", "secret.key"} <= {f.name for f in files}
        assert mode(data_dir) == 0o700
        assert {f.name: mode(f) for f in files} == {f.name: 0o600 for f in files}
    finally:
        close_app(app)


def test_the_key_file_can_live_outside_the_data_directory(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "sema.key"
    settings = Settings(data_dir=tmp_path / "data", secret_key_file=key_file, argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
    app = build_application(settings)
    close_app(app)
    assert key_file.exists() and mode(key_file) == 0o600 and mode(key_file.parent) == 0o700
    assert not (tmp_path / "data" / "secret.key").exists()
    assert settings.resolved_secret_key() == Settings(data_dir=tmp_path / "elsewhere", secret_key_file=key_file).resolved_secret_key()
