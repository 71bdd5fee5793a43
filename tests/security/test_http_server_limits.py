"""Finding 13: uvicorn ran with its defaults: an idle connection and one
trickling its headers stayed open 40 s and more. ``sema serve`` gives a
connection a deadline for its request head, closes idle keep-alive
connections, and limits connections and head sizes (settings with flags)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testkit.servers import wait_until_serving

PORTS = range(8200, 8300)  # this suite's servers use this range
pytestmark = pytest.mark.slow


def _free_port() -> int:
    """A free port of the range; each pytest-xdist worker has its own ten, since each starts
    its own server for the tests of this module it runs, and two probing together could
    both find the same port free."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = PORTS.start + 10 * (int(worker) % 10 if worker.isdigit() else 0)
    for port in range(start, start + 10):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 8200-8299")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    data_dir = tmp_path_factory.mktemp("serve")
    port = _free_port()
    env = {
        **os.environ,
        "SEMA_ARGON2_TIME_COST": "1",
        "SEMA_ARGON2_MEMORY_COST": "1024",
        "SEMA_ARGON2_PARALLELISM": "1",
        "SEMA_POLICIES_IN_SERVER": "false",
    }
    env.pop("SEMA_DATABASE_URL", None)
    command = [str(Path(sys.executable).parent / "sema"), "serve", "--data-dir", str(data_dir), "--port", str(port), "--insecure-cookies",
               "--http-header-timeout-s", "1", "--http-keep-alive-s", "1", "--http-max-header-bytes", "4096"]
    with open(data_dir / "out.log", "w") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_serving(port)
            assert process.poll() is None, (data_dir / "out.log").read_text()  # ours answered, not another's
            yield port
        finally:
            process.terminate()
            process.wait(timeout=30)


def _closed_after(sock: socket.socket, trickle: bytes = b"", limit: float = 8.0) -> float:
    """Seconds until the server closes the connection (sending ``trickle`` a byte every 0.2 s)."""
    started = time.monotonic()
    sock.settimeout(0.2)
    pending = list(trickle)
    while time.monotonic() - started < limit:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        if pending:
            try:
                sock.send(bytes([pending.pop(0)]))
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started
    return limit


def test_a_connection_that_sends_nothing_is_closed(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        assert _closed_after(sock) < 4


def test_a_connection_trickling_its_headers_is_closed(server: int) -> None:
    head = b"GET /security-questions HTTP/1.1\r\nHost: localhost\r\n" + b"X-Slow: " + b"a" * 200
    with socket.create_connection(("127.0.0.1", server)) as sock:
        assert _closed_after(sock, head) < 4


def test_an_idle_keep_alive_connection_is_closed(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.sendall(b"GET /security-questions HTTP/1.1\r\nHost: localhost\r\n\r\n")
        time.sleep(0.3)
        assert b"200 OK" in sock.recv(65536)
        assert _closed_after(sock) < 4


def test_an_oversized_request_head_is_refused(server: int) -> None:
    answer = b""
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(5)
        try:
            sock.sendall(b"GET /security-questions HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
            answer = sock.recv(65536)
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused while we were still sending
    assert b"200 OK" not in answer
    assert answer == b"" or answer.startswith((b"HTTP/1.1 400", b"HTTP/1.1 431"))


@pytest.mark.parametrize("size", [5_000, 70_000])
def test_a_request_head_over_the_limit_is_refused_however_it_arrives(server: int, size: int) -> None:
    """Over the 4,096 bytes set, and under what uvicorn would buffer in one read: 431."""
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(5)
        sock.sendall(b"GET /security-questions HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * size + b"\r\n\r\n")
        answer = sock.recv(65536)
        while not answer.endswith(b"}"):  # the body may come in a read of its own
            answer += sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431"), answer[:100]
    assert b"headers-too-large" in answer and b"x-content-type-options: nosniff" in answer.lower()


def test_a_request_head_under_the_limit_is_served(server: int) -> None:
    with socket.create_connection(("127.0.0.1", server)) as sock:
        sock.settimeout(5)
        sock.sendall(b"GET /security-questions HTTP/1.1\r\nHost: localhost\r\nX-Big: " + b"a" * 3_000 + b"\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")


def test_a_host_the_server_does_not_serve_is_refused(server: int) -> None:
    assert httpx.get(f"http://127.0.0.1:{server}/security-questions").status_code == 200
    assert httpx.get(f"http://127.0.0.1:{server}/security-questions", headers={"Host": "attacker.example"}).status_code == 400
