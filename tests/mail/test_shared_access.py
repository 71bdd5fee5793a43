"""Group mailboxes and exceptional access, enforced by Dovecot: a person opens
a mailbox that is not theirs by logging in as ``mailbox*themselves`` with their
own password, and Dovecot's ACLs give them what sema's permissions say."""

from __future__ import annotations

import imaplib
import time
from datetime import datetime, timedelta, timezone

import pytest

from sema.application import SemaApplication
from testkit import PASSWORD, event_names, SERVICE_ADMIN, START, activate, add_user, organisation_with_admin
from testkit.mail_servers import MailSystem, eventually, imap_refusal, message

pytestmark = pytest.mark.mail

NOTE = b"From: a@example.org\r\nSubject: filed\r\n\r\nA note.\r\n"


def can_append(imap: imaplib.IMAP4) -> bool:
    """Asked before any SELECT, so the server's ACL answers, not imaplib's read-only flag."""
    status, _ = imap.append("INBOX", "", imaplib.Time2Internaldate(time.time()), NOTE)
    return status == "OK"


def test_group_mailbox_read_and_write_permissions_are_what_dovecot_allows(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    reader, writer, sender, stranger = (add_user(app, org, START, first, "Staff") for first in ["Rae", "Wes", "Sam", "Stu"])
    for created in [reader, writer, sender, stranger]:
        activate(app, created, START)
    address_of = {c.user_id: app.get_user(c.user_id).primary_address for c in [reader, writer, sender, stranger]}
    mailbox_id, group = app.create_group_mailbox(org.admin, START, org.id, "Sales", "sales")
    for created, permission in [(reader, "read"), (writer, "write"), (sender, "mail")]:
        app.grant_mailbox_permission(org.admin, START, mailbox_id, created.user_id, permission)
    with mail_system.smtp() as smtp:
        smtp.send_message(message("customer@example.org", group, "An order"))
    mail_system.wait_for_messages(mailbox_id, 1)

    with mail_system.imap() as imap:
        imap.login(f"{group}*{address_of[reader.user_id]}", PASSWORD)
        assert not can_append(imap)
        with pytest.raises(imaplib.IMAP4.readonly):  # the server opened it READ-ONLY
            imap.select("INBOX")
        imap.select("INBOX", readonly=True)
        _, data = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"An order" in data[0][1]

    with mail_system.imap() as imap:
        imap.login(f"{group}*{address_of[writer.user_id]}", PASSWORD)
        assert can_append(imap)
        imap.select("INBOX")
        assert imap.search(None, "ALL")[1][0].split() == [b"1", b"2"]

    # Opening a group mailbox is its use; the report arrives after the log-in.
    eventually(lambda: "Mailbox.Used" in event_names(app, mailbox_id))

    # The "mail" permission alone, or none, opens nothing.
    for created, source in [(sender, "127.0.2.1"), (stranger, "127.0.2.2")]:
        assert imap_refusal(mail_system, f"{group}*{address_of[created.user_id]}", PASSWORD, source=source) is not None

    app.revoke_mailbox_permission(org.admin, START + timedelta(minutes=1), mailbox_id, reader.user_id, "read")
    assert imap_refusal(mail_system, f"{group}*{address_of[reader.user_id]}", PASSWORD, source="127.0.2.3") is not None


def test_exceptional_access_opens_the_mailbox_read_only_until_it_expires_or_is_revoked(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    activate(app, org.admin_user, START)
    admin_address = app.get_user(org.admin_user.user_id).primary_address
    owner = add_user(app, org, START, "Olga", "Owner")
    owner_address = app.get_user(owner.user_id).primary_address
    with mail_system.smtp() as smtp:
        smtp.send_message(message("someone@example.org", owner_address, "Private"))
    mail_system.wait_for_messages(owner.mailbox_id, 1)
    login = f"{owner_address}*{admin_address}"

    assert imap_refusal(mail_system, login, PASSWORD, source="127.0.3.1") is not None  # no grant yet

    # Granted so that it ends a few seconds from now: Dovecot compares with its own clock.
    lifetime = app.settings.exceptional_access_lifetime
    decided_at = datetime.now(timezone.utc) - lifetime + timedelta(seconds=4)
    grant_id = app.request_exceptional_access(org.admin, decided_at, "mailbox_access", owner.mailbox_id, "investigation 42")
    assert imap_refusal(mail_system, login, PASSWORD, source="127.0.3.2") is not None  # requested, not granted
    app.decide_exceptional_access(SERVICE_ADMIN, decided_at, "mailbox_access", owner.mailbox_id, grant_id, True)

    with mail_system.imap() as imap:
        imap.login(login, PASSWORD)
        assert not can_append(imap)
        with pytest.raises(imaplib.IMAP4.readonly):
            imap.select("INBOX")
        imap.select("INBOX", readonly=True)
        _, data = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
        assert b"Private" in data[0][1]

    assert "Mailbox.Used" not in event_names(app, owner.mailbox_id)  # exceptional access is not the owner's use
    time.sleep(max(0.0, (decided_at + lifetime - datetime.now(timezone.utc)).total_seconds()) + 0.5)
    assert imap_refusal(mail_system, login, PASSWORD, source="127.0.3.3") is not None  # expired: no policy run needed

    again = datetime.now(timezone.utc)
    grant_id = app.request_exceptional_access(org.admin, again, "mailbox_access", owner.mailbox_id, "investigation 43")
    app.decide_exceptional_access(SERVICE_ADMIN, again, "mailbox_access", owner.mailbox_id, grant_id, True)
    assert imap_refusal(mail_system, login, PASSWORD, source="127.0.3.4") is None
    app.revoke_exceptional_access(org.admin, again + timedelta(seconds=1), "mailbox_access", owner.mailbox_id, grant_id)
    assert imap_refusal(mail_system, login, PASSWORD, source="127.0.3.5") is not None


def test_a_wrong_password_opening_a_group_mailbox_counts_against_the_person(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    reader = add_user(app, org, START, "Rae", "Staff")
    activate(app, reader, START)
    mailbox_id, group = app.create_group_mailbox(org.admin, START, org.id, "Sales", "sales")
    app.grant_mailbox_permission(org.admin, START, mailbox_id, reader.user_id, "read")
    login = f"{group}*{app.get_user(reader.user_id).primary_address}"

    assert imap_refusal(mail_system, login, "not the password at all", source="127.0.4.1") is not None
    eventually(lambda: app.get_user(reader.user_id).failed_log_ins == 1)
