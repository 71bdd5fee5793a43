"""Letters typed for a challenge that is no longer open (answered already, or
out of time) are not compared: the console says the challenge is closed and
offers new letters, never that the letters did not match (plain HTTP)."""

from __future__ import annotations

from contextlib import closing
from datetime import timedelta
from typing import Any

from console_kit import Server, organisation_with_users, post_form, signed_in_client
from testkit import PASSWORD, activate, letters_for


def _answer_in_the_console(client: Any, user_id: object, prompt: Any) -> Any:
    fields: dict[str, str] = {"challenge_id": str(prompt.challenge_id), "expires_at": prompt.expires_at.isoformat(), "count": str(len(prompt.positions))}
    for i, ((question, position), letter) in enumerate(zip(prompt.positions, letters_for(prompt.positions)), start=1):
        fields |= {f"question_{i}": question, f"position_{i}": str(position), f"letter_{i}": letter}
    return post_form(client, f"/console/users/{user_id}/challenge/answer", fields, page=f"/console/users/{user_id}")


def test_letters_for_a_challenge_already_answered_are_not_called_a_mismatch(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    at = server.clock.now()
    activate(server.app, grace, at)
    prompt = server.app.issue_challenge(kent.org.admin, at, grace.user_id)
    assert server.app.answer_challenge(kent.org.admin, at, grace.user_id, prompt.challenge_id, letters_for(prompt.positions))
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = _answer_in_the_console(client, grace.user_id, prompt).text  # the right letters, sent again
    assert "This challenge is no longer open" in page and "already answered" in page
    assert "did not match" not in page
    assert f'action="/console/users/{grace.user_id}/challenge"' in page and "Ask for new letters" in page


def test_letters_for_a_challenge_out_of_time_are_not_called_a_mismatch(server: Server) -> None:
    kent = organisation_with_users(server, "kent", [("Grace", "Hopper")])
    (grace,) = kent.users
    long_ago = server.clock.now() - timedelta(hours=2)
    activate(server.app, grace, long_ago)
    prompt = server.app.issue_challenge(kent.org.admin, long_ago, grace.user_id)
    with closing(signed_in_client(server, kent.admin_username, PASSWORD)) as client:
        page = _answer_in_the_console(client, grace.user_id, prompt).text
    assert "This challenge is no longer open" in page and "time to answer it has run out" in page
    assert "did not match" not in page
