"""A form sent back with an error keeps what was typed in it, and its error
summary links to the field (over plain HTTP): a user's new last name, an
organisation's new name, suspension message and new administrator, a
distribution list's new name and new member, and the users search a
multiple change was begun from."""

from __future__ import annotations

from contextlib import closing
from typing import Any

from console_kit import Server, error_summary, field_value, organisation_with_users, post_form, service_administrator_client, signed_in_client
from testkit import PASSWORD

TOO_LONG_NAME = "Kent " + "x" * 200  # longer than any name may be


def _kent(server: Server) -> tuple[Any, Any]:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper"), ("Alan", "Turing")])
    return kent, signed_in_client(server, kent.admin_username, PASSWORD)


def test_a_refused_new_last_name_is_shown_again_as_typed(server: Server) -> None:
    kent, client = _kent(server)
    grace = kent.users[0]
    with closing(client):
        response = post_form(client, f"/console/users/{grace.user_id}/last-name", {"last_name": "Hopper"}, page=f"/console/users/{grace.user_id}")  # her name already
        assert response.status_code == 422
        assert [link for link, _ in error_summary(response.text)] == ["#last_name"]
        assert field_value(response.text, "last_name") == "Hopper"


def test_an_unknown_new_administrator_is_shown_again_as_typed(server: Server) -> None:
    kent, client = _kent(server)
    with closing(client):
        page = f"/console/organisations/{kent.org.id}"
        response = post_form(client, f"{page}/administrators", {"username": "nobody.here"}, page=page)
        assert response.status_code == 422
        assert error_summary(response.text) == [("#username", "Enter the username of a user of this organisation")]
        assert field_value(response.text, "username") == "nobody.here"


def test_a_refused_suspension_message_is_shown_again_as_typed(server: Server) -> None:
    kent, client = _kent(server)
    message = "Closed until Monday. " * 60  # longer than a message may be
    with closing(client):
        page = f"/console/organisations/{kent.org.id}"
        response = post_form(client, f"{page}/suspension", {"message": message}, page=page)
        assert response.status_code == 422
        assert [link for link, _ in error_summary(response.text)] == ["#message"]
        assert field_value(response.text, "message") == message.strip()


def test_a_refused_new_organisation_name_is_shown_again_as_typed(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [])
    with closing(service_administrator_client(server)) as client:
        page = f"/console/organisations/{kent.org.id}"
        response = post_form(client, f"{page}/name", {"name": TOO_LONG_NAME}, page=page)
        assert response.status_code == 422
        assert [link for link, _ in error_summary(response.text)] == ["#name"]
        assert field_value(response.text, "name") == TOO_LONG_NAME


def test_a_distribution_lists_refused_new_name_and_unknown_new_member_are_shown_again_as_typed(server: Server) -> None:
    kent, client = _kent(server)
    list_id, _ = server.app.create_distribution_list(kent.org.admin, server.clock.now(), kent.org.id, "Custody", "custody")
    page = f"/console/distribution-lists/{list_id}"
    with closing(client):
        renamed = post_form(client, page, {"rename": "yes", "name": TOO_LONG_NAME})
        assert renamed.status_code == 422
        assert [link for link, _ in error_summary(renamed.text)] == ["#name"]
        assert field_value(renamed.text, "name") == TOO_LONG_NAME
        added = post_form(client, page, {"username": "nobody.here"})
        assert added.status_code == 422
        assert error_summary(added.text) == [("#username", "Enter the username of an existing user")]
        assert field_value(added.text, "username") == "nobody.here"


def test_an_error_on_confirming_a_multiple_change_comes_back_to_the_same_search(server: Server) -> None:
    kent, client = _kent(server)
    grace = kent.users[0]
    search = {"q": "hopper", "status": "pending_activation", "sort": "username", "descending": "true", "page": "1"}
    with closing(client):
        check = post_form(client, "/console/users/change", {**search, "action": "suspend", "user_id": str(grace.user_id)}, page="/console/users")
        assert check.status_code == 200 and 'name="q" value="hopper"' in check.text  # the search travels with the check step
        # Sent again without the action and with nobody ticked (a form cut short): the same search comes back.
        response = post_form(client, "/console/users/change/confirm", search, page="/console/users")
        assert response.status_code == 422
        assert [link for link, _ in error_summary(response.text)] == ["#action", "#user_id"]
        assert field_value(response.text, "q") == "hopper"
        assert 'value="pending_activation" checked' in response.text
        assert 'aria-sort="descending"' in response.text  # sorted as it was
        assert f'href="/console/users/{grace.user_id}"' in response.text
