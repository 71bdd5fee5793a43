"""Fixtures for the domain-core tests; they stand on the shared ``app`` and
``clock`` fixtures, so every test using them runs on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from sema.application import SemaApplication
from sema.clock import SettableClock
from testkit import Org, organisation_with_admin


@pytest.fixture
def organisation(app: SemaApplication, clock: SettableClock) -> Org:
    """A mailbox organisation ``org`` with one appointed administrator."""
    return organisation_with_admin(app, clock.now(), code="org")


@pytest.fixture
def other_organisation(app: SemaApplication, clock: SettableClock) -> Org:
    return organisation_with_admin(app, clock.now(), code="other")


@pytest.fixture
def smtp_organisation(app: SemaApplication, clock: SettableClock) -> Org:
    return organisation_with_admin(app, clock.now(), code="police", account_type="smtp", domains=("police.gov.uk",))
