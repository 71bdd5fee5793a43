"""Exceptional access ended early in the console, over plain HTTP: an
organisation administrator, or a service administrator, revokes a grant after
a confirmation; the owner sees it revoked; a grant already ended is refused
with a message saying why."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

from console_kit import Server, error_summary, organisation_with_users, post_form, service_administrator_client, signed_in_client
from testkit import PASSWORD, SERVICE_ADMIN


def _granted_mailbox_access(server: Server) -> tuple[Any, UUID]:
    """Kent, whose administrator asked to open Grace Hopper's mailbox, and a service administrator granted it."""
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    at = server.clock.now()
    grant_id = server.app.request_exceptional_access(kent.org.admin, at, "mailbox_access", grace.mailbox_id, "Long illness")
    server.app.decide_exceptional_access(SERVICE_ADMIN, at, "mailbox_access", grace.mailbox_id, grant_id, True)
    return kent, grant_id


def _state(server: Server, grant_id: UUID) -> str:
    from projections import queries

    with server.app.engine.connect() as connection:
        found = queries.grant(connection, grant_id)
    assert found is not None
    return found.state


def test_an_organisation_administrator_revokes_granted_mailbox_access_after_confirming(server: Server) -> None:
    kent, grant_id = _granted_mailbox_access(server)
    client = signed_in_client(server, kent.admin_username, PASSWORD)
    try:
        overview = client.get("/console/exceptional-access").text
        assert f'href="/console/exceptional-access/{grant_id}/revoke"' in overview
        confirmation = client.get(f"/console/exceptional-access/{grant_id}/revoke")
        assert confirmation.status_code == 200
        assert "Revoke access to the mailbox of Grace Hopper" in confirmation.text and "Long illness" in confirmation.text
        assert _state(server, grant_id) == "granted"  # nothing happens before the confirmation is sent

        revoked = post_form(client, f"/console/exceptional-access/{grant_id}/revoke", {})
        assert revoked.status_code == 303 and revoked.headers["location"] == "/console/exceptional-access"
        after = client.get("/console/exceptional-access").text
        assert "Revoked: access to the mailbox of Grace Hopper" in after  # the banner
        assert _state(server, grant_id) == "revoked"
        assert f"/console/exceptional-access/{grant_id}/revoke" not in after  # nothing left to revoke
    finally:
        client.close()


def test_revoking_access_already_ended_is_refused_with_a_message_linked_from_the_error_summary(server: Server) -> None:
    kent, grant_id = _granted_mailbox_access(server)
    client = signed_in_client(server, kent.admin_username, PASSWORD)
    try:
        page = f"/console/exceptional-access/{grant_id}/revoke"
        token_page = client.get(page).text  # the confirmation, opened before someone else revoked the grant
        server.app.revoke_exceptional_access(SERVICE_ADMIN, server.clock.now(), "mailbox_access", kent.users[0].mailbox_id, grant_id)
        token = re.search(r'name="csrf_token" value="([^"]+)"', token_page).group(1)  # type: ignore[union-attr]
        refused = client.post(page, data={"csrf_token": token})
        assert refused.status_code == 422
        assert error_summary(refused.text) == [("#revoke", "This access has already been revoked")]
        assert 'id="revoke"' in refused.text and "Revoke access</button>" not in refused.text
    finally:
        client.close()


def test_a_service_administrator_sees_the_access_granted_and_revokes_it(server: Server) -> None:
    _, grant_id = _granted_mailbox_access(server)
    client = service_administrator_client(server)
    try:
        overview = client.get("/console/exceptional-access").text
        assert 'data-testid="in-force"' in overview and "Long illness" in overview
        revoked = post_form(client, f"/console/exceptional-access/{grant_id}/revoke", {})
        assert revoked.status_code == 303
        assert _state(server, grant_id) == "revoked"
        assert "No access is granted at the moment." in client.get("/console/exceptional-access").text
    finally:
        client.close()


def test_another_organisations_grant_cannot_be_revoked_or_even_seen(server: Server) -> None:
    _, grant_id = _granted_mailbox_access(server)
    essex = organisation_with_users(server, "essex", [])
    client = signed_in_client(server, essex.admin_username, PASSWORD)
    try:
        assert client.get(f"/console/exceptional-access/{grant_id}/revoke").status_code == 404
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/console/exceptional-access").text).group(1)  # type: ignore[union-attr]
        assert client.post(f"/console/exceptional-access/{grant_id}/revoke", data={"csrf_token": token}).status_code == 404
        assert _state(server, grant_id) == "granted"
    finally:
        client.close()
