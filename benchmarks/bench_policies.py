"""Policy runner and mailer speed on a SQLite file.

A store of 2,000 users, 500 of them deleted: the cost of a pass with nothing
due, purges per second, inactivity alerts per second (each writing a notice
in the same transaction), and notices delivered per second to a local SMTP
server (aiosmtpd on loopback). Baseline: one bare command of the same shape
(``suspend``), per second, in the same run.
"""

from __future__ import annotations

import socket
from datetime import datetime, timedelta, timezone
from typing import Any

from aiosmtpd.controller import Controller

from common import fresh_sqlite_settings, timed

from domain.actors import Actor, Role
from policies.mailer import Mailer
from policies.runner import PolicyRunner
from sema.application import NewUser
from sema.bootstrap import build_application
from sema.clock import SettableClock

START = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
SERVICE = Actor(id="bench", role=Role.SERVICE_ADMINISTRATOR)
USERS, DELETED = 2000, 500


class Sink:
    count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_policies() -> dict[str, float]:
    port = _free_port()
    settings = fresh_sqlite_settings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1, smtp_url=f"smtp://127.0.0.1:{port}")
    app = build_application(settings)
    try:
        org = app.register_organisation(SERVICE, START, name="Bench", code="bench", account_type="mailbox")
        ids = []
        for batch in range(USERS // 500):
            created = app.add_users(SERVICE, START, org, [NewUser("Pat", f"User{batch}x{i}") for i in range(500)])
            ids += [c.user_id for c in created]
        app.appoint_administrator(SERVICE, START, org, ids[-1])
        app.change_statuses(SERVICE, START, ids[:DELETED], "delete")
        runner = PolicyRunner(app)
        runner.tick(START + timedelta(days=15))  # one-time passwords expire first
        idle = timed(lambda: runner.tick(START + timedelta(days=16)))
        purge = timed(lambda: runner.tick(START + timedelta(days=30)))
        alert = timed(lambda: runner.tick(START + timedelta(days=200)))
        baseline = timed(lambda: [app.change_statuses(SERVICE, START, [i], "suspend") for i in ids[DELETED : DELETED + 200]]) / 200
        sink = Sink()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        try:
            mailer = Mailer(app, SettableClock(START + timedelta(days=200)))
            notices = len(mailer.pending(START + timedelta(days=200)))
            deliver = timed(mailer.deliver)
        finally:
            controller.stop()
        return {
            "policies_idle_pass_ms": idle * 1000,
            "policies_purges_per_s": DELETED / purge,
            "policies_alerts_per_s": (USERS - DELETED) / alert,
            "policies_baseline_single_commands_per_s": 1 / baseline,
            "mail_notices_per_s": notices / deliver,
            "mail_notices_delivered": float(sink.count),
        }
    finally:
        app.close()
        app.engine.dispose()


BENCHMARKS = {"policies": bench_policies}
