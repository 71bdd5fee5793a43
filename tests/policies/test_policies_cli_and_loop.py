"""``sema policies tick|run`` and the background loop ``sema serve`` starts."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest

from domain.user import Status
from policies.mailer import Mailer
from policies.runner import PolicyLoop, PolicyRunner
from testkit import KEY, START, SmtpServer, add_user, make_settings, organisation_with_admin
import cli
from sema.application import SemaApplication
from sema.clock import SettableClock, SystemClock
from sema.config import Settings


def set_environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    """The CLI reads SEMA_* variables; monkeypatch restores them after the test."""
    for name, value in {
        "SEMA_DATABASE_URL": settings.database_url,
        "SEMA_DATA_DIR": str(settings.data_dir),
        "SEMA_SECRET_KEY": KEY,
        "SEMA_ARGON2_TIME_COST": "1",
        "SEMA_ARGON2_MEMORY_COST": "8",
        "SEMA_ARGON2_PARALLELISM": "1",
        "SEMA_SMTP_URL": settings.smtp_url,
        "SEMA_MAIL_FROM": settings.mail_from,
    }.items():
        monkeypatch.setenv(name, str(value))


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> None:
    set_environment(monkeypatch, settings)


@pytest.fixture
def sqlite_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """For refusals of bad arguments: they do not depend on the store."""
    set_environment(monkeypatch, make_settings(f"sqlite:///{tmp_path / 'sema.db'}", tmp_path, smtp_url="smtp://127.0.0.1:1", mail_from="notices@cjsm.net"))


def test_tick_with_now_purges_as_at_that_moment_and_sends_the_notices(
    app: SemaApplication, environment: None, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    org = organisation_with_admin(app, START, "org")
    jane = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [jane.user_id], "delete")
    assert cli.main(["policies", "tick", "--now", "2026-08-01T00:00:00+00:00"]) == 0
    out = capsys.readouterr().out
    assert "purge_user: 1 done" in out and "send_inactivity_alert: 1 done" in out and "mail: 1 sent" in out
    assert app.get_user(jane.user_id).status == Status.PURGED
    assert [m.rcpt_tos for m in smtp_server.inbox.received()] == [["ada.admin@org.cjsm.net"]]


def test_tick_twice_at_the_same_moment_does_nothing_the_second_time(
    app: SemaApplication, environment: None, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    org = organisation_with_admin(app, START, "org")
    add_user(app, org, START, "Jane", "Doe")
    cli.main(["policies", "tick", "--now", "2026-08-01T00:00:00Z"])
    capsys.readouterr()
    assert cli.main(["policies", "tick", "--now", "2026-08-01T00:00:00Z"]) == 0
    assert capsys.readouterr().out == "policies: 2026-08-01T00:00:00+00:00 nothing due\nmail: 0 sent, 0 deferred, 0 failed\n"
    assert len(smtp_server.inbox.received()) == 2


def test_a_tick_acting_as_at_a_later_time_leaves_alone_what_a_running_mailer_is_sending(
    app: SemaApplication, environment: None, smtp_server: SmtpServer, capsys: pytest.CaptureFixture[str]
) -> None:
    """The server's mailer holds a lease by the real clock; a tick with --now far ahead must not take it over."""
    organisation_with_admin(app, START, "org")
    PolicyRunner(app).tick(START + timedelta(days=200))  # six quiet months: an alert waits in the outbox
    server_mailer = Mailer(app, SystemClock())
    (notice,) = server_mailer.pending(SystemClock().now())
    assert server_mailer._claim(notice["message_key"], SystemClock().now()) is not None  # being sent right now

    assert cli.main(["policies", "tick", "--now", (START + timedelta(days=400)).isoformat()]) == 0
    assert smtp_server.inbox.received() == []
    assert "mail: 0 sent" in capsys.readouterr().out


@pytest.mark.parametrize(("now", "message"), [("yesterday", "--now: not an ISO 8601 time: 'yesterday'"), ("2026-08-01T00:00:00", "--now: give a UTC offset")])
def test_tick_refuses_a_bad_now_naming_the_flag(sqlite_environment: None, now: str, message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policies", "tick", "--now", now]) == 2
    assert message in capsys.readouterr().err


def test_a_bad_smtp_url_is_refused_naming_the_setting(sqlite_environment: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SMTP_URL", "http://mail.example.org")
    assert cli.main(["policies", "tick"]) == 2
    assert "SEMA_SMTP_URL: smtp_url: the scheme must be one of smtp://, smtp+starttls://, smtps://; got http" in capsys.readouterr().err


def test_without_an_smtp_url_notices_wait_in_the_outbox(
    app: SemaApplication, environment: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("SEMA_SMTP_URL")
    org = organisation_with_admin(app, START, "org")
    add_user(app, org, START, "Jane", "Doe")
    assert cli.main(["policies", "tick", "--now", "2026-08-01T00:00:00Z"]) == 0
    assert "mail: SEMA_SMTP_URL is not set; 2 notice(s) wait in the outbox" in capsys.readouterr().out


def test_run_refuses_a_non_positive_interval(sqlite_environment: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["policies", "run", "--interval", "0"]) == 2
    assert "--interval: must be a positive number of seconds" in capsys.readouterr().err


def test_the_background_loop_runs_the_policies_and_delivers_until_stopped(app: SemaApplication, smtp_server: SmtpServer) -> None:
    org = organisation_with_admin(app, START, "org")
    jane = add_user(app, org, START, "Jane", "Doe")
    app.change_statuses(org.admin, START, [jane.user_id], "delete")
    clock = SettableClock(START + timedelta(days=29))
    loop = PolicyLoop(app, clock, interval=0.05)
    loop.start()
    try:
        _wait_for(lambda: loop.passes >= 2)
        assert app.get_user(jane.user_id).status == Status.DELETED
        clock.advance(timedelta(days=1))
        _wait_for(lambda: app.get_user(jane.user_id).status == Status.PURGED)
        clock.advance(timedelta(days=200))
        _wait_for(lambda: len(smtp_server.inbox.received()) == 1)  # the administrator's own quiet mailbox
    finally:
        loop.stop()
    assert not loop.running
    passes = loop.passes
    time.sleep(0.2)
    assert loop.passes == passes


def test_the_loop_refuses_a_non_positive_interval(app: SemaApplication) -> None:
    with pytest.raises(ValueError, match="policy_interval_s: must be positive"):
        PolicyLoop(app, SettableClock(START), interval=0)


def _wait_for(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the policy loop")
        time.sleep(0.02)


def test_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    import os
    import signal
    import subprocess
    import sys

    env = {**os.environ, "SEMA_DATA_DIR": str(tmp_path), "SEMA_SECRET_KEY": KEY, "SEMA_ARGON2_MEMORY_COST": "8", "SEMA_ARGON2_TIME_COST": "1", "SEMA_ARGON2_PARALLELISM": "1"}
    env.pop("SEMA_DATABASE_URL", None)
    env.pop("SEMA_SMTP_URL", None)
    process = subprocess.Popen([sys.executable, "-m", "cli", "policies", "run", "--interval", "0.2"], env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stderr is not None
        assert "running every 0.2 s" in process.stderr.readline()
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
