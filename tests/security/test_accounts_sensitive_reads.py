"""Sensitive reads are recorded in the history with actor and subject, for
auditors (issue 10, finding 15): welcome-letter downloads, an administrator
viewing a user, reading and exporting the audit history."""

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
