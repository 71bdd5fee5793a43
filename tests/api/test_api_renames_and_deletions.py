"""Renaming and deleting as administrators do it: a user's first name, group
mailboxes, and distribution lists' addresses and deletion with an undo period."""

from __future__ import annotations

from testkit.http import activate, add_users, organisation_administrator, register_organisation


def test_a_users_first_name_is_changed_and_a_mailbox_users_address_follows_keeping_the_old_as_an_alias(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (jon,) = add_users(admin, org, [{"first_name": "Jon", "last_name": "Smith"}])
    response = admin.put(f"/users/{jon['user_id']}/first-name", json={"first_name": "Jonathan"})
    assert response.status_code == 200, response.text
    assert response.json()["address"] == "jonathan.smith@westmids.cjsm.net"
    shown = admin.get(f"/users/{jon['user_id']}").json()
    assert (shown["first_name"], shown["address"]) == ("Jonathan", "jonathan.smith@westmids.cjsm.net")
    assert jon["address"] in shown["aliases"]
    assert [e["name"] for e in admin.get("/directory", params={"q": "Jonathan"}).json()["items"]] == ["Jonathan Smith"]
    assert admin.get(f"/routing/{jon['address']}").json()["target_id"] == jon["user_id"]
    assert admin.put(f"/users/{jon['user_id']}/first-name", json={"first_name": "Jonathan"}).json()["type"].endswith("/already-so")
    assert admin.put(f"/users/{jon['user_id']}/first-name", json={"first_name": "  "}).status_code == 422


def test_an_smtp_users_first_name_changes_without_changing_their_address(client, service):
    org = register_organisation(service, "westmids", "smtp", ["westmids.police.uk"])
    (olive,) = add_users(service, org, [{"first_name": "Olive", "last_name": "Admin", "original_address": "olive.admin@westmids.police.uk"}])
    response = service.put(f"/users/{olive['user_id']}/first-name", json={"first_name": "Olivia"})
    assert response.status_code == 200 and response.json()["address"] == olive["address"]


def test_a_group_mailbox_is_renamed_then_deleted_and_its_address_is_free_again(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (wendy,) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Desk"}])
    created = admin.post(f"/organisations/{org}/group-mailboxes", json={"name": "Front desk", "local_part": "front-desk"}).json()
    assert admin.put(f"/mailboxes/{created['id']}/permissions/{wendy['user_id']}/read").status_code == 204
    assert admin.patch(f"/group-mailboxes/{created['id']}", json={"name": "Reception"}).status_code == 204
    assert admin.get(f"/group-mailboxes/{created['id']}").json()["name"] == "Reception"
    assert [e["name"] for e in admin.get("/directory", params={"q": "Reception"}).json()["items"]] == ["Reception"]
    wendy_person = activate(client, wendy["username"], wendy["one_time_password"])
    assert [g["name"] for g in wendy_person.get("/me/group-mailboxes").json()["group_mailboxes"]] == ["Reception"]

    assert admin.delete(f"/group-mailboxes/{created['id']}").status_code == 204
    assert admin.get(f"/group-mailboxes/{created['id']}").status_code == 404
    assert wendy_person.get("/me/group-mailboxes").json()["group_mailboxes"] == []
    routed = admin.get(f"/routing/{created['address']}").json()
    assert (routed["action"], routed["reason"], routed["target_id"]) == ("return", "unknown", None)
    assert admin.delete(f"/group-mailboxes/{created['id']}").status_code == 422  # already gone
    again = admin.post(f"/organisations/{org}/group-mailboxes", json={"name": "Front desk", "local_part": "front-desk"})
    assert again.status_code == 201, again.text
    assert again.json()["address"] == created["address"]


def test_another_organisations_administrator_cannot_rename_or_delete_a_group_mailbox(client, service):
    org = register_organisation(service, "westmids")
    other = register_organisation(service, "probation")
    stranger = organisation_administrator(service, other, "Sam", "Other")
    created = service.post(f"/organisations/{org}/group-mailboxes", json={"name": "Front desk", "local_part": "front-desk"}).json()
    assert stranger.patch(f"/group-mailboxes/{created['id']}", json={"name": "Mine"}).status_code == 404
    assert stranger.delete(f"/group-mailboxes/{created['id']}").status_code == 404
