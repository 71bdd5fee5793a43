"""Whole stories through HTTP, as the people in PRODUCT.md would live them."""

from __future__ import annotations

import io

import pytest
from testkit.http import NORMALISED, activate, add_users, organisation_administrator, register_organisation
from pypdf import PdfReader

pytestmark = pytest.mark.both_stores


def test_an_administrator_onboards_500_users_and_looks_after_them(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)

    # Bulk add from a CSV upload, then print the letters.
    csv = ("first_name,last_name,job_title\n" + "".join(f"Given{i},Family{i},Officer\n" for i in range(500))).encode()
    added = admin.post(f"/organisations/{org}/users/bulk", files={"file": ("users.csv", csv, "text/csv")}).json()
    letters = admin.get(added["letters"]["url"], headers={"Sema-Letters-Key": added["letters"]["key"]})
    assert len(PdfReader(io.BytesIO(letters.content)).pages) == 500

    # One user activates from their letter, later forgets their password: the
    # administrator authenticates them by letters and resets it.
    first = added["users"][0]
    activate(client, first["username"], first["one_time_password"], password="Long forgotten 42")
    challenge = admin.post(f"/users/{first['user_id']}/challenges").json()
    given = [NORMALISED[p["question"]][p["position"] - 1] for p in challenge["positions"]]
    assert admin.post(f"/users/{first['user_id']}/challenges/{challenge['challenge_id']}/answer", json={"letters": given}).json() == {"passed": True}
    reset = admin.post(f"/users/{first['user_id']}/password-reset").json()
    assert client.post("/session", json={"username": first["username"], "password": reset["one_time_password"]}).status_code == 201

    # Suspend 20 users picked from a status search, and find exactly them again.
    pending = admin.get("/users", params={"status": "pending_activation", "limit": 20, "sort": "username"}).json()
    assert pending["total"] == 500 and len(pending["items"]) == 20  # the reset user waits for a new first log-in too
    chosen = [u["id"] for u in pending["items"]]
    outcomes = admin.post("/users/status-changes", json={"user_ids": chosen, "action": "suspend"}).json()["outcomes"]
    assert [o["result"] for o in outcomes] == ["changed"] * 20
    suspended = admin.get("/users", params={"status": "suspended", "limit": 100}).json()
    assert sorted(u["id"] for u in suspended["items"]) == sorted(chosen)

    # Suspend the organisation: mail to its users returns to the sender with the message.
    address = next(u["address"] for u in added["users"][1:] if u["user_id"] not in chosen)
    assert admin.get(f"/routing/{address}").json()["action"] == "deliver"
    admin.put(f"/organisations/{org}/suspension", json={"message": "Our server is down until Monday"})
    routed = admin.get(f"/routing/{address}").json()
    assert routed["action"] == "return" and routed["reason"] == "organisation_suspended"
    assert routed["message"] == "Our server is down until Monday"


def test_ordinary_users_do_not_find_ex_directory_or_deleted_users_but_administrators_do(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    users = add_users(admin, org, [{"first_name": "Visible", "last_name": "Person"}, {"first_name": "Hidden", "last_name": "Person", "ex_directory": True}, {"first_name": "Gone", "last_name": "Person"}])
    admin.post("/users/status-changes", json={"user_ids": [users[2]["user_id"]], "action": "delete"})
    person = activate(client, users[0]["username"], users[0]["one_time_password"])
    found = person.get("/directory", params={"q": "person"}).json()["items"]
    assert [e["name"] for e in found] == ["Visible Person"]
    seen = admin.get("/users", params={"q": "person"}).json()["items"]
    assert {u["first_name"]: u["status"] for u in seen} == {"Visible": "active", "Hidden": "pending_activation", "Gone": "deleted"}
    assert next(u for u in seen if u["first_name"] == "Gone")["undeletable_until"] is not None


def test_the_directory_spans_organisations_and_lists(client, service):
    west = register_organisation(service, "westmids")
    east = register_organisation(service, "eastmids")
    (ours,) = add_users(service, west, [{"first_name": "Peter", "last_name": "Pan", "directory": {"job_title": "Custody Sergeant"}}])
    add_users(service, east, [{"first_name": "Wendy", "last_name": "Custody"}])
    service.post(f"/organisations/{east}/distribution-lists", json={"name": "Custody suites", "local_part": "custody"})
    person = activate(client, ours["username"], ours["one_time_password"])
    found = person.get("/directory", params={"q": "custody"}).json()["items"]
    assert {e["kind"] for e in found} == {"user", "distribution_list"} and len(found) == 3


def test_a_user_keeps_directory_entries_and_lists_in_their_address_book(client, service):
    org = register_organisation(service, "westmids")
    users = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}, {"first_name": "Wendy", "last_name": "Darling"}])
    list_id = service.post(f"/organisations/{org}/distribution-lists", json={"name": "Lost boys", "local_part": "lost-boys"}).json()["id"]
    person = activate(client, users[0]["username"], users[0]["one_time_password"])
    person.post("/me/address-book", json={"entry_kind": "user", "entry_id": users[1]["user_id"]})
    person.post("/me/address-book", json={"entry_kind": "distribution_list", "entry_id": list_id})
    book = person.get("/me/address-book").json()["entries"]
    assert [(e["entry_kind"], e["entry"]["name"]) for e in book] == [("user", "Wendy Darling"), ("distribution_list", "Lost boys")]


def test_the_mailbox_owner_sees_every_grant_on_their_mailbox(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    person = activate(client, user["username"], user["one_time_password"])
    grant = admin.post(f"/mailboxes/{user['mailbox_id']}/exceptional-access", json={"reason": "long illness"}).json()["id"]
    assert [g["grant_id"] for g in service.get("/exceptional-access").json()["grants"]] == [grant]
    service.post(f"/mailboxes/{user['mailbox_id']}/exceptional-access/{grant}/decision", json={"approve": True})
    (seen,) = person.get("/me/exceptional-access").json()["grants"]
    assert seen["grant_id"] == grant and seen["state"] == "granted" and seen["reason"] == "long illness" and seen["expires_at"]
    assert admin.get(f"/exceptional-access/{grant}").json()["state"] == "granted"


def test_a_list_expands_to_members_who_can_receive(client, service):
    west = register_organisation(service, "westmids")
    users = add_users(service, west, [{"first_name": "Peter", "last_name": "Pan"}, {"first_name": "Wendy", "last_name": "Darling"}])
    created = service.post(f"/organisations/{west}/distribution-lists", json={"name": "Duty", "local_part": "duty", "member_ids": [u["user_id"] for u in users]}).json()
    service.post("/users/status-changes", json={"user_ids": [users[1]["user_id"]], "action": "suspend"})
    routed = service.get(f"/routing/{created['address']}").json()
    assert routed["action"] == "expand" and routed["members"] == [users[0]["address"]]
    detail = service.get(f"/distribution-lists/{created['id']}").json()
    assert {m["name"] for m in detail["members"]} == {"Peter Pan", "Wendy Darling"}


def test_mail_to_a_deleted_user_or_an_unknown_address_returns_to_the_sender(client, service):
    org = register_organisation(service, "met", account_type="smtp", domains=["met.police.uk"])
    users = add_users(service, org, [{"first_name": "Jane", "last_name": "Doe", "original_address": "jane.doe@met.police.uk"}, {"first_name": "John", "last_name": "Roe", "original_address": "john.roe@met.police.uk"}])
    assert service.get(f"/routing/{users[0]['address']}").json()["relay_to"] == "jane.doe@met.police.uk"
    service.post("/users/status-changes", json={"user_ids": [users[1]["user_id"]], "action": "delete"})
    assert service.get(f"/routing/{users[1]['address']}").json()["reason"] == "deleted"
    assert service.get("/routing/nobody@nowhere.cjsm.net").json()["reason"] == "unknown"


def test_a_user_sees_the_group_mailboxes_they_hold_permissions_on(client, service):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    mailbox = service.post(f"/organisations/{org}/group-mailboxes", json={"name": "Enquiries", "local_part": "enquiries"}).json()["id"]
    service.put(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/read")
    service.put(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/mail")
    person = activate(client, user["username"], user["one_time_password"])
    (held,) = person.get("/me/group-mailboxes").json()["group_mailboxes"]
    assert held["permissions"] == {user["user_id"]: ["read", "mail"]}


def test_an_organisation_administrator_lists_only_their_own_organisation(client, service):
    west = register_organisation(service, "westmids")
    register_organisation(service, "eastmids")
    admin = organisation_administrator(service, west)
    assert [o["code"] for o in admin.get("/organisations").json()["organisations"]] == ["westmids"]
    assert len(service.get("/organisations").json()["organisations"]) == 3  # with the service's own
