"""Finding 14: the request log had no client address or user agent, failed
log-ins did not name the username tried, and a client's ``X-Request-Id`` was
written into events as if it were the server's (and into the audit CSV
unescaped: ``-1-2-3`` is a spreadsheet formula)."""

from __future__ import annotations

import csv
import io
import json
from uuid import UUID

from sema.application import SemaApplication
from sema.audit.export import audit_records, write_records
from testkit import events_of
from testkit.http import Person, register_organisation
from sema import spreadsheet_safe


def _lines(log_stream: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in log_stream.getvalue().splitlines() if line.startswith("{")]


def test_a_failed_log_in_is_logged_with_the_username_tried_the_client_and_its_agent(service: Person, log_stream: io.StringIO) -> None:
    response = service.client.post("/session", json={"username": "service.administrator", "password": "Wrong guess 123"}, headers={"User-Agent": "curl/8.5.0"})
    assert response.status_code == 401
    (line,) = [r for r in _lines(log_stream) if r.get("route") == "POST /session" and r.get("status") == 401]
    assert line["username_tried"] == "service.administrator"
    assert line["client"] == "testclient" and line["user_agent"] == "curl/8.5.0"
    assert "Wrong guess 123" not in log_stream.getvalue()


def test_events_carry_the_servers_request_id_and_the_log_keeps_the_clients_apart(app: SemaApplication, service: Person, log_stream: io.StringIO) -> None:
    response = service.post("/organisations", json={"name": "West Midlands", "code": "westmids", "account_type": "mailbox"}, headers={"X-Request-Id": "-1-2-3"})
    assert response.status_code == 201
    server_id = response.headers["x-request-id"]
    assert server_id != "-1-2-3" and response.headers["x-client-request-id"] == "-1-2-3"
    (event,) = events_of(app, UUID(response.json()["id"]))[:1]
    assert event.request_id == server_id
    (line,) = [r for r in _lines(log_stream) if r.get("request_id") == server_id and r.get("route") == "POST /organisations"]
    assert line["client_request_id"] == "-1-2-3"


def test_no_audit_csv_cell_is_a_formula(app: SemaApplication, service: Person) -> None:
    org = register_organisation(service, "westmids")
    service.post(f"/organisations/{org}/users", json={"first_name": "=HYPERLINK(1)", "last_name": "-1-2-3"}, headers={"X-Request-Id": "@SUM(1)"})
    out = io.StringIO()
    write_records(audit_records(app), out, "csv")
    cells = [cell for row in csv.reader(io.StringIO(out.getvalue())) for cell in row]
    assert not [c for c in cells if c.startswith(spreadsheet_safe.FORMULA_STARTS)]
    assert "@SUM(1)" not in out.getvalue()
