"""Real Postfix and Dovecot, started per test, connected to the test's store."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sema.application import SemaApplication
from testkit.mail_servers import MailSystem
from testkit.mail_servers import free_ports
from testkit.smtp import SmtpServer


@pytest.fixture
def tmp_path() -> Iterator[Path]:
    """A directory of the test's own, outside pytest's shared base directory: other
    pytest runs on the machine prune old base directories while the servers read the store."""
    directory = Path(tempfile.mkdtemp(prefix="sema-mail-store-"))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def relay_port() -> int:
    (port,) = free_ports(1)
    return port


@pytest.fixture
def mail_system(app: SemaApplication, database_url: str, relay_port: int) -> Iterator[MailSystem]:
    if shutil.which("dovecot") is None or shutil.which("postfix") is None:
        pytest.skip("needs Debian's postfix and dovecot packages (see README, Connecting the mail system)")
    system = MailSystem(app, database_url, relay_port).start()
    try:
        yield system
    finally:
        system.stop()


@pytest.fixture
def internet(relay_port: int) -> Iterator[SmtpServer]:
    """Where Postfix relays mail for addresses outside the service."""
    with SmtpServer(relay_port) as server:
        yield server
