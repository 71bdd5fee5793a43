"""Finding 21: duplicate JSON keys were "last wins":
``{"user_ids":[u],"action":"unsuspend","action":"suspend"}`` suspended. Parsers
disagree on which duplicate wins, so a body with one is refused."""

from __future__ import annotations

from testkit.http import Person, add_users, register_organisation


def test_a_body_with_a_key_twice_is_refused_and_changes_nothing(service: Person) -> None:
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Jane", "last_name": "Doe"}])
    body = '{"user_ids":["%s"],"action":"unsuspend","action":"suspend"}' % user["user_id"]
    response = service.post("/users/status-changes", content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "action", "message": "appears more than once in the same object"}]
    assert service.get(f"/users/{user['user_id']}").json()["status"] == "pending_activation"


def test_a_duplicate_key_in_a_nested_object_is_refused(service: Person) -> None:
    org = register_organisation(service, "westmids")
    body = '{"users":[{"first_name":"Jane","last_name":"Doe","last_name":"Admin"}]}'
    response = service.post(f"/organisations/{org}/users/bulk", content=body.encode(), headers={"Content-Type": "application/json"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["last_name"]


def test_a_scalar_query_parameter_given_twice_is_refused(service: Person) -> None:
    response = service.get("/users?sort=name&sort=status")
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.sort"]
