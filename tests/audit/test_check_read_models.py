"""check-read-models: the live read models against a rebuild from the history."""

from __future__ import annotations

import pytest
from testkit.history import Scripted
from sqlalchemy import inspect, text

from sema.audit.check import CHECK_SUFFIX, check_read_models
from cli import main
from sema.config import Settings


def ledger_report(scripted: Scripted) -> object:
    (report,) = [r for r in check_read_models(scripted.app) if r.name == "ledger"]
    (table,) = report.tables
    return table


def alter(scripted: Scripted, sql: str) -> None:
    with scripted.app.engine.begin() as connection:
        connection.execute(text(sql))


def test_untouched_read_models_are_the_same_as_their_rebuild(scripted: Scripted) -> None:
    reports = check_read_models(scripted.app)
    assert [(r.name, r.ok) for r in reports] == [(m.name, True) for m in scripted.app.projections.read_models]


def test_a_read_model_row_altered_by_hand_is_reported_as_changed(scripted: Scripted) -> None:
    alter(scripted, "UPDATE sema_ledger SET link = 'forged' WHERE notification_id = 5")
    table = ledger_report(scripted)
    assert (table.table, table.changed, table.missing, table.unexpected) == ("sema_ledger", 1, 0, 0)
    assert "'notification_id': 5" in table.examples[0] and "'link': 'forged'" in table.examples[0]


def test_a_read_model_row_deleted_by_hand_is_reported_as_missing(scripted: Scripted) -> None:
    alter(scripted, "DELETE FROM sema_ledger WHERE notification_id = 3")
    table = ledger_report(scripted)
    assert (table.changed, table.missing, table.unexpected) == (0, 1, 0)


def test_a_read_model_row_added_by_hand_is_reported_as_unexpected(scripted: Scripted) -> None:
    alter(scripted, "INSERT INTO sema_ledger (notification_id, originator_id, originator_version, link) VALUES (1000, 'x', 1, 'y')")
    table = ledger_report(scripted)
    assert (table.changed, table.missing, table.unexpected) == (0, 0, 1)


def test_the_scratch_tables_are_dropped_after_the_check(scripted: Scripted) -> None:
    check_read_models(scripted.app)
    assert [t for t in inspect(scripted.app.engine).get_table_names() if CHECK_SUFFIX in t] == []


def test_check_from_the_command_line_exits_non_zero_naming_the_table(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    alter(scripted, "UPDATE sema_ledger SET link = 'forged' WHERE notification_id = 5")
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "check-read-models", "ledger"])
    out = capsys.readouterr().out
    assert (code, out.splitlines()[0]) == (1, "ledger: sema_ledger: DIFFERS from the rebuild: 0 missing, 0 unexpected, 1 changed")


def test_check_of_an_unknown_read_model_is_refused_naming_it(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "check-read-models", "nonesuch"])
    assert (code, capsys.readouterr().err.startswith("sema audit check-read-models: unknown read model(s): nonesuch")) == (2, True)
