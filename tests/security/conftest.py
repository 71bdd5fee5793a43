"""Fixtures of the security regression tests (issue 10): the HTTP API over a
real store on SQLite and PostgreSQL, with the mail system's token configured."""

from __future__ import annotations

import pytest

from api.context import ApiSettings
from testkit.api_fixtures import client, log_stream, service  # noqa: F401  (fixtures)

MAIL_SYSTEM_TOKEN = "mail-system-token-of-at-least-32-characters"


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(secure_cookies=False, mail_system_token=MAIL_SYSTEM_TOKEN)
