"""The export: every event of the history, in order, one record each, nothing more."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from domain.actors import Actor
from domain.claims import AddressClaim, OrganisationCodeClaim, UsernameClaim
from sema.application import NewUser
from sema.audit.export import audit_records, write_records
from sema.audit.records import FIELDS
from cli import main
from sema.config import Settings
from testkit.history import ADDED, APPOINTED, REGISTERED, RENAMED, SUSPENDED, UNSUSPENDED, Scripted

ORG, JANE, JANE_MAILBOX, PETER, PETER_MAILBOX = (str(UUID(int=n)) for n in range(1, 6))
SCRIPT = ("system:script", "system", None)
BY_JANE = (JANE, "organisation_administrator")


def claimed(namespace: str, value: str, owner_kind: str, owner_id: str) -> dict[str, Any]:
    return {"namespace": namespace, "owner_id": owner_id, "owner_kind": owner_kind, "value": value}


def registered(first: str, last: str, username: str, mailbox: str) -> dict[str, Any]:
    return {
        "directory": {},
        "ex_directory": False,
        "first_name": first,
        "kind": "person",
        "last_name": last,
        "mailbox_id": mailbox,
        "old_style_address": None,
        "organisation_id": ORG,
        "original_address": None,
        "primary_address": f"{username}@acme.cjsm.net",
        "username": username,
    }


def record(position: int, time: Any, aggregate_type: str, aggregate_id: object, version: int, event_type: str, actor: tuple[Any, ...], data: dict[str, Any]) -> dict[str, Any]:
    actor_id, actor_role, request_id = actor
    return {
        "position": position,
        "time": time.isoformat(),
        "aggregate_type": aggregate_type,
        "aggregate_id": str(aggregate_id),
        "aggregate_version": version,
        "event_type": event_type,
        "actor_id": actor_id,
        "actor_role": actor_role,
        "request_id": request_id,
        "data": data,
    }


OTP_EXPIRES = "2026-03-15T09:30:00+00:00"
EXPECTED = [
    record(1, REGISTERED, "Organisation", ORG, 1, "Registered", SCRIPT, {"account_type": "mailbox", "code": "acme", "domains": [], "name": "Acme Legal"}),
    record(2, REGISTERED, "Claim", OrganisationCodeClaim.id_for("acme"), 1, "Claimed", SCRIPT, claimed("organisation-code", "acme", "organisation", ORG)),
    record(3, ADDED, "User", JANE, 1, "Registered", SCRIPT, registered("Jane", "Admin", "jane.admin", JANE_MAILBOX)),
    record(4, ADDED, "User", JANE, 2, "OneTimePasswordIssued", SCRIPT, {"expires_at": OTP_EXPIRES}),
    record(5, ADDED, "Mailbox", JANE_MAILBOX, 1, "Created", SCRIPT, {"organisation_id": ORG, "owner_id": JANE}),
    record(6, ADDED, "Claim", AddressClaim.id_for("jane.admin@acme.cjsm.net"), 1, "Claimed", SCRIPT, claimed("address", "jane.admin@acme.cjsm.net", "user", JANE)),
    record(7, ADDED, "Claim", UsernameClaim.id_for("jane.admin"), 1, "Claimed", SCRIPT, claimed("username", "jane.admin", "user", JANE)),
    record(8, ADDED, "User", PETER, 1, "Registered", SCRIPT, registered("Peter", "Pan", "peter.pan", PETER_MAILBOX)),
    record(9, ADDED, "User", PETER, 2, "OneTimePasswordIssued", SCRIPT, {"expires_at": OTP_EXPIRES}),
    record(10, ADDED, "Mailbox", PETER_MAILBOX, 1, "Created", SCRIPT, {"organisation_id": ORG, "owner_id": PETER}),
    record(11, ADDED, "Claim", AddressClaim.id_for("peter.pan@acme.cjsm.net"), 1, "Claimed", SCRIPT, claimed("address", "peter.pan@acme.cjsm.net", "user", PETER)),
    record(12, ADDED, "Claim", UsernameClaim.id_for("peter.pan"), 1, "Claimed", SCRIPT, claimed("username", "peter.pan", "user", PETER)),
    record(13, APPOINTED, "Organisation", ORG, 2, "AdministratorAppointed", SCRIPT, {"user_id": JANE}),
    record(14, SUSPENDED, "User", PETER, 3, "Suspended", (*BY_JANE, "req-suspend"), {}),
    record(15, RENAMED, "User", PETER, 4, "LastNameChanged", (*BY_JANE, "req-rename"), {"last_name": "Hook"}),
    record(16, RENAMED, "User", PETER, 5, "SecureAddressChanged", (*BY_JANE, "req-rename"), {"new_address": "peter.hook@acme.cjsm.net", "old_address": "peter.pan@acme.cjsm.net", "original_address": None}),
    record(17, RENAMED, "Claim", AddressClaim.id_for("peter.hook@acme.cjsm.net"), 1, "Claimed", (*BY_JANE, "req-rename"), claimed("address", "peter.hook@acme.cjsm.net", "user", PETER)),
    record(18, UNSUSPENDED, "User", PETER, 6, "Unsuspended", (*BY_JANE, "req-unsuspend"), {}),
]


def run_cli(settings: Settings, monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    return main(["audit", "--database-url", str(settings.database_url), "--data-dir", str(settings.data_dir), *args])


def test_export_of_a_scripted_history_has_exactly_its_events_in_order(scripted: Scripted) -> None:
    assert [r.as_dict() for r in audit_records(scripted.app)] == EXPECTED


def test_export_from_a_position_starts_after_it(scripted: Scripted) -> None:
    assert [r.as_dict() for r in audit_records(scripted.app, after=13)] == EXPECTED[13:]


def test_export_between_two_times_keeps_the_events_of_that_window(scripted: Scripted) -> None:
    records = audit_records(scripted.app, since=APPOINTED, until=RENAMED)
    assert [r.as_dict() for r in records] == EXPECTED[12:17]


def test_export_to_a_jsonl_file_from_the_command_line_writes_one_record_per_line(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    output = tmp_path / "history.jsonl"
    assert run_cli(settings, monkeypatch, "export", "--output", str(output)) == 0
    lines = output.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in lines] == EXPECTED
    assert [list(json.loads(line)) for line in lines] == [list(FIELDS)] * len(EXPECTED)


def test_export_as_csv_has_a_header_and_the_data_as_json(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    output = tmp_path / "history.csv"
    assert run_cli(settings, monkeypatch, "export", "--format", "csv", "--output", str(output)) == 0
    with output.open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == list(FIELDS)
    expected = [
        {**{k: "" if v is None else str(v) for k, v in e.items() if k != "data"}, "data": json.dumps(e["data"], sort_keys=True, separators=(",", ":"))}
        for e in EXPECTED
    ]
    assert rows == expected


def test_export_refuses_a_malformed_time_naming_the_field(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(settings, monkeypatch, "export", "--since", "yesterday") == 2
    assert "since: not an ISO 8601 time: 'yesterday'" in capsys.readouterr().err


def test_export_carries_no_secret_of_the_commands_that_made_the_history(scripted: Scripted) -> None:
    """Passwords and one-time passwords go to the credential store, never the stream."""
    app = scripted.app
    created = app.add_users(scripted.jane, ADDED, scripted.organisation_id, [NewUser("Wendy", "Darling")])
    one_time_password = created[0].one_time_password
    assert one_time_password
    out = io.StringIO()
    write_records(audit_records(app), out, "jsonl")
    text = out.getvalue()
    assert one_time_password not in text and one_time_password.replace("-", "") not in text


def test_export_as_csv_neutralises_cells_a_spreadsheet_would_run_as_formulas(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    scripted.app.change_statuses(Actor(scripted.jane.id, scripted.jane.role, scripted.organisation_id, request_id="-1-2-3"), UNSUSPENDED, [scripted.peter_id], "suspend")
    scripted.app.change_details(scripted.jane, UNSUSPENDED, [scripted.peter_id], {"job_title": "=HYPERLINK(\"http://evil.example/\",\"click\")"})
    output = tmp_path / "history.csv"
    assert run_cli(settings, monkeypatch, "export", "--format", "csv", "--output", str(output)) == 0
    with output.open(newline="", encoding="utf-8") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    assert "'-1-2-3" in cells and "-1-2-3" not in cells
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in cells)
