"""Notices leave the outbox over real SMTP: once, and not lost while the server is down."""

from __future__ import annotations

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta

from domain.errors import InvalidValue
from policies.mailer import Mailer, SmtpTarget
from policies.runner import PolicyRunner
from testkit import Org, START, SmtpServer, add_user, organisation_with_admin, outbox_rows
from sema.application import SemaApplication
from sema.clock import SettableClock

SIX_MONTHS = relativedelta(months=6)


@pytest.fixture
def org(app: SemaApplication) -> Org:
    return organisation_with_admin(app, START, "org")


@pytest.fixture
def alerted(app: SemaApplication, org: Org) -> SettableClock:
    """One mailbox (besides the administrator's) alerted: two notices to the administrator."""
    add_user(app, org, START, "Mo", "Quiet")
    clock = SettableClock(START + SIX_MONTHS)
    PolicyRunner(app).tick(clock.now())
    assert len(outbox_rows(app)) == 2
    return clock


def test_pending_notices_are_delivered_to_the_smtp_server(app: SemaApplication, org: Org, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    report = Mailer(app, alerted).deliver()
    assert report.sent == 2
    received = smtp_server.inbox.received()
    assert sorted(m.message["Subject"] for m in received) == [
        "Mailbox not used for six months: ada.admin@org.cjsm.net",
        "Mailbox not used for six months: mo.quiet@org.cjsm.net",
    ]
    assert {tuple(m.rcpt_tos) for m in received} == {("ada.admin@org.cjsm.net",)}
    assert {m.mail_from for m in received} == {"notices@cjsm.net"}


def test_each_delivered_message_carries_the_outbox_key_as_its_message_id(app: SemaApplication, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    Mailer(app, alerted).deliver()
    keys = {f"<{r['message_key']}@cjsm.net>" for r in outbox_rows(app)}
    assert {m.message["Message-ID"] for m in smtp_server.inbox.received()} == keys


def test_a_second_delivery_pass_sends_nothing_again(app: SemaApplication, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    mailer = Mailer(app, alerted)
    mailer.deliver()
    alerted.advance(timedelta(days=10))
    assert mailer.deliver().sent == 0
    assert len(smtp_server.inbox.received()) == 2


def test_a_notice_waits_while_the_server_is_down_and_arrives_once_when_it_is_up(app: SemaApplication, alerted: SettableClock, smtp_port: int) -> None:
    mailer = Mailer(app, alerted)
    first = mailer.deliver()  # nothing listens on the port
    assert (first.sent, first.deferred) == (0, 1)
    assert set(mailer.states().values()) == {"retry", "pending"}
    with SmtpServer(smtp_port) as server:
        # The notice never tried goes now; the one that failed waits for its retry.
        assert mailer.deliver().sent == 1
        alerted.advance(timedelta(seconds=app.settings.mail_retry_initial_s))
        assert mailer.deliver().sent == 1
        alerted.advance(timedelta(hours=5))
        assert mailer.deliver().sent == 0
        received = server.inbox.received()
    assert len(received) == 2
    assert len({m.message["Message-ID"] for m in received}) == 2
    assert set(mailer.states().values()) == {"sent"}


def test_retries_back_off_while_the_server_stays_down(app: SemaApplication, alerted: SettableClock) -> None:
    mailer = Mailer(app, alerted)
    waits = []
    for _ in range(4):
        mailer.deliver()
        (row,) = [r for r in _deliveries(app) if r["state"] == "retry"]
        waits.append(row["next_attempt_at"] - alerted.now().replace(tzinfo=None))
        alerted.set(row["next_attempt_at"].replace(tzinfo=alerted.now().tzinfo))
    initial = timedelta(seconds=app.settings.mail_retry_initial_s)
    assert waits == [initial, 2 * initial, 4 * initial, 8 * initial]


def test_a_recipient_refused_for_good_is_marked_failed_and_not_retried(app: SemaApplication, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    smtp_server.inbox.refuse["ada.admin@org.cjsm.net"] = "550 5.1.1 no such mailbox"
    mailer = Mailer(app, alerted)
    report = mailer.deliver()
    assert (report.sent, report.failed) == (0, 2)
    alerted.advance(timedelta(days=30))
    assert mailer.deliver().failed == 0
    assert set(mailer.states().values()) == {"failed"}
    assert all("550" in (r["last_error"] or "") for r in _deliveries(app))


def test_content_refused_for_good_is_marked_failed(app: SemaApplication, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    smtp_server.inbox.refuse_content = "554 5.6.0 content rejected"
    mailer = Mailer(app, alerted)
    assert mailer.deliver().failed == 2
    assert set(mailer.states().values()) == {"failed"}


def test_content_deferred_by_the_server_is_retried_later(app: SemaApplication, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    smtp_server.inbox.refuse_content = "451 4.3.0 try again later"
    mailer = Mailer(app, alerted)
    assert mailer.deliver().deferred == 2
    smtp_server.inbox.refuse_content = None
    alerted.advance(timedelta(seconds=app.settings.mail_retry_initial_s))
    assert mailer.deliver().sent == 2
    assert len(smtp_server.inbox.received()) == 2


def test_rebuilding_the_outbox_sends_nothing_again(app: SemaApplication, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    mailer = Mailer(app, alerted)
    mailer.deliver()
    before = outbox_rows(app)
    app.projections.rebuild(["outbox"])
    assert outbox_rows(app) == before
    assert mailer.deliver().sent == 0
    assert len(smtp_server.inbox.received()) == 2


def test_a_claim_abandoned_by_a_crashed_mailer_is_taken_over_after_its_lease(app: SemaApplication, alerted: SettableClock, smtp_server: SmtpServer) -> None:
    crashed = Mailer(app, alerted)
    for row in outbox_rows(app):
        assert crashed._claim(row["message_key"], alerted.now()) is not None  # claimed, then the process died
    survivor = Mailer(app, alerted)
    assert survivor.deliver().sent == 0
    alerted.advance(timedelta(seconds=app.settings.mail_lease_s))
    assert survivor.deliver().sent == 2
    assert len(smtp_server.inbox.received()) == 2


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", SmtpTarget("mail.example.org", 25, None)),
        ("smtp+starttls://bob:s%40cret@mail.example.org", SmtpTarget("mail.example.org", 587, "starttls", "bob", "s@cret")),
        ("smtps://mail.example.org:2465?cafile=/etc/ca.pem", SmtpTarget("mail.example.org", 2465, "tls", cafile="/etc/ca.pem")),
    ],
)
def test_smtp_urls_name_host_port_security_and_login(url: str, expected: SmtpTarget) -> None:
    assert SmtpTarget.parse(url) == expected


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtp://mail.example.org:notaport"])
def test_a_bad_smtp_url_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(InvalidValue) as refused:
        SmtpTarget.parse(url)
    assert refused.value.field == "smtp_url"


def _deliveries(app: SemaApplication) -> list[dict]:
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from policies.mailer import deliveries

    with Session(app.engine) as session:
        return [dict(r) for r in session.execute(select(deliveries)).mappings()]
