"""An organisation administrator recovers a user who never activated: a new
one-time password and welcome letter, without a service administrator."""

from __future__ import annotations

from datetime import timedelta

from policies.runner import PolicyRunner
from testkit.http import activate, log_in, add_users, organisation_administrator, register_organisation


def log_in_status(client, username: str, password: str) -> int:
    response = client.post("/session", json={"username": username, "password": password})
    client.cookies.clear()
    return response.status_code


def test_a_user_whose_one_time_password_expired_gets_a_new_one_and_letter_from_their_administrator(client, service, app, clock):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (jane,) = add_users(admin, org, [{"first_name": "Jane", "last_name": "Late"}])
    clock.advance(app.settings.one_time_password_lifetime + timedelta(hours=1))
    PolicyRunner(app).tick(clock.now())
    admin.token = log_in(client, admin.username, admin.secrets[1])["token"]  # days later: a new session
    assert log_in_status(client, jane["username"], jane["one_time_password"]) != 201
    assert admin.get(f"/users/{jane['user_id']}").json()["status"] == "pending_activation"

    response = admin.post(f"/users/{jane['user_id']}/one-time-password")
    assert response.status_code == 201, response.text
    issued = response.json()
    assert issued["one_time_password"] != jane["one_time_password"]
    letters = admin.get(issued["letters"]["url"], headers={"Sema-Letters-Key": issued["letters"]["key"]})
    assert letters.status_code == 200 and letters.headers["content-type"] == "application/pdf"
    # The old one stays dead; the new one activates the account.
    assert log_in_status(client, jane["username"], jane["one_time_password"]) == 401
    person = activate(client, jane["username"], issued["one_time_password"])
    assert person.get("/me").json()["must_activate"] is False


def test_a_lost_letter_is_replaced_before_expiry_and_the_first_one_time_password_stops_working(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (jane,) = add_users(admin, org, [{"first_name": "Jane", "last_name": "Lost"}])
    issued = admin.post(f"/users/{jane['user_id']}/one-time-password").json()
    assert log_in_status(client, jane["username"], jane["one_time_password"]) == 401
    assert log_in_status(client, jane["username"], issued["one_time_password"]) == 201


def test_an_activated_user_is_not_given_a_one_time_password_but_challenged_instead(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (jane,) = add_users(admin, org, [{"first_name": "Jane", "last_name": "Active"}])
    activate(client, jane["username"], jane["one_time_password"])
    refused = admin.post(f"/users/{jane['user_id']}/one-time-password")
    assert refused.status_code == 422 and refused.json()["type"].endswith("/already-activated")


def test_only_the_users_own_administrators_or_a_service_administrator_reissue(client, service):
    org = register_organisation(service, "westmids")
    other = register_organisation(service, "probation")
    admin = organisation_administrator(service, org)
    stranger_admin = organisation_administrator(service, other, "Sam", "Other")
    (jane,) = add_users(admin, org, [{"first_name": "Jane", "last_name": "Mine"}])
    assert stranger_admin.post(f"/users/{jane['user_id']}/one-time-password").status_code == 404
    user = activate(client, *[(u["username"], u["one_time_password"]) for u in add_users(admin, org, [{"first_name": "Ulf", "last_name": "User"}])][0])
    assert user.post(f"/users/{jane['user_id']}/one-time-password").status_code == 403
    assert service.post(f"/users/{jane['user_id']}/one-time-password").status_code == 201
