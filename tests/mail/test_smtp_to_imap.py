"""Mail sent to a sema user arrives in their Maildir and is read over IMAP with their sema password."""

from __future__ import annotations

import pytest

from sema.application import SemaApplication
from testkit import PASSWORD, START, activate, add_user, organisation_with_admin
from testkit.mail_servers import MailSystem, message

pytestmark = pytest.mark.mail


def test_mail_to_a_user_is_read_back_over_imap_with_the_sema_password(app: SemaApplication, mail_system: MailSystem) -> None:
    org = organisation_with_admin(app, START, code="acme")
    bob = add_user(app, org, START, "Bob", "Baker")
    activate(app, bob, START)
    user = app.get_user(bob.user_id)

    with mail_system.smtp() as smtp:
        smtp.send_message(message("someone@example.org", user.primary_address, "Quarterly figures"))
    (raw,) = mail_system.wait_for_messages(user.mailbox_id, 1)
    assert b"Subject: Quarterly figures" in raw

    with mail_system.imap() as imap:
        imap.login(user.primary_address, PASSWORD)
        imap.select("INBOX")
        _, data = imap.fetch("1", "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")
    assert b"Quarterly figures" in data[0][1]
