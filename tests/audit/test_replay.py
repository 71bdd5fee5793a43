"""State as at a moment, and histories a person can read, rebuilt from the events."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from testkit.history import ADDED, APPOINTED, REGISTERED, RENAMED, SUSPENDED, UNSUSPENDED, Scripted, at

from domain.actors import Actor, Role
from sema.application import NewUser
from sema.audit.replay import AuditLookupError, history, state_as_of
from cli.audit import parse_time
from cli import main
from sema.config import Settings

MINUTE = timedelta(minutes=1)

# What Peter's account was at each moment of the script, written from the script itself.
PETER_AT: list[tuple[datetime, dict[str, Any]]] = [
    (ADDED, {"version": 2, "status": "pending_activation", "suspended": False, "last_name": "Pan", "primary_address": "peter.pan@acme.cjsm.net"}),
    (SUSPENDED - MINUTE, {"version": 2, "status": "pending_activation", "suspended": False, "last_name": "Pan", "primary_address": "peter.pan@acme.cjsm.net"}),
    (SUSPENDED, {"version": 3, "status": "suspended", "suspended": True, "last_name": "Pan", "primary_address": "peter.pan@acme.cjsm.net"}),
    (RENAMED + MINUTE, {"version": 5, "status": "suspended", "suspended": True, "last_name": "Hook", "primary_address": "peter.hook@acme.cjsm.net"}),
    (UNSUSPENDED, {"version": 6, "status": "pending_activation", "suspended": False, "last_name": "Hook", "primary_address": "peter.hook@acme.cjsm.net"}),
]


@pytest.mark.parametrize(("moment", "expected"), PETER_AT, ids=[m.strftime("%H:%M") for m, _ in PETER_AT])
def test_state_as_of_a_moment_is_what_the_history_made_it_then(scripted: Scripted, moment: datetime, expected: dict[str, Any]) -> None:
    result = state_as_of(scripted.app, "user", scripted.peter_id, moment)
    seen = {"version": result["version"], **{k: result["state"][k] for k in expected if k != "version"}}
    assert seen == expected


def test_organisation_state_shows_its_administrators_only_from_the_appointment(scripted: Scripted) -> None:
    before = state_as_of(scripted.app, "organisation", scripted.organisation_id, APPOINTED - MINUTE)
    after = state_as_of(scripted.app, "organisation", scripted.organisation_id, APPOINTED)
    assert (before["state"]["administrators"], after["state"]["administrators"]) == ([], [str(scripted.jane_id)])


def test_state_before_the_aggregate_existed_is_refused_naming_as_of(scripted: Scripted) -> None:
    with pytest.raises(AuditLookupError, match=r"^as_of: user .* did not exist yet at 2026-03-01T09:29:00\+00:00"):
        state_as_of(scripted.app, "user", scripted.peter_id, ADDED - MINUTE)


def test_state_of_an_id_of_another_kind_is_refused_naming_the_id(scripted: Scripted) -> None:
    with pytest.raises(AuditLookupError, match=r"^id: there is no mailbox with id 00000000-0000-0000-0000-000000000004"):
        state_as_of(scripted.app, "mailbox", scripted.peter_id, UNSUSPENDED)


def test_history_tells_who_did_what_and_when_in_sentences(scripted: Scripted) -> None:
    lines = [line.sentence for line in history(scripted.app, "user", scripted.peter_id)]
    assert lines == [
        "2026-03-01 09:30 the script process registered the user peter.pan <peter.pan@acme.cjsm.net>",
        "2026-03-01 09:30 the script process issued a one-time password valid until 2026-03-15 09:30",
        "2026-03-01 10:02 jane.admin (organisation administrator) suspended the user",
        "2026-03-01 11:00 jane.admin (organisation administrator) changed the last name to Hook",
        "2026-03-01 11:00 jane.admin (organisation administrator) changed the secure address from peter.pan@acme.cjsm.net to peter.hook@acme.cjsm.net",
        "2026-03-01 12:00 jane.admin (organisation administrator) unsuspended the user",
    ]


def test_history_names_the_user_an_organisation_event_is_about(scripted: Scripted) -> None:
    lines = [line.sentence for line in history(scripted.app, "organisation", scripted.organisation_id)]
    assert lines[-1] == "2026-03-01 09:45 the script process appointed jane.admin administrator of the organisation"


def test_state_from_the_command_line_is_json_with_iso_times(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "state", "user", str(scripted.peter_id), "--as-of", "2026-03-01T10:30:00Z"])
    printed = json.loads(capsys.readouterr().out)
    assert code == 0
    assert (printed["as_of"], printed["state"]["status"], printed["state"]["created_on"]) == ("2026-03-01T10:30:00+00:00", "suspended", ADDED.isoformat())


def test_history_from_the_command_line_prints_one_sentence_per_event(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "history", "organisation", str(scripted.organisation_id)])
    assert (code, capsys.readouterr().out.splitlines()[0]) == (0, f"{REGISTERED:%Y-%m-%d %H:%M} the script process registered the organisation Acme Legal (acme, mailbox)")


def test_state_with_a_malformed_time_is_refused_naming_as_of(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "state", "user", str(scripted.peter_id), "--as-of", "noon"])
    assert (code, capsys.readouterr().err.strip()) == (2, "sema audit state: --as-of: not an ISO 8601 time: 'noon' (e.g. 2026-03-01T10:02:00Z)")


def test_state_without_a_moment_is_refused_naming_as_of_in_a_short_usage(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["audit", "state", "user", "5c0ffee0-0000-4000-8000-000000000000"])
    err = capsys.readouterr().err
    assert exited.value.code == 2
    assert err.endswith("sema audit state: error: the following arguments are required: --as-of\n")
    assert "--as-of TIME" in err and "--secret-key" not in err and len(err.splitlines()) <= 4, err


def test_a_time_without_a_zone_is_read_as_utc() -> None:
    assert parse_time("2026-03-01T10:02", "as_of") == at("10:02")


def test_history_tells_an_authentication_challenge_by_the_letters_asked(scripted: Scripted) -> None:
    app = scripted.app
    admin = Actor(str(scripted.jane_id), Role.ORGANISATION_ADMINISTRATOR, scripted.organisation_id)
    (created,) = app.add_users(admin, UNSUSPENDED, scripted.organisation_id, [NewUser("Wendy", "Darling")])
    assert created.one_time_password
    wendy = app.log_in(created.username, created.one_time_password, UNSUSPENDED).actor()
    app.complete_first_log_in(wendy, UNSUSPENDED, "Correct horse 9 battery staple", {"mothers_maiden_name": "Smithson", "first_school": "Hillside", "place_of_birth": "Leeds"})
    prompt = app.issue_challenge(admin, UNSUSPENDED + MINUTE, created.user_id)
    asked = ", ".join(f"letter {n} of {q.replace('_', ' ')}" for q, n in prompt.positions)
    last = history(app, "user", created.user_id)[-1].sentence
    assert last == f"2026-03-01 12:01 jane.admin (organisation administrator) issued an authentication challenge ({asked})"
