"""Fixtures for the policy tests: every test using ``app`` runs on a SQLite
file and on PostgreSQL; mail goes to a real SMTP server on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testkit import SmtpServer, close_app, free_port, make_settings, open_app
from sema.application import SemaApplication
from sema.config import Settings


@pytest.fixture
def smtp_port() -> int:
    return free_port()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, smtp_port: int) -> Settings:
    return make_settings(database_url, tmp_path, smtp_url=f"smtp://127.0.0.1:{smtp_port}", mail_from="notices@cjsm.net")


@pytest.fixture
def app(settings: Settings) -> Iterator[SemaApplication]:
    application = open_app(settings)
    try:
        yield application
    finally:
        close_app(application)


@pytest.fixture
def smtp_server(smtp_port: int) -> Iterator[SmtpServer]:
    server = SmtpServer(smtp_port).start()
    try:
        yield server
    finally:
        server.stop()
