"""Helpers for read-side tests: read what a query answers, and snapshot every read-model table."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from domain.actors import Actor, Role, system_actor
from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.credentials import normalise_answer

# The read models this suite owns (the ledger and others have their own tests).
READ_SIDE = ("directory", "admin_search", "routing", "address_book", "grants")


def read(app: SemaApplication, query: Any, *args: Any, **kwargs: Any) -> Any:
    with Session(app.engine) as session:
        return query(session, *args, **kwargs)


def _normal(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    if isinstance(value, dict):
        return tuple(sorted((k, _normal(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_normal(v) for v in value)
    if isinstance(value, int) and not isinstance(value, bool) and value in (0, 1):
        return value
    return value


def snapshot(app: SemaApplication, names: tuple[str, ...] = READ_SIDE) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of the named read models (and their FTS rows, or
    PostgreSQL's directory trigrams), in key order."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    row_id = "rowid, " if app.engine.dialect.name == "sqlite" else ""
    with Session(app.engine) as session:
        for model in app.projections.by_name(names):
            for table in model.metadata.sorted_tables:
                rows = session.execute(select(table)).all()
                tables[table.name] = sorted((tuple(_normal(v) for v in row) for row in rows), key=repr)
            for extra in model.extra_table_names():
                rows = session.execute(text(f"SELECT {row_id}* FROM {extra}")).all()
                tables[extra] = sorted((tuple(row) for row in rows), key=repr)
    return tables


HISTORY_ANSWERS = {"mothers_maiden_name": "Darling", "first_school": "Kensington Gardens", "place_of_birth": "Bloomsbury"}


def varied_history(app: SemaApplication, admin: Actor, clock: SettableClock) -> None:
    """A history whose handlers read what the events just before them wrote (the
    organisation a user joins, the row a rename rewrites, the mailbox a request
    names, a member removed and added back): every read model has work."""
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
    app.complete_first_log_in(actor, at, "second star to the right", HISTORY_ANSWERS)
    for _ in range(2):
        prompt = app.issue_challenge(admin, at, wendy)
        assert app.answer_challenge(admin, at, wendy, prompt.challenge_id, [normalise_answer(HISTORY_ANSWERS[q])[p - 1] for q, p in prompt.positions])
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
