"""Many administrators at once on PostgreSQL (issue 12's workload, briefly):
two applications (as two server processes), twelve clients, status and
details changes and clashing bulk adds. Nothing fails by contention, no update
is lost, every address is unique and the read models equal their rebuild."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path
from uuid import UUID

import pytest

from domain.actors import system_actor
from domain.claims import AddressClaim, UsernameClaim
from sema.application import NewUser
from sema.audit.check import check_read_models

from testkit import START, close_app, make_settings, open_app

pytestmark = pytest.mark.postgres

CLIENTS = 12
SECONDS = 6.0
FIRST = ["Ann", "John", "Mary"]
LAST = ["Lee", "Smith"]


def test_a_concurrent_mixed_workload_loses_nothing_and_fails_nothing(postgres_url: str, tmp_path: Path) -> None:
    apps = [open_app(make_settings(postgres_url, tmp_path / f"process-{n}")) for n in range(2)]
    actor = system_actor("workload")
    try:
        shared_org = apps[0].register_organisation(actor, START, name="Shared", code="shared", account_type="mailbox")
        own_org = apps[0].register_organisation(actor, START, name="Own", code="own", account_type="mailbox")
        created = apps[0].add_users(actor, START, own_org, [NewUser(f"Given{i}", "Family") for i in range(CLIENTS * 4)])
        shared_users = [c.user_id for c in created[:4]]  # every client sometimes changes these
        own_users = [[c.user_id for c in created[4 + 3 * n : 7 + 3 * n]] for n in range(CLIENTS)]
        versions_before = {u: apps[0].get_user(u).version for u in shared_users}
        changed: Counter[UUID] = Counter()
        suspended: dict[UUID, bool] = {}
        failures: list[BaseException] = []
        added: list[list[tuple[UUID, str]]] = []
        lock = threading.Lock()
        stop_at = time.monotonic() + SECONDS

        def client(n: int) -> None:
            app, rng = apps[n % 2], random.Random(n)
            mine = {u: False for u in own_users[n]}
            try:
                while time.monotonic() < stop_at:
                    pick = rng.random()
                    if pick < 0.2:
                        rows = [NewUser(rng.choice(FIRST), rng.choice(LAST)) for _ in range(10)]
                        new = [(c.user_id, c.address) for c in app.add_users(actor, START, shared_org, rows)]
                        with lock:
                            added.append(new)
                    elif pick < 0.6:
                        user_id = rng.choice(list(mine))
                        action = "unsuspend" if mine[user_id] else "suspend"
                        (outcome,) = app.change_statuses(actor, START, [user_id], action)
                        assert outcome.result == "changed"
                        mine[user_id] = not mine[user_id]
                    elif pick < 0.85:
                        (outcome,) = app.change_details(actor, START, [rng.choice(list(mine))], {"department": f"Own {n}-{rng.random()}"})
                        assert outcome.result == "changed"
                    else:
                        # A few writers on the same users at once: a lost update would show in their versions.
                        user_id = rng.choice(shared_users)
                        (outcome,) = app.change_details(actor, START, [user_id], {"department": f"Team {n}-{rng.random()}"})
                        assert outcome.result == "changed"
                        with lock:
                            changed[user_id] += 1
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)
            with lock:
                suspended.update(mine)

        threads = [threading.Thread(target=client, args=(n,)) for n in range(CLIENTS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

        assert failures == []
        reader = apps[0]
        # No lost update: every details change a client was told succeeded is one event of the user.
        for user_id in shared_users:
            assert reader.get_user(user_id).version == versions_before[user_id] + changed[user_id]
        for user_id, is_suspended in suspended.items():
            assert reader.get_user(user_id).suspended is is_suspended
        # Unique addresses and usernames, each held by its user.
        addresses = [a for batch in added for _, a in batch]
        assert added and len(addresses) == len(set(addresses))
        users = [reader.get_user(c.user_id) for c in created] + [reader.get_user(u) for batch in added for u, _ in batch]
        assert len({u.username for u in users}) == len(users)
        claims = reader.users.claims
        for user in users:
            assert claims.owner(UsernameClaim, user.username) == user.id
            assert claims.owner(AddressClaim, user.primary_address) == user.id
        # Exactly-once read models: the live tables equal a rebuild from the history.
        assert [(r.name, r.ok) for r in check_read_models(reader)] == [(m.name, True) for m in reader.projections.read_models]
    finally:
        for app in apps:
            close_app(app)
