"""Finding 22: ``%`` and ``_`` in search text were wildcards: ``GET /users?q=%``
returned every user. Search text is matched literally: symbols are no word,
so they find nothing (and never reach LIKE or FTS as operators)."""

from __future__ import annotations

import pytest

from testkit.http import Person, add_users, register_organisation


@pytest.mark.parametrize("q", ["%", "_", "%%", "*", '"', "% _"])
def test_wildcard_characters_find_no_user(service: Person, q: str) -> None:
    org = register_organisation(service, "westmids")
    add_users(service, org, [{"first_name": "Jane", "last_name": "Doe"}, {"first_name": "John", "last_name": "Roe"}])
    response = service.get("/users", params={"q": q})
    assert response.status_code == 200
    assert response.json()["total"] == 0 and response.json()["items"] == []


@pytest.mark.parametrize("q", ["%", "_"])
def test_wildcard_characters_find_nothing_in_the_directory(service: Person, q: str) -> None:
    org = register_organisation(service, "westmids")
    add_users(service, org, [{"first_name": "Jane", "last_name": "Doe"}])
    response = service.get("/directory", params={"q": q})
    assert response.status_code == 200 and response.json()["items"] == []


def test_a_word_beside_a_wildcard_still_matches_literally(service: Person) -> None:
    org = register_organisation(service, "westmids")
    add_users(service, org, [{"first_name": "Jane", "last_name": "Doe"}, {"first_name": "John", "last_name": "Roe"}])
    found = service.get("/users", params={"q": "doe%"}).json()
    assert [u["last_name"] for u in found["items"]] == ["Doe"]
