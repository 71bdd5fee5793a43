"""Sensitive reads are recorded in the history with actor and subject, for
auditors (issue 10, finding 15): welcome-letter downloads, an administrator
viewing a user, reading and exporting the audit history, and reading one
aggregate's history or state as at a moment (API, command line and console)."""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from sema.application import SemaApplication
from sema.config import Settings
from cli import main
from testkit import TEST_SECRET_KEY

warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
from starlette.testclient import TestClient  # noqa: E402

from testkit.http import Person, activate, register_organisation  # noqa: E402


@pytest.fixture
def auditor(client: TestClient, service: Person) -> Person:
    response = service.post("/service-people", json={"first_name": "Audrey", "last_name": "Auditor", "kind": "auditor"})
    (created,) = response.json()["users"]
    return activate(client, created["username"], created["one_time_password"])


def reads_seen_by(auditor: Person) -> list[dict[str, Any]]:
    events = auditor.get("/audit/events", params={"limit": 1000}).json()["events"]
    return [e for e in events if (e["aggregate_type"], e["event_type"]) == ("SensitiveRead", "Recorded")]


def test_letter_downloads_and_user_views_are_in_the_history_with_actor_and_subject(service: Person, auditor: Person) -> None:
    organisation_id = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{organisation_id}/users/bulk", json={"users": [{"first_name": "Peter", "last_name": "Pan"}]})
    letters, (user,) = response.json()["letters"], response.json()["users"]
    assert service.get(letters["url"], headers={"Sema-Letters-Key": letters["key"]}).status_code == 200
    assert service.get(f"/users/{user['user_id']}").status_code == 200
    reads = {r["data"]["what"]: r for r in reads_seen_by(auditor)}
    assert reads["welcome_letters_downloaded"]["data"]["subject_ids"] == [letters["batch_id"]]
    assert reads["user_viewed"]["data"]["subject_ids"] == [user["user_id"]]
    assert {r["actor_id"] for r in reads.values() if r["data"]["what"] != "audit_history_read"} == {str(service.user_id)}


def test_reading_and_exporting_the_audit_history_are_recorded(app: SemaApplication, settings: Settings, auditor: Person, tmp_path: Any) -> None:
    reads_seen_by(auditor)
    flags = ["--database-url", str(settings.database_url), "--data-dir", str(settings.data_dir), "--secret-key", TEST_SECRET_KEY, "--log-format", "json"]
    assert main(["audit", "export", "--output", str(tmp_path / "history.jsonl"), *flags]) == 0
    whats = [(r["data"]["what"], r["actor_id"]) for r in reads_seen_by(auditor)]
    assert ("audit_history_read", str(auditor.user_id)) in whats
    assert ("audit_history_exported", "system:audit-export") in whats


def test_reading_an_aggregates_history_and_state_over_http_is_recorded_with_kind_id_and_moment(service: Person, auditor: Person) -> None:
    organisation_id = register_organisation(service, "westmids")
    assert auditor.get(f"/audit/organisation/{organisation_id}/history").status_code == 200
    assert auditor.get(f"/audit/organisation/{organisation_id}/state", params={"as_of": "2100-01-01T00:00:00Z"}).status_code == 200
    reads = [(r["data"]["what"], r["data"]["subject_ids"], r["actor_id"]) for r in reads_seen_by(auditor)]
    assert ("aggregate_history_read", [f"organisation:{organisation_id}"], str(auditor.user_id)) in reads
    assert ("aggregate_state_read", [f"organisation:{organisation_id}", "as_of:2100-01-01T00:00:00+00:00"], str(auditor.user_id)) in reads


def test_an_aggregate_not_found_is_no_read(service: Person, auditor: Person) -> None:
    organisation_id = register_organisation(service, "westmids")
    assert auditor.get(f"/audit/user/{organisation_id}/history").status_code == 404
    assert "aggregate_history_read" not in [r["data"]["what"] for r in reads_seen_by(auditor)]


def test_an_aggregates_history_and_state_on_the_command_line_are_recorded(settings: Settings, service: Person, auditor: Person, capsys: Any) -> None:
    organisation_id = register_organisation(service, "westmids")
    flags = ["--database-url", str(settings.database_url), "--data-dir", str(settings.data_dir), "--secret-key", TEST_SECRET_KEY, "--log-format", "json"]
    before = auditor.get("/audit/digest").json()["digest"]
    assert main(["audit", "history", "organisation", str(organisation_id), *flags]) == 0
    assert main(["audit", "state", "organisation", str(organisation_id), "--as-of", "2100-01-01", *flags]) == 0
    reads = [(r["data"]["what"], r["data"]["subject_ids"], r["actor_id"]) for r in reads_seen_by(auditor)]
    assert ("aggregate_history_read", [f"organisation:{organisation_id}"], "system:audit-history") in reads
    assert ("aggregate_state_read", [f"organisation:{organisation_id}", "as_of:2100-01-01T00:00:00+00:00"], "system:audit-state") in reads
    assert auditor.get("/audit/digest").json()["digest"] != before


def test_an_aggregates_history_and_state_and_the_download_in_the_console_are_recorded(client: TestClient, service: Person, auditor: Person) -> None:
    organisation_id = register_organisation(service, "westmids")
    pages = [
        ("/console/audit/history", {"kind": "organisation", "id": str(organisation_id)}),
        ("/console/audit/state", {"kind": "organisation", "id": str(organisation_id), "as_of": "2100-01-01T00:00"}),
        ("/console/audit/export", {"format": "csv"}),
    ]
    for path, params in pages:
        assert auditor.get(path, params=params).status_code == 200, path
    reads = [(r["data"]["what"], r["data"]["subject_ids"], r["actor_id"]) for r in reads_seen_by(auditor)]
    assert ("aggregate_history_read", [f"organisation:{organisation_id}"], str(auditor.user_id)) in reads
    assert ("aggregate_state_read", [f"organisation:{organisation_id}", "as_of:2100-01-01T00:00:00+00:00"], str(auditor.user_id)) in reads
    assert ("audit_history_exported", ["after:0"], str(auditor.user_id)) in reads
