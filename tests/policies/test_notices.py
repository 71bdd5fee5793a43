"""Which events write which notices, to whom, and that no secret is ever in one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policies.runner import PolicyRunner
from testkit import ANSWERS, Org, PASSWORD, SERVICE_ADMIN, START, activate, add_user, fail_log_ins, organisation_with_admin, outbox_rows, pass_challenge
from sema.application import SemaApplication


@pytest.fixture
def org(app: SemaApplication) -> Org:
    return organisation_with_admin(app, START, "org")


@pytest.fixture
def police(app: SemaApplication) -> Org:
    return organisation_with_admin(app, START, "police", account_type="smtp", domains=("police.gov.uk",))


def rows_for(app: SemaApplication, reason: str) -> list[dict]:
    return [r for r in outbox_rows(app) if r["reason"] == reason]


def test_a_user_authenticated_by_security_letters_is_told_at_their_secure_address(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    activate(app, jane, START)
    pass_challenge(app, org.admin, jane.user_id, START + timedelta(hours=1))
    (row,) = rows_for(app, "authenticated_by_security_letters")
    assert (row["recipient"], row["subject"]) == ("jane.doe@org.cjsm.net", "An administrator confirmed your identity")
    assert "On 05 January 2026 at 10:00 UTC, Ada Admin, an administrator, confirmed your identity" in row["body"]


def test_an_smtp_user_is_told_at_their_original_address(app: SemaApplication, police: Org) -> None:
    jane = add_user(app, police, START, "Jane", "Doe", original_address="jane.doe@police.gov.uk")
    activate(app, jane, START)
    pass_challenge(app, police.admin, jane.user_id, START)
    (row,) = rows_for(app, "authenticated_by_security_letters")
    assert row["recipient"] == "jane.doe@police.gov.uk"


def test_a_failed_challenge_writes_no_notice(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    activate(app, jane, START)
    prompt = app.issue_challenge(org.admin, START, jane.user_id)
    assert not app.answer_challenge(org.admin, START, jane.user_id, prompt.challenge_id, ["#"] * len(prompt.positions))
    assert rows_for(app, "authenticated_by_security_letters") == []


def test_a_user_unlocked_by_their_administrator_is_told_who_unlocked_them(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    activate(app, jane, START)
    at = fail_log_ins(app, jane.username, START, app.settings.max_failed_log_ins)
    app.change_statuses(org.admin, at, [jane.user_id], "unlock")
    (row,) = rows_for(app, "account_unlocked")
    assert (row["recipient"], row["subject"]) == ("jane.doe@org.cjsm.net", "Your account has been unlocked")
    assert "Ada Admin, an administrator, unlocked your account" in row["body"]


def test_a_user_whose_password_was_reset_is_told_without_the_new_password(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    activate(app, jane, START)
    pass_challenge(app, org.admin, jane.user_id, START)
    one_time_password, _ = app.reset_password(org.admin, START, jane.user_id)
    (row,) = rows_for(app, "password_reset")
    assert (row["recipient"], row["subject"]) == ("jane.doe@org.cjsm.net", "Your password was reset")
    assert one_time_password not in row["body"]


def test_the_requester_is_told_of_a_granted_request_and_the_owner_of_the_access(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    assert jane.mailbox_id is not None
    grant = app.request_exceptional_access(org.admin, START, "mailbox_access", jane.mailbox_id, "long illness")
    app.decide_exceptional_access(SERVICE_ADMIN, START + timedelta(days=1), "mailbox_access", jane.mailbox_id, grant, approve=True)
    (to_requester,) = rows_for(app, "exceptional_access_granted")
    assert (to_requester["recipient"], to_requester["subject"]) == ("ada.admin@org.cjsm.net", "Exceptional access request granted")
    assert "access to the mailbox of Jane Doe" in to_requester["body"] and "until 05 February 2026 at 09:00 UTC" in to_requester["body"]
    (to_owner,) = rows_for(app, "mailbox_access_granted_to_owner")
    assert (to_owner["recipient"], to_owner["subject"]) == ("jane.doe@org.cjsm.net", "Exceptional access to your mailbox has been granted")
    assert "The reason given: long illness" in to_owner["body"]


def test_the_requester_is_told_of_a_refusal_with_its_reason(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    grant = app.request_exceptional_access(org.admin, START, "user_reset", jane.user_id, "locked out before activating")
    app.decide_exceptional_access(SERVICE_ADMIN, START, "user_reset", jane.user_id, grant, approve=False, reason="ask the user to call the helpdesk")
    (row,) = rows_for(app, "exceptional_access_refused")
    assert (row["recipient"], row["subject"]) == ("ada.admin@org.cjsm.net", "Exceptional access request refused")
    assert "reset of the user Jane Doe" in row["body"] and "The reason given: ask the user to call the helpdesk" in row["body"]
    assert rows_for(app, "mailbox_access_granted_to_owner") == []


def test_a_deleted_administrator_is_not_sent_the_inactivity_alert(app: SemaApplication, org: Org) -> None:
    other = add_user(app, org, START, "Bea", "Boss")
    app.appoint_administrator(SERVICE_ADMIN, START, org.id, other.user_id)
    app.change_statuses(SERVICE_ADMIN, START, [org.admin_user.user_id], "delete")
    add_user(app, org, START, "Mo", "Quiet")
    PolicyRunner(app).tick(START + timedelta(days=200))
    recipients = {r["recipient"] for r in rows_for(app, "inactivity_alert")}
    assert recipients == {"bea.boss@org.cjsm.net"}


def test_a_notice_is_written_in_the_same_transaction_as_its_event(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    activate(app, jane, START)
    pass_challenge(app, org.admin, jane.user_id, START)
    (row,) = rows_for(app, "authenticated_by_security_letters")
    # Visible as soon as the command returned, at the position of the event that caused it.
    passed = [e for e in app.repository.event_store.get(jane.user_id) if type(e).__qualname__ == "User.ChallengePassed"]
    with app.transaction(commit=False) as session:
        from sqlalchemy import select

        record = app.recorder.events_record_cls
        position = session.execute(
            select(record.id).where(record.originator_id == jane.user_id, record.originator_version == passed[0].originator_version)
        ).scalar_one()
    assert row["seq"] == position


def test_no_secret_from_a_full_scenario_reaches_any_notice(app: SemaApplication, org: Org, police: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    activate(app, jane, START)
    pass_challenge(app, org.admin, jane.user_id, START)
    new_password, _ = app.reset_password(org.admin, START, jane.user_id)
    sam = add_user(app, police, START, "Sam", "Vimes", original_address="sam.vimes@police.gov.uk")
    activate(app, sam, START)
    pass_challenge(app, police.admin, sam.user_id, START)
    assert sam.mailbox_id is None
    grant = app.request_exceptional_access(police.admin, START, "user_reset", sam.user_id, "forgotten answers")
    app.decide_exceptional_access(SERVICE_ADMIN, START, "user_reset", sam.user_id, grant, approve=True)
    reset_password, _ = app.reset_user(police.admin, START, sam.user_id, grant)
    PolicyRunner(app).tick(START + timedelta(days=200))
    secrets = [PASSWORD, new_password, reset_password, *ANSWERS.values()]
    secrets += [u.one_time_password for u in (jane, sam, org.admin_user, police.admin_user) if u.one_time_password]
    text = "\n".join(f"{r['subject']}\n{r['body']}" for r in outbox_rows(app)).lower()
    assert len(outbox_rows(app)) >= 6
    for secret in secrets:
        assert secret.lower() not in text


def test_a_rebuilt_outbox_equals_the_one_kept_inline(app: SemaApplication, org: Org) -> None:
    jane = add_user(app, org, START, "Jane", "Doe")
    activate(app, jane, START)
    pass_challenge(app, org.admin, jane.user_id, START)
    app.reset_password(org.admin, START, jane.user_id)
    PolicyRunner(app).tick(START + timedelta(days=200))
    inline = outbox_rows(app)
    app.projections.rebuild(["outbox", "due"])
    assert outbox_rows(app) == inline
