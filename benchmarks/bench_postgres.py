"""PostgreSQL: one administrator's command, and many administrators at once.

``pg_command_p50_ms``: a status change of one user (suspend, then unsuspend,
round the users of a 200-user organisation) by ``SemaApplication`` in-process;
``pg_raw_save_p50_ms``: the bare library's command round trip on the same
server — get an aggregate, one event, ``save`` — in its own database.

``pg_concurrent_*``: the topology README "Running in production" documents —
two ``sema serve`` processes with SEMA_INLINE_READ_MODELS=false and one
``sema projections run`` follower (since 2026-11-27; before, two servers
keeping every read model inline) — on one database, 12 client
threads shared between the servers, for SEMA_BENCH_PG_SECONDS (default 60) seconds of
the mixed workload: 80% status or details changes of a random user of the
client's organisation, 20% bulk adds of 20 users with common names into one
shared organisation (so their addresses clash). ``pg_concurrent_failed`` counts
responses other than success (a 409 after the retry budget is a failure).
``pg_concurrent_follower_catch_up_s``: how long the follower then takes to
apply the last event. ``pg_raw_concurrent_saves_per_s``: the bare library, 12
writer threads, each saving one new event of its own aggregate in a loop, for
the same time (unchanged).

The ``pg_*`` figures need a server: SEMA_BENCH_POSTGRES_URL (or the tests'
SEMA_TEST_POSTGRES_URL); each run makes and drops its own databases.

Statements of one status change on PostgreSQL (2026-11-27, logged with
SQLAlchemy's ``before_cursor_execute``): 16, twelve of them inside the events
table lock (insert, tracking, two updates per user-row read model — the flag,
then the status derived from it —, the ledger's head and link, principals,
the tracking update). Since: the flag and its derived columns in one update
(13 statements, nine in the lock), every statement of the path made once
(ADR 42). Same run, SEMA_BENCH_PG_SECONDS=15, busy machine: before
(main) pg_command_p50_ms 22.4 / raw 8.1, concurrent 16.8 commands/s / raw
112.7, p50 212 ms, p95 2,613 ms; after (without the one-update flags) 18.1 /
8.0, 22.4 commands/s / 114.5, p50 117 ms, p95 2,092 ms, none failed. The
concurrent goals (≥ 50% of raw, p95 ≤ 10× p50) are not met: every command's
inline read models and commit run inside the table lock, and the machine's two
cores also run both servers, PostgreSQL and the twelve clients.

Where the concurrent time went (2026-11-27, SEMA_BENCH_PG_SECONDS=15, machine
at load 5–7 from other work; ``pg_stat_activity`` and ``pg_locks`` sampled
every 50 ms): on main 23.9 commands/s against raw 110.2 (22%), p50 84 ms, p95
2,157 ms, none failed; six to eight of the twelve sessions were always waiting
on ADR 34's numbering lock, which each bulk add held from planning to commit
(~140 ms on this machine for 20 users, most of it building and recording 100
events). Changes and same-run figures (each trial one run, sema then raw):

- production topology (follower, principals only inline): 34.5 vs 109.7 (31%),
  p50 79, p95 1,405 ms; still queued on the numbering lock.
- ADR 44's side table: a bulk add's numbering is one query per namespace.
- PostgreSQL's events (and claimed numbers) go in as arrays in one statement of
  fixed text, with the NOTIFY in it: psycopg had re-parsed a multi-row VALUES
  of 400 placeholders at every bulk add inside the events table's lock (a bulk
  add of 20 in-process: 129 → 37 ms, its time in the lock ~50 → 12 ms).
- ADR 45: small numberings lock the values they choose and skip those in
  flight, instead of queueing on one lock. Trials of one turn for all against
  per-value locks, back to back: 33.9/78.8 raw (43%) p95/p50 13.8× against
  22.2/97.4 (23%) 2.7×; 31.9/100.6 (32%) 12.9× against 25.4/97.8 (26%) 3.0×;
  30.3/101.3 (30%) 21.6× against 19.0/90.2 (21%) 2.6×. At most two numberings in
  flight (two lock slots): 31% / 11× and 29% / 9.4×; three: 21% / 4.8×; no
  clear gain, not kept. Kept: per-value
  locks, the only variant that met p95 ≤ 10× p50 (every run).
- Why per-value locks lose rate here: with several bulk adds in flight, the
  sessions holding the events table's lock spend it "idle in transaction"
  (sampled holders: after LOCK, after the insert, between the principals'
  tracking read and update) waiting for their process to be scheduled on the
  two oversubscribed cores, and five others queue behind. Server and follower
  CPU was ~19 ms per command in steady state (startup excluded) against ~6–7 ms
  per bare save; in the per-value runs they used ~0.4 of a core, so the rate is
  bound by that lock convoy, not by CPU. Not measured on a quiet machine.
- Final run, SEMA_BENCH_PG_SECONDS=60 (another helper's PostgreSQL tests
  running): 23.5 commands/s vs raw 62.2 (38%), p50 366 ms, p95 1,411 ms
  (3.9×), none failed, follower caught up 0.5 s after; pg_command_p50_ms
  16.3 vs raw 9.3 (1.8×).
- Left: the principals' tracking read and update (two round trips in the
  lock), one turn per command; the HTTP path's CPU (the http work).

Tried and reverted (2026-11-27, branch ``h/pgconc``, commit b3d3cfa): sampling
``pg_stat_activity`` every 50 ms under the concurrent load showed 5.5–6.3 of the
12 sessions waiting on the events table's lock, its holder mostly idle between
its own statements (5 round trips inside the lock for a status change, 6 for a
bulk add). The branch sent the lock and the insert in one psycopg pipeline,
moved the inline read models' positions in the insert statement itself, wrote
claimed numbers before the lock, and passed the arrays in binary: 2 round trips
inside the lock, 1.1 sessions waiting on it. Under the other helpers' load it
measured 35% of raw against main's 27%. On a quiet machine, 40 s each, one
after the other, it did not hold up: without it 36.5 / 71.7 commands/s (51%,
p95 4.8× p50) and 36.1 / 73.6 (49%, 5.2×), with it 32.5 / 69.2 (47%, p95
13.1× p50; 60 s: 30.1 / 65.3, 46%, 15.1×), the follower 4.7 s behind at the end
against 0.9–1.5 s. With the lock no longer queueing the writers, more commands
contend for the two cores at once and the slowest (bulk adds) wait longer. The
merge was reverted; the lever left is CPU per command.

Quiet machine, 2026-11-28, after ADR 54-56 (one run each unless said): 60 s,
40.3 / 90.1 (45%), p50 160 ms, p95 1,274 ms (8.0×), none failed, follower 1.7 s
behind. 40 s, alternating main and main without ADR 54 (the PostgreSQL
directory's pairs, which double the follower's trigger work): main 48.4 / 110.8
(44%) and 46.6 / 108.6 (43%); without 47.1 / 113.6 (41%) and 45.9 / 107.8 (43%);
the follower 1.4–1.9 s behind against 0.4–1.0 s. py-spy with ``--gil`` (only
samples holding the interpreter lock) over 20 s of the same load: each server
held it 16% of the time, the follower 28%, so about 0.6 of the two cores is
sema's Python; of a server's samples 56% are bulk adds (28% planning their
numbers: ``Claims.lowest_free``'s candidates and ``choose_locked``). The
rate is not bound by sema's Python CPU: what is left is the time each
command holds the events table's lock and PostgreSQL's own work.
CPU ticks over 10 s of a 30 s run (``/proc/stat`` and each process's
``/proc/<pid>/stat``; 50.0 commands/s, p95 695 ms): the two cores were busy all
the time (idle 0.6%); PostgreSQL's processes took 62% of it, sema's (two
servers and the follower) 37%, the benchmark's clients 3%. So the lever next is
PostgreSQL's work per command (statements, indexes and the directory's
triggers in the follower), then sema's.
PostgreSQL's statement log for 20 s of the workload (``PGOPTIONS="-c
log_min_duration_statement=0"`` for the benchmark's connections only):
besides the waits on the events table's lock (108 ms per LOCK on average), its
largest cost was ADR 44's read of held numbers, 3,910 reads for 243 bulk adds
at 3.8 ms each. ADR 45's loop read them again at every round of values skipped
because another bulk add had them locked. ADR 57 takes the next value from the
same read and checks by key after the locks: 812 reads for 359 bulk adds. Quiet machine,
60 s, one after the other: with it 76.2 / 89.5 commands/s (85% of raw), p50 125 ms,
p95 374 ms (3.0×), none failed, follower 2.8 s behind; without it (``fccf06f``)
42.1 / 93.2 (45%), p50 136 ms, p95 1,276 ms (9.4×), follower 2.0 s behind.
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from bench_http import BIN, administrator, sema_server
from common import fresh_postgres_database, fresh_sqlite_settings, percentile, postgres_admin_url, timed
from domain.actors import system_actor
from sema.application import NewUser
from sema.bootstrap import build_application

SECONDS = float(os.environ.get("SEMA_BENCH_PG_SECONDS", "60"))
CLIENTS = 12
SERVERS = 2
COMMANDS = 300
AT = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)
COMMON_FIRST = ["Ann", "John", "Mary", "David", "Sarah"]
COMMON_LAST = ["Lee", "Smith", "Jones"]
# README "Running in production": N API processes without inline read models, one follower.
PRODUCTION = {"SEMA_INLINE_READ_MODELS": "false"}


class Counter(Aggregate):
    def __init__(self, name: str) -> None:
        self.name = name
        self.count = 0

    @event("Incremented")
    def increment(self) -> None:
        self.count += 1


def bare_app(url: str) -> Application:
    return Application(env={"PERSISTENCE_MODULE": "eventsourcing_sqlalchemy", "SQLALCHEMY_URL": "postgresql+psycopg://" + url.removeprefix("postgresql://")})


def single_client(admin: str) -> dict[str, float]:
    with fresh_postgres_database(admin) as url, fresh_postgres_database(admin) as raw_url:
        directory = tempfile.mkdtemp(prefix="sema-bench-pg-")
        app = build_application(fresh_sqlite_settings(directory, database_url=url, argon2_time_cost=1, argon2_memory_cost=8, argon2_parallelism=1))
        raw = bare_app(raw_url)
        try:
            actor = system_actor("benchmark")
            organisation_id = app.register_organisation(actor, AT, name="Single Client", code="single", account_type="mailbox")
            user_ids = [c.user_id for c in app.add_users(actor, AT, organisation_id, [NewUser(f"Given{i}", "Family") for i in range(200)])]
            times = []
            for i in range(COMMANDS * 2):
                action = "suspend" if i < len(user_ids) or (i // len(user_ids)) % 2 == 0 else "unsuspend"
                times.append(timed(lambda: app.change_statuses(actor, AT, [user_ids[i % len(user_ids)]], action)))
            counters = [Counter(f"c{i}") for i in range(200)]
            raw.save(*counters)

            def raw_command(counter_id: Any) -> None:
                counter = raw.repository.get(counter_id)
                counter.increment()
                raw.save(counter)

            raw_times = [timed(lambda: raw_command(counters[i % len(counters)].id)) for i in range(COMMANDS * 2)]
        finally:
            app.close()
            app.engine.dispose()
            raw.close()
            shutil.rmtree(directory, ignore_errors=True)
    return {"pg_command_p50_ms": statistics.median(times[COMMANDS:]) * 1000, "pg_raw_save_p50_ms": statistics.median(raw_times[COMMANDS:]) * 1000}


@contextmanager
def follower(directory: str, url: str) -> Iterator[None]:
    """``sema projections run``: the one read-model follower of the production topology."""
    env = {**os.environ, "SEMA_DATA_DIR": directory, "SEMA_DATABASE_URL": url, **PRODUCTION}
    with open(Path(directory) / "follower.log", "w") as log:
        process = subprocess.Popen([str(BIN / "sema"), "projections", "run"], env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)


def caught_up(url: str) -> None:
    """Waits until every read model has applied the last event (the follower's lag once the clients stop)."""
    with psycopg.connect(url, autocommit=True) as conn:
        while True:
            behind = conn.execute("SELECT count(*) FROM sema_projection_tracking WHERE notification_id < (SELECT max(id) FROM sema_events)").fetchone()
            if behind is not None and behind[0] == 0:
                return
            time.sleep(0.05)


def concurrent_sema(admin: str) -> dict[str, float]:
    with fresh_postgres_database(admin) as url, ExitStack() as stack:
        directory = tempfile.mkdtemp(prefix="sema-bench-pg-concurrent-")
        stack.callback(shutil.rmtree, directory, True)
        first, username, otp = stack.enter_context(sema_server(directory, url, "server-0.log", settings=PRODUCTION))
        bases = [first] + [stack.enter_context(sema_server(directory, url, f"server-{n}.log", settings=PRODUCTION))[0] for n in range(1, SERVERS)]
        stack.enter_context(follower(directory, url))
        with httpx.Client(base_url=first, timeout=120) as client:
            headers = administrator(client, username, otp)
            organisations = []
            for n in range(CLIENTS + 1):
                org = client.post("/organisations", json={"name": f"Concurrent {n}", "code": f"concurrent-{n}", "account_type": "mailbox"}, headers=headers).json()["id"]
                users = [{"first_name": f"Given{i}", "last_name": f"Family{n}"} for i in range(50)]
                created = client.post(f"/organisations/{org}/users/bulk", json={"users": users}, headers=headers)
                created.raise_for_status()
                organisations.append((org, [u["user_id"] for u in created.json()["users"]]))
        shared_org = organisations[-1][0]
        latencies: list[float] = []
        failures: list[int] = []
        stop_at = time.monotonic() + SECONDS

        def client_loop(n: int) -> None:
            rng = random.Random(n)
            org, user_ids = organisations[n]
            suspended: set[str] = set()
            with httpx.Client(base_url=bases[n % len(bases)], timeout=120, headers=headers) as http:
                while time.monotonic() < stop_at:
                    pick = rng.random()
                    if pick < 0.2:
                        users = [{"first_name": rng.choice(COMMON_FIRST), "last_name": rng.choice(COMMON_LAST)} for _ in range(20)]
                        request = ("POST", f"/organisations/{shared_org}/users/bulk", {"users": users})
                    elif pick < 0.6:
                        user_id = rng.choice(user_ids)
                        action = "unsuspend" if user_id in suspended else "suspend"
                        suspended ^= {user_id}
                        request = ("POST", "/users/status-changes", {"user_ids": [user_id], "action": action})
                    else:
                        request = ("POST", "/users/details-changes", {"user_ids": [rng.choice(user_ids)], "details": {"department": f"Team {rng.randint(1, 99)}"}})
                    started = time.perf_counter()
                    response = http.request(request[0], request[1], json=request[2])
                    latencies.append(time.perf_counter() - started)
                    if response.is_error:
                        failures.append(response.status_code)

        threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(CLIENTS)]
        started = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - started
        catch_up = timed(lambda: caught_up(url))
    return {
        "pg_concurrent_seconds": SECONDS,
        "pg_concurrent_follower_catch_up_s": catch_up,
        "pg_concurrent_commands_per_s": len(latencies) / elapsed,
        "pg_concurrent_p50_ms": percentile(latencies, 0.5) * 1000,
        "pg_concurrent_p95_ms": percentile(latencies, 0.95) * 1000,
        "pg_concurrent_failed": float(len(failures)),
    }


def concurrent_raw(admin: str) -> dict[str, float]:
    with fresh_postgres_database(admin) as url:
        raw = bare_app(url)
        try:
            counters = [Counter(f"c{i}") for i in range(CLIENTS)]
            raw.save(*counters)
            saves = [0] * CLIENTS
            stop_at = time.monotonic() + SECONDS

            def writer(n: int) -> None:
                while time.monotonic() < stop_at:
                    counter = raw.repository.get(counters[n].id)
                    counter.increment()
                    raw.save(counter)
                    saves[n] += 1

            threads = [threading.Thread(target=writer, args=(n,)) for n in range(CLIENTS)]
            started = time.perf_counter()
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            elapsed = time.perf_counter() - started
        finally:
            raw.close()
    return {"pg_raw_concurrent_saves_per_s": sum(saves) / elapsed}


def postgres() -> dict[str, float]:
    admin = postgres_admin_url()
    if admin is None:
        print("pg_*: skipped (set SEMA_BENCH_POSTGRES_URL)", flush=True)
        return {}
    return {**single_client(admin), **concurrent_sema(admin), **concurrent_raw(admin)}


BENCHMARKS = {"postgres": postgres}
