"""The README's CSV guide is true: its examples load as it says, and the
columns it calls required for an address scheme are."""

from __future__ import annotations

import re
from pathlib import Path

from api.endpoints.users import CSV_COLUMNS
from testkit.http import Person, activate, add_users, organisation_administrator, register_organisation

README = Path(__file__).resolve().parents[2] / "README.md"


def csv_examples() -> list[str]:
    return re.findall(r"```csv\n(.*?)```", README.read_text(), re.S)


def relaying_administrator(service: Person, organisation_id, domain: str) -> Person:
    (created,) = add_users(service, organisation_id, [{"first_name": "Olive", "last_name": "Admin", "original_address": f"olive.admin@{domain}"}])
    assert service.put(f"/organisations/{organisation_id}/administrators/{created['user_id']}").status_code == 204
    return activate(service.client, created["username"], created["one_time_password"])


def upload(admin, organisation_id, csv: str, dry_run: bool = False):
    return admin.post(f"/organisations/{organisation_id}/users/bulk", params={"dry_run": str(dry_run).lower()}, content=csv.encode(), headers={"content-type": "text/csv"})


def test_the_guide_shows_every_column_in_its_first_example():
    full, _ = csv_examples()
    assert full.splitlines()[0].split(",") == list(CSV_COLUMNS)
    for column in CSV_COLUMNS:
        assert f"`{column}`" in README.read_text(), column


def test_the_full_example_loads_into_an_smtp_organisation_with_its_ex_directory_and_details(client, service):
    org = register_organisation(service, "westmids", "smtp", ["westmids.police.uk"])
    admin = relaying_administrator(service, org, "westmids.police.uk")
    full, _ = csv_examples()
    response = upload(admin, org, full)
    assert response.status_code == 201, response.text
    peter, wendy = response.json()["users"]
    assert peter["address"] == "peter.pan@westmids.police.uk.cjsm.net"
    shown = admin.get(f"/users/{peter['user_id']}").json()
    assert shown["ex_directory"] is False
    assert shown["details"] == {"office_address": "1 Lloyd House, Birmingham", "telephone": "0121 626 5000", "mobile": "07700 900123", "department": "Response", "job_title": "Constable"}
    assert admin.get(f"/users/{wendy['user_id']}").json()["ex_directory"] is True


def test_original_address_is_required_for_smtp_and_gsc_and_refused_for_mailbox_organisations(client, service):
    full, mailbox_example = csv_examples()
    for scheme in ("smtp", "gsc"):
        org = register_organisation(service, f"{scheme}org", scheme, [f"{scheme}.example.org"])
        admin = relaying_administrator(service, org, f"{scheme}.example.org")
        response = upload(admin, org, mailbox_example, dry_run=True)
        assert response.status_code == 422
        assert {(e["row"], e["field"]) for e in response.json()["errors"]} == {(1, "original_address"), (2, "original_address")}
    mailbox = register_organisation(service, "probation")
    admin = organisation_administrator(service, mailbox)
    assert upload(admin, mailbox, mailbox_example).status_code == 201
    refused = upload(admin, mailbox, full, dry_run=True)
    assert refused.status_code == 422
    assert {e["field"] for e in refused.json()["errors"]} == {"original_address"}


def test_an_ex_directory_value_that_is_not_yes_or_no_is_refused_by_row_and_column(client, service):
    org = register_organisation(service, "flags")
    admin = organisation_administrator(service, org)
    response = upload(admin, org, "first_name,last_name,ex_directory\nAnn,Yes,yes\nBob,Maybe,maybe\n", dry_run=True)
    assert response.status_code == 422
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(2, "ex_directory")]
