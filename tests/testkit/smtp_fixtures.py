"""Fixtures for tests whose notices go to a real SMTP server on a loopback
port: ``smtp_port``, ``settings`` pointing the mailer at it, and
``smtp_server`` started on it. A conftest or test module imports them by name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sema.config import Settings
from testkit.smtp import SmtpServer, free_port
from testkit.stores import make_settings


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_port: int) -> Settings:
    return make_settings(database_url, tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp_port}", mail_from="notices@cjsm.net")


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[SmtpServer]:
    with SmtpServer(smtp_port) as server:
        yield server
