"""Fixtures of the HTTP tests: the ASGI app over a real store, driven through
Starlette's TestClient, and the bootstrapped service administrator logged in.

A conftest imports them by name; it may override ``api_settings``."""

from __future__ import annotations

import io
import warnings
from collections.abc import Iterator

import pytest

# Starlette 1.x prefers httpx2 for its TestClient; httpx still works.
warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from api.app import create_app  # noqa: E402
from api.context import ApiSettings  # noqa: E402
from sema.application import SemaApplication  # noqa: E402
from sema.clock import SettableClock  # noqa: E402
from testkit.http import Person, activate  # noqa: E402


@pytest.fixture
def log_stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def api_settings() -> ApiSettings:
    return ApiSettings(secure_cookies=False)


@pytest.fixture
def client(app: SemaApplication, clock: SettableClock, log_stream: io.StringIO, api_settings: ApiSettings) -> Iterator[TestClient]:
    asgi = create_app(app, clock=clock, settings=api_settings, log_stream=log_stream)
    with TestClient(asgi, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def service(app: SemaApplication, client: TestClient, clock: SettableClock) -> Person:
    """The bootstrapped service administrator, activated and logged in."""
    credentials = app.bootstrap(clock.now())
    assert credentials is not None
    username, one_time_password = credentials
    return activate(client, username, one_time_password)
