"""The web console against the JSON API, the same search at 100,000 users.

``console_users_page_p50_ms``: the users search page of the console (50 users,
a status filter and a name, rendered as HTML) under uvicorn;
``http_search_p50_ms``: the same search through ``GET /users`` (JSON), on the
same server in the same run. The history is the read-side benchmark's
(``SEMA_BENCH_READ_SIDE_USERS``, default 100,000 users); the console may take
at most twice as long as the API.
"""

from __future__ import annotations

import os
import random
import statistics
import threading
import time
from typing import Any

import httpx
import uvicorn

from common import free_port
from bench_read_side import FIRST, _app, history
from api.app import create_app
from api.context import ApiSettings
from sema import logs
from sema.clock import SystemClock

REQUESTS = 220
PASSWORD = "Benchmark password 1"
ANSWERS = {"mothers_maiden_name": "Benchmark", "first_school": "Timing Primary", "place_of_birth": "Loopback"}


def _serve(asgi: Any, port: int) -> uvicorn.Server:
    server = uvicorn.Server(uvicorn.Config(asgi, host="127.0.0.1", port=port, log_config=None, access_log=False, lifespan="on"))
    threading.Thread(target=server.run, daemon=True).start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("sema did not start")
        time.sleep(0.05)
    return server


def _timed_ms(client: httpx.Client, path: str, **kw: Any) -> float:
    started = time.perf_counter()
    response = client.get(path, **kw)
    elapsed = (time.perf_counter() - started) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{path}: {response.status_code}")
    return elapsed


def console_against_api() -> dict[str, float]:
    directory, _, _ = history()
    app = _app()
    app.inline_processors.append(app.projections.process_inline)
    app.projections.catch_up()
    clock = SystemClock()
    credentials = app.bootstrap(clock.now())
    # A kept history (SEMA_BENCH_HISTORY_DIR) was bootstrapped by an earlier run, which noted the username.
    noted = directory / "console-username"
    username = credentials[0] if credentials else noted.read_text()
    if credentials:
        noted.write_text(username)
        actor = app.log_in(username, credentials[1], clock.now()).actor()
        app.complete_first_log_in(actor, clock.now(), PASSWORD, ANSWERS)
    port = int(os.environ.get("SEMA_BENCH_CONSOLE_PORT", "0")) or free_port()
    # The server's request log to a file beside the history: on stdout it would mix with the figures.
    log = open(directory / "console-server.log", "w")
    logs.configure(format="json", stream=log)
    server = _serve(create_app(app, clock=clock, settings=ApiSettings(secure_cookies=False)), port)
    rng = random.Random(11)
    names = [rng.choice(FIRST) for _ in range(REQUESTS)]
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            token = client.post("/session", json={"username": username, "password": PASSWORD}).json()["token"]
            client.cookies.clear()
            bearer = {"Authorization": f"Bearer {token}"}
            cookie = {"Cookie": f"sema_session={token}"}
            api, console = [], []
            # Interleaved, so the machine's noise falls on both alike; the first 20 warm up.
            for i, name in enumerate(names):
                a = _timed_ms(client, f"/users?status=active&q={name}&limit=50", headers=bearer)
                c = _timed_ms(client, f"/console/users?status=active&q={name}", headers=cookie)
                if i >= 20:
                    api.append(a)
                    console.append(c)
    finally:
        server.should_exit = True
        app.close()
        app.engine.dispose()
        logs.configure(level="warning")  # later benchmarks of the run: standard error, not the closed file, and not every HTTP client request
        log.close()
    api_p50, console_p50 = statistics.median(api), statistics.median(console)
    return {"http_search_p50_ms": api_p50, "console_users_page_p50_ms": console_p50, "console_to_http_search": console_p50 / api_p50}


BENCHMARKS = {"console": console_against_api}
