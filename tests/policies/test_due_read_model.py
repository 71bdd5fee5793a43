"""The due-work read model is tracked and rebuildable like any other."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.runner import PolicyRunner
from testkit import SERVICE_ADMIN, START, activate, add_user, organisation_with_admin
from sema.application import SemaApplication


def due_tables(app: SemaApplication) -> dict[str, list[tuple]]:
    due = app.projections.by_name(["due"])[0]
    with Session(app.engine) as session:
        return {t.name: sorted(tuple(r) for r in session.execute(select(t))) for t in due.metadata.sorted_tables}


def busy_history(app: SemaApplication) -> None:
    org = organisation_with_admin(app, START, "org")
    jane, john, kim = (add_user(app, org, START, "Jane", n) for n in ("Doe", "Roe", "Poe"))
    activate(app, john, START)
    app.change_statuses(org.admin, START, [jane.user_id], "delete")
    app.change_statuses(org.admin, START + timedelta(days=2), [jane.user_id], "undelete")
    app.change_statuses(org.admin, START + timedelta(days=3), [kim.user_id], "delete")
    app.issue_challenge(org.admin, START + timedelta(days=1), john.user_id)
    assert john.mailbox_id is not None
    grant = app.request_exceptional_access(org.admin, START, "mailbox_access", john.mailbox_id, "long illness")
    app.decide_exceptional_access(SERVICE_ADMIN, START, "mailbox_access", john.mailbox_id, grant, approve=True)
    app.record_mailbox_use(SERVICE_ADMIN, START + timedelta(days=5), john.mailbox_id)
    PolicyRunner(app).tick(START + timedelta(days=200))


def test_the_due_read_model_rebuilt_from_scratch_equals_the_one_kept_inline(app: SemaApplication) -> None:
    busy_history(app)
    inline = due_tables(app)
    assert any(inline.values())
    app.projections.rebuild(["due"])
    assert due_tables(app) == inline


def test_what_is_left_due_after_a_pass_is_only_what_is_not_yet_due(app: SemaApplication) -> None:
    busy_history(app)
    tables = due_tables(app)
    # Everything due by day 200 was done; what remains falls due later.
    assert tables["sema_due_deleted_users"] == []
    assert tables["sema_due_one_time_passwords"] == []
    assert tables["sema_due_challenges"] == []
    assert tables["sema_due_grants"] == []
    assert all(row[3] is None or row[3] > (START + timedelta(days=200)).replace(tzinfo=None) for row in tables["sema_due_mailboxes"])
