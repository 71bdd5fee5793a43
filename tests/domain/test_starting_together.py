"""Running as in production (README): every process started at the same moment on
an empty store — API processes that bootstrap, read-model followers, a policy
runner — each making the tables it needs at start. None fails, one of them
creates the service administrator, and the read models equal their rebuild."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from api.app import create_app
from domain.user import UserKind
from policies.mailer import Mailer
from projections.principals import Principals
from sema.application import SemaApplication
from sema.audit.check import check_read_models
from sema.bootstrap import build_application
from sema.clock import SettableClock
from sema.config import Settings

from testkit import START, close_app, create_postgres_database, drop_postgres_database_later, make_settings, open_app
from testkit.threads import run_together

SERVERS = 3  # `sema serve` processes (the supervisor of --workers N, or more hosts)
FOLLOWERS = 2  # `sema projections run`
POLICY_RUNNERS = 1  # `sema policies run`

Started = tuple[SemaApplication, tuple[str, str] | None]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A store with nothing in it, not even tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'sema.db'}"
    else:
        url = create_postgres_database()
        try:
            yield url
        finally:
            drop_postgres_database_later(url)


def _serve(settings: Settings) -> Started:
    """As ``sema serve`` starts: the application, the first start's bootstrap, the API's side tables."""
    app = build_application(settings)
    credentials = app.bootstrap(START)
    create_app(app, clock=SettableClock(START))
    return app, credentials


def _follow(settings: Settings) -> Started:
    return build_application(settings, inline_projections=False), None


def _run_policies(settings: Settings) -> Started:
    app = build_application(settings)
    Mailer(app, SettableClock(START))
    return app, None


def _at_once(starts: list[Callable[[Settings], Started]], database_url: str, tmp_path: Path) -> tuple[list[Started], list[str]]:
    """Runs each start in a thread of its own (as a process of its own: each opens
    its own application), all released together; what they started, what failed."""
    settings = [make_settings(database_url, tmp_path / f"process-{n}") for n in range(len(starts))]
    results = run_together(len(starts), lambda n: starts[n](settings[n]), timeout=180)
    failures = [f"{start.__name__}: {result!r}" for start, result in zip(starts, results) if isinstance(result, Exception)]
    return [result for result in results if not isinstance(result, Exception)], failures  # type: ignore[misc]


def _service_administrators(app: SemaApplication) -> int:
    principals = Principals().principals
    with Session(app.engine) as session:
        return session.execute(select(func.count()).select_from(principals).where(principals.c.kind == UserKind.SERVICE_ADMINISTRATOR)).scalar_one()


def test_every_process_started_at_once_on_an_empty_store_starts_and_one_creates_the_service_administrator(empty_database: str, tmp_path: Path) -> None:
    started, failures = _at_once([_serve] * SERVERS + [_follow] * FOLLOWERS + [_run_policies] * POLICY_RUNNERS, empty_database, tmp_path)
    apps = [app for app, _ in started]
    try:
        assert failures == []
        credentials = [printed for _, printed in started if printed is not None]
        assert len(credentials) == 1
        checker = open_app(make_settings(empty_database, tmp_path / "checker"))
        apps.append(checker)
        assert _service_administrators(checker) == 1
        username, one_time_password = credentials[0]
        assert checker.log_in(username, one_time_password, START).actor().is_service_administrator
        assert [r.name for r in check_read_models(checker) if not r.ok] == []
    finally:
        for app in apps:
            close_app(app)


def test_servers_bootstrapping_at_the_same_moment_create_one_service_administrator_and_the_others_carry_on(database_url: str, tmp_path: Path) -> None:
    apps = [open_app(make_settings(database_url, tmp_path / f"process-{n}")) for n in range(SERVERS)]
    try:
        results = run_together(SERVERS, lambda n: apps[n].bootstrap(START), timeout=180)
        assert [r for r in results if isinstance(r, Exception)] == []
        assert len([r for r in results if r is not None]) == 1
        assert _service_administrators(apps[0]) == 1
    finally:
        for app in apps:
            close_app(app)
