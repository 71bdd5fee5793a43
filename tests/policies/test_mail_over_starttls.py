"""Delivery through a submission server that requires STARTTLS and a log-in."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from dateutil.relativedelta import relativedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.mailer import Mailer, deliveries
from policies.runner import PolicyRunner
from testkit import Inbox, START, add_user, close_app, make_settings, open_app, organisation_with_admin
from sema.application import SemaApplication
from sema.clock import SettableClock

USER, PASSWORD = "sema-mailer", "submission password 7"


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


class Submission:
    """Accepts mail only after STARTTLS and a log-in as USER."""

    def __init__(self, directory: Path, port: int) -> None:
        self.cert, key = self_signed(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        self.inbox = Inbox()
        self.logins: list[str] = []
        self.controller = Controller(
            self.inbox,
            hostname="127.0.0.1",
            port=port,
            tls_context=context,
            require_starttls=True,
            authenticator=self._authenticate,
            auth_required=True,
        )

    def _authenticate(self, server, session, envelope, mechanism, auth_data) -> AuthResult:  # type: ignore[no-untyped-def]
        ok = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == USER and auth_data.password.decode() == PASSWORD
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok)


@pytest.fixture
def submission(tmp_path: Path, smtp_port: int) -> Iterator[Submission]:
    server = Submission(tmp_path, smtp_port)
    # The Controller's readiness probe speaks plain SMTP; STARTTLS is demanded before MAIL.
    server.controller.start()
    try:
        yield server
    finally:
        server.controller.stop()


def test_notices_are_delivered_over_starttls_after_logging_in(database_url: str, tmp_path: Path, smtp_port: int, submission: Submission) -> None:
    url = f"smtp+starttls://{USER}:{PASSWORD.replace(' ', '%20')}@127.0.0.1:{smtp_port}?cafile={submission.cert}"
    app: SemaApplication = open_app(make_settings(database_url, tmp_path / "data", smtp_url=url))
    try:
        org = organisation_with_admin(app, START, "org")
        add_user(app, org, START, "Mo", "Quiet")
        clock = SettableClock(START + relativedelta(months=6))
        PolicyRunner(app).tick(clock.now())
        assert Mailer(app, clock).deliver().sent == 2
    finally:
        close_app(app)
    assert submission.logins == [USER]
    assert len(submission.inbox.received()) == 2


def test_without_starttls_the_server_refuses_and_the_notices_wait(database_url: str, tmp_path: Path, smtp_port: int, submission: Submission) -> None:
    app: SemaApplication = open_app(make_settings(database_url, tmp_path / "data", smtp_url=f"smtp://127.0.0.1:{smtp_port}"))
    try:
        organisation_with_admin(app, START, "org")
        clock = SettableClock(START + relativedelta(months=6))
        PolicyRunner(app).tick(clock.now())
        mailer = Mailer(app, clock)
        report = mailer.deliver()
        assert (report.sent, report.deferred, report.failed) == (0, 1, 0)
        assert list(mailer.states().values()) == ["retry"]
        with Session(app.engine) as session:
            assert "530" in session.execute(select(deliveries.c.last_error)).scalar_one()
    finally:
        close_app(app)
    assert submission.inbox.received() == []
