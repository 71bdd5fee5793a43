"""Address allocation: adding one more "Ann Lee" when 400 exist, against a unique name.

``add_common_name_ms`` is the median time of ``add_users`` of one "Ann Lee" into
a mailbox organisation that already has 400 of them (so the new one is
``ann.lee401@…``, then 402, …); ``add_unique_name_ms`` is the same command for a
name nobody has, in the same store and run. ``pg_add_*`` are the same on
PostgreSQL when a benchmark server is configured (see ``common.postgres_admin_url``).

Profile before the fix (cProfile, SQLite, the 401st add, 2.7 s on a busy
machine; 49 ms for a unique name): 2.69 s in ``Claims.lowest_free``, 803 rounds
(401 for the username, 401 for the address) of ``held`` → ``existing``, each one
query for one candidate (``ann.lee``, ``ann.lee2``, …) and then a full
``repository.get`` of the held claim (1.37 s replaying 801 claims). The command
itself (user, mailbox, claims, inline read models) was the remaining ~70 ms.

Profile after ADR 30 (cProfile of 15 adds of the 401st "Ann Lee", SQLite,
busy machine, 2026-11-27): 20 ms against 6 ms for a unique name. Each add
probes ~1,060 claim ids in seven queries and reads ~850 rows: a third of
the time was ``uuid5`` of the probed values, then each query's ``IN`` list
built and compiled anew, then the rows' UUID decoding. Fixes: claim ids
remembered (``domain.claims._claim_id``, a pure function), the probe
queries made once with an expanding parameter, and events inserted in one
statement (each add's 5 events had gone in one row per statement). After:
15 ms against 6 ms (2.5×) in the same harness. Left: the rows themselves,
about two per held number; a count per name in SQL, or ADR 30's side table,
would remove them.

ADR 44 (2026-11-27): the side table of claimed numbers; each name's free
numbers come from one query (the held numbers where a run of free ones starts,
by window functions), a few rows back instead of ~850. Same busy machine, 15 s
runs, one after the other: before (main) 25.5 vs 8.5 ms (3.0×) on SQLite,
44.8 vs 18.1 ms (2.5×) on PostgreSQL; after 17.1 vs 13.8 ms (1.2×) and
58.2 vs 52.4 ms (1.1×); a second run 16.6 vs 25.7 ms and 83.9 vs 72.0 ms
(1.2×). The unique-name figure moves with the machine's load (8–26 ms).
The final run (with ADR 45, machine busier): 21.0 vs 7.9 ms (2.6×) and 89.6 vs
39.2 ms (2.3×): not shown met. A cProfile of ten 401st adds right after: 12.2
against 6.7 ms for a unique name, of which ``lowest_free`` 2.3 ms (two window
queries of ~400 index entries, 1.1 ms each); the rest of the gap is outside
numbering and was not profiled further.
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
from datetime import datetime, timezone

from common import fresh_postgres_database, fresh_sqlite_settings, postgres_admin_url, timed
from domain.actors import system_actor
from sema.application import NewUser, SemaApplication
from sema.bootstrap import build_application

EXISTING = 400
RUNS = 7
AT = datetime(2026, 1, 5, 9, 0, tzinfo=timezone.utc)


def common_and_unique_ms(app: SemaApplication) -> tuple[float, float]:
    actor = system_actor("benchmark")
    organisation_id = app.register_organisation(actor, AT, name="Lee & Lee", code="leeandlee", account_type="mailbox")
    app.add_users(actor, AT, organisation_id, [NewUser("Ann", "Lee") for _ in range(EXISTING)])
    common = [timed(lambda: app.add_users(actor, AT, organisation_id, [NewUser("Ann", "Lee")])) for _ in range(RUNS)]
    unique = [timed(lambda i=i: app.add_users(actor, AT, organisation_id, [NewUser(f"Unique{i}", "Person")])) for i in range(RUNS)]
    return statistics.median(common) * 1000, statistics.median(unique) * 1000


def cheap_argon2() -> dict[str, object]:
    return {"argon2_time_cost": 1, "argon2_memory_cost": 8, "argon2_parallelism": 1}


def addresses() -> dict[str, float]:
    directory = tempfile.mkdtemp(prefix="sema-bench-addresses-")
    app = build_application(fresh_sqlite_settings(directory, **cheap_argon2()))
    try:
        common, unique = common_and_unique_ms(app)
    finally:
        app.close()
        app.engine.dispose()
        shutil.rmtree(directory, ignore_errors=True)
    figures = {"add_common_name_ms": common, "add_unique_name_ms": unique}
    admin = postgres_admin_url()
    if admin:
        with fresh_postgres_database(admin) as url:
            directory = tempfile.mkdtemp(prefix="sema-bench-addresses-pg-")
            app = build_application(fresh_sqlite_settings(directory, database_url=url, **cheap_argon2()))
            try:
                figures["pg_add_common_name_ms"], figures["pg_add_unique_name_ms"] = common_and_unique_ms(app)
            finally:
                app.close()
                app.engine.dispose()
                shutil.rmtree(directory, ignore_errors=True)
    return figures


BENCHMARKS = {"addresses": addresses}
