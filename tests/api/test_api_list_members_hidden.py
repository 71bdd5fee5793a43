"""ADR 64: another organisation's ex-directory or deleted user cannot be added to
a list by an organisation administrator (refused as an unknown user is), and a
member who is hidden is shown to such an administrator without name or address,
in the list's view and its routing answer; mail still reaches them."""

from __future__ import annotations

from uuid import uuid4

from testkit.http import Person, add_users, organisation_administrator, register_organisation


def _setting(service: Person) -> tuple[Person, str, dict, dict]:
    """Organisation A's administrator and list; organisation B's listed user and ex-directory user."""
    a = register_organisation(service, "alpha")
    b = register_organisation(service, "bravo")
    admin_a = organisation_administrator(service, a)
    listed, hidden = add_users(service, b, [{"first_name": "Lou", "last_name": "Listed"}, {"first_name": "Hal", "last_name": "Hidden"}])
    response = service.post("/users/status-changes", json={"user_ids": [hidden["user_id"]], "action": "mark_ex_directory"})
    assert response.status_code == 200, response.text
    created = admin_a.post(f"/organisations/{a}/distribution-lists", json={"name": "Partners", "local_part": "partners"})
    assert created.status_code == 201, created.text
    return admin_a, created.json()["id"], listed, hidden


def test_another_organisations_ex_directory_user_is_refused_as_an_unknown_user_is(service: Person) -> None:
    admin_a, list_id, listed, hidden = _setting(service)
    unknown = uuid4()
    refused = admin_a.put(f"/distribution-lists/{list_id}/members/{hidden['user_id']}")
    as_unknown = admin_a.put(f"/distribution-lists/{list_id}/members/{unknown}")
    assert refused.status_code == as_unknown.status_code == 404
    assert refused.json()["detail"].replace(hidden["user_id"], "ID") == as_unknown.json()["detail"].replace(str(unknown), "ID")
    assert admin_a.put(f"/distribution-lists/{list_id}/members/{listed['user_id']}").status_code == 204

    new = admin_a.post(f"/organisations/{admin_a.organisation_id}/distribution-lists", json={"name": "More", "local_part": "more", "member_ids": [listed["user_id"], hidden["user_id"]]})
    assert new.status_code == 422, new.text
    assert [e["field"] for e in new.json()["errors"]] == ["member_ids.1"]
    assert "Hal" not in new.text and "hidden" not in new.text.lower()


def test_a_member_hidden_later_stays_a_member_unseen_by_another_organisations_administrator(service: Person) -> None:
    admin_a, list_id, listed, hidden = _setting(service)
    assert admin_a.put(f"/distribution-lists/{list_id}/members/{listed['user_id']}").status_code == 204
    assert service.put(f"/distribution-lists/{list_id}/members/{hidden['user_id']}").status_code == 204  # the service may
    response = service.post("/users/status-changes", json={"user_ids": [listed["user_id"]], "action": "mark_ex_directory"})
    assert response.status_code == 200, response.text

    seen = admin_a.get(f"/distribution-lists/{list_id}")
    assert seen.status_code == 200, seen.text
    members = {m["user_id"]: m for m in seen.json()["members"]}
    assert set(members) == {listed["user_id"], hidden["user_id"]}
    for m in members.values():
        assert m["hidden"] is True and m["name"] == "Not in the directory" and m["address"] is None
    assert "Listed" not in seen.text and "Hidden" not in seen.text and listed["address"] not in seen.text

    full = service.get(f"/distribution-lists/{list_id}").json()
    assert {m["address"] for m in full["members"]} == {listed["address"], hidden["address"]}
    assert not any(m["hidden"] for m in full["members"])

    address = full["address"]
    routed_for_admin = admin_a.get(f"/routing/{address}").json()
    routed_for_service = service.get(f"/routing/{address}").json()
    assert routed_for_service["action"] == routed_for_admin["action"] == "expand"
    assert set(routed_for_service["members"]) == {listed["address"], hidden["address"]}  # mail still reaches them
    assert routed_for_admin["members"] == []

    assert admin_a.delete(f"/distribution-lists/{list_id}/members/{hidden['user_id']}").status_code == 204  # removable by id


def test_an_administrators_own_ex_directory_user_is_added_and_shown_in_full(service: Person) -> None:
    admin_a, list_id, _, _ = _setting(service)
    (own,) = add_users(service, admin_a.organisation_id, [{"first_name": "Oona", "last_name": "Own", "ex_directory": True}])
    assert admin_a.put(f"/distribution-lists/{list_id}/members/{own['user_id']}").status_code == 204
    (member,) = admin_a.get(f"/distribution-lists/{list_id}").json()["members"]
    assert member["name"] == "Oona Own" and member["address"] == own["address"] and member["hidden"] is False


def test_another_organisations_user_is_not_appointed_and_the_refusal_is_an_unknown_users(service: Person) -> None:
    admin_a, _, listed, hidden = _setting(service)
    unknown = uuid4()
    as_unknown = admin_a.put(f"/organisations/{admin_a.organisation_id}/administrators/{unknown}")
    assert as_unknown.status_code == 404
    for user in (listed, hidden):
        refused = admin_a.put(f"/organisations/{admin_a.organisation_id}/administrators/{user['user_id']}")
        assert refused.status_code == 404, refused.text
        assert refused.json()["detail"].replace(user["user_id"], "ID") == as_unknown.json()["detail"].replace(str(unknown), "ID")
    by_service = service.put(f"/organisations/{admin_a.organisation_id}/administrators/{listed['user_id']}")
    assert by_service.status_code == 422 and "must be a user of the organisation" in by_service.json()["detail"]  # the service's administrators see why
