"""The mail system: Postfix's recipient look-ups at 100,000 users, and mail through real Postfix and Dovecot.

``postfix_lookup_p95_ms``: for 10,000 random addresses of the read-side
history (100,000 users), the time of everything Postfix asks about one
recipient — domain, recipient access, alias, mailbox — each the very SQL of
the map file ``sema mail-config`` writes, on the SQLite store in
write-ahead-logging mode. Measured idle, and while a writer changes users'
statuses the whole time (``…_under_writes``): look-ups never wait for it.
``postfix_lookup_postmap_mean_ms`` cross-checks with Postfix's own ``postmap``
reading all the keys in one process.

``mail_delivered_per_s``: messages of 10 recipients each, sent over one SMTP
connection on loopback to a private Postfix, counted once every copy is in
its Maildir through Dovecot's LMTP.
"""

from __future__ import annotations

import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench_read_side import AT, _app, history
from common import fresh_sqlite_settings
from domain.actors import system_actor
from mail.config import Store, write_postfix
from mail.lookups import postfix_queries
from mail.store import prepare_store
from sema.application import NewUser
from sema.bootstrap import build_application

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from testkit.mail_servers import MailSystem, message  # noqa: E402  (the tests' private Postfix and Dovecot)

LOOKUPS = 10_000
RECIPIENT_MAPS = ("domains", "recipient_access", "aliases", "mailboxes")
MESSAGES = 200
RECIPIENTS = 10


def _store_with_mail_tables() -> tuple[Path, list[str]]:
    """The read-side history with the mail read model caught up, in WAL mode; its known addresses."""
    directory, _, _ = history()
    app = _app()
    try:
        app.projections.catch_up(["mail"])
        table = next(m for m in app.projections.read_models if m.name == "mail").addresses  # type: ignore[attr-defined]
        with app.transaction(commit=False) as session:
            addresses = list(session.execute(select(table.c.address)).scalars())
    finally:
        app.close()
        app.engine.dispose()
    database = directory / "sema.db"
    prepare_store(f"sqlite:///{database}")
    return database, addresses


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


def _writer(stop: threading.Event, done: list[int]) -> None:
    """Commands the whole time: suspend and unsuspend users, one command per 50 users."""
    app = _app()
    actor = system_actor("benchmark")
    try:
        user_table = next(m for m in app.projections.read_models if m.name == "mail").users  # type: ignore[attr-defined]
        with app.transaction(commit=False) as session:
            ids = list(session.execute(select(user_table.c.id).where(user_table.c.receives).limit(5000)).scalars())
        at = AT + timedelta(days=1)
        for start in range(0, len(ids), 50):
            if stop.is_set():
                break
            chunk = ids[start : start + 50]
            for action in ("suspend", "unsuspend"):
                app.change_statuses(actor, at, chunk, action)
                app.projections.catch_up(["mail"])
                done[0] += 1
    finally:
        app.close()
        app.engine.dispose()


def postfix_lookups() -> dict[str, float]:
    database, addresses = _store_with_mail_tables()
    keys = _sample(addresses)
    idle = _lookup_times_ms(database, keys)

    stop, done = threading.Event(), [0]
    writer = threading.Thread(target=_writer, args=(stop, done))
    writer.start()
    try:
        busy = _lookup_times_ms(database, keys)
    finally:
        stop.set()
        writer.join()

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
    system: Any = MailSystem(app, settings.resolved_database_url()).start()
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
