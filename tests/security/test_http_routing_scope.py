"""Finding 10: GET /routing answered any organisation administrator about any
organisation's user, ex-directory included. It answers the mail system (its
own token), service administrators, and an organisation administrator about
their own organisation only."""

from __future__ import annotations

from testkit.http import Person, add_users, organisation_administrator, register_organisation

from .conftest import MAIL_SYSTEM_TOKEN


def _two_organisations(service: Person) -> tuple[Person, dict, dict]:
    own = register_organisation(service, "own")
    other = register_organisation(service, "other")
    admin = organisation_administrator(service, own)
    (colleague,) = add_users(service, own, [{"first_name": "Cora", "last_name": "Colleague"}])
    (stranger,) = add_users(service, other, [{"first_name": "Sam", "last_name": "Stranger", "ex_directory": True}])
    return admin, colleague, stranger


def test_an_organisation_administrator_learns_nothing_about_another_organisations_address(service: Person) -> None:
    admin, _, stranger = _two_organisations(service)
    answer = admin.get(f"/routing/{stranger['address']}")
    unknown = admin.get("/routing/nobody.at.all@nowhere.cjsm.net")
    assert answer.status_code == 200
    assert answer.json() == {**unknown.json(), "address": stranger["address"]}
    assert answer.json()["target_id"] is None and answer.json()["mailbox_id"] is None


def test_an_organisation_administrator_is_answered_about_their_own_organisation(service: Person) -> None:
    admin, colleague, _ = _two_organisations(service)
    answer = admin.get(f"/routing/{colleague['address']}").json()
    assert answer["action"] == "deliver" and answer["target_id"] == colleague["user_id"]


def test_the_mail_system_is_answered_with_its_own_token(service: Person) -> None:
    _, _, stranger = _two_organisations(service)
    answer = service.client.get(f"/routing/{stranger['address']}", headers={"Authorization": f"Bearer {MAIL_SYSTEM_TOKEN}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["action"] == "deliver" and answer.json()["target_id"] == stranger["user_id"]


def test_a_wrong_mail_system_token_is_not_authenticated(service: Person) -> None:
    _, _, stranger = _two_organisations(service)
    answer = service.client.get(f"/routing/{stranger['address']}", headers={"Authorization": f"Bearer {MAIL_SYSTEM_TOKEN}x"})
    assert answer.status_code == 401


def test_the_mail_system_token_opens_nothing_else(service: Person) -> None:
    answer = service.client.get("/users", headers={"Authorization": f"Bearer {MAIL_SYSTEM_TOKEN}"})
    assert answer.status_code == 401
