"""The console's "Add N users" sent twice (a double click, Back and send again)
adds the users once; the second sending gets the first one's page again, its
one-time passwords and letters included, for the administrator who sent it."""

from __future__ import annotations

import re

import httpx

from console_kit import Server
from testkit import PASSWORD, activate, organisation_with_admin


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', page)
    assert found is not None, name
    return found.group(1)


def test_the_checked_file_added_twice_adds_its_users_once(server: Server) -> None:
    org = organisation_with_admin(server.app, server.clock.now(), code="kent")
    activate(server.app, org.admin_user, server.clock.now())
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/console/sign-in").text
        signed_in = client.post("/console/sign-in", data={"csrf_token": _hidden(page, "csrf_token"), "username": org.admin_user.username, "password": PASSWORD})
        assert signed_in.status_code == 303
        form = client.get("/console/users/bulk-add").text
        csv = b"first_name,last_name\nPeter,Pan\nWendy,Darling\n"
        checked = client.post("/console/users/bulk-add", data={"csrf_token": _hidden(form, "csrf_token")}, files={"file": ("users.csv", csv, "text/csv")})
        assert "2 users can be added" in checked.text
        confirm = {name: _hidden(checked.text, name) for name in ("csrf_token", "add", "submission")}
        confirm["content"] = csv.decode()
        first = client.post("/console/users/bulk-add", data=confirm)
        again = client.post("/console/users/bulk-add", data=confirm)
    assert first.status_code == again.status_code == 200
    assert "Users added" in first.text and again.text == first.text
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert server.app.find_user_id("peter.pan") is not None
    assert server.app.find_user_id("peter.pan2") is None and server.app.find_user_id("wendy.darling2") is None
