"""Finding 19: in an smtp organisation holding ``jane.doe@westmids.example.uk``,
an original address with a Cyrillic ``а`` or fullwidth letters was accepted
and got its own ``.cjsm.net`` address: an impersonation. Addresses are compared
under the TR39 confusable skeleton; one that is not its own skeleton is refused."""

from __future__ import annotations

import pytest

from domain.confusables import skeleton
from testkit.http import Person, add_users, register_organisation

LOOKALIKES = {
    "cyrillic a": "j\u0430ne.doe@westmids.example.uk",
    "fullwidth letters": "\uff4a\uff41\uff4e\uff45.doe@westmids.example.uk",
    "greek omicron": "jane.d\u03bfe@westmids.example.uk",
    "cyrillic in the domain": "jane.doe@westmids.ex\u0430mple.uk",
}


@pytest.fixture
def smtp_organisation(service: Person) -> str:
    org = register_organisation(service, "westmids", account_type="smtp", domains=["westmids.example.uk"])
    add_users(service, org, [{"first_name": "Jane", "last_name": "Doe", "original_address": "jane.doe@westmids.example.uk"}])
    return str(org)


@pytest.mark.parametrize("address", list(LOOKALIKES.values()), ids=list(LOOKALIKES))
def test_a_lookalike_of_an_existing_original_address_is_refused(service: Person, smtp_organisation: str, address: str) -> None:
    response = service.post(f"/organisations/{smtp_organisation}/users/bulk", json={"users": [{"first_name": "Jane", "last_name": "Doe", "original_address": address}]})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["row"]) for e in response.json()["errors"]] == [("original_address", 1)]
    assert "looks like" in response.json()["errors"][0]["message"]
    assert service.get("/users", params={"organisation_id": smtp_organisation}).json()["total"] == 1


def test_changing_an_original_address_to_a_lookalike_is_refused(service: Person, smtp_organisation: str) -> None:
    (other,) = add_users(service, smtp_organisation, [{"first_name": "Sam", "last_name": "Smith", "original_address": "sam.smith@westmids.example.uk"}])
    response = service.put(f"/users/{other['user_id']}/original-address", json={"original_address": LOOKALIKES["cyrillic a"]})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["original_address"]


def test_letters_of_other_alphabets_without_a_latin_lookalike_are_kept() -> None:
    assert skeleton("ren\u00e9.\u00f8degard") == "ren\u00e9.\u00f8degard"


def test_lookalikes_share_the_skeleton_of_what_they_imitate() -> None:
    assert {skeleton(a) for a in LOOKALIKES.values() if "ex\u0430mple" not in a} == {"jane.doe@westmids.example.uk"}
