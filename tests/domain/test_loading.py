"""Loading an aggregate for a command: its latest snapshot and the events after it
(one select on our store), the same aggregate as the library's repository gives."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

import pytest

from domain.errors import UserNotFound
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from testkit import Org


def change_details(app: SemaApplication, clock: SettableClock, organisation: Org, user_id, times: int) -> None:
    for i in range(times):
        clock.advance(timedelta(seconds=1))
        app.change_details(organisation.admin, clock.now(), [user_id], {"department": f"Team {i}"})


@pytest.mark.parametrize("changes", [0, 3, 24, 30, 55])
def test_a_user_loads_as_the_librarys_repository_gives_it_before_and_after_snapshots(app: SemaApplication, clock: SettableClock, organisation: Org, changes: int) -> None:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    change_details(app, clock, organisation, created.user_id, changes)
    loaded = app.get_user(created.user_id)
    assert vars(loaded) == vars(app.repository.get(created.user_id))
    assert loaded.directory.get("department") == (f"Team {changes - 1}" if changes else None)


def test_a_snapshot_is_read_with_the_events_after_it(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (created,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    change_details(app, clock, organisation, created.user_id, 30)
    snapshot, events = app.recorder.select_snapshot_and_events(created.user_id, app.snapshots.recorder)
    assert snapshot is not None and snapshot.originator_version % 25 == 0
    assert [e.originator_version for e in events] == list(range(snapshot.originator_version + 1, app.get_user(created.user_id).version + 1))


def test_an_unknown_aggregate_is_not_found(app: SemaApplication) -> None:
    with pytest.raises(UserNotFound):
        app.get_user(uuid4())
