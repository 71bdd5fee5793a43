"""Running as in production (README): ``sema serve --workers 2`` on PostgreSQL
with the read models left to a ``sema projections run`` follower."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.postgres

SEMA = str(Path(sys.executable).parent / "sema")


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _eventually(check, seconds: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while True:
        try:
            found = check()
        except httpx.TransportError:
            found = None
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_two_api_workers_and_a_follower_serve_commands_and_the_directory(postgres_url: str, tmp_path: Path) -> None:
    port = _port()
    env = {
        **os.environ,
        "SEMA_ARGON2_TIME_COST": "1", "SEMA_ARGON2_MEMORY_COST": "8", "SEMA_ARGON2_PARALLELISM": "1",
        "SEMA_DATABASE_URL": postgres_url, "SEMA_DATA_DIR": str(tmp_path), "SEMA_SECRET_KEY": "c2VtYSB0ZXN0IGtleSwgbm90IGZvciBwcm9kdWN0aW9uISE=",
        "SEMA_POLICIES_IN_SERVER": "false", "SEMA_INLINE_READ_MODELS": "false",
    }
    log = tmp_path / "serve.log"
    with open(log, "w") as out:
        server = subprocess.Popen([SEMA, "serve", "--port", str(port), "--workers", "2", "--insecure-cookies"], env=env, stdout=out, stderr=subprocess.STDOUT)
        follower = None
        try:
            base = f"http://127.0.0.1:{port}"
            assert _eventually(lambda: httpx.get(f"{base}/security-questions", timeout=1).status_code == 200, seconds=180), log.read_text()  # workers start slowly on a busy machine
            # Started once the server made the tables, as an operator would after the first start.
            follower = subprocess.Popen([SEMA, "projections", "run", "--interval", "0.2"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            workers = subprocess.run(["ps", "--ppid", str(server.pid), "-o", "pid="], capture_output=True, text=True).stdout.split()
            assert len(workers) >= 2  # uvicorn's workers (and its resource tracker)
            text = log.read_text()
            username = re.search(r"username:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
            otp = re.search(r"one-time password:\s+(\S+)", text).group(1)  # type: ignore[union-attr]
            with httpx.Client(base_url=base, timeout=60) as client:
                token = client.post("/session", json={"username": username, "password": otp}).json()["token"]
                headers = {"Authorization": f"Bearer {token}"}
                answers = {"mothers_maiden_name": "Worker", "first_school": "Two Primary", "place_of_birth": "Loopback"}
                client.post("/me/activation", json={"new_password": "Production password 1", "security_answers": answers}, headers=headers).raise_for_status()
                token = client.post("/session", json={"username": username, "password": "Production password 1"}).json()["token"]
                client.cookies.clear()
                headers = {"Authorization": f"Bearer {token}"}
                org = client.post("/organisations", json={"name": "Workers", "code": "workers", "account_type": "mailbox"}, headers=headers).json()["id"]
                added = client.post(f"/organisations/{org}/users/bulk", json={"users": [{"first_name": "Sarah", "last_name": "Khan"}]}, headers=headers)
                added.raise_for_status()
                user_id = added.json()["users"][0]["user_id"]
                # Commands keep working on either worker; the follower brings the search up to date.
                for action in ("suspend", "unsuspend", "suspend"):
                    outcome = client.post("/users/status-changes", json={"user_ids": [user_id], "action": action}, headers=headers)
                    assert outcome.status_code == 200 and outcome.json()["outcomes"][0]["result"] == "changed"
                summary = _eventually(lambda: (r := client.get(f"/users/{user_id}", headers=headers)).status_code == 200 and r.json()["status"] == "suspended")
                assert summary
        finally:
            for process in (follower, server):
                if process is not None:
                    process.terminate()
                    process.wait(timeout=30)
