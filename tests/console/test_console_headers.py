"""The console's pages over real HTTP (no browser): a content security policy
of sema's own assets, no caching of signed-in pages, no inline script or
style that the policy would have to allow, no page reachable unsigned, and
no server error for a page number or a posted form that cannot be read."""

from __future__ import annotations

import re
from pathlib import Path

import httpx

from api.console import CONSOLE
from api.console.pages import CSP
from console_kit import Server
from testkit import PASSWORD, activate, organisation_with_admin

TEMPLATES = Path(__file__).parents[2] / "src" / "api" / "console" / "templates"


def _signed_in(server: Server) -> httpx.Client:
    org = organisation_with_admin(server.app, server.clock.now(), code="kent")
    activate(server.app, org.admin_user, server.clock.now())
    client = httpx.Client(base_url=server.url)
    page = client.get("/console/sign-in")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    response = client.post("/console/sign-in", data={"csrf_token": token, "username": org.admin_user.username, "password": PASSWORD})
    assert response.status_code == 303 and response.headers["location"] == "/"
    return client


def test_every_page_has_the_policy_and_signed_in_pages_are_not_cached(server: Server) -> None:
    client = _signed_in(server)
    try:
        for path in ("/", "/console/users", "/console/account", "/console/users/bulk-add"):
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.headers["content-security-policy"] == CSP
            assert "default-src 'none'" in CSP and "'unsafe-inline'" not in CSP
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["referrer-policy"] == "same-origin"  # never sent to another site
            assert response.headers["x-frame-options"] == "DENY"
        assert client.get("/console/static/console.css").headers["content-type"].startswith("text/css")
        assert "You are signed in as an organisation administrator." in client.get("/").text
    finally:
        client.close()


def test_a_page_number_or_a_challenge_form_that_cannot_be_read_is_no_server_error(server: Server) -> None:
    client = _signed_in(server)
    try:
        # "²" is a digit to str.isdigit, and no number to int (each was a 500).
        assert client.get("/console/users", params={"page": "\u00b2"}).status_code == 200
        (user_id,) = re.findall(r'href="/console/users/([0-9a-f-]{36})"', client.get("/console/users").text)[:1]
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/users/add").text).group(1)  # type: ignore[union-attr]
        tampered = [{"count": "\u00b2"}, {"count": "1", "position_1": "first"}, {"count": "1", "position_1": "2", "challenge_id": "not-an-id"}]
        for fields in tampered:
            form = {"csrf_token": token, "question_1": "first_school", "letter_1": "a", "challenge_id": "00000000-0000-0000-0000-000000000001", **fields}
            response = client.post(f"/console/users/{user_id}/challenge/answer", data=form)
            assert response.status_code == 400, fields
            assert "This form cannot be read" in response.text
    finally:
        client.close()


def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_page(server: Server) -> None:
    with httpx.Client(base_url=server.url) as client:
        for route in CONSOLE:
            path = getattr(route, "path", "")
            if not path or "static" in path or path == "/console/sign-in":
                continue
            concrete = re.sub(r"{\w+}", "00000000-0000-0000-0000-000000000001", path)
            method = "GET" if "GET" in (route.methods or ()) else "POST"  # type: ignore[attr-defined]
            response = client.request(method, concrete, data={"csrf_token": "x"} if method == "POST" else None)
            assert response.status_code == 303 and response.headers["location"] == "/console/sign-in", (method, path)


def test_no_template_has_inline_script_or_style() -> None:
    for template in TEMPLATES.glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert " style=" not in text and "<style" not in text, template.name
        assert not re.search(r"\son\w+=", text), template.name  # no inline event handlers
