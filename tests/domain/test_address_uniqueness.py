"""Every address in the service is unique, case-insensitively, at all times:
deleted users keep theirs until purged; purged users', removed aliases' and
deleted lists' addresses are released."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.base import UNDELETE_PERIOD
from domain.errors import AddressTaken, BulkValidationFailed
from policies.runner import PolicyRunner
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from testkit import Org, SERVICE_ADMIN



def test_a_list_cannot_take_a_users_address(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    with pytest.raises(AddressTaken) as taken:
        app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Jane's list", "jane.doe")
    assert taken.value.address == jane.address


def test_a_group_mailbox_cannot_take_a_lists_address_in_another_case(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Team", "team")
    with pytest.raises(AddressTaken):
        app.create_group_mailbox(organisation.admin, clock.now(), organisation.id, "Team", "TEAM")


def test_an_original_address_in_another_case_is_already_in_use(app: SemaApplication, clock: SettableClock, smtp_organisation: Org) -> None:
    app.add_users(smtp_organisation.admin, clock.now(), smtp_organisation.id, [NewUser("Jane", "Doe", original_address="Jane.Doe@police.gov.uk")])
    with pytest.raises(BulkValidationFailed) as refused:
        app.add_users(smtp_organisation.admin, clock.now(), smtp_organisation.id, [NewUser("Jane", "Doe", original_address="jane.doe@POLICE.gov.uk")])
    assert [(e["row"], e["field"]) for e in refused.value.errors] == [(1, "original_address")]
    assert "already in use" in refused.value.errors[0]["message"]


def test_a_changed_original_address_cannot_take_another_users_address(app: SemaApplication, clock: SettableClock, smtp_organisation: Org) -> None:
    jane, john = app.add_users(
        smtp_organisation.admin,
        clock.now(),
        smtp_organisation.id,
        [NewUser("Jane", "Doe", original_address="jane@police.gov.uk"), NewUser("John", "Doe", original_address="john@police.gov.uk")],
    )
    with pytest.raises(AddressTaken):
        app.change_original_address(smtp_organisation.admin, clock.now(), john.user_id, "JANE@police.gov.uk")
    assert app.get_user(john.user_id).primary_address == "john@police.gov.uk.cjsm.net"


def test_a_deleted_users_address_is_still_held(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    app.change_statuses(organisation.admin, clock.now(), [jane.user_id], "delete")
    clock.advance(UNDELETE_PERIOD)
    with pytest.raises(AddressTaken):
        app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Jane's list", "jane.doe")
    (another,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    assert another.address == "jane.doe2@org.cjsm.net"


def test_a_purged_users_addresses_are_released(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    app.change_last_name(organisation.admin, clock.now(), jane.user_id, "Smith")  # jane.doe stays as an alias
    app.change_statuses(organisation.admin, clock.now(), [jane.user_id], "delete")
    clock.advance(UNDELETE_PERIOD)
    app.purge_user(SERVICE_ADMIN, clock.now(), jane.user_id)
    doe, smith = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe"), NewUser("Jane", "Smith")])
    assert (doe.address, doe.username) == ("jane.doe@org.cjsm.net", "jane.doe")
    assert (smith.address, smith.username) == ("jane.smith@org.cjsm.net", "jane.smith")


def test_a_new_last_name_gives_a_new_address_and_the_old_one_stays_as_a_held_alias(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    address = app.change_last_name(organisation.admin, clock.now(), jane.user_id, "Smith")
    assert address == "jane.smith@org.cjsm.net"
    assert app.get_user(jane.user_id).addresses == ["jane.smith@org.cjsm.net", "jane.doe@org.cjsm.net"]
    with pytest.raises(AddressTaken):
        app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Doe", "jane.doe")


def test_a_new_last_name_that_folds_the_same_keeps_the_address(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    first, second = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "OBrien"), NewUser("Jane", "OBrien")])
    assert app.change_last_name(organisation.admin, clock.now(), first.user_id, "O'Brien") == "jane.obrien@org.cjsm.net"
    assert app.change_last_name(organisation.admin, clock.now(), second.user_id, "O’Brien") == "jane.obrien2@org.cjsm.net"
    assert app.get_user(second.user_id).aliases == []


def test_a_removed_alias_is_released(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    app.change_last_name(organisation.admin, clock.now(), jane.user_id, "Smith")
    app.remove_alias(organisation.admin, clock.now(), jane.user_id, "Jane.Doe@org.cjsm.net")
    _, address = app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Doe", "jane.doe")
    assert address == "jane.doe@org.cjsm.net"


def test_a_deleted_lists_address_is_kept_for_its_undo_period_then_released(app: SemaApplication, clock: SettableClock, organisation: Org) -> None:
    list_id, _ = app.create_distribution_list(organisation.admin, clock.now(), organisation.id, "Team", "team")
    restorable_until = app.delete_distribution_list(organisation.admin, clock.now(), list_id)
    with pytest.raises(AddressTaken):
        app.create_group_mailbox(organisation.admin, clock.now(), organisation.id, "Team", "team")
    PolicyRunner(app).tick(restorable_until)
    _, address = app.create_group_mailbox(organisation.admin, restorable_until, organisation.id, "Team", "team")
    assert address == "team@org.cjsm.net"
