"""Administrators adding and looking after users through HTTP."""

from __future__ import annotations

import io

from testkit.http import NORMALISED, activate, add_users, organisation_administrator, register_organisation
from pypdf import PdfReader

from domain.naming import MAX_PERSON_NAME


def csv_of(rows: list[tuple[str, ...]], header: str = "first_name,last_name,department") -> bytes:
    return ("\n".join([header, *(",".join(r) for r in rows)]) + "\n").encode()


def five_hundred() -> bytes:
    return csv_of([(f"Given{i}", f"Family{i}", "Custody") for i in range(500)])


def test_an_administrator_bulk_adds_500_users_from_a_csv_upload(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    response = admin.post(f"/organisations/{org}/users/bulk", files={"file": ("users.csv", five_hundred(), "text/csv")})
    assert response.status_code == 201, response.text
    users = response.json()["users"]
    assert len(users) == 500 and len({u["address"] for u in users}) == 500
    assert users[0]["address"] == "given0.family0@westmids.cjsm.net" and users[0]["row"] == 1


def test_the_welcome_letters_of_a_bulk_add_are_a_pdf_with_one_page_per_user(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    added = admin.post(f"/organisations/{org}/users/bulk", content=five_hundred(), headers={"content-type": "text/csv"}).json()
    letters = added["letters"]
    response = admin.get(letters["url"], headers={"Sema-Letters-Key": letters["key"]})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) == 500
    last = pdf.pages[499].extract_text()
    assert added["users"][499]["username"] in last and added["users"][499]["one_time_password"] in last


def test_a_name_beyond_latin_1_is_written_in_latin_letters_on_its_letter_not_as_question_marks(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    added = admin.post(f"/organisations/{org}/users/bulk", json={"users": [{"first_name": "Zoë", "last_name": "Ångström-Łukasiewicz"}, {"first_name": "小龙", "last_name": "李"}]}).json()
    letters = added["letters"]
    pages = PdfReader(io.BytesIO(admin.get(letters["url"], headers={"Sema-Letters-Key": letters["key"]}).content)).pages
    first, second = (page.extract_text() for page in pages)
    assert "Zoë Ångström-Lukasiewicz" in first and "?" not in first
    assert "XiaoLong Li" in second and "?" not in second


def test_letters_are_not_given_to_another_administrator_even_with_the_key(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    letters = admin.post(f"/organisations/{org}/users/bulk", json={"users": [{"first_name": "Peter", "last_name": "Pan"}]}).json()["letters"]
    assert service.get(letters["url"], headers={"Sema-Letters-Key": letters["key"]}).status_code == 404


def test_letters_need_the_key_from_the_add_response(client, service):
    org = register_organisation(service, "westmids")
    letters = service.post(f"/organisations/{org}/users/bulk", json={"users": [{"first_name": "Peter", "last_name": "Pan"}]}).json()["letters"]
    assert service.get(letters["url"]).status_code == 404
    assert service.get(letters["url"], headers={"Sema-Letters-Key": "A" * 43}).status_code == 404


def test_a_dry_run_reports_the_users_without_creating_them(client, service):
    org = register_organisation(service, "westmids")
    dry = service.post(f"/organisations/{org}/users/bulk?dry_run=true", content=csv_of([("Peter", "Pan", "")]), headers={"content-type": "text/csv"})
    assert dry.status_code == 201
    body = dry.json()
    assert body["dry_run"] is True and body["letters"] is None and body["users"][0]["one_time_password"] is None
    real = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    assert real[0]["address"] == body["users"][0]["address"]  # nothing was taken by the dry run


def test_an_invalid_csv_row_names_its_row_and_field_and_nothing_is_created(client, service):
    org = register_organisation(service, "westmids")
    bad = csv_of([("Peter", "Pan", ""), ("Wendy", "", ""), ("John", "Darling", "")])
    response = service.post(f"/organisations/{org}/users/bulk", content=bad, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["row"] == 2 and response.json()["errors"][0]["field"] == "last_name"
    again = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    assert again[0]["address"] == "peter.pan@westmids.cjsm.net"


def test_a_domain_rule_broken_in_one_row_is_reported_by_row_and_field(client, service):
    org = register_organisation(service, "met", account_type="smtp", domains=["met.police.uk"])
    rows = [{"first_name": "A", "last_name": "B", "original_address": "a.b@met.police.uk"}, {"first_name": "C", "last_name": "D", "original_address": "c.d@elsewhere.org"}]
    response = service.post(f"/organisations/{org}/users/bulk", json={"users": rows})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "original_address", "row": 2, "message": "must be in one of the organisation's domains: met.police.uk"}]


def test_a_json_bulk_add_lists_the_schemas_faults_and_the_domains_in_one_answer(client, service):
    org = register_organisation(service, "westmids")
    add_users(service, org, [{"first_name": "Tinker", "last_name": "Bell", "old_style_address": "tinkerbell-westmids@cjsm.net"}])
    rows = [
        {"first_name": "Peter", "last_name": "Pan"},
        {"first_name": "Wendy", "last_name": ""},
        {"first_name": "John", "last_name": "Darling", "original_address": "john@westmids.police.uk"},
        {"first_name": "Ti\u202enker", "last_name": "Bell"},
        {"first_name": "Tink", "last_name": "Bell", "old_style_address": "tinkerbell-westmids@cjsm.net"},
    ]
    response = service.post(f"/organisations/{org}/users/bulk", json={"users": rows})
    assert response.status_code == 422, response.text
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [
        (2, "users.1.last_name"),
        (3, "original_address"),
        (4, "users.3.first_name"),
        (5, "old_style_address"),
    ]
    assert response.json()["errors"][1]["message"] == "only smtp and gsc organisations relay to an original address"
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 1


def test_a_csv_upload_lists_bad_rows_and_the_domains_faults_in_the_others_in_one_answer(client, service):
    org = register_organisation(service, "met", account_type="smtp", domains=["met.police.uk"])
    bad = csv_of([("Peter", "Pan", "peter@met.police.uk"), ("Wendy", "", "wendy@met.police.uk"), ("John", "Darling", "john@elsewhere.org"), ("Jo", "Darling", "PETER@met.police.uk")], "first_name,last_name,original_address")
    response = service.post(f"/organisations/{org}/users/bulk", files={"file": ("users.csv", bad, "text/csv")})
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "last_name"), (3, "original_address"), (4, "original_address")]
    assert errors[2]["message"] == "peter@met.police.uk.cjsm.net is also in row 1"
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_csv_that_is_not_utf8_names_the_row(client, service):
    org = register_organisation(service, "westmids")
    content = "first_name,last_name\nPeter,Pan\nZoë,Smith\n".encode("latin-1")
    response = service.post(f"/organisations/{org}/users/bulk", content=content, headers={"content-type": "text/csv"})
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "row": 2, "message": "is not UTF-8 text"}]


def test_a_csv_with_an_unknown_column_is_refused_naming_it(client, service):
    org = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{org}/users/bulk", content=b"first_name,last_name,shoe_size\nA,B,9\n", headers={"content-type": "text/csv"})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "header.shoe_size"


def test_more_than_500_users_are_refused(client, service):
    org = register_organisation(service, "westmids")
    rows = [(f"G{i}", f"F{i}", "") for i in range(501)]
    response = service.post(f"/organisations/{org}/users/bulk", content=csv_of(rows), headers={"content-type": "text/csv"})
    assert response.status_code == 422


def test_an_administrator_authenticates_a_user_by_letters_and_resets_their_password(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    activate(client, user["username"], user["one_time_password"], password="Forgotten pass 123")
    challenge = admin.post(f"/users/{user['user_id']}/challenges").json()
    letters = [NORMALISED[p["question"]][p["position"] - 1] for p in challenge["positions"]]
    assert len({p["question"] for p in challenge["positions"]}) >= 2
    answer = admin.post(f"/users/{user['user_id']}/challenges/{challenge['challenge_id']}/answer", json={"letters": letters})
    assert answer.json() == {"passed": True}
    reset = admin.post(f"/users/{user['user_id']}/password-reset")
    assert reset.status_code == 201
    assert client.post("/session", json={"username": user["username"], "password": "Forgotten pass 123"}).status_code == 401
    assert client.post("/session", json={"username": user["username"], "password": reset.json()["one_time_password"]}).status_code == 201


def test_wrong_letters_fail_the_challenge_and_no_reset_follows(client, service):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    activate(client, user["username"], user["one_time_password"])
    challenge = service.post(f"/users/{user['user_id']}/challenges").json()
    answer = service.post(f"/users/{user['user_id']}/challenges/{challenge['challenge_id']}/answer", json={"letters": ["#"] * len(challenge["positions"])})
    assert answer.json() == {"passed": False}
    assert service.post(f"/users/{user['user_id']}/password-reset").status_code == 422


def test_a_challenge_for_a_locked_user_is_refused_to_the_administrator_as_a_rule_not_a_lost_session(client, service, app):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    long = {"mothers_maiden_name": "Abcdefghijklmnopqrstuvwxyz", "first_school": "Bcdefghijklmnopqrstuvwxyza", "place_of_birth": "Cdefghijklmnopqrstuvwxyzab"}
    activate(client, user["username"], user["one_time_password"], answers=long)
    for _ in range(app.settings.max_failed_challenges):
        challenge = service.post(f"/users/{user['user_id']}/challenges").json()
        service.post(f"/users/{user['user_id']}/challenges/{challenge['challenge_id']}/answer", json={"letters": ["#"] * len(challenge["positions"])})
    assert service.get(f"/users/{user['user_id']}").json()["status"] == "locked"
    refused = service.post(f"/users/{user['user_id']}/challenges")
    assert refused.status_code == 422, refused.text  # not 401: the administrator's own session is fine
    assert refused.json()["type"].endswith("/user-locked") and refused.json()["detail"] == "the user's account is locked; unlock it first"
    assert service.get("/me").status_code == 200
    # Replacing open challenges counts as failing them: the one that locks is refused alike.
    (other,) = add_users(service, org, [{"first_name": "Wendy", "last_name": "Darling"}])
    activate(client, other["username"], other["one_time_password"], answers=long)
    issued = [service.post(f"/users/{other['user_id']}/challenges") for _ in range(app.settings.max_failed_challenges + 1)]
    assert [r.status_code for r in issued] == [201] * app.settings.max_failed_challenges + [422]
    assert issued[-1].json()["type"].endswith("/user-locked") and "locked" in issued[-1].json()["detail"]


def test_a_multiple_status_change_reports_an_outcome_per_user(client, service):
    org = register_organisation(service, "westmids")
    users = add_users(service, org, [{"first_name": f"G{i}", "last_name": "F"} for i in range(3)])
    ids = [u["user_id"] for u in users]
    service.post("/users/status-changes", json={"user_ids": ids[:1], "action": "suspend"})
    response = service.post("/users/status-changes", json={"user_ids": ids, "action": "suspend"})
    assert [o["result"] for o in response.json()["outcomes"]] == ["already_so", "changed", "changed"]


def test_a_multiple_details_change_sets_directory_details_for_each_user(client, service):
    org = register_organisation(service, "westmids")
    users = add_users(service, org, [{"first_name": f"G{i}", "last_name": "F"} for i in range(3)])
    response = service.post("/users/details-changes", json={"user_ids": [u["user_id"] for u in users], "details": {"department": "Custody", "telephone": "0121 496 0000"}})
    assert [o["result"] for o in response.json()["outcomes"]] == ["changed"] * 3


def test_an_unknown_directory_field_is_refused_by_name(client, service):
    org = register_organisation(service, "westmids")
    users = add_users(service, org, [{"first_name": "G", "last_name": "F"}])
    response = service.post("/users/details-changes", json={"user_ids": [users[0]["user_id"]], "details": {"shoe_size": "9"}})
    assert response.status_code == 422 and response.json()["errors"][0]["field"].startswith("details.shoe_size")


def test_a_new_last_name_gives_a_new_address_and_the_old_one_stays_as_an_alias_until_removed(client, service):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Wendy", "last_name": "Darling"}])
    changed = service.put(f"/users/{user['user_id']}/last-name", json={"last_name": "Pan"})
    assert changed.json() == {"address": "wendy.pan@westmids.cjsm.net"}
    assert service.delete(f"/users/{user['user_id']}/aliases/wendy.darling@westmids.cjsm.net").status_code == 204
    again = service.delete(f"/users/{user['user_id']}/aliases/wendy.darling@westmids.cjsm.net")
    assert again.status_code == 422


def test_an_smtp_users_new_original_address_gives_a_new_secure_address(client, service):
    org = register_organisation(service, "met", account_type="smtp", domains=["met.police.uk"])
    (user,) = add_users(service, org, [{"first_name": "Jane", "last_name": "Doe", "original_address": "jane.doe@met.police.uk"}])
    assert user["address"] == "jane.doe@met.police.uk.cjsm.net"
    changed = service.put(f"/users/{user['user_id']}/original-address", json={"original_address": "jane.smith@met.police.uk"})
    assert changed.json() == {"address": "jane.smith@met.police.uk.cjsm.net"}


def test_adding_one_user_returns_the_one_time_password_and_a_letter(client, service):
    org = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{org}/users", json={"first_name": "Zoë", "last_name": "O'Brien"})
    assert response.status_code == 201
    body = response.json()
    assert body["users"][0]["address"] == "zoe.obrien@westmids.cjsm.net" and body["users"][0]["one_time_password"]
    pdf = service.get(body["letters"]["url"], headers={"Sema-Letters-Key": body["letters"]["key"]})
    assert len(PdfReader(io.BytesIO(pdf.content)).pages) == 1


def test_a_password_reset_ends_the_users_open_sessions(client, service):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    person = activate(client, user["username"], user["one_time_password"])
    challenge = service.post(f"/users/{user['user_id']}/challenges").json()
    letters = [NORMALISED[p["question"]][p["position"] - 1] for p in challenge["positions"]]
    service.post(f"/users/{user['user_id']}/challenges/{challenge['challenge_id']}/answer", json={"letters": letters})
    assert service.post(f"/users/{user['user_id']}/password-reset").status_code == 201
    assert person.get("/me").status_code == 401


def test_a_deleted_user_is_undeleted_within_the_period(client, service):
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Peter", "last_name": "Pan"}])
    service.post("/users/status-changes", json={"user_ids": [user["user_id"]], "action": "delete"})
    assert service.get(f"/users/{user['user_id']}").json()["status"] == "deleted"
    outcome = service.post("/users/status-changes", json={"user_ids": [user["user_id"]], "action": "undelete"}).json()["outcomes"][0]
    assert outcome["result"] == "changed"
    assert service.get(f"/users/{user['user_id']}").json()["status"] == "pending_activation"


def test_a_csv_upload_can_be_a_dry_run_by_form_field(client, service):
    org = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{org}/users/bulk", files={"file": ("u.csv", csv_of([("Peter", "Pan", "")]), "text/csv")}, data={"dry_run": "true"})
    assert response.status_code == 201 and response.json()["dry_run"] is True
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_dry_run_form_field_that_is_not_a_yes_or_no_adds_nobody(client, service):
    org = register_organisation(service, "westmids")
    upload = {"file": ("u.csv", csv_of([("Peter", "Pan", "")]), "text/csv")}
    checkbox = service.post(f"/organisations/{org}/users/bulk", files=upload, data={"dry_run": "on"})  # what a browser's checkbox sends
    assert checkbox.status_code == 201 and checkbox.json()["dry_run"] is True, checkbox.text
    unclear = service.post(f"/organisations/{org}/users/bulk", files=upload, data={"dry_run": "perhaps"})
    assert unclear.status_code == 422 and unclear.json()["errors"] == [{"field": "dry_run", "message": "must be true or false"}]
    no = service.post(f"/organisations/{org}/users/bulk", files=upload, data={"dry_run": "false"})
    assert no.status_code == 201 and no.json()["dry_run"] is False
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 1


def test_a_csv_column_given_twice_is_refused_not_read_as_its_last_value(client, service):
    org = register_organisation(service, "westmids")
    response = service.post(
        f"/organisations/{org}/users/bulk", content=csv_of([("Alice", "Smith", "Bob")], "first_name,last_name,first_name"), headers={"Content-Type": "text/csv"}
    )
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "header.first_name", "message": "the column appears 2 times; give it once"}]
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_multipart_form_without_a_file_names_the_missing_field(client, service):
    org = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{org}/users/bulk", files={"note": (None, "hello")})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "file"


def test_a_csv_uploaded_under_another_form_field_is_refused_naming_the_field_expected(client, service):
    org = register_organisation(service, "westmids")
    response = service.post(f"/organisations/{org}/users/bulk", files={"upload": ("users.csv", csv_of([("Peter", "Pan", "")]), "text/csv")})
    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{"field": "file", "message": "attach the CSV file as the form field 'file'; it came under another name"}]
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_name_is_taken_up_to_the_users_own_limit_and_refused_beyond_it_naming_the_field(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    longest, too_long = "N" * MAX_PERSON_NAME, "N" * (MAX_PERSON_NAME + 1)
    (user,) = add_users(admin, org, [{"first_name": f" {longest} ", "last_name": "Smith"}])
    assert admin.get(f"/users/{user['user_id']}").json()["first_name"] == longest
    refused = admin.post(f"/organisations/{org}/users", json={"first_name": "Ann", "last_name": too_long})
    assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == ["last_name"]
    rows = csv_of([("Ann", "Other", ""), (too_long, too_long, "")])
    refused = admin.post(f"/organisations/{org}/users/bulk", content=rows, headers={"content-type": "text/csv"})
    assert refused.status_code == 422
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(2, "first_name"), (2, "last_name")]
    assert admin.get("/users", params={"q": "Ann"}).json()["items"] == []
    for path, field in (("first-name", "first_name"), ("last-name", "last_name")):
        refused = admin.put(f"/users/{user['user_id']}/{path}", json={field: too_long})
        assert refused.status_code == 422 and [e["field"] for e in refused.json()["errors"]] == [field]
    shown = admin.get(f"/users/{user['user_id']}").json()
    assert (shown["first_name"], shown["last_name"], shown["address"]) == (longest, "Smith", user["address"])


def test_the_openapi_document_gives_the_users_own_name_limit(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    for model, field in (("NewUserIn", "first_name"), ("NewUserIn", "last_name"), ("FirstNameIn", "first_name"), ("LastNameIn", "last_name"), ("ServicePersonIn", "last_name")):
        assert schemas[model]["properties"][field]["maxLength"] == MAX_PERSON_NAME


def test_a_mistyped_dry_run_is_named_with_every_fault_of_the_rows_and_nobody_is_added(client, service):
    org = register_organisation(service, "westmids")
    rows = [("Peter", "Pan", ""), ("Wendy", "", "")]
    expected = [{"field": "query.dry_run", "message": "Input should be a valid boolean, unable to interpret input"}, {"field": "last_name", "message": "Field required", "row": 2}]
    as_csv = service.post(f"/organisations/{org}/users/bulk", params={"dry_run": "perhaps"}, content=csv_of(rows), headers={"content-type": "text/csv"})
    assert as_csv.status_code == 422 and as_csv.json()["errors"] == expected, as_csv.text
    as_json = service.post(f"/organisations/{org}/users/bulk", params={"dry_run": "perhaps"}, json={"users": [{"first_name": "Peter", "last_name": "Pan"}, {"first_name": "Wendy", "last_name": ""}]})
    assert as_json.status_code == 422 and as_json.json()["errors"] == [expected[0], {"field": "users.1.last_name", "message": "String should have at least 1 character", "row": 2}], as_json.text
    upload = {"file": ("u.csv", csv_of(rows), "text/csv")}
    as_form = service.post(f"/organisations/{org}/users/bulk", files=upload, data={"dry_run": "perhaps"})
    assert as_form.status_code == 422 and as_form.json()["errors"] == [{"field": "dry_run", "message": "must be true or false"}, expected[1]], as_form.text
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_a_mistyped_dry_run_is_named_with_the_domains_faults_in_rows_the_schema_accepts(client, service):
    org = register_organisation(service, "westmids", "smtp", ["westmids.police.uk"])
    rows = {"users": [{"first_name": "Peter", "last_name": "Pan", "original_address": "peter@elsewhere.org"}]}
    response = service.post(f"/organisations/{org}/users/bulk", params={"dry_run": "perhaps"}, json=rows)
    assert response.status_code == 422
    assert [(e["field"], e.get("row")) for e in response.json()["errors"]] == [("query.dry_run", None), ("original_address", 1)]


def test_a_mistyped_dry_run_is_named_beside_a_bad_header_but_alone_beside_malformed_json(client, service):
    org = register_organisation(service, "westmids")
    bad_header = service.post(f"/organisations/{org}/users/bulk", params={"dry_run": "perhaps"}, content=csv_of([("Peter", "Pan")], "first_name,surname"), headers={"content-type": "text/csv"})
    assert bad_header.status_code == 422
    assert [e["field"] for e in bad_header.json()["errors"]] == ["query.dry_run", "header.last_name", "header.surname"]
    malformed = service.post(f"/organisations/{org}/users/bulk", params={"dry_run": "perhaps"}, content=b'{"users": [', headers={"content-type": "application/json"})
    assert malformed.status_code == 422 and [e["field"] for e in malformed.json()["errors"]] == ["query.dry_run"]
    assert service.get("/users", params={"organisation_id": str(org)}).json()["total"] == 0


def test_an_answer_of_the_wrong_number_of_letters_is_refused_by_field_without_using_up_the_challenge_or_counting_as_a_failure(client, service):
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    (user,) = add_users(admin, org, [{"first_name": "Peter", "last_name": "Pan"}])
    activate(client, user["username"], user["one_time_password"])
    challenge = admin.post(f"/users/{user['user_id']}/challenges").json()
    answer = f"/users/{user['user_id']}/challenges/{challenge['challenge_id']}/answer"
    given = [NORMALISED[p["question"]][p["position"] - 1] for p in challenge["positions"]]
    for letters in ([*given, "x"], given[:-1], [*given, "x", "y"]):  # as many as the three failures that lock an account
        refused = admin.post(answer, json={"letters": letters})
        assert refused.status_code == 422 and refused.json()["errors"] == [
            {"field": "letters", "message": f"give {len(given)} letters, one for each position asked; {len(letters)} were given"}
        ], refused.text
    assert admin.post(answer, json={"letters": given}).json() == {"passed": True}
    assert admin.get(f"/users/{user['user_id']}").json()["status"] == "active"
