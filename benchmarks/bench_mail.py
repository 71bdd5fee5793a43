"""The mail system: Postfix's recipient look-ups at 100,000 users, and mail through real Postfix and Dovecot.

``postfix_lookup_p95_ms``: for 10,000 random addresses at 100,000 users,
the time of everything Postfix asks about one
recipient — domain, recipient access, alias, mailbox — each the very SQL of
the map file ``sema mail-config`` writes, on the SQLite store in
write-ahead-logging mode. Measured idle, and while a writer's commands change
users' statuses the whole time (``…_under_writes``): look-ups never wait for it.
``postfix_lookup_postmap_mean_ms`` cross-checks with Postfix's own ``postmap``
reading all the keys in one process.

``mail_delivered_per_s``: messages of 10 recipients each, sent over one SMTP
connection on loopback to a private Postfix, counted once every copy is in
its Maildir through Dovecot's LMTP.
"""

from __future__ import annotations

import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from uuid import uuid4

from sqlalchemy import select

from common import fresh_sqlite_settings
from domain.actors import system_actor
from mail.config import Store, write_postfix
from mail.lookups import postfix_queries
from mail.store import prepare_store
from sema.application import NewUser
from sema.bootstrap import build_application

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from testkit.mail_servers import MailSystem, free_ports, message  # noqa: E402  (the tests' private Postfix and Dovecot)

LOOKUPS = 10_000
USERS = int(os.environ.get("SEMA_BENCH_MAIL_USERS", "100000"))
REAL_USERS = 500
AT = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
RECIPIENT_MAPS = ("domains", "recipient_access", "aliases", "mailboxes")
MESSAGES = 200
RECIPIENTS = 10


def _store_with_mail_tables() -> tuple[Path, list[str], Any]:
    """A SQLite store in WAL mode whose mail read model holds 100,000 users: 500 made
    by commands (the writer works on them), the rest written straight into the
    read model's tables in the same shape (the look-ups read rows, not how they
    came). Returns the file, the addresses, and the application."""
    settings = fresh_sqlite_settings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
    app = build_application(settings)
    actor = system_actor("benchmark")
    organisation_id = app.register_organisation(actor, AT, name="Hollowfield", code="hollowfield", account_type="mailbox")
    for start in range(0, REAL_USERS, 250):
        app.add_users(actor, AT, organisation_id, [NewUser("Real", f"Person{i}") for i in range(start, start + 250)])
    mail = next(m for m in app.projections.read_models if m.name == "mail")
    rng = random.Random(2026)
    users, addresses = [], []
    for i in range(USERS - REAL_USERS):
        user_id, address = str(uuid4()), f"user.{i}@hollowfield.cjsm.net"
        state = rng.random()
        users.append({
            "id": user_id, "organisation_id": str(organisation_id), "username": f"user{i}", "address": address, "relay_to": None,
            "mailbox_id": str(uuid4()), "suspended": state < 0.05, "deleted": 0.05 <= state < 0.08, "locked": False,
            "own_password": True, "security_set": True, "receives": state >= 0.08, "logs_in": state >= 0.08,
        })
        addresses.append(mail.address_row(address, "user", user_id))  # type: ignore[attr-defined]
        if rng.random() < 0.2:
            addresses.append(mail.address_row(f"user{i}-hollowfield@cjsm.net", "user", user_id))  # type: ignore[attr-defined]
    with app.transaction() as session:
        session.execute(mail.users.insert(), users)  # type: ignore[attr-defined]
        session.execute(mail.addresses.insert(), addresses)  # type: ignore[attr-defined]
        known = list(session.execute(select(mail.addresses.c.address)).scalars())  # type: ignore[attr-defined]
    database = Path(settings.resolved_database_url().removeprefix("sqlite:///").split("?")[0])
    prepare_store(f"sqlite:///{database}")
    return database, known, app


def _sample(addresses: list[str]) -> list[str]:
    """Mostly known addresses, one in ten unknown (as spam is)."""
    rng = random.Random(14)
    return [rng.choice(addresses) if rng.random() < 0.9 else f"nobody{rng.randrange(10**6)}@hollowfield.cjsm.net" for _ in range(LOOKUPS)]


def _lookup_times_ms(database: Path, keys: list[str]) -> list[float]:
    statements = [postfix_queries()[name].replace("'%s'", "?") for name in RECIPIENT_MAPS]
    connection = sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5)
    times = []
    try:
        for key in keys:
            started = time.perf_counter()
            for statement in statements:
                connection.execute(statement, [key] * statement.count("?")).fetchall()
            times.append((time.perf_counter() - started) * 1000)
    finally:
        connection.close()
    return times


def _writer(app: Any, stop: threading.Event, done: list[int]) -> None:
    """Commands the whole time (read models inline): suspend and unsuspend the real users, 50 a command."""
    actor = system_actor("benchmark")
    users = next(m for m in app.projections.read_models if m.name == "mail").users
    with app.transaction(commit=False) as session:
        ids = list(session.execute(select(users.c.id).where(users.c.username.like("real.%"))).scalars())
    at = AT + timedelta(days=1)
    while not stop.is_set():
        for start in range(0, len(ids), 50):
            for action in ("suspend", "unsuspend"):
                if stop.is_set():
                    return
                app.change_statuses(actor, at, ids[start : start + 50], action)
                done[0] += 1


def postfix_lookups() -> dict[str, float]:
    database, addresses, app = _store_with_mail_tables()
    keys = _sample(addresses)
    idle = _lookup_times_ms(database, keys)

    stop, done = threading.Event(), [0]
    writer = threading.Thread(target=_writer, args=(app, stop, done))
    writer.start()
    try:
        busy = _lookup_times_ms(database, keys)
    finally:
        stop.set()
        writer.join()
        app.close()
        app.engine.dispose()

    maps = Path(tempfile.mkdtemp(prefix="sema-bench-maps-"))
    written = write_postfix(maps, Store.from_url(f"sqlite:///{database}"), lmtp="unix:lmtp", sasl="auth")
    (maps / "main.cf").write_text("compatibility_level = 3.6\n")
    started = time.perf_counter()
    subprocess.run(["postmap", "-c", str(maps), "-q", "-", f"sqlite:{written['mailboxes']}"], input="\n".join(keys), capture_output=True, text=True, check=False)
    postmap_ms = (time.perf_counter() - started) * 1000 / len(keys)

    def p95(values: list[float]) -> float:
        return statistics.quantiles(values, n=20)[-1]

    return {
        "postfix_lookup_addresses": float(len(addresses)),
        "postfix_lookup_p50_ms": statistics.median(idle),
        "postfix_lookup_p95_ms": p95(idle),
        "postfix_lookup_p95_ms_under_writes": p95(busy),
        "postfix_lookup_writer_commands": float(done[0]),
        "postfix_lookup_postmap_mean_ms": postmap_ms,
    }


def mail_delivery() -> dict[str, float]:
    settings = fresh_sqlite_settings(argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1)
    app = build_application(settings)
    actor = system_actor("benchmark")
    organisation_id = app.register_organisation(actor, AT, name="Hollowfield", code="hollowfield", account_type="mailbox")
    created = app.add_users(actor, AT, organisation_id, [NewUser("Reader", f"Number{chr(65 + i)}") for i in range(RECIPIENTS)])
    recipients = [c.address for c in created]
    mailboxes = [c.mailbox_id for c in created]
    system: Any = MailSystem(app, settings.resolved_database_url(), free_ports(1)[0]).start()
    try:
        started = time.perf_counter()
        with system.smtp() as smtp:
            for n in range(MESSAGES):
                mail = message("sender@example.org", ", ".join(recipients), f"Message {n}")
                smtp.send_message(mail)
        for mailbox_id in mailboxes:
            system.wait_for_messages(mailbox_id, MESSAGES, timeout=300)
        elapsed = time.perf_counter() - started
    finally:
        system.stop()
        app.close()
        app.engine.dispose()
    return {"mail_delivered_per_s": MESSAGES / elapsed, "mail_copies_delivered_per_s": MESSAGES * RECIPIENTS / elapsed}


BENCHMARKS = {"mail_lookups": postfix_lookups, "mail_delivery": mail_delivery}
