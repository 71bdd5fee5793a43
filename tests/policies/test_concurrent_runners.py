"""Two runners (separate applications, as in two processes) racing over the
same store: each purge, expiry and alert happens once, each notice is sent once."""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from dateutil.relativedelta import relativedelta

from policies.mailer import Mailer
from policies.runner import PolicyRunner
from testkit import START, SmtpServer, close_app, event_names, open_app, organisation_with_admin, outbox_rows
from testkit.racers import deliver_in_process, tick_in_process
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.config import Settings

RACERS = 2
NOW = START + relativedelta(months=7)


def race(settings: Settings, work: Callable[[SemaApplication], Any]) -> list[Any]:
    """Runs ``work`` in RACERS threads, each with its own application (engine, connections), all at once."""
    apps = [open_app(settings) for _ in range(RACERS)]
    barrier = threading.Barrier(RACERS)
    results: list[Any] = [None] * RACERS
    errors: list[BaseException] = []

    def racer(i: int) -> None:
        try:
            barrier.wait(timeout=60)
            results[i] = work(apps[i])
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
    finally:
        for app in apps:
            close_app(app)
    assert not errors, errors
    return results


def test_racing_runners_purge_expire_and_alert_each_thing_once(app: SemaApplication, settings: Settings) -> None:
    org = organisation_with_admin(app, START, "org")
    users = app.add_users(org.admin, START, org.id, [NewUser("Jane", f"Doe{i}") for i in range(8)])
    app.change_statuses(org.admin, START, [u.user_id for u in users[:4]], "delete")

    reports = race(settings, lambda racer: PolicyRunner(racer).tick(NOW))

    for user in users[:4]:
        assert event_names(app, user.user_id).count("User.Purged") == 1
        assert user.mailbox_id is not None and event_names(app, user.mailbox_id).count("Mailbox.Purged") == 1
    for user in users[4:]:
        assert event_names(app, user.user_id).count("User.OneTimePasswordExpired") == 1
        assert user.mailbox_id is not None and event_names(app, user.mailbox_id).count("Mailbox.InactivityAlertSent") == 1
    assert sum(r.done["purge_user"] for r in reports) == 4
    assert sum(r.done["send_inactivity_alert"] for r in reports) == 5  # four users and the administrator
    # One notice per alert: the administrator is the one recipient.
    assert len([r for r in outbox_rows(app) if r["reason"] == "inactivity_alert"]) == 5


def test_racing_mailers_send_each_notice_once(app: SemaApplication, settings: Settings, smtp_server: SmtpServer) -> None:
    org = organisation_with_admin(app, START, "org")
    app.add_users(org.admin, START, org.id, [NewUser("Mo", f"Quiet{i}") for i in range(12)])
    PolicyRunner(app).tick(NOW)
    expected = {f"<{r['message_key']}@cjsm.net>" for r in outbox_rows(app)}
    assert len(expected) == 13

    reports = race(settings, lambda racer: Mailer(racer, SettableClock(NOW), batch_size=3).deliver())

    received = [m.message["Message-ID"] for m in smtp_server.inbox.received()]
    assert sorted(received) == sorted(expected)
    assert sum(r.sent for r in reports) == 13


def test_runner_and_mailer_processes_racing_do_everything_once(app: SemaApplication, settings: Settings, smtp_server: SmtpServer) -> None:
    """As two `sema policies run` processes would: separate interpreters, one store."""
    org = organisation_with_admin(app, START, "org")
    users = app.add_users(org.admin, START, org.id, [NewUser("Jane", f"Doe{i}") for i in range(6)])
    app.change_statuses(org.admin, START, [u.user_id for u in users[:3]], "delete")
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, concurrent.futures.ProcessPoolExecutor(RACERS, mp_context=context) as pool:
        barrier = manager.Barrier(RACERS)
        reports = list(pool.map(tick_in_process, [settings] * RACERS, [NOW] * RACERS, [barrier] * RACERS))
        barrier = manager.Barrier(RACERS)
        sent = list(pool.map(deliver_in_process, [settings] * RACERS, [NOW] * RACERS, [barrier] * RACERS))
    for user in users[:3]:
        assert event_names(app, user.user_id).count("User.Purged") == 1
    for user in users[3:]:
        assert user.mailbox_id is not None and event_names(app, user.mailbox_id).count("Mailbox.InactivityAlertSent") == 1
    assert sum(r["done"].get("purge_user", 0) for r in reports) == 3
    assert sum(r["done"].get("send_inactivity_alert", 0) for r in reports) == 4
    assert sum(sent) == 4
    received = sorted(m.message["Message-ID"] for m in smtp_server.inbox.received())
    assert received == sorted(f"<{r['message_key']}@cjsm.net>" for r in outbox_rows(app))
