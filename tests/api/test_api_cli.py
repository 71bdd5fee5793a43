"""``sema demo`` and ``sema serve`` as an operator runs them."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path

import httpx
import pytest

from domain.actors import system_actor
from projections import queries
from sema.bootstrap import build_application
from cli import main, parser, secrets_on_the_line
from testkit import free_port
from testkit.servers import wait_until_serving
from sema.config import Settings

CHEAP_ARGON2 = {"SEMA_ARGON2_TIME_COST": "1", "SEMA_ARGON2_MEMORY_COST": "8", "SEMA_ARGON2_PARALLELISM": "1"}


def test_the_demo_loads_1000_users_in_four_organisations_with_a_mix_of_statuses(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**CHEAP_ARGON2, "SEMA_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    assert main(["demo", "--data-dir", str(tmp_path)]) == 0
    printed = capsys.readouterr().out
    assert len(re.findall(r"username \S+ +one-time password [2-9A-Z]{4}-[2-9A-Z]{4}-[2-9A-Z]{4}", printed)) == 5  # four demo administrators and the service's
    app = build_application(Settings())
    try:
        with app.engine.connect() as connection:
            organisations = queries.organisations(connection)
            people = [u for o in organisations if o.code != "service" for u in queries.search_users(connection, o.id, limit=500).items]
            pending = queries.pending_exceptional_access(connection)
            lists = queries.distribution_lists(connection)
            groups = queries.group_mailboxes(connection)
    finally:
        app.close()
    assert {o.account_type for o in organisations} == {"smtp", "gsc", "mailbox"} and len(organisations) == 5
    statuses = Counter(u.status for u in people)
    assert len(people) == 1000 and {"active", "pending_activation", "locked", "suspended", "deleted"} <= set(statuses)
    assert any(u.ex_directory for u in people)
    assert len(lists) == 8 and len(groups) == 2 and len(pending) == 2


def test_the_demo_refuses_to_load_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {**CHEAP_ARGON2, "SEMA_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    app = build_application(Settings())
    try:
        app.register_organisation(system_actor("test"), datetime.now(timezone.utc), name="Already here", code="westmids-police", account_type="smtp", domains=["westmidlands.police.uk"])
    finally:
        app.close()
    assert main(["demo"]) == 1


def test_serve_prints_the_service_administrators_credentials_once_and_they_log_in(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **CHEAP_ARGON2, "SEMA_POLICIES_IN_SERVER": "false"}
    env.pop("SEMA_DATABASE_URL", None)
    command = [str(Path(sys.executable).parent / "sema"), "serve", "--data-dir", str(tmp_path), "--port", str(port), "--insecure-cookies"]

    def serve_once() -> str:
        log = tmp_path / "out.log"
        with open(log, "w") as out:
            server = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
            try:
                wait_until_serving(port, attempts=200)
                text = log.read_text()
                if "one-time password" in text:
                    username = re.search(r"username:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
                    otp = re.search(r"one-time password:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
                    session = httpx.post(f"http://127.0.0.1:{port}/session", json={"username": username, "password": otp})
                    assert session.status_code == 201 and session.json()["role"] == "service_administrator"
            finally:
                server.terminate()
                server.wait(timeout=30)
        return log.read_text()

    first = serve_once()
    assert "one-time password" in first and (tmp_path / "sema.db").exists()
    assert "one-time password" not in serve_once()


def test_serve_runs_the_policy_loop_unless_told_not_to(app, monkeypatch: pytest.MonkeyPatch) -> None:
    from cli.serve import policy_loop as _policy_loop
    from sema.clock import SystemClock
    from sema.config import Settings

    monkeypatch.setenv("SEMA_POLICIES_IN_SERVER", "false")
    assert _policy_loop(app, SystemClock(), Settings()) is None
    monkeypatch.setenv("SEMA_POLICIES_IN_SERVER", "true")
    loop = _policy_loop(app, SystemClock(), Settings())
    try:
        assert loop is not None and loop._thread is not None and loop._thread.is_alive()
    finally:
        loop.stop()


def test_a_bad_configuration_variable_is_named_and_nothing_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_PORT", "eighty")
    monkeypatch.setenv("SEMA_SESSION_IDLE_MINUTES", "-5")

    assert main(["serve", "--data-dir", str(tmp_path)]) == 2

    errors = capsys.readouterr().err
    assert "SEMA_PORT" in errors and "SEMA_SESSION_IDLE_MINUTES" in errors
    assert not (tmp_path / "sema.db").exists()


def test_the_demo_goes_into_a_new_store_only_unless_told(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**CHEAP_ARGON2, "SEMA_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    app = build_application(Settings())
    try:
        app.bootstrap(datetime.now(timezone.utc))
        app.register_organisation(system_actor("test"), datetime.now(timezone.utc), name="Real Org", code="real-org", account_type="mailbox")
        events = app.recorder.max_notification_id()
    finally:
        app.close()

    assert main(["demo", "--data-dir", str(tmp_path)]) == 1
    assert "already holds 1 organisation" in capsys.readouterr().err
    app = build_application(Settings())
    try:
        assert app.recorder.max_notification_id() == events  # nothing was added
    finally:
        app.close()
    assert main(["demo", "--yes", "--data-dir", str(tmp_path)]) == 0


@pytest.mark.parametrize(
    "line",
    [
        ["policies", "tick", "--no-mail", "--data-dir", "{dir}"],
        ["audit", "digest", "--data-dir", "{dir}"],
        ["projections", "status", "--data-dir", "{dir}"],
        ["--data-dir", "{dir}", "projections", "status"],
        ["projections", "--data-dir", "{dir}", "status", "directory"],
    ],
)
def test_configuration_flags_are_accepted_anywhere_on_the_line(line: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    monkeypatch.setenv("SEMA_DATA_DIR", str(tmp_path / "elsewhere"))
    assert main([part.format(dir=tmp_path) for part in line]) == 0
    assert (tmp_path / "sema.db").exists() and not (tmp_path / "elsewhere").exists()


def test_every_setting_has_a_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    monkeypatch.setenv("SEMA_DATA_DIR", str(tmp_path))
    assert main(["serve", "--port", "eighty", "--max-failed-log-ins", "x"]) == 2
    errors = capsys.readouterr().err
    assert "SEMA_PORT" in errors and "SEMA_MAX_FAILED_LOG_INS" in errors


def test_a_usage_error_prints_the_commands_short_usage_and_the_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--workers"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.startswith("usage: sema serve [-h] [--SETTING VALUE]") and err.endswith("sema serve: error: argument --workers: expected one argument\n")
    assert "--mail-lookup-password" not in err and len(err.splitlines()) <= 4, err


def test_help_lists_every_configuration_flag_and_says_secrets_belong_in_the_environment(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["serve", "--help"])
    out = " ".join(capsys.readouterr().out.split())
    assert exited.value.code == 0
    assert all(f"--{name.replace('_', '-')} VALUE" in out for name in Settings.model_fields)
    assert "(a secret: set SEMA_SECRET_KEY instead; a flag's value is visible to other users in ps)" in out
    assert "(a secret: set SEMA_MAIL_LOOKUP_PASSWORD instead;" in out


def test_a_secret_given_as_a_flag_is_warned_about_and_still_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    key = "c2VjcmV0IGtleSBvZiB0aGlydHktdHdvIGJ5dGVzISE="
    assert main(["audit", "digest", "--data-dir", str(tmp_path), "--secret-key", key]) == 0
    err = capsys.readouterr().err
    assert "sema: warning: --secret-key is visible to every user of this machine (ps); set SEMA_SECRET_KEY in the environment instead" in err
    assert not (tmp_path / "secret.key").exists()  # the flag's key was used, not a key file made
    monkeypatch.setenv("SEMA_SECRET_KEY", key)
    assert main(["audit", "digest", "--data-dir", str(tmp_path)]) == 0
    assert "warning" not in capsys.readouterr().err


def test_a_store_url_is_warned_about_only_when_it_holds_a_password() -> None:
    def flagged(*line: str) -> list[str]:
        return secrets_on_the_line(parser().parse_args(["projections", "status", *line]))

    assert flagged("--database-url", "postgresql://sema:hunter2@db:5432/sema", "--mail-lookup-password", "pw") == ["--mail-lookup-password", "--database-url"]
    assert flagged("--database-url", "postgresql://sema@db:5432/sema", "--smtp-url", "smtp://relay:25") == []


def test_the_readme_documents_every_settings_variable() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    configuration = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"`(SEMA_[A-Z0-9_]+)`", configuration))
    # A row may name a family once: `SEMA_ARGON2_TIME_COST` / `_MEMORY_COST`.
    documented |= {f"SEMA_ARGON2_{suffix}" for suffix in re.findall(r"`_([A-Z0-9_]+)`", configuration)}
    missing = [f"SEMA_{name.upper()}" for name in Settings.model_fields if f"SEMA_{name.upper()}" not in documented]
    assert not missing, f"README's Configuration table lacks {missing}"


def test_an_export_recorded_in_the_history_still_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in CHEAP_ARGON2.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    monkeypatch.delenv("SEMA_INLINE_READ_MODELS", raising=False)
    app = build_application(Settings(data_dir=tmp_path))
    try:
        app.bootstrap(datetime.now(timezone.utc))
    finally:
        app.close()
    assert main(["audit", "export", "--data-dir", str(tmp_path), "--output", str(tmp_path / "history.jsonl")]) == 0
    capsys.readouterr()

    assert main(["audit", "verify", "--data-dir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("verified: ") and "TAMPERED" not in out


def test_long_work_shows_a_progress_bar_on_a_terminal_that_reports_no_size() -> None:
    import pty

    main_fd, terminal = pty.openpty()  # a new pseudo-terminal reports 0 columns and 0 rows
    script = "from cli.progress import progress\nwith progress(10, 'events') as report:\n    report(10)\n"
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    child = subprocess.run([sys.executable, "-c", script], stdin=terminal, stdout=terminal, stderr=terminal, env=env, timeout=60)
    os.close(terminal)
    shown = b""
    try:
        while chunk := os.read(main_fd, 4096):
            shown += chunk
    except OSError:
        pass  # the terminal's other end is closed: all is read
    os.close(main_fd)
    assert child.returncode == 0
    assert b"100%" in shown and b"10.0/10.0" in shown, shown


def test_serve_with_workers_logs_requests_in_the_configured_format(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, **CHEAP_ARGON2, "SEMA_POLICIES_IN_SERVER": "false", "SEMA_LOG_FORMAT": "json"}
    env.pop("SEMA_DATABASE_URL", None)
    log = tmp_path / "out.log"
    with open(log, "w") as out:
        server = subprocess.Popen([str(Path(sys.executable).parent / "sema"), "serve", "--data-dir", str(tmp_path), "--port", str(port), "--workers", "2"], env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(port, attempts=600)
            assert httpx.get(f"http://127.0.0.1:{port}/openapi.json").status_code == 200
        finally:
            server.terminate()
            server.wait(timeout=60)
    requests = [line for line in log.read_text().splitlines() if "request" in line and "openapi" not in line and "duration_ms" in line]
    assert requests, log.read_text()
    assert all(line.startswith("{") for line in requests), requests
    # Several processes on the SQLite default work, but the operator is told what PostgreSQL is for.
    assert "sema serve: warning: 2 API processes on SQLite" in log.read_text()


def test_the_store_is_shown_without_its_password() -> None:
    shown = Settings(database_url="postgresql://sema:hunter2@db.internal:5432/sema").store_shown()
    assert shown == "postgresql://sema:***@db.internal:5432/sema"


@pytest.mark.parametrize(
    ("flags", "code", "said"),
    [
        (["--database-url", "not-a-url"], 2, "SEMA_DATABASE_URL: not a database URL"),
        (["--database-url", "mysql://x@y/z"], 2, "SEMA_DATABASE_URL: sema keeps its store in SQLite or PostgreSQL, not mysql"),
        (["--database-url", "postgresql://sema:hunter2@127.0.0.1:{port}/sema"], 1, "the store at postgresql://sema:***@127.0.0.1:{port}/sema cannot be used: connection failed"),
        (["--secret-key", "c2hvcnQ"], 2, "SEMA_SECRET_KEY: the key holds 5 bytes: a key needs at least 32"),
        (["--secret-key", "not base64!"], 2, "SEMA_SECRET_KEY: the key is not base64"),
        (["--data-dir", "{tmp}/a-file"], 2, "configuration: {tmp}/a-file is not a directory"),
        (["--data-dir", "{tmp}/bad-key"], 2, "configuration: the key file {tmp}/bad-key/secret.key is not base64"),
        (["--argon2-time-cost", "0"], 2, "SEMA_ARGON2_TIME_COST: Input should be greater than or equal to 1"),
        (["--argon2-memory-cost", "8", "--argon2-parallelism", "4"], 2, "SEMA_ARGON2_PARALLELISM: Argon2 needs at least 8 KiB of memory a lane"),
    ],
)
def test_a_setting_that_cannot_work_is_named_in_a_line_without_a_traceback(
    flags: list[str], code: int, said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("SEMA_DATABASE_URL", "SEMA_SECRET_KEY", "SEMA_SECRET_KEY_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SEMA_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "a-file").write_text("")
    (tmp_path / "bad-key").mkdir()
    (tmp_path / "bad-key" / "secret.key").write_text("not base64!\n")
    port = free_port()  # nothing listens there
    fill = {"tmp": str(tmp_path), "port": str(port)}
    assert main(["projections", "status", *(f.format(**fill) for f in flags)]) == code
    err = capsys.readouterr().err
    assert said.format(**fill) in err
    assert "Traceback" not in err and "hunter2" not in err


def test_an_output_file_that_cannot_be_written_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name, value in {**CHEAP_ARGON2, "SEMA_DATA_DIR": str(tmp_path)}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEMA_DATABASE_URL", raising=False)
    assert main(["audit", "export", "--output", str(tmp_path / "missing" / "x.jsonl")]) == 2
    assert f"No such file or directory: {tmp_path / 'missing' / 'x.jsonl'}" in capsys.readouterr().err
