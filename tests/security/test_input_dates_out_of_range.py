"""Finding 18: ``as_of=9999-12-31T23:59:59-14:00`` (or ``0001-01-01T00:00:00+14:00``)
answered 500 (OverflowError) and the CLI printed a traceback. A moment UTC
cannot represent is refused with a 422 naming the field (the CLI: exit 2 and
one line naming it)."""

from __future__ import annotations

import pytest

from cli import main
from sema.config import Settings
from testkit.http import Person, add_users, register_organisation

OUT_OF_RANGE = ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"]


@pytest.mark.parametrize("moment", OUT_OF_RANGE)
def test_an_unrepresentable_as_of_is_refused_naming_it(service: Person, moment: str) -> None:
    org = register_organisation(service, "westmids")
    (user,) = add_users(service, org, [{"first_name": "Jane", "last_name": "Doe"}])
    response = service.get(f"/audit/user/{user['user_id']}/state", params={"as_of": moment})
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["query.as_of"]


@pytest.mark.parametrize("field", ["since", "until"])
def test_an_unrepresentable_window_is_refused_naming_it(service: Person, field: str) -> None:
    response = service.get("/audit/events", params={field: OUT_OF_RANGE[0]})
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == [f"query.{field}"]


def test_the_command_line_refuses_it_without_a_traceback(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "state", "user", "00000000-0000-0000-0000-000000000001", "--as-of", OUT_OF_RANGE[0]])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("sema audit state: --as-of: 9999-12-31T23:59:59-14:00 is outside the range") and "Traceback" not in err


def test_the_policies_refuse_an_unrepresentable_now_without_a_traceback(settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["policies", "tick", "--database-url", str(settings.database_url), "--no-mail", "--now", OUT_OF_RANGE[1]])
    err = capsys.readouterr().err
    assert code == 2, err
    assert "--now" in err and "outside the range" in err and "Traceback" not in err
