"""Delivery of the outbox over SMTP, each notice once, none lost.

The outbox rows (``projections.outbox``) say what to send; this module keeps
what happened to each in its own table, ``sema_mail_deliveries``, which is
delivery state, not a read model: a rebuild of the outbox leaves it alone.

A notice is *claimed* before it is sent: its delivery row is set to
``sending`` with a lease, by a conditional update (or an insert that fails
if another mailer inserted first), so of two mailers racing for a row only
one wins. After the SMTP server accepted it the row becomes ``sent`` and is
never picked again. A temporary failure (server down, 4xx) sets ``retry``
with a backoff doubling from ``mail_retry_initial_s`` up to
``mail_retry_max_s``, for ever: a notice waits while the server is down and
goes once it is up; so does a refused log-in or sender (a configuration
problem, not the notice's). A permanent refusal of the notice itself (5xx to
its recipient or its content) sets ``failed`` with the server's answer, for
a person to look at.

The one window for a duplicate: the process dies after the server accepted
the message and before the ``sent`` mark commits. The lease then runs out
(``mail_lease_s``) and the notice is sent again — with the same
``Message-ID`` (derived from the row's key), which lets receiving systems
and people recognise it. Every other failure leaves the row to be retried.
"""

from __future__ import annotations

import smtplib
import ssl
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from sqlalchemy import DateTime, Integer, String, Text, and_, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from domain.errors import InvalidValue
from projections.due import stored, utc
from projections.outbox import Outbox
from sema import logs
from sema.application import SemaApplication
from sema.clock import Clock
from sema.side_tables import create_side_table, side_table

log = logs.get("sema.mail")

SENDING, SENT, RETRY, FAILED = "sending", "sent", "retry", "failed"

deliveries = side_table(
    "sema_mail_deliveries",
    key={"message_key": String(36)},
    required={"state": String(10), "attempts": Integer},
    optional={"claimed_by": String(36), "lease_until": DateTime, "next_attempt_at": DateTime, "sent_at": DateTime, "last_error": Text},
)

SCHEMES = {"smtp": (25, None), "smtp+starttls": (587, "starttls"), "smtps": (465, "tls")}


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    security: str | None  # None, "starttls" or "tls"
    username: str | None = None
    password: str | None = None
    cafile: str | None = None

    @classmethod
    def parse(cls, url: str) -> SmtpTarget:
        """``smtp://[user:password@]host[:port]``, ``smtp+starttls://…`` (default
        port 587) or ``smtps://…`` (465); ``?cafile=/path`` trusts that CA."""
        try:
            parts = urlsplit(url.strip())
            port = parts.port
        except ValueError as error:
            raise InvalidValue("smtp_url", f"not a valid URL: {error}") from None
        if parts.scheme not in SCHEMES:
            raise InvalidValue("smtp_url", f"the scheme must be one of {', '.join(s + '://' for s in SCHEMES)}; got {parts.scheme or 'none'}")
        if not parts.hostname:
            raise InvalidValue("smtp_url", "give the SMTP server's host, e.g. smtp://mail.example.org:25")
        default_port, security = SCHEMES[parts.scheme]
        cafile = parse_qs(parts.query).get("cafile", [None])[0]
        return cls(
            host=parts.hostname,
            port=port or default_port,
            security=security,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            cafile=cafile,
        )

    def tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)

    def connect(self, timeout: float) -> smtplib.SMTP:
        if self.security == "tls":
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(self.host, self.port, timeout=timeout, context=self.tls_context())
        else:
            smtp = smtplib.SMTP(self.host, self.port, timeout=timeout)
            if self.security == "starttls":
                smtp.starttls(context=self.tls_context())
        if self.username:
            smtp.login(self.username, self.password or "")
        return smtp


@dataclass
class DeliveryReport:
    sent: int = 0
    deferred: int = 0
    failed: int = 0
    lost_races: int = 0

    def summary(self) -> str:
        return f"{self.sent} sent, {self.deferred} deferred, {self.failed} failed"


class Mailer:
    def __init__(self, app: SemaApplication, clock: Clock, batch_size: int = 100) -> None:
        assert app.projections is not None, "build the application with sema.bootstrap"
        self.app = app
        self.clock = clock
        self.settings = app.settings
        self.batch_size = batch_size
        self.outbox: Outbox = app.projections.by_name(["outbox"])[0]  # type: ignore[assignment]
        self.target = SmtpTarget.parse(self.settings.smtp_url) if self.settings.smtp_url else None
        create_side_table(deliveries, app.engine)

    @property
    def configured(self) -> bool:
        return self.target is not None

    # ---------------------------------------------------------------- queries

    def pending(self, now: datetime, limit: int | None = None) -> list[dict[str, Any]]:
        """Outbox rows to send at ``now``: never tried, due for a retry, or
        claimed by a mailer whose lease ran out."""
        m, d = self.outbox.messages.c, deliveries.c
        at = stored(now)
        query = (
            select(self.outbox.messages, d.attempts)
            .select_from(self.outbox.messages.outerjoin(deliveries, d.message_key == m.message_key))
            .where(
                or_(
                    d.message_key.is_(None),
                    and_(d.state == RETRY, d.next_attempt_at <= at),
                    and_(d.state == SENDING, d.lease_until <= at),
                )
            )
            .order_by(m.seq, m.message_key)
        )
        if limit is not None:
            query = query.limit(limit)
        with Session(self.app.engine) as session:
            return [dict(r) for r in session.execute(query).mappings()]

    def states(self) -> dict[str, str]:
        """Each outbox row's delivery state (``pending`` if never tried)."""
        m, d = self.outbox.messages.c, deliveries.c
        with Session(self.app.engine) as session:
            rows = session.execute(select(m.message_key, d.state).select_from(self.outbox.messages.outerjoin(deliveries, d.message_key == m.message_key)))
            return {key: state or "pending" for key, state in rows}

    # --------------------------------------------------------------- delivery

    def deliver(self) -> DeliveryReport:
        """Sends what is pending, over one connection; stops at the first
        connection failure (the rest wait for the next pass)."""
        report = DeliveryReport()
        if self.target is None:
            return report
        smtp: smtplib.SMTP | None = None
        try:
            while True:
                now = self.clock.now()
                batch = self.pending(now, self.batch_size)
                progressed = False
                for row in batch:
                    token = self._claim(row["message_key"], now)
                    if token is None:
                        report.lost_races += 1
                        continue
                    progressed = True
                    try:
                        if smtp is None:
                            smtp = self.target.connect(self.settings.smtp_timeout_s)
                        smtp.send_message(self.message(row))
                    except smtplib.SMTPDataError as error:
                        # The server refused this message's content: for good (5xx) or for now.
                        self._refused(row, token, now, error.smtp_code >= 500, f"{error.smtp_code} {error.smtp_error!r}", report)
                        continue
                    except smtplib.SMTPResponseException as error:
                        # Greeting, log-in or sender refused: the configuration or the
                        # server, not this message; every notice waits.
                        self._defer(row, token, now, f"{error.smtp_code} {error.smtp_error!r}")
                        report.deferred += 1
                        smtp = _quit(smtp)
                        return report
                    except smtplib.SMTPRecipientsRefused as error:
                        codes = [code for code, _ in error.recipients.values()]
                        for_good = bool(codes) and all(code >= 500 for code in codes)
                        self._refused(row, token, now, for_good, f"recipient {'refused' if for_good else 'deferred'}: {error.recipients!r}", report)
                        continue
                    except (OSError, smtplib.SMTPException) as error:
                        self._defer(row, token, now, f"{type(error).__name__}: {error}")
                        report.deferred += 1
                        smtp = _quit(smtp)
                        # The server is unreachable: release what is left for the next pass.
                        return report
                    self._sent(row["message_key"], token)
                    report.sent += 1
                if len(batch) < self.batch_size or not progressed:
                    return report
        finally:
            _quit(smtp)

    def message(self, row: dict[str, Any]) -> EmailMessage:
        message = EmailMessage()
        message["From"] = self.settings.mail_from
        message["To"] = row["recipient"]
        message["Subject"] = row["subject"]
        message["Date"] = format_datetime(utc(row["created_at"]))
        message["Message-ID"] = f"<{row['message_key']}@{self.settings.service_domain}>"
        message["Auto-Submitted"] = "auto-generated"
        message.set_content(row["body"])
        return message

    # ----------------------------------------------------------------- states

    def _claim(self, key: str, now: datetime) -> str | None:
        """Takes the row for this mailer, or returns None if another has it."""
        token = str(uuid.uuid4())
        at, lease = stored(now), stored(now + timedelta(seconds=self.settings.mail_lease_s))
        d = deliveries.c
        with Session(self.app.engine) as session, session.begin():
            claimed = session.execute(
                update(deliveries)
                .where(d.message_key == key, or_(and_(d.state == RETRY, d.next_attempt_at <= at), and_(d.state == SENDING, d.lease_until <= at)))
                .values(state=SENDING, attempts=d.attempts + 1, claimed_by=token, lease_until=lease)
            ).rowcount
            if claimed == 1:
                return token
            exists = session.execute(select(d.message_key).where(d.message_key == key)).first()
            if exists:
                return None
        try:
            with Session(self.app.engine) as session, session.begin():
                session.execute(deliveries.insert().values(message_key=key, state=SENDING, attempts=1, claimed_by=token, lease_until=lease))
        except IntegrityError:
            return None
        return token

    def _finish(self, key: str, token: str, **values: Any) -> None:
        d = deliveries.c
        with Session(self.app.engine) as session, session.begin():
            session.execute(update(deliveries).where(d.message_key == key, d.claimed_by == token).values(claimed_by=None, lease_until=None, **values))

    def _sent(self, key: str, token: str) -> None:
        self._finish(key, token, state=SENT, sent_at=stored(self.clock.now()), last_error=None)

    def _refused(self, row: dict[str, Any], token: str, now: datetime, for_good: bool, error: str, report: DeliveryReport) -> None:
        """The server refused this message: for good it fails, otherwise it waits for another attempt."""
        if for_good:
            self._fail(row["message_key"], token, error)
            report.failed += 1
        else:
            self._defer(row, token, now, error)
            report.deferred += 1

    def _fail(self, key: str, token: str, error: str) -> None:
        log.warning("mail refused for good", notice=key, error=error)
        self._finish(key, token, state=FAILED, last_error=error)

    def _defer(self, row: dict[str, Any], token: str, now: datetime, error: str) -> None:
        attempts = (row["attempts"] or 0) + 1
        wait = min(self.settings.mail_retry_initial_s * 2 ** (attempts - 1), self.settings.mail_retry_max_s)
        log.info("mail deferred", notice=row["message_key"], attempt=attempts, retry_in_s=round(wait), error=error)
        self._finish(row["message_key"], token, state=RETRY, next_attempt_at=stored(now + timedelta(seconds=wait)), last_error=error)


def _quit(smtp: smtplib.SMTP | None) -> None:
    if smtp is None:
        return None
    try:
        smtp.quit()
    except (OSError, smtplib.SMTPException):
        smtp.close()
    return None
