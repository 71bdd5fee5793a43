"""An id of the wrong kind, on any path, is answered as an unknown id is, by the
read and the write alike (ADR 65): a list's id is no group mailbox or user, a
mailbox's no list, a grant's found only on its own holder's path."""

from __future__ import annotations

from uuid import uuid4

from testkit.http import Person, add_users, assert_all_not_found, organisation_administrator, register_organisation


def test_a_list_a_group_mailbox_a_personal_mailbox_and_a_user_are_each_unknown_on_the_others_paths(service: Person) -> None:
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (wendy,) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Desk"}])
    a_list = admin.post(f"/organisations/{org}/distribution-lists", json={"name": "Desk", "local_part": "desk"}).json()["id"]
    a_group = admin.post(f"/organisations/{org}/group-mailboxes", json={"name": "Team", "local_part": "team"}).json()["id"]
    for wrong in (a_group, wendy["mailbox_id"], wendy["user_id"], str(uuid4())):
        answers = [
            admin.get(f"/distribution-lists/{wrong}"),
            admin.patch(f"/distribution-lists/{wrong}", json={"name": "Other"}),
            admin.delete(f"/distribution-lists/{wrong}"),
        ]
        assert_all_not_found(answers, f"distribution list {wrong} not found")
    for wrong in (a_list, a_group, wendy["mailbox_id"], str(uuid4())):
        answers = [admin.get(f"/users/{wrong}"), admin.put(f"/users/{wrong}/first-name", json={"first_name": "Other"})]
        assert_all_not_found(answers, f"user {wrong} not found")


def test_a_grant_is_found_only_on_its_own_holders_path(service: Person) -> None:
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (wendy, jon) = add_users(admin, org, [{"first_name": "Wendy", "last_name": "Desk"}, {"first_name": "Jon", "last_name": "Smith"}])
    requested = admin.post(f"/mailboxes/{wendy['mailbox_id']}/exceptional-access", json={"reason": "long illness"})
    assert requested.status_code == 201, requested.text
    grant_id = requested.json()["id"]
    assert admin.get(f"/exceptional-access/{grant_id}").status_code == 200
    for path in (
        f"/users/{wendy['user_id']}/exceptional-access/{grant_id}",  # the owner's account, not her mailbox
        f"/mailboxes/{jon['mailbox_id']}/exceptional-access/{grant_id}",  # another mailbox
    ):
        refused = admin.delete(path)
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"] == f"exceptional-access request {grant_id} not found"
    unknown = uuid4()
    assert admin.get(f"/exceptional-access/{unknown}").json()["detail"] == admin.delete(f"/mailboxes/{wendy['mailbox_id']}/exceptional-access/{unknown}").json()["detail"]
