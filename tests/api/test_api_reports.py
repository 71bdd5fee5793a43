"""Reporting as administrators use it: the user search with activity, its CSV
export (formula-safe), and the service administrator's view of notices."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest

from policies.mailer import Mailer
from testkit.smtp_fixtures import settings, smtp_port, smtp_server  # noqa: F401  (fixtures)
from testkit.http import activate, add_users, organisation_administrator, register_organisation


@pytest.fixture
def people(client, service, clock):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    jane, bob = add_users(
        admin, org, [{"first_name": "Jane", "last_name": "Active", "directory": {"job_title": "=HYPERLINK(\"http://evil\",\"x\")", "department": "@SUM(1)"}}, {"first_name": "Bob", "last_name": "Never"}]
    )
    jane_person = activate(client, jane["username"], jane["one_time_password"])
    clock.advance(timedelta(minutes=5))
    assert jane_person.post(f"/mailboxes/{jane['mailbox_id']}/use").status_code == 204
    return org, admin, jane, bob


@pytest.mark.both_stores
def test_the_search_shows_last_log_in_mailbox_use_one_time_password_expiry_and_never_activated(client, app, people):
    org, admin, jane, bob = people
    shown_jane, shown_bob = admin.get(f"/users/{jane['user_id']}").json(), admin.get(f"/users/{bob['user_id']}").json()
    assert shown_jane["never_activated"] is False and shown_jane["one_time_password_expires_at"] is None
    assert shown_jane["last_log_in_at"] is not None and shown_jane["last_mailbox_use_at"] > shown_jane["last_log_in_at"]
    assert shown_bob["never_activated"] is True and shown_bob["last_log_in_at"] is None and shown_bob["last_mailbox_use_at"] is None
    assert datetime.fromisoformat(shown_bob["one_time_password_expires_at"]) == datetime.fromisoformat(bob["one_time_password_expires_at"])
    never = [u["id"] for u in admin.get("/users", params={"never_activated": "true"}).json()["items"]]
    assert never == [bob["user_id"]]
    assert jane["user_id"] in [u["id"] for u in admin.get("/users", params={"never_activated": "false"}).json()["items"]]


def test_the_csv_export_has_the_searchs_users_and_neutralises_formulas(client, people):
    org, admin, jane, bob = people
    response = admin.get("/users/export.csv", params={"never_activated": "false", "sort": "name"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    searched = admin.get("/users", params={"never_activated": "false", "sort": "name"}).json()["items"]
    assert [r["id"] for r in rows] == [u["id"] for u in searched]
    (jane_row,) = [r for r in rows if r["id"] == jane["user_id"]]
    assert jane_row["job_title"] == "'=HYPERLINK(\"http://evil\",\"x\")"
    assert jane_row["department"] == "'@SUM(1)"
    assert jane_row["never_activated"] == "False" and jane_row["last_mailbox_use_at"]
    assert bob["user_id"] not in [r["id"] for r in rows]
    # The same filters as the search, refused the same way.
    assert admin.get("/users/export.csv", params={"status": "sleeping"}).status_code == 422


def test_an_organisation_administrator_exports_only_their_own_organisation(client, service, people):
    org, admin, jane, bob = people
    probation = register_organisation(service, "probation")
    add_users(service, probation, [{"first_name": "Paula", "last_name": "Elsewhere"}])
    ids = {r["id"] for r in csv.DictReader(io.StringIO(admin.get("/users/export.csv").text))}
    everyone = {r["id"] for r in csv.DictReader(io.StringIO(service.get("/users/export.csv").text))}
    assert jane["user_id"] in ids and bob["user_id"] in ids
    assert len(everyone) > len(ids) and ids < everyone
    assert admin.get("/users/export.csv", params={"organisation_id": str(probation)}).status_code == 404


@pytest.mark.both_stores
def test_a_service_administrator_sees_notices_queued_sent_and_failed(client, service, app, clock, people, smtp_server):
    org, admin, jane, bob = people
    address = admin.get(f"/users/{admin.user_id}").json()["address"]

    def refused_request(user_id: str) -> None:
        grant = admin.post(f"/users/{user_id}/exceptional-access", json={"reason": "forgotten answers"}).json()["id"]
        assert service.post(f"/users/{user_id}/exceptional-access/{grant}/decision", json={"approve": False, "reason": "ask again"}).status_code == 204

    mailer = Mailer(app, clock)
    refused_request(jane["user_id"])
    mailer.deliver()
    smtp_server.inbox.refuse[address] = "550 5.1.1 no such mailbox"
    refused_request(bob["user_id"])
    mailer.deliver()
    (carl,) = add_users(admin, org, [{"first_name": "Carl", "last_name": "Later"}])
    refused_request(carl["user_id"])

    page = service.get("/notices").json()
    assert page["counts"] == {"queued": 1, "sending": 0, "sent": 1, "retrying": 0, "failed": 1}
    assert [n["state"] for n in page["items"]] == ["queued", "failed", "sent"]  # newest first
    (failed,) = service.get("/notices", params={"state": "failed"}).json()["items"]
    assert failed["recipient"] == address and "550" in failed["last_error"] and failed["attempts"] >= 1
    assert failed["reason"] == "exceptional_access_refused"
    assert admin.get("/notices").status_code == 403
