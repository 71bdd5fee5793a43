"""Fixtures for the HTTP API: the ASGI app over a real store, driven through Starlette's TestClient.

The API layer is the same over either store, so to keep the suite fast its
tests run on SQLite, and on PostgreSQL too only where marked ``both_stores``
(the stories, sessions, and the secret scan). The store-specific behaviour
is tested beside the application and the read models.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from testkit.api_fixtures import api_settings, client, log_stream, service  # noqa: F401  (fixtures)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "both_stores: an API test that also runs on PostgreSQL")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    dropped = [i for i in items if str(i.path).startswith(here) and "[postgres" in i.nodeid and i.get_closest_marker("both_stores") is None]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = [i for i in items if i not in dropped]
