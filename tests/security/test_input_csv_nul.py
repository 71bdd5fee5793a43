"""Finding 17: a CSV bulk add with a NUL byte answered 500 on PostgreSQL and was
stored on SQLite. The CSV path is held to the same rule as JSON: refused by
field and row, nothing created."""

from __future__ import annotations

from testkit.http import Person, register_organisation


def test_a_nul_byte_in_a_csv_row_is_refused_by_field_and_row(service: Person) -> None:
    org = register_organisation(service, "westmids")
    csv_text = "first_name,last_name\nAda,Lovelace\nJane,Do\x00e\n"
    response = service.post(f"/organisations/{org}/users/bulk", content=csv_text.encode(), headers={"Content-Type": "text/csv"})
    assert response.status_code == 422, response.text
    assert [(e["field"], e["row"]) for e in response.json()["errors"]] == [("last_name", 2)]
    assert "U+0000" in response.json()["errors"][0]["message"]
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_nul_byte_in_an_uploaded_csv_file_is_refused(service: Person) -> None:
    org = register_organisation(service, "westmids")
    files = {"file": ("users.csv", b"first_name,last_name\nJa\x00ne,Doe\n", "text/csv")}
    response = service.post(f"/organisations/{org}/users/bulk", files=files)
    assert response.status_code == 422, response.text
    assert [(e["field"], e["row"]) for e in response.json()["errors"]] == [("first_name", 1)]
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0
