"""Postfix routes by sema: who receives, who is refused at RCPT TO and with what, aliases, lists, relaying."""

from __future__ import annotations

from datetime import timedelta

import pytest

from domain.base import UNDELETE_PERIOD
from sema.application import NewUser, SemaApplication
from testkit import PASSWORD, SERVICE_ADMIN, START, activate, add_user, organisation_with_admin
from testkit.mail_servers import MailSystem, message
from testkit.smtp import SmtpServer

pytestmark = pytest.mark.mail

OUTSIDER = "someone@example.org"


def rcpt(system: MailSystem, address: str) -> tuple[int, str]:
    with system.smtp() as smtp:
        smtp.ehlo()
        smtp.mail(OUTSIDER)
        code, text = smtp.rcpt(address)
    return code, text.decode()


def send(system: MailSystem, to: str, subject: str) -> None:
    with system.smtp() as smtp:
        smtp.send_message(message(OUTSIDER, to, subject))


def test_a_suspended_organisation_refuses_mail_with_its_message_then_receives_again(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    user = app.get_user(add_user(app, org, START, "Bob", "Baker").user_id)
    app.suspend_organisation(org.admin, START, org.id, "Acme's mail is closed for the audit; write to audit@example.org.")

    code, text = rcpt(mail_system, user.primary_address)
    assert code == 554 and text.startswith("5.7.1")
    assert "Acme's mail is closed for the audit; write to audit@example.org." in text

    app.unsuspend_organisation(org.admin, START, org.id)
    assert rcpt(mail_system, user.primary_address)[0] == 250
    send(mail_system, user.primary_address, "Back again")
    assert b"Back again" in mail_system.wait_for_messages(user.mailbox_id, 1)[0]


def test_deleted_purged_and_unknown_addresses_are_refused(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    deleted = app.get_user(add_user(app, org, START, "Dee", "Leted").user_id)
    purged = app.get_user(add_user(app, org, START, "Pearl", "Gone").user_id)
    app.change_statuses(org.admin, START, [deleted.id, purged.id], "delete")
    app.purge_user(SERVICE_ADMIN, START + UNDELETE_PERIOD, purged.id)

    for address in [deleted.primary_address, purged.primary_address, "nobody@acme.cjsm.net"]:
        code, text = rcpt(mail_system, address)
        assert (code, text[:5]) == (550, "5.1.1"), address


def test_a_suspended_user_receives_nothing(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    user = app.get_user(add_user(app, org, START, "Sue", "Spended").user_id)
    app.change_statuses(org.admin, START, [user.id], "suspend")
    assert rcpt(mail_system, user.primary_address)[0] == 550


def test_an_alias_kept_after_a_rename_and_an_old_style_address_reach_the_same_mailbox(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    (created,) = app.add_users(org.admin, START, org.id, [NewUser("Peter", "Pan", old_style_address="peterpan-acme@cjsm.net")])
    old_primary = app.get_user(created.user_id).primary_address
    app.change_last_name(org.admin, START, created.user_id, "Darling")
    user = app.get_user(created.user_id)
    assert old_primary in user.aliases and "peterpan-acme@cjsm.net" in user.aliases

    for address in [user.primary_address, old_primary, "peterpan-acme@cjsm.net"]:
        send(mail_system, address, f"to {address}")
    delivered = mail_system.wait_for_messages(user.mailbox_id, 3)
    assert sorted(next(line for line in raw.splitlines() if line.startswith(b"Subject:")) for raw in delivered) == sorted(
        f"Subject: to {a}".encode() for a in [user.primary_address, old_primary, "peterpan-acme@cjsm.net"]
    )


def test_a_list_reaches_exactly_its_receiving_members(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    other = organisation_with_admin(app, START, code="other")
    ann, ben, cat = (app.get_user(add_user(app, org, START, first, "Member").user_id) for first in ["Ann", "Ben", "Cat"])
    dan = app.get_user(add_user(app, other, START, "Dan", "Elsewhere").user_id)
    eve = app.get_user(add_user(app, org, START, "Eve", "Outside").user_id)
    list_id, address = app.create_distribution_list(org.admin, START, org.id, "Everyone", "everyone", [ann.id, ben.id, cat.id, dan.id])
    app.change_statuses(org.admin, START, [cat.id], "suspend")
    app.suspend_organisation(other.admin, START, other.id, "closed")

    send(mail_system, address, "To the list")
    for member in [ann, ben]:
        (raw,) = mail_system.wait_for_messages(member.mailbox_id, 1)
        assert b"Subject: To the list" in raw
    mail_system.wait_for_queue_empty()
    assert [mail_system.messages(m.mailbox_id) for m in [cat, dan, eve]] == [[], [], []]


def test_an_smtp_users_service_address_is_relayed_to_their_original_address(app: SemaApplication, mail_system: MailSystem, internet: SmtpServer) -> None:
    org = organisation_with_admin(app, START, code="police", account_type="smtp", domains=("police.example",))
    user = app.get_user(add_user(app, org, START, "Jane", "Doe", original_address="jane.doe@police.example").user_id)
    assert user.primary_address == "jane.doe@police.example.cjsm.net"

    send(mail_system, user.primary_address, "Relayed")
    mail_system.wait_for_queue_empty()
    (received,) = internet.inbox.received()
    assert received.rcpt_tos == ["jane.doe@police.example"]
    assert received.message["Subject"] == "Relayed"


def test_only_a_holder_of_the_mail_permission_sends_as_a_group_mailbox(app: SemaApplication, mail_system: MailSystem, internet: SmtpServer) -> None:
    org = organisation_with_admin(app, START, code="acme")
    holder, other = (add_user(app, org, START, first, "Sender") for first in ["Hal", "Otto"])
    for created in [holder, other]:
        activate(app, created, START)
    mailbox_id, group_address = app.create_group_mailbox(org.admin, START, org.id, "Sales", "sales")
    app.grant_mailbox_permission(org.admin, START, mailbox_id, holder.user_id, "mail")

    def send_as_group(created: object) -> tuple[int, str]:
        user = app.get_user(created.user_id)  # type: ignore[attr-defined]
        with mail_system.smtp(mail_system.submission_port) as smtp:
            smtp.login(user.primary_address, PASSWORD)
            code, text = smtp.mail(group_address)
            if code == 250:
                code, text = smtp.rcpt("customer@example.org")
        return code, text.decode()

    assert send_as_group(holder)[0] == 250
    code, text = send_as_group(other)
    assert code == 553 and "not owned by user" in text
    app.revoke_mailbox_permission(org.admin, START + timedelta(minutes=1), mailbox_id, holder.user_id, "mail")
    assert send_as_group(holder)[0] == 553
