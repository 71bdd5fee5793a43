"""Dovecot authenticates by sema: the sema password, refused states, resets;
failed IMAP log-ins count like failed sema log-ins; a log-in is mailbox use."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from domain.errors import InvalidCredentials
from domain.user import Status
from policies.runner import PolicyRunner
from sema.application import SemaApplication
from testkit import PASSWORD, START, activate, add_user, event_names, organisation_with_admin, pass_challenge
from testkit.mail_servers import MailSystem, eventually, imap_can_log_in, imap_refusal

pytestmark = pytest.mark.mail

NEW_PASSWORD = "another long password 77"


def test_a_not_yet_activated_user_cannot_log_in_over_imap(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    created = add_user(app, org, START, "Nat", "New")
    address = app.get_user(created.user_id).primary_address
    assert not imap_can_log_in(mail_system, address, created.one_time_password or "", source="127.0.0.2")


def test_suspended_and_locked_users_and_a_suspended_organisation_cannot_log_in(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    sue, lou = (add_user(app, org, START, first, "Blocked") for first in ["Sue", "Lou"])
    for created in [sue, lou]:
        activate(app, created, START)
    sue_address, lou_address = (app.get_user(c.user_id).primary_address for c in [sue, lou])
    assert imap_can_log_in(mail_system, sue_address, PASSWORD)

    app.change_statuses(org.admin, START, [sue.user_id], "suspend")
    for attempt in range(app.settings.max_failed_log_ins):
        with pytest.raises(InvalidCredentials):  # an hour apart: past the log-in throttle's delays
            app.log_in(lou.username, "not the password at all", START + timedelta(hours=attempt))
    assert app.get_user(lou.user_id).status == Status.LOCKED

    assert "This account is suspended." in str(imap_refusal(mail_system, sue_address, PASSWORD, source="127.0.0.3"))
    assert "This account is locked" in str(imap_refusal(mail_system, lou_address, PASSWORD, source="127.0.0.4"))

    app.change_statuses(org.admin, START, [sue.user_id], "unsuspend")
    assert imap_can_log_in(mail_system, sue_address, PASSWORD, source="127.0.0.5")
    app.suspend_organisation(org.admin, START, org.id, "closed")
    assert "mail service is suspended" in str(imap_refusal(mail_system, sue_address, PASSWORD, source="127.0.0.6"))
    # Refused with the right password is not a failed log-in.
    assert app.get_user(sue.user_id).failed_log_ins == 0


def test_a_password_reset_in_sema_takes_effect_at_the_next_imap_log_in(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    created = add_user(app, org, START, "Rita", "Reset")
    activate(app, created, START)
    address = app.get_user(created.user_id).primary_address
    assert imap_can_log_in(mail_system, address, PASSWORD)

    pass_challenge(app, org.admin, created.user_id, START)
    one_time_password, _ = app.reset_password(org.admin, START, created.user_id)
    assert not imap_can_log_in(mail_system, address, PASSWORD, source="127.0.0.7")
    assert not imap_can_log_in(mail_system, address, one_time_password, source="127.0.0.8")

    actor = app.log_in(created.username, one_time_password, START).actor()
    app.complete_first_log_in(actor, START, NEW_PASSWORD, None)
    assert imap_can_log_in(mail_system, address, NEW_PASSWORD, source="127.0.0.9")
    assert not imap_can_log_in(mail_system, address, PASSWORD, source="127.0.0.10")


def test_failed_imap_log_ins_count_like_failed_sema_log_ins_and_lock_the_account(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    created = add_user(app, org, START, "Gus", "Guesser")
    activate(app, created, START)
    address = app.get_user(created.user_id).primary_address
    limit = app.settings.max_failed_log_ins

    for attempt in range(1, limit + 1):
        assert not imap_can_log_in(mail_system, address, f"wrong guess number {attempt}", source=f"127.0.1.{attempt}")
        eventually(lambda: app.get_user(created.user_id).failed_log_ins == attempt)

    assert app.get_user(created.user_id).status == Status.LOCKED
    assert not imap_can_log_in(mail_system, address, PASSWORD, source="127.0.1.99")
    with pytest.raises(InvalidCredentials):  # sema's own log-in sees the same lock
        app.log_in(created.username, PASSWORD, START)


def test_an_imap_log_in_is_mailbox_use_and_the_inactivity_alert_does_not_fire_for_it(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    reader, idle = (add_user(app, org, START, first, "Person") for first in ["Rea", "Ida"])
    for created in [reader, idle]:
        activate(app, created, START)
    logged_in_at = START + relativedelta(months=5)
    mail_system.clock.append(logged_in_at)

    assert imap_can_log_in(mail_system, app.get_user(reader.user_id).primary_address, PASSWORD)
    eventually(lambda: app.get_mailbox(reader.mailbox_id).last_used_at == logged_in_at)
    # More log-ins within the hour are not recorded again.
    mail_system.clock.append(logged_in_at + timedelta(minutes=59))
    assert imap_can_log_in(mail_system, app.get_user(reader.user_id).primary_address, PASSWORD)
    mail_system.clock.append(logged_in_at + timedelta(minutes=61))
    assert imap_can_log_in(mail_system, app.get_user(reader.user_id).primary_address, PASSWORD)
    eventually(lambda: app.get_mailbox(reader.mailbox_id).last_used_at == logged_in_at + timedelta(minutes=61))
    assert event_names(app, reader.mailbox_id).count("Mailbox.Used") == 2

    PolicyRunner(app).tick(START + relativedelta(months=6, days=1))
    assert "Mailbox.InactivityAlertSent" not in event_names(app, reader.mailbox_id)
    assert "Mailbox.InactivityAlertSent" in event_names(app, idle.mailbox_id)
