"""Renaming and deleting as administrators do it: a user's first name, group
mailboxes, and distribution lists' addresses and deletion with an undo period."""

from __future__ import annotations

from datetime import timedelta
from uuid import uuid4

from policies.runner import PolicyRunner
from testkit.http import activate, add_users, assert_all_not_found, log_in, organisation_administrator, register_organisation


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
    assert admin.delete(f"/group-mailboxes/{created['id']}").status_code == 404  # already gone, as GET answers
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


def test_a_distribution_list_changes_address_and_mail_to_the_old_one_is_unknown(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (wendy,) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Member"}])
    created = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Duty", "local_part": "duty", "member_ids": [wendy["user_id"]]}).json()
    moved = admin.put(f"/distribution-lists/{created['id']}/address", json={"local_part": "night-duty"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["address"] == "night-duty@westmids.cjsm.net"
    assert admin.get(f"/distribution-lists/{created['id']}").json()["address"] == "night-duty@westmids.cjsm.net"
    assert admin.get("/routing/night-duty@westmids.cjsm.net").json()["members"] == [wendy["address"]]
    assert admin.get(f"/routing/{created['address']}").json()["reason"] == "unknown"
    taken = admin.put(f"/distribution-lists/{created['id']}/address", json={"local_part": "wendy.member"})
    assert taken.status_code == 422 and taken.json()["type"].endswith("/address-taken")
    # The old address is free for something else.
    assert admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Day", "local_part": "duty"}).status_code == 201


def test_a_deleted_list_is_restored_within_30_days_and_then_deleted_for_good(client, service, app, clock):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (wendy,) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Member"}])
    first = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Duty", "local_part": "duty", "member_ids": [wendy["user_id"]]}).json()
    assert admin.get(f"/distribution-lists/{first['id']}").json()["restorable_until"] is None
    assert admin.delete(f"/distribution-lists/{first['id']}").status_code == 204
    assert admin.get(f"/routing/{first['address']}").json()["reason"] == "unknown"
    reused = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Other", "local_part": "duty"})
    assert reused.status_code == 422  # the address waits for the undo period
    assert admin.post(f"/distribution-lists/{first['id']}/restoration").status_code == 204
    assert [m["user_id"] for m in admin.get(f"/distribution-lists/{first['id']}").json()["members"]] == [wendy["user_id"]]
    assert admin.get(f"/routing/{first['address']}").json()["members"] == [wendy["address"]]

    assert admin.delete(f"/distribution-lists/{first['id']}").status_code == 204
    clock.advance(timedelta(days=30))
    PolicyRunner(app).tick(clock.now())
    admin.token = log_in(client, admin.username, admin.secrets[1])["token"]
    late = admin.post(f"/distribution-lists/{first['id']}/restoration")
    assert late.status_code == 422
    assert admin.get(f"/distribution-lists/{first['id']}").status_code == 404
    assert admin.get(f"/organisations/{org}/deleted-distribution-lists").json() == {"distribution_lists": []}
    again = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Other", "local_part": "duty"})
    assert again.status_code == 201 and again.json()["address"] == first["address"]


def test_a_last_name_changed_back_gives_the_user_their_own_earlier_address_again(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (jon,) = add_users(admin, org, [{"first_name": "Jon", "last_name": "Smith"}])
    assert admin.put(f"/users/{jon['user_id']}/last-name", json={"last_name": "Smyth"}).json()["address"] == "jon.smyth@westmids.cjsm.net"
    back = admin.put(f"/users/{jon['user_id']}/last-name", json={"last_name": "Smith"})
    assert back.status_code == 200, back.text
    assert back.json()["address"] == "jon.smith@westmids.cjsm.net"  # their own alias, not jon.smith2
    shown = admin.get(f"/users/{jon['user_id']}").json()
    assert (shown["address"], shown["aliases"]) == ("jon.smith@westmids.cjsm.net", ["jon.smyth@westmids.cjsm.net"])
    for address in ("jon.smith@westmids.cjsm.net", "jon.smyth@westmids.cjsm.net"):
        assert admin.get(f"/routing/{address}").json()["target_id"] == jon["user_id"]


def test_an_smtp_users_original_address_changed_back_reuses_their_own_alias(client, service):
    org = register_organisation(service, "westmids", "smtp", ["westmids.police.uk"])
    admin = service
    (jane,) = add_users(admin, org, [{"first_name": "Jane", "last_name": "Doe", "original_address": "jane.doe@westmids.police.uk"}])
    url = f"/users/{jane['user_id']}/original-address"
    assert admin.put(url, json={"original_address": "jane.smith@westmids.police.uk"}).status_code == 200
    same = admin.put(url, json={"original_address": "jane.smith@westmids.police.uk"})
    assert same.status_code == 422 and same.json()["type"].endswith("/already-so"), same.text
    back = admin.put(url, json={"original_address": "jane.doe@westmids.police.uk"})
    assert back.status_code == 200, back.text
    assert back.json()["address"] == "jane.doe@westmids.police.uk.cjsm.net"
    shown = admin.get(f"/users/{jane['user_id']}").json()
    assert (shown["original_address"], shown["aliases"]) == ("jane.doe@westmids.police.uk", ["jane.smith@westmids.police.uk.cjsm.net"])
    assert admin.get("/routing/jane.doe@westmids.police.uk.cjsm.net").json()["relay_to"] == "jane.doe@westmids.police.uk"


def test_the_group_mailbox_paths_answer_not_found_alike_for_every_id_that_is_not_a_present_group_mailbox(client, service):
    """GET, PATCH and DELETE /group-mailboxes/{id} agree: a personal mailbox, a
    distribution list, a deleted group mailbox, another organisation's group
    mailbox and an unknown id are each not found there, with the same answer."""
    org = register_organisation(service, "westmids")
    other = register_organisation(service, "eastmids")
    admin = organisation_administrator(service, org)
    (wendy,) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Desk"}])
    a_list = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Desk", "local_part": "desk"}).json()["id"]
    deleted = admin.post(f"/organisations/{org}/group-mailboxes", json={"name": "Old", "local_part": "old"}).json()["id"]
    assert admin.delete(f"/group-mailboxes/{deleted}").status_code == 204
    elsewhere = service.post(f"/organisations/{other}/group-mailboxes", json={"name": "Theirs", "local_part": "theirs"}).json()["id"]
    for mailbox_id in (wendy["mailbox_id"], a_list, deleted, elsewhere, str(uuid4())):
        answers = [
            admin.get(f"/group-mailboxes/{mailbox_id}"),
            admin.patch(f"/group-mailboxes/{mailbox_id}", json={"name": "Mine"}),
            admin.delete(f"/group-mailboxes/{mailbox_id}"),
        ]
        assert_all_not_found(answers, f"mailbox {mailbox_id} not found")
    assert admin.get(f"/routing/{wendy['address']}").json()["mailbox_id"] == wendy["mailbox_id"]  # the personal mailbox is untouched


def test_a_personal_mailbox_is_not_shared_by_permissions_and_the_refusal_says_why(client, service):
    """/mailboxes/{id} names every mailbox, personal ones included: there the personal
    mailbox is found, and a permission on it is refused with the reason."""
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (wendy, jon) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Desk"}, {"first_name": "Jon", "last_name": "Smith"}])
    refused = admin.put(f"/mailboxes/{wendy['mailbox_id']}/permissions/{jon['user_id']}/read")
    assert refused.status_code == 422
    assert refused.json()["detail"] == f"mailbox {wendy['mailbox_id']} is a user's personal mailbox: only a group mailbox is renamed, deleted or shared by permissions"


def test_a_deleted_list_is_found_with_its_deadline_while_it_can_be_restored(client, service, clock):
    """ADR 67: GET and the organisation's deleted lists show a deleted list, with
    when its 30 days end; the writes refuse it until it is restored; after the
    30 days it is gone from both, and restoring says why."""
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    other = organisation_administrator(service, register_organisation(service, "avon"))
    (wendy,) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Member"}])
    dl = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Duty", "local_part": "duty", "member_ids": [wendy["user_id"]]}).json()
    assert admin.delete(f"/distribution-lists/{dl['id']}").status_code == 204
    until = (clock.now() + timedelta(days=30)).isoformat().replace("+00:00", "Z")

    shown = admin.get(f"/distribution-lists/{dl['id']}")
    assert shown.status_code == 200, shown.text
    assert (shown.json()["name"], shown.json()["address"], shown.json()["restorable_until"]) == ("Duty", dl["address"], until)
    assert [m["user_id"] for m in shown.json()["members"]] == [wendy["user_id"]]  # restoring brings them back
    deleted = admin.get(f"/organisations/{org}/deleted-distribution-lists").json()["distribution_lists"]
    assert deleted == [{"id": dl["id"], "name": "Duty", "address": dl["address"], "restorable_until": until}]
    assert admin.get(f"/organisations/{org}/distribution-lists").json()["distribution_lists"] == []
    # Another organisation's administrator learns nothing of it.
    assert other.get(f"/distribution-lists/{dl['id']}").status_code == 404
    assert other.get(f"/organisations/{org}/deleted-distribution-lists").status_code == 404

    renamed = admin.patch(f"/distribution-lists/{dl['id']}", json={"name": "Night"})
    assert renamed.status_code == 422 and "deleted" in renamed.json()["detail"]

    clock.advance(timedelta(days=30))
    admin.token = log_in(client, admin.username, admin.secrets[1])["token"]  # the session has ended meanwhile
    assert admin.get(f"/distribution-lists/{dl['id']}").status_code == 404
    assert admin.get(f"/organisations/{org}/deleted-distribution-lists").json() == {"distribution_lists": []}
    late = admin.post(f"/distribution-lists/{dl['id']}/restoration")
    assert late.status_code == 422
    assert late.json()["detail"] == f"the distribution list can no longer be restored: the 30 days ended at {(clock.now()).isoformat()}"
