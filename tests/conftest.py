"""Shared fixtures: real stores only — a SQLite file per test, and a fresh
PostgreSQL database per test when ``SEMA_TEST_POSTGRES_URL`` is set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings as hypothesis_settings

from domain.actors import Actor
from sema.application import SemaApplication
from sema.bootstrap import build_application
from sema.clock import SettableClock
from sema.config import Settings
from testkit import START, create_empty_postgres_store, create_postgres_database, drop_postgres_database_later, make_settings

# Property tests without settings of their own (the store-free state machines) run a
# few examples locally and many in CI: HYPOTHESIS_PROFILE=ci (set by .ci/run).
hypothesis_settings.register_profile("dev", max_examples=40, deadline=None)
hypothesis_settings.register_profile("ci", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "dev"))


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database_later(url)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs on a SQLite file and on PostgreSQL (a copy of an
    empty store there: the tables as the application makes them, no events)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sema.db'}"
    else:
        url = create_empty_postgres_store()
        try:
            yield url
        finally:
            drop_postgres_database_later(url)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
def app(settings: Settings) -> Iterator[SemaApplication]:
    application = build_application(settings)
    try:
        yield application
    finally:
        application.close()
        application.engine.dispose()


@pytest.fixture
def clock() -> SettableClock:
    return SettableClock(START)


@pytest.fixture
def service_admin(app: SemaApplication, clock: SettableClock) -> Actor:
    """The service administrator created on first start, as logged in."""
    username, otp = app.bootstrap(clock.now()) or ("", "")
    result = app.log_in(username, otp, clock.now())
    return result.actor()


SERVER_MARKERS = {"postgres", "browser", "mail"}

# The suites that start real servers of their own (Chromium; Postfix and Dovecot)
# take minutes: they run when named here, as .ci/run does, e.g. SEMA_TEST_SERVERS=browser,mail.
OPT_IN = {
    "browser": "the browser tests run with SEMA_TEST_SERVERS=browser (needs Debian's chromium; .ci/run sets it)",
    "mail": "the mail tests run with SEMA_TEST_SERVERS=mail (needs Debian's postfix and dovecot; .ci/run sets it)",
}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    enabled = {s.strip() for s in os.environ.get("SEMA_TEST_SERVERS", "").split(",")}
    for item in items:
        for marker, reason in OPT_IN.items():
            if marker not in enabled and item.get_closest_marker(marker) is not None:
                item.add_marker(pytest.mark.skip(reason=reason))


def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> pytest.TestReport | None:
    """``SEMA_TEST_REQUIRE=postgres,browser,mail`` (as ``.ci/run`` sets it): a
    test whose server markers are all required that skips fails instead, saying
    why it skipped, since on CI every server it needs is there."""
    required = {m for m in os.environ.get("SEMA_TEST_REQUIRE", "").split(",") if m}
    report = pytest.TestReport.from_item_and_call(item, call)
    # A test needing PostgreSQL and the mail servers must run only where both are required.
    markers = {m.name for m in item.iter_markers()} & SERVER_MARKERS
    if report.skipped and markers and markers <= required and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"marked {', '.join(sorted(markers))} but skipped, and SEMA_TEST_REQUIRE says it must run: {reason}"
    return report
