"""Log-in, sessions and activation through HTTP."""

from __future__ import annotations

from datetime import timedelta

import pytest
from testkit.http import ANSWERS, activate, add_users, log_in, register_organisation

pytestmark = pytest.mark.both_stores


def new_user(service, code="westmids"):
    org = register_organisation(service, code)
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    return user


def test_log_in_sets_an_http_only_strict_cookie_and_returns_a_bearer_token(client, service):
    user = new_user(service)
    response = client.post("/session", json={"username": user["username"], "password": user["one_time_password"]})
    assert response.status_code == 201
    token = response.json()["token"]
    assert len(token) >= 32
    cookie = response.headers["set-cookie"]
    assert f"sema_session={token}" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie


def test_the_session_cookie_alone_authenticates(client, service):
    user = new_user(service)
    client.post("/session", json={"username": user["username"], "password": user["one_time_password"]})
    assert client.get("/me").status_code == 200
    client.cookies.clear()


def test_unknown_username_and_wrong_password_get_the_same_response(client, service):
    user = new_user(service)
    unknown = client.post("/session", json={"username": "nobody.here", "password": "whatever-it-is"})
    wrong = client.post("/session", json={"username": user["username"], "password": "whatever-it-is"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.json() == wrong.json()


def test_the_configured_count_of_wrong_passwords_locks_the_account_until_an_administrator_unlocks_it(client, service, clock, app):
    user = new_user(service)
    for _ in range(app.settings.max_failed_log_ins):
        clock.advance(timedelta(seconds=app.settings.log_in_longest_delay_s))  # past each throttling wait
        assert service.get("/me").status_code == 200  # the administrator's session stays in use
        assert client.post("/session", json={"username": user["username"], "password": "not-the-password"}).status_code == 401
    clock.advance(timedelta(seconds=app.settings.log_in_longest_delay_s))
    locked = client.post("/session", json={"username": user["username"], "password": user["one_time_password"]})
    assert locked.status_code == 401 and locked.json()["type"].endswith("/invalid-credentials")
    outcome = service.post("/users/status-changes", json={"user_ids": [user["user_id"]], "action": "unlock"}).json()
    assert outcome["outcomes"][0]["result"] == "changed"
    clock.advance(timedelta(seconds=app.settings.log_in_longest_delay_s))
    assert client.post("/session", json={"username": user["username"], "password": user["one_time_password"]}).status_code == 201


def test_a_one_time_password_session_may_only_activate_until_done(client, service):
    user = new_user(service)
    session = log_in(client, user["username"], user["one_time_password"])
    headers = {"Authorization": f"Bearer {session['token']}"}
    assert session["must_activate"] is True
    refused = client.post("/me/address-book", json={"entry_kind": "user", "entry_id": user["user_id"]}, headers=headers)
    assert refused.status_code == 403 and refused.json()["type"].endswith("/activation-required")
    assert client.get("/me", headers=headers).json()["must_activate"] is True
    activated = client.post("/me/activation", json={"new_password": "Correct horse battery 9", "security_answers": ANSWERS}, headers=headers)
    assert activated.status_code == 204
    assert client.get("/me", headers=headers).json()["must_activate"] is False


def test_activation_without_security_answers_names_the_field(client, service):
    user = new_user(service)
    session = log_in(client, user["username"], user["one_time_password"])
    response = client.post("/me/activation", json={"new_password": "Correct horse battery 9"}, headers={"Authorization": f"Bearer {session['token']}"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "security_answers"


def test_activation_names_every_bad_field_at_once_and_changes_nothing(client, service):
    user = new_user(service)
    session = log_in(client, user["username"], user["one_time_password"])
    headers = {"Authorization": f"Bearer {session['token']}"}
    response = client.post("/me/activation", json={"new_password": "short", "security_answers": {"first_school": "Hill"}}, headers=headers)
    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-value")
    assert {e["field"] for e in response.json()["errors"]} == {"new_password", "security_answers"}
    assert client.get("/me", headers=headers).json()["must_activate"] is True


def test_the_one_time_password_is_refused_as_the_new_password_written_any_way(client, service):
    user = new_user(service)
    session = log_in(client, user["username"], user["one_time_password"])
    headers = {"Authorization": f"Bearer {session['token']}"}
    for otp in (user["one_time_password"], user["one_time_password"].replace("-", " ").lower()):
        response = client.post("/me/activation", json={"new_password": otp, "security_answers": ANSWERS}, headers=headers)
        assert response.status_code == 422, response.text
        assert response.json()["errors"] == [{"field": "new_password", "message": "must differ from the one-time password"}]
    assert client.get("/me", headers=headers).json()["must_activate"] is True


def test_the_one_time_password_stops_working_after_activation(client, service):
    user = new_user(service)
    activate(client, user["username"], user["one_time_password"])
    again = client.post("/session", json={"username": user["username"], "password": user["one_time_password"]})
    assert again.status_code == 401


def test_log_out_revokes_the_token(client, service):
    user = new_user(service)
    person = activate(client, user["username"], user["one_time_password"])
    assert person.delete("/session").status_code == 204
    assert person.get("/me").status_code == 401


def test_a_session_ends_after_thirty_idle_minutes(client, service, clock):
    user = new_user(service)
    person = activate(client, user["username"], user["one_time_password"])
    clock.advance(timedelta(minutes=29))
    assert person.get("/me").status_code == 200
    clock.advance(timedelta(minutes=31))
    assert person.get("/me").status_code == 401


def test_a_session_ends_eight_hours_after_log_in_however_busy(client, service, clock):
    user = new_user(service)
    person = activate(client, user["username"], user["one_time_password"])
    for _ in range(16):  # 7 h 44 min
        clock.advance(timedelta(minutes=29))
        assert person.get("/me").status_code == 200
    clock.advance(timedelta(minutes=29))
    assert person.get("/me").status_code == 401


def test_a_suspended_users_session_stops_working_at_once(client, service):
    user = new_user(service)
    person = activate(client, user["username"], user["one_time_password"])
    service.post("/users/status-changes", json={"user_ids": [user["user_id"]], "action": "suspend"})
    assert person.get("/me").status_code == 401


def test_a_user_changes_their_own_password(client, service):
    user = new_user(service)
    person = activate(client, user["username"], user["one_time_password"], password="First chosen pass 1")
    wrong = person.post("/me/password", json={"current_password": "not it at all", "new_password": "Second chosen pass 2"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"
    assert person.post("/me/password", json={"current_password": "First chosen pass 1", "new_password": "Second chosen pass 2"}).status_code == 204
    assert client.post("/session", json={"username": user["username"], "password": "First chosen pass 1"}).status_code == 401
    assert client.post("/session", json={"username": user["username"], "password": "Second chosen pass 2"}).status_code == 201


def test_a_password_changed_to_itself_is_refused_naming_the_new_password(client, service):
    user = new_user(service)
    person = activate(client, user["username"], user["one_time_password"], password="First chosen pass 1")
    same = person.post("/me/password", json={"current_password": "First chosen pass 1", "new_password": "First chosen pass 1"})
    assert same.status_code == 422, same.text
    assert same.json()["errors"] == [{"field": "new_password", "message": "must differ from the current password"}]
    wrong = person.post("/me/password", json={"current_password": "not it at all", "new_password": "not it at all"})
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["field"] == "current_password"  # the same, but not the current one


def test_a_user_sets_new_security_information(client, service):
    user = new_user(service)
    person = activate(client, user["username"], user["one_time_password"])
    password = person.secrets[1]
    response = person.put("/me/security-information", json={"current_password": password, "security_answers": {"first_pet": "Rover", "childhood_street": "Elm Road", "favourite_teacher": "Jenkins"}})
    assert response.status_code == 204


def test_security_questions_are_listed_without_logging_in(client):
    questions = client.get("/security-questions").json()["questions"]
    assert {"key": "mothers_maiden_name", "text": "Mother's maiden name"} in questions


def test_a_log_in_forgets_sessions_that_have_ended(client, service, clock, app):
    from sqlalchemy import func, select

    from api.sessions import sessions_table

    user = new_user(service)
    activate(client, user["username"], user["one_time_password"])
    clock.advance(timedelta(hours=9))
    with app.engine.connect() as connection:
        before = connection.execute(select(func.count()).select_from(sessions_table)).scalar_one()
    log_in(client, user["username"], "Correct horse 9 battery")
    with app.engine.connect() as connection:
        after = connection.execute(select(func.count()).select_from(sessions_table)).scalar_one()
    assert before == 2 and after == 1  # the service administrator's and the user's first sessions went


def test_an_expired_one_time_password_no_longer_logs_in(client, service, clock):
    user = new_user(service)
    clock.advance(timedelta(days=15))
    response = client.post("/session", json={"username": user["username"], "password": user["one_time_password"]})
    assert response.status_code == 401 and response.json()["type"].endswith("/account-unavailable")
