"""Organisations, group mailboxes, distribution lists and exceptional access through HTTP."""

from __future__ import annotations

import uuid

from testkit.http import activate, add_users, organisation_administrator, register_organisation


def test_a_service_administrator_appoints_and_revokes_an_organisation_administrator(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    assert admin.get("/me").json()["role"] == "organisation_administrator"
    assert service.delete(f"/organisations/{org}/administrators/{admin.user_id}").status_code == 204
    assert admin.get("/me").json()["role"] == "user"
    assert admin.post(f"/organisations/{org}/users", json={"first_name": "A", "last_name": "B"}).status_code == 403


def test_an_organisation_administrator_suspends_and_unsuspends_their_organisation(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    assert admin.put(f"/organisations/{org}/suspension", json={"message": "Server down until Monday"}).status_code == 204
    assert admin.put(f"/organisations/{org}/suspension", json={"message": "Server down until Monday"}).status_code == 422  # already so
    assert admin.delete(f"/organisations/{org}/suspension").status_code == 204


def test_an_organisation_administrator_cannot_register_organisations(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    assert admin.post("/organisations", json={"name": "X", "code": "x", "account_type": "mailbox"}).status_code == 403


def test_group_mailbox_permissions_are_granted_and_revoked(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    created = admin.post(f"/organisations/{org}/group-mailboxes", json={"name": "Enquiries", "local_part": "enquiries"})
    assert created.status_code == 201 and created.json()["address"] == "enquiries@westmids.cjsm.net"
    mailbox = created.json()["id"]
    assert admin.put(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/mail").status_code == 204
    assert admin.put(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/fly").status_code == 422
    assert admin.delete(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/mail").status_code == 204


def test_a_deleted_user_is_given_no_group_mailbox_permission(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    mailbox = admin.post(f"/organisations/{org}/group-mailboxes", json={"name": "Enquiries", "local_part": "enquiries"}).json()["id"]
    assert admin.post("/users/status-changes", json={"user_ids": [user["user_id"]], "action": "delete"}).status_code == 200
    refused = admin.put(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/mail")
    assert refused.status_code == 422 and refused.json()["detail"] == "the user is deleted; undelete them first"
    assert admin.post("/users/status-changes", json={"user_ids": [user["user_id"]], "action": "undelete"}).status_code == 200
    assert admin.put(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/mail").status_code == 204


def test_group_mailboxes_are_refused_to_smtp_organisations(client, service):
    org = register_organisation(service, "met", account_type="smtp", domains=["met.police.uk"])
    response = service.post(f"/organisations/{org}/group-mailboxes", json={"name": "Enquiries", "local_part": "enquiries"})
    assert response.status_code == 422


def test_a_permission_holder_records_use_of_a_group_mailbox(client, service):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    mailbox = service.post(f"/organisations/{org}/group-mailboxes", json={"name": "Enquiries", "local_part": "enquiries"}).json()["id"]
    person = activate(client, user["username"], user["one_time_password"])
    assert person.post(f"/mailboxes/{mailbox}/use").status_code == 404
    service.put(f"/mailboxes/{mailbox}/permissions/{user['user_id']}/read")
    assert person.post(f"/mailboxes/{mailbox}/use").status_code == 204
    assert person.post(f"/mailboxes/{user['mailbox_id']}/use").status_code == 204


def test_a_distribution_list_takes_members_from_any_organisation(client, service):
    west = register_organisation(service, "westmids")
    east = register_organisation(service, "eastmids")
    admin = organisation_administrator(service, west)
    (ours,) = add_users(admin, west, [{"first_name": "Peter", "last_name": "Pan"}])
    (theirs,) = add_users(service, east, [{"first_name": "Wendy", "last_name": "Darling"}])
    created = admin.post(f"/organisations/{west}/distribution-lists", json={"name": "Duty", "local_part": "duty", "member_ids": [ours["user_id"]]})
    assert created.status_code == 201
    list_id = created.json()["id"]
    assert admin.put(f"/distribution-lists/{list_id}/members/{theirs['user_id']}").status_code == 204
    assert admin.patch(f"/distribution-lists/{list_id}", json={"name": "Duty team"}).status_code == 204
    assert admin.delete(f"/distribution-lists/{list_id}/members/{ours['user_id']}").status_code == 204
    assert admin.delete(f"/distribution-lists/{list_id}").status_code == 204
    assert admin.put(f"/distribution-lists/{list_id}/members/{ours['user_id']}").status_code == 422


def test_a_new_lists_unknown_members_are_named_by_their_place_in_member_ids_and_no_list_is_made(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (peter,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    group = admin.post(f"/organisations/{org}/group-mailboxes", json={"name": "Front desk", "local_part": "front-desk"}).json()["id"]
    nobody = str(uuid.uuid4())
    refused = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Duty", "local_part": "duty", "member_ids": [peter["user_id"], nobody, peter["user_id"], group]})
    assert refused.status_code == 422
    assert refused.json()["errors"] == [{"field": "member_ids.1", "message": f"user {nobody} not found"}, {"field": "member_ids.3", "message": f"user {group} not found"}]
    assert admin.get(f"/organisations/{org}/distribution-lists").json()["distribution_lists"] == []
    created = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Duty", "local_part": "duty", "member_ids": [peter["user_id"], peter["user_id"]]})
    assert created.status_code == 201  # the address was not taken by the refused request
    assert [m["user_id"] for m in admin.get(f"/distribution-lists/{created.json()['id']}").json()["members"]] == [peter["user_id"]]


def test_mailbox_access_is_requested_granted_and_revoked(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    mailbox = user["mailbox_id"]
    requested = admin.post(f"/mailboxes/{mailbox}/exceptional-access", json={"reason": "long illness"})
    assert requested.status_code == 201
    grant = requested.json()["id"]
    assert admin.post(f"/mailboxes/{mailbox}/exceptional-access/{grant}/decision", json={"approve": True}).status_code == 403
    assert service.post(f"/mailboxes/{mailbox}/exceptional-access/{grant}/decision", json={"approve": True}).status_code == 204
    assert admin.delete(f"/mailboxes/{mailbox}/exceptional-access/{grant}").status_code == 204


def test_the_same_request_sent_again_while_it_waits_is_refused_and_another_administrators_is_not(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    mailbox = user["mailbox_id"]
    first = admin.post(f"/mailboxes/{mailbox}/exceptional-access", json={"reason": "long illness"}).json()["id"]
    again = admin.post(f"/mailboxes/{mailbox}/exceptional-access", json={"reason": "long illness"})
    assert again.status_code == 422
    assert again.json()["detail"] == f"exceptional-access request {first}, asked for by the same person, is still waiting for a decision"
    other = service.post(f"/mailboxes/{mailbox}/exceptional-access", json={"reason": "sudden departure"})
    assert other.status_code == 201
    assert sorted(g["grant_id"] for g in service.get("/exceptional-access").json()["grants"] if g["state"] == "requested") == sorted([first, other.json()["id"]])
    # Once decided, the same administrator may ask again.
    assert service.post(f"/mailboxes/{mailbox}/exceptional-access/{first}/decision", json={"approve": False, "reason": "not yet"}).status_code == 204
    assert admin.post(f"/mailboxes/{mailbox}/exceptional-access", json={"reason": "long illness, six weeks now"}).status_code == 201


def test_a_refused_request_cannot_be_revoked(client, service):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    grant = service.post(f"/mailboxes/{user['mailbox_id']}/exceptional-access", json={"reason": "sudden departure"}).json()["id"]
    assert service.post(f"/mailboxes/{user['mailbox_id']}/exceptional-access/{grant}/decision", json={"approve": False, "reason": "not justified"}).status_code == 204
    assert service.delete(f"/mailboxes/{user['mailbox_id']}/exceptional-access/{grant}").status_code == 422


def test_a_user_is_reset_only_under_an_approved_grant(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    activate(client, user["username"], user["one_time_password"], password="Mistyped pass 1234")
    grant = admin.post(f"/users/{user['user_id']}/exceptional-access", json={"reason": "forgot security answers"}).json()["id"]
    assert admin.post(f"/users/{user['user_id']}/reset", json={"grant_id": grant}).status_code == 422
    assert service.post(f"/users/{user['user_id']}/exceptional-access/{grant}/decision", json={"approve": True}).status_code == 204
    reset = admin.post(f"/users/{user['user_id']}/reset", json={"grant_id": grant})
    assert reset.status_code == 201
    session = client.post("/session", json={"username": user["username"], "password": reset.json()["one_time_password"]}).json()
    assert session["must_activate"] is True


def test_a_deleted_users_reset_is_not_asked_for_and_a_request_made_before_is_not_approved(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    peter, wendy = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}, {"first_name": "Wendy", "last_name": "Darling"}])
    asked = admin.post(f"/users/{wendy['user_id']}/exceptional-access", json={"reason": "forgot security answers"}).json()["id"]
    deleted = admin.post("/users/status-changes", json={"user_ids": [peter["user_id"], wendy["user_id"]], "action": "delete"})
    assert [o["result"] for o in deleted.json()["outcomes"]] == ["changed", "changed"]
    refused = admin.post(f"/users/{peter['user_id']}/exceptional-access", json={"reason": "forgot security answers"})
    assert refused.status_code == 422 and refused.json()["detail"] == "the user is deleted; undelete them first"
    not_approved = service.post(f"/users/{wendy['user_id']}/exceptional-access/{asked}/decision", json={"approve": True})
    assert not_approved.status_code == 422 and not_approved.json()["detail"] == "the user is deleted; undelete them first"
    assert [(g["owner_id"], g["state"]) for g in admin.get("/exceptional-access").json()["grants"]] == [(wendy["user_id"], "requested")]


def test_a_user_saves_and_removes_address_book_entries(client, service):
    org = register_organisation(service, "westmids")
    users = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}, {"first_name": "Wendy", "last_name": "Darling"}])
    person = activate(client, users[0]["username"], users[0]["one_time_password"])
    assert person.post("/me/address-book", json={"entry_kind": "user", "entry_id": users[1]["user_id"]}).status_code == 204
    assert person.delete(f"/me/address-book/{users[1]['user_id']}").status_code == 204


def test_an_ex_directory_user_is_as_unknown_to_the_address_book_as_no_user(client, service):
    """Whom the directory does not list cannot be saved, and the refusal does not tell that they exist."""
    org = register_organisation(service, "westmids")
    users = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}, {"first_name": "Wendy", "last_name": "Darling"}])
    person = activate(client, users[0]["username"], users[0]["one_time_password"])
    assert service.post("/users/status-changes", json={"user_ids": [users[1]["user_id"]], "action": "mark_ex_directory"}).status_code == 200
    hidden = person.post("/me/address-book", json={"entry_kind": "user", "entry_id": users[1]["user_id"]})
    unknown = person.post("/me/address-book", json={"entry_kind": "user", "entry_id": str(uuid.uuid4())})
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json()["type"] == unknown.json()["type"]
    assert hidden.json()["detail"].replace(users[1]["user_id"], "…") == unknown.json()["detail"].replace(unknown.request.content.decode().split('"')[-2], "…")
