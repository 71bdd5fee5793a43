"""Fixtures for the HTTP API: the ASGI app over a real store, driven through Starlette's TestClient.

The API layer is the same over either store, so to keep the suite fast its
tests run on SQLite, and on PostgreSQL too only where marked ``both_stores``
(the stories, sessions, and the secret scan). The store-specific behaviour
is tested beside the application and the read models.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

# Starlette 1.x prefers httpx2 for its TestClient; httpx still works.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from testkit.http import Person, activate  # noqa: E402
from starlette.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.context import ApiSettings
from sema.application import SemaApplication
from sema.clock import SettableClock


@pytest.fixture
def log_stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def client(app: SemaApplication, clock: SettableClock, log_stream: io.StringIO) -> Iterator[TestClient]:
    asgi = create_app(app, clock=clock, settings=ApiSettings(secure_cookies=False), log_stream=log_stream)
    with TestClient(asgi, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def service(app: SemaApplication, client: TestClient, clock: SettableClock) -> Person:
    """The bootstrapped service administrator, activated and logged in."""
    credentials = app.bootstrap(clock.now())
    assert credentials is not None
    username, one_time_password = credentials
    return activate(client, username, one_time_password)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_stores: an API test that also runs on PostgreSQL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    dropped = [i for i in items if str(i.path).startswith(here) and "[postgres" in i.nodeid and i.get_closest_marker("both_stores") is None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
