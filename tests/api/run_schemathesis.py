"""schemathesis against a running ``sema serve``: no 5xx, no response outside the schema.

Starts the server on a free loopback port over a fresh SQLite store, logs in as
the first-start service administrator (activating the account), and runs
schemathesis on ``/openapi.json`` with that session's bearer token. Exits with
schemathesis' status. Usage: ``python tests/api/run_schemathesis.py [--max-examples N]``.
"""

from __future__ import annotations

import argparse
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(data_dir: str, port: int) -> tuple[subprocess.Popen[str], str, str]:
    env = {
        **os.environ,
        "SEMA_DATA_DIR": data_dir,
        "SEMA_ARGON2_TIME_COST": "1",
        "SEMA_ARGON2_MEMORY_COST": "1024",
        "SEMA_ARGON2_PARALLELISM": "1",
        "SEMA_POLICIES_IN_SERVER": "false",
    }
    env.pop("SEMA_DATABASE_URL", None)
    # The server's output (first-start credentials, then the request log) goes to a
    # file: a pipe nobody reads would fill up and stall the server.
    log = open(Path(data_dir) / "server.log", "w")  # noqa: SIM115 - closed with the data directory
    server = subprocess.Popen([str(BIN / "sema"), "serve", "--port", str(port), "--insecure-cookies"], env=env, stdout=log, stderr=subprocess.STDOUT, text=True)
    username = password = ""
    deadline = time.monotonic() + 60
    while not (username and password) and time.monotonic() < deadline and server.poll() is None:
        text = (Path(data_dir) / "server.log").read_text()
        if m := re.search(r"username:\s+(\S+)", text):
            username = m.group(1)
        if m := re.search(r"one-time password:\s+(\S+)", text):
            password = m.group(1)
        time.sleep(0.1)
    if not (username and password):
        server.kill()
        raise SystemExit("sema serve did not print the service administrator's credentials")
    return server, username, password


def administrator_token(base: str, username: str, one_time_password: str) -> str:
    with httpx.Client(base_url=base, timeout=10) as client:
        for _ in range(100):
            try:
                client.get("/security-questions")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        token = client.post("/session", json={"username": username, "password": one_time_password}).json()["token"]
        answers = {"mothers_maiden_name": "Fuzzington", "first_school": "Schema Primary", "place_of_birth": "Openapolis"}
        activated = client.post("/me/activation", json={"new_password": "Schemathesis pass 2026", "security_answers": answers}, headers={"Authorization": f"Bearer {token}"})
        activated.raise_for_status()
        session = client.post("/session", json={"username": username, "password": "Schemathesis pass 2026"})
        session.raise_for_status()
        return str(session.json()["token"])


def seed_targets(base: str, token: str, data_dir: str) -> None:
    """Real ids for the path parameters, so generated requests reach the commands
    instead of stopping at 404 (schemathesis reads schemathesis.toml from its cwd)."""
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base, timeout=30, headers=headers) as client:
        org = client.post("/organisations", json={"name": "Fuzz", "code": "fuzz", "account_type": "mailbox"}).json()["id"]
        user = client.post(f"/organisations/{org}/users", json={"first_name": "Fuzzy", "last_name": "Target"}).json()["users"][0]
        group = client.post(f"/organisations/{org}/group-mailboxes", json={"name": "Fuzz group", "local_part": "fuzz-group"}).json()["id"]
        dl = client.post(f"/organisations/{org}/distribution-lists", json={"name": "Fuzz list", "local_part": "fuzz-list"}).json()["id"]
    values = {"path.organisation_id": org, "path.user_id": user["user_id"], "path.mailbox_id": group, "path.list_id": dl}
    lines = ["[parameters]", *(f'"{k}" = "{v}"' for k, v in values.items())]
    (Path(data_dir) / "schemathesis.toml").write_text("\n".join(lines) + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-examples", type=int, default=10)
    parser.add_argument("--max-time", type=int, default=90)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sema-schemathesis-") as data_dir:
        port = free_port()
        server, username, one_time_password = start_server(data_dir, port)
        try:
            base = f"http://127.0.0.1:{port}"
            token = administrator_token(base, username, one_time_password)
            seed_targets(base, token, data_dir)
            command = [
                str(BIN / "schemathesis"),
                "run",
                f"{base}/openapi.json",
                "--header",
                f"Authorization: Bearer {token}",
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                # Logging out, or ending a session found by GET /me/sessions (the run's
                # own), would end the run's session; everything else is fair game.
                "--exclude-operation-id",
                "log_out",
                "--exclude-operation-id",
                "end_my_session",
                "--exclude-operation-id",
                "end_user_session",
                "--max-examples",
                str(args.max_examples),
                "--max-time",
                str(args.max_time),
                "--workers",
                "1",
                "--seed",
                "20261126",
                "--generation-database",
                "none",
                "--no-color",
            ]
            # Run inside the temporary directory so schemathesis' own files go with it.
            return subprocess.call(command, cwd=data_dir)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    sys.exit(main())
