"""Finding 20: names with U+202E (right-to-left override), U+2066, a zero-width
space, ESC sequences or newlines were accepted. One rule (``domain.text``)
refuses control and format characters in every text field on every path —
JSON, CSV and query — with a 422 naming the field."""

from __future__ import annotations

import pytest

from domain import text
from testkit.http import Person, register_organisation

HOSTILE = {
    "right-to-left override": "Jane\u202eeoD",
    "left-to-right isolate": "Jane\u2066Doe",
    "zero-width space": "Ja\u200bne",
    "escape sequence": "Jane\x1b[31mDoe",
    "newline": "Jane\nDoe",
    "byte-order mark": "\ufeffJane",
    "line separator": "Jane\u2028Doe",
}


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_first_name_in_json_is_refused_naming_the_field(service: Person, name: str) -> None:
    org = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{org}/users/bulk", json={"users": [{"first_name": "Ann", "last_name": "Ok"}, {"first_name": name, "last_name": "Doe"}]})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["users.1.first_name"]
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


@pytest.mark.parametrize("name", list(HOSTILE.values()), ids=list(HOSTILE))
def test_a_hostile_last_name_in_csv_is_refused_naming_field_and_row(service: Person, name: str) -> None:
    org = register_organisation(service, "westmids")
    quoted = '"' + name.replace('"', '""') + '"'
    response = service.post(f"/organisations/{org}/users/bulk", content=f"first_name,last_name\nJane,{quoted}\n".encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["row"]) for e in response.json()["errors"]] == [("last_name", 1)]


def test_a_hostile_query_parameter_is_refused_naming_it(service: Person) -> None:
    response = service.get("/users", params={"q": "Jane\u202e"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["query.q"]


def test_an_organisation_name_with_a_format_character_is_refused(service: Person) -> None:
    response = service.post("/organisations", json={"name": "Police\u200b", "code": "police", "account_type": "mailbox"})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["name"]


def test_a_reason_may_span_lines_but_not_hold_an_override(service: Person) -> None:
    assert text.check("reason", "Off sick.\nBack on Monday.") == "Off sick.\nBack on Monday."
    with pytest.raises(text.RefusedText):
        text.check("reason", "Off sick\u202e")


@pytest.mark.parametrize(
    ("value", "said"),
    [
        ("Jane\x1bDoe", "must not contain control characters (found U+001B control character at position 5)"),
        ("Jane\u202eDoe", "must not contain format characters (found U+202E RIGHT-TO-LEFT OVERRIDE at position 5)"),
        ("Jane\ud800Doe", "must not contain unpaired surrogates (found U+D800 unpaired surrogate at position 5)"),
        ("Jane\ue000Doe", "must not contain private-use characters (found U+E000 private-use character at position 5)"),
        ("Jane\u2029Doe", "must not contain paragraph separators (found U+2029 PARAGRAPH SEPARATOR at position 5)"),
    ],
)
def test_a_refusal_says_what_kind_of_character_it_found(value: str, said: str) -> None:
    with pytest.raises(text.RefusedText) as refused:
        text.check("last_name", value)
    assert str(refused.value) == said


def test_a_password_may_hold_any_storable_character() -> None:
    assert text.check("password", "pass\u200dword\tlong enough") == "pass\u200dword\tlong enough"


def test_text_is_kept_in_normal_form_c() -> None:
    assert text.check("last_name", "Zoe\u0308") == "Zo\u00eb"


def test_refused_text_is_listed_with_every_other_fault_of_the_body(service: Person) -> None:
    org = register_organisation(service, "westmids")
    users = [{"first_name": "Ann", "last_name": ""}, {"first_name": "Ja\x00ne", "last_name": "Doe"}, {"first_name": "Ann"}]
    response = service.post(f"/organisations/{org}/users/bulk", json={"users": users})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["users.0.last_name", "users.1.first_name", "users.2.last_name"]
    assert "U+0000" in response.json()["errors"][1]["message"]
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_hostile_query_parameter_is_listed_with_the_querys_other_faults(service: Person) -> None:
    response = service.get("/users", params={"q": "Jane\u202e", "limit": "0", "sort": "shoe size"})
    assert response.status_code == 422
    assert sorted(e["field"] for e in response.json()["errors"]) == ["query.limit", "query.q", "query.sort"]
