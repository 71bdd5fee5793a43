"""Fixtures for the policy tests: every test using ``app`` runs on a SQLite
file and on PostgreSQL; mail goes to a real SMTP server on a loopback port."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testkit import close_app, open_app
from testkit.smtp_fixtures import settings, smtp_port, smtp_server  # noqa: F401  (fixtures)
from sema.application import SemaApplication
from sema.config import Settings


@pytest.fixture
def app(settings: Settings) -> Iterator[SemaApplication]:
    application = open_app(settings)
    try:
        yield application
    finally:
        close_app(application)
