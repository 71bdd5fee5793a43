"""After a full scenario, no password, one-time password, security answer,
session token or letters key is anywhere in the database or the request log."""

from __future__ import annotations

import json
from pathlib import Path

import psycopg
import pytest
from testkit.http import ANSWERS, NORMALISED, activate, organisation_administrator, register_organisation
from sqlalchemy.engine import make_url

pytestmark = pytest.mark.both_stores


def database_contents(database_url: str) -> bytes:
    if database_url.startswith("sqlite:///"):
        path = Path(database_url.removeprefix("sqlite:///"))
        return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    url = make_url(database_url)
    chunks = []
    with psycopg.connect(url.set(drivername="postgresql").render_as_string(hide_password=False)) as conn:
        tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                chunks += [bytes(v) if isinstance(v, (bytes, memoryview)) else str(v).encode() for v in row]
    return b"\n".join(chunks)


def run_scenario(client, service) -> list[str]:
    secrets = list(service.secrets)
    org = register_organisation(service, "westmids")
    admin = organisation_administrator(service, org)
    secrets += admin.secrets
    csv = ("first_name,last_name\n" + "".join(f"Given{i},Family{i}\n" for i in range(40))).encode()
    added = admin.post(f"/organisations/{org}/users/bulk", content=csv, headers={"content-type": "text/csv"}).json()
    secrets += [u["one_time_password"] for u in added["users"]] + [added["letters"]["key"]]
    assert admin.get(added["letters"]["url"], headers={"Sema-Letters-Key": added["letters"]["key"]}).status_code == 200
    first = added["users"][0]
    person = activate(client, first["username"], first["one_time_password"], password="Marmalade skies 77")
    secrets += person.secrets
    assert person.post("/me/password", json={"current_password": "Marmalade skies 77", "new_password": "Tangerine trees 88"}).status_code == 204
    secrets.append("Tangerine trees 88")
    new_answers = {"first_pet": "Biscuitcat", "childhood_street": "Acacia Avenue", "favourite_teacher": "Quimby"}
    assert person.put("/me/security-information", json={"current_password": "Tangerine trees 88", "security_answers": new_answers}).status_code == 204
    secrets += list(new_answers.values()) + ["BISCUITCAT", "ACACIAAVENUE", "QUIMBY"]
    second = added["users"][1]
    other = activate(client, second["username"], second["one_time_password"], password="Kaleidoscope eyes 99")
    secrets += other.secrets
    challenge = admin.post(f"/users/{second['user_id']}/challenges").json()
    letters = [NORMALISED[p["question"]][p["position"] - 1] for p in challenge["positions"]]
    assert admin.post(f"/users/{second['user_id']}/challenges/{challenge['challenge_id']}/answer", json={"letters": letters}).json()["passed"]
    reset = admin.post(f"/users/{second['user_id']}/password-reset").json()
    secrets += [reset["one_time_password"], reset["letters"]["key"]]
    grant = admin.post(f"/users/{first['user_id']}/exceptional-access", json={"reason": "forgot answers"}).json()["id"]
    service.post(f"/users/{first['user_id']}/exceptional-access/{grant}/decision", json={"approve": True})
    user_reset = admin.post(f"/users/{first['user_id']}/reset", json={"grant_id": grant}).json()
    secrets += [user_reset["one_time_password"], user_reset["letters"]["key"]]
    wrong = client.post("/session", json={"username": first["username"], "password": "Wrong guess password 1"})
    assert wrong.status_code == 401
    secrets.append("Wrong guess password 1")
    assert person.delete("/session").status_code in (204, 401)
    secrets += list(NORMALISED.values()) + list(ANSWERS.values())
    return secrets


def test_no_secret_used_in_a_full_scenario_is_in_the_database_or_the_log(client, service, database_url, log_stream):
    secrets = run_scenario(client, service)
    stored = database_contents(database_url)
    log = log_stream.getvalue()
    assert log.count('"event": "request"') > 20  # the log was captured
    assert len(secrets) > 60
    assert service.username.encode() in stored  # the scan does see what is stored
    found_in_database = [s for s in secrets if s.encode() in stored]
    found_in_log = [s for s in secrets if s in log]
    assert found_in_database == [] and found_in_log == []


def test_the_request_log_has_one_line_per_request_with_who_and_how_long(client, service, log_stream):
    service.get("/me", headers={"X-Request-Id": "trace-me-123"})
    (line,) = [line for line in log_stream.getvalue().splitlines() if "trace-me-123" in line]
    record = json.loads(line)
    assert record["route"] == "GET /me" and record["status"] == 200
    assert record["principal_id"] == str(service.user_id) and record["principal_role"] == "service_administrator"
    assert record["duration_ms"] >= 0


@pytest.mark.parametrize("scheme", ["Bearer", "bearer", "BEARER", "BeArEr", "bEaReR"])
def test_a_bearer_token_is_redacted_whatever_the_case_of_its_scheme(scheme):
    from api.logging import redact_secrets

    redacted = redact_secrets(None, "info", {"event": "x", "note": f"Authorization: {scheme} abc.def"})
    assert "abc.def" not in str(redacted)


def test_the_redaction_processor_removes_secrets_at_any_depth():
    from api.logging import redact_secrets

    event = {"event": "x", "password": "p1", "nested": {"security_answers": {"a": "b"}, "list": [{"token": "t"}]}, "note": "Authorization: Bearer abc.def"}
    redacted = redact_secrets(None, "info", event)
    assert "p1" not in str(redacted) and "'b'" not in str(redacted) and "'t'" not in str(redacted) and "abc.def" not in str(redacted)
