"""The web console in a real Chromium: sema serves on a loopback port under
uvicorn (a real HTTP server over a real SQLite file) and Playwright drives
the Debian chromium binary. Every page a test reaches is checked by axe-core.

The tests that use Chromium are marked ``browser`` here; they skip only if the chromium
binary is missing (``SEMA_CHROMIUM`` names another one).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn

from api.app import create_app
from api.context import ApiSettings
from sema.application import SemaApplication
from sema.clock import SystemClock

from console_kit import Browser, Server

CHROMIUM = os.environ.get("SEMA_CHROMIUM", "/usr/lib/chromium/chromium")
_FIRST, _LAST = os.environ.get("SEMA_CONSOLE_TEST_PORTS", "8500-8599").split("-")
PORTS = range(int(_FIRST), int(_LAST) + 1)  # this suite's loopback ports (SEMA_CONSOLE_TEST_PORTS=first-last to move them)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here) and "chromium" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.browser)


def _free_port() -> int:
    for port in PORTS:
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {PORTS.start}-{PORTS.stop - 1}")


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"the chromium binary {CHROMIUM} is missing: apt-get install -y chromium (or set SEMA_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM)
        yield browser
        browser.close()


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """The journeys run on a SQLite file; the stores' own behaviour is tested beside them, on both."""
    return f"sqlite:///{tmp_path / 'sema.db'}"


@pytest.fixture
def server(app: SemaApplication) -> Iterator[Server]:
    """sema under uvicorn on a loopback port, with the bootstrapped service administrator."""
    clock = SystemClock()
    credentials = app.bootstrap(clock.now())
    assert credentials is not None
    asgi = create_app(app, clock=clock, settings=ApiSettings(secure_cookies=False))
    port = _free_port()
    config = uvicorn.Config(asgi, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not instance.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("sema did not start")
        time.sleep(0.02)
    try:
        yield Server(f"http://127.0.0.1:{port}", app, clock, *credentials)
    finally:
        instance.should_exit = True
        thread.join(timeout=10)


@pytest.fixture
def browser(chromium: object, server: Server) -> Iterator[Browser]:
    """A fresh browser context (no cookies) on the console; another person is ``browser.another()``."""
    contexts: list[object] = []
    first = Browser.open(chromium, server, contexts)
    try:
        yield first
    finally:
        for context in contexts:
            context.close()  # type: ignore[attr-defined]
