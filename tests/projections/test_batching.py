"""However the history is cut into batches, every read model ends the same.

Rebuilding one event per batch is the reference: then no handler can read
rows an earlier event of its batch left unwritten. The history is made of
events whose handlers read what the events just before them wrote (the
organisation a user joins, the row a rename rewrites, the mailbox a request
names, the user a notice is addressed to, a member removed and added back).
Frameworks that buffer wrongly are shown to fail this very check."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

import projections.batch
import projections.framework
from domain.actors import Actor, Role, system_actor
from projections.batch import Batch
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.credentials import normalise_answer

from testkit.read_side import snapshot

ANSWERS = {"mothers_maiden_name": "Darling", "first_school": "Kensington Gardens", "place_of_birth": "Bloomsbury"}
ALL = ("directory", "admin_search", "routing", "address_book", "grants", "ledger", "due", "outbox")


def _history(app: SemaApplication, admin: Actor, clock: SettableClock) -> None:
    at = clock.now()
    org = app.register_organisation(admin, at, name="Hollowfield Solicitors", code="hollow", account_type="mailbox")
    police = app.register_organisation(admin, at, name="Police", code="police", account_type="smtp", domains=["police.gov.uk"])
    people = app.add_users(admin, at, org, [NewUser("Peter", "Pan"), NewUser("Wendy", "Darling"), NewUser("John", "Smith", ex_directory=True)])
    (jane,) = app.add_users(admin, at, police, [NewUser("Jane", "Doe", original_address="jane.doe@police.gov.uk")])
    peter, wendy, john = (p.user_id for p in people)
    app.appoint_administrator(admin, at, org, wendy)
    app.change_last_name(admin, at, peter, "Piper")
    app.change_details(admin, at, [peter, wendy], {"job_title": "Clerk", "department": "Listings"})
    # Wendy activates, is authenticated by an administrator and has her password reset twice.
    actor = app.log_in(people[1].username, people[1].one_time_password or "", at).actor()
    app.complete_first_log_in(actor, at, "second star to the right", ANSWERS)
    for _ in range(2):
        prompt = app.issue_challenge(admin, at, wendy)
        assert app.answer_challenge(admin, at, wendy, prompt.challenge_id, [normalise_answer(ANSWERS[q])[p - 1] for q, p in prompt.positions])
        app.reset_password(admin, at, wendy)
    app.change_statuses(admin, at, [peter, john], "suspend")
    app.change_statuses(admin, at, [peter], "unsuspend")
    app.change_statuses(admin, at, [john], "mark_ex_directory")
    list_id, _ = app.create_distribution_list(admin, at, org, "Team", "team", [peter, wendy])
    app.remove_list_member(admin, at, list_id, peter)
    app.add_list_member(admin, at, list_id, peter)
    app.rename_distribution_list(admin, at, list_id, "Night Shift")
    desk, _ = app.create_group_mailbox(admin, at, org, "Front Desk", "desk")
    app.grant_mailbox_permission(admin, at, desk, wendy, "read")
    mailbox = app.get_user(peter).mailbox_id
    assert mailbox is not None
    refused = app.request_exceptional_access(admin, at, "mailbox_access", mailbox, "long illness")
    approver = system_actor("approver")  # four eyes: not the requester
    app.decide_exceptional_access(approver, at, "mailbox_access", mailbox, refused, False, "not enough")
    granted = app.request_exceptional_access(admin, at, "mailbox_access", mailbox, "long illness")
    app.decide_exceptional_access(approver, at, "mailbox_access", mailbox, granted, True)
    app.save_address_book_entry(Actor(str(wendy), Role.USER), at, "distribution_list", list_id)
    app.change_statuses(admin, at, [john], "delete")
    app.purge_user(admin, at + timedelta(days=40), john)
    # John's released address, taken again in a later event of the same batch.
    app.add_users(admin, at + timedelta(days=40), org, [NewUser("John", "Smith")])
    app.send_inactivity_alert(admin, at + timedelta(days=200), desk)
    app.delete_distribution_list(admin, at, list_id)
    app.suspend_organisation(admin, at, police, "down for maintenance")
    app.change_statuses(admin, at, [jane.user_id], "delete")


def _rebuilt(app: SemaApplication, batch_size: int) -> Any:
    """Every read model rebuilt in batches of ``batch_size`` events, or the error that stopped it."""
    try:
        app.projections.rebuild(ALL, batch_size=batch_size)
    except Exception as error:  # a broken framework may fail outright: that is caught too
        return type(error).__name__
    return snapshot(app, ALL)


def test_read_models_are_the_same_whatever_the_batch_size(app: SemaApplication, clock: SettableClock, service_admin: Actor) -> None:
    _history(app, service_admin, clock)
    kept_inline = snapshot(app, ALL)
    one_at_a_time = _rebuilt(app, 1)
    assert one_at_a_time == kept_inline
    for size in (2, 7, 50, 10_000):
        assert _rebuilt(app, size) == one_at_a_time, f"batches of {size}"


class ReadsBeforeWrites(Batch):
    """Deliberately wrong: reads do not wait for the writes queued before them."""

    def _flush_through(self, table: Any) -> None:
        pass


def test_the_check_catches_reads_that_miss_earlier_writes_of_their_batch(
    app: SemaApplication, clock: SettableClock, service_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(app, service_admin, clock)
    reference = _rebuilt(app, 1)
    monkeypatch.setattr(projections.framework, "Batch", ReadsBeforeWrites)
    assert _rebuilt(app, 10_000) != reference


def test_the_check_catches_writes_reordered_past_writes_to_the_same_rows(
    app: SemaApplication, clock: SettableClock, service_admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    _history(app, service_admin, clock)
    reference = _rebuilt(app, 1)
    monkeypatch.setattr(projections.batch, "independent", lambda *args: True)
    assert _rebuilt(app, 10_000) != reference
