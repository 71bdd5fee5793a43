"""A client's text compared with a secret in constant time may hold any character:
``hmac.compare_digest`` refuses ``str`` with non-ASCII characters, which made a 500
of a sign-in form's CSRF token (no sign-in needed), of a session id in a path, and
of the mail system's report key. Each is refused as any wrong value is."""

from __future__ import annotations

from datetime import datetime, timezone

from starlette.testclient import TestClient

from mail.config import POLICY_HEADER
from mail.policy import policy_app
from sema.application import SemaApplication
from sema.credentials import same_text
from testkit.http import Person


def test_same_text_compares_any_characters() -> None:
    assert same_text("é", "é") and not same_text("é", "e") and not same_text("\udce9", "é")


def test_a_sign_in_form_with_a_non_ascii_csrf_token_is_refused_not_a_500(client: TestClient) -> None:
    client.get("/console/sign-in")  # sets the sign-in CSRF cookie
    response = client.post("/console/sign-in", data={"csrf_token": "é", "username": "a", "password": "b"})
    assert response.status_code == 403


def test_a_non_ascii_session_id_is_not_found_not_a_500(service: Person) -> None:
    response = service.client.delete("/me/sessions/%C3%A9", headers={"Authorization": f"Bearer {service.token}"})
    assert response.status_code == 404
    response = service.client.delete(f"/users/{service.user_id}/sessions/%C3%A9", headers={"Authorization": f"Bearer {service.token}"})
    assert response.status_code == 404


def test_a_report_with_a_non_ascii_key_is_refused_not_a_500(app: SemaApplication) -> None:
    with TestClient(policy_app(app, lambda: datetime.now(timezone.utc))) as reporter:
        response = reporter.post("/dovecot/auth-policy?command=report", headers=[(POLICY_HEADER.encode(), "é".encode())], json={"login": "a", "success": False})
    assert response.status_code == 403
