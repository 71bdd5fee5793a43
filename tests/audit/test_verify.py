"""The ledger: an untouched history verifies; a raw UPDATE, DELETE or INSERT on
the event table is found at its position; a kept digest catches a rewrite of both."""

from __future__ import annotations

import hashlib

import pytest
from testkit.history import SCRIPT, Scripted, at
from sqlalchemy import text

from projections.ledger import GENESIS, Ledger, canonical_bytes
from sema.audit.verify import Digest, Verifier
from cli import main
from sema.config import Settings

LAST = 18  # the scripted history's last position


def execute(scripted: Scripted, sql: str, **params: object) -> None:
    with scripted.app.engine.begin() as connection:
        connection.execute(text(sql.format(events=scripted.app.recorder.events_table_name)), params)


def test_an_untouched_history_verifies_up_to_its_last_event(scripted: Scripted) -> None:
    result = Verifier(scripted.app).verify()
    assert (result.ok, result.checked, result.head.position) == (True, LAST, LAST)


def test_the_ledger_head_is_the_chain_of_every_stored_event_from_the_genesis(scripted: Scripted) -> None:
    link = GENESIS
    for n in scripted.app.recorder.select_notifications(start=1, limit=100):
        link = hashlib.sha256(link + canonical_bytes(n.id, n.originator_id, n.originator_version, n.topic, n.state)).digest()
    assert Verifier(scripted.app).digest() == Digest(LAST, link.hex())


def test_an_event_updated_in_place_is_reported_as_altered_at_its_position(scripted: Scripted) -> None:
    execute(scripted, "UPDATE {events} SET state = :state WHERE id = 14", state=b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-01T10:02:00+00:00"},"actor_id":"someone-else","actor_role":"user","request_id":null}')
    discrepancy = Verifier(scripted.app).verify().discrepancy
    assert discrepancy is not None and (discrepancy.position, discrepancy.kind) == (14, "altered")


def test_an_event_deleted_is_reported_as_removed_at_its_position(scripted: Scripted) -> None:
    execute(scripted, "DELETE FROM {events} WHERE id = 9")
    discrepancy = Verifier(scripted.app).verify().discrepancy
    assert discrepancy is not None and (discrepancy.position, discrepancy.kind) == (9, "removed")


def test_the_last_event_deleted_is_reported_as_removed(scripted: Scripted) -> None:
    execute(scripted, "DELETE FROM {events} WHERE id = :id", id=LAST)
    discrepancy = Verifier(scripted.app).verify().discrepancy
    assert discrepancy is not None and (discrepancy.position, discrepancy.kind) == (LAST, "removed")


def test_an_event_inserted_behind_the_application_is_reported_at_its_position(scripted: Scripted) -> None:
    execute(
        scripted,
        "INSERT INTO {events} (originator_id, originator_version, topic, state) "
        "SELECT originator_id, originator_version + 100, topic, state FROM {events} WHERE id = 14",
    )
    discrepancy = Verifier(scripted.app).verify().discrepancy
    assert discrepancy is not None and (discrepancy.position, discrepancy.kind) == (LAST + 1, "inserted")


def test_an_event_inserted_into_a_gap_is_reported_at_its_position(scripted: Scripted) -> None:
    execute(scripted, "DELETE FROM {events} WHERE id = 7")
    execute(scripted, "DELETE FROM sema_ledger WHERE notification_id = 7")
    execute(
        scripted,
        "INSERT INTO {events} (id, originator_id, originator_version, topic, state) "
        "SELECT 7, originator_id, originator_version + 100, topic, state FROM {events} WHERE id = 14",
    )
    discrepancy = Verifier(scripted.app).verify().discrepancy
    assert discrepancy is not None and (discrepancy.position, discrepancy.kind) == (7, "inserted")


def test_a_rewrite_of_events_and_ledger_together_passes_the_chain_but_fails_a_kept_digest(scripted: Scripted) -> None:
    kept = Verifier(scripted.app).digest()
    execute(scripted, "UPDATE {events} SET state = :state WHERE id = 13", state=b'{"timestamp":{"_type_":"datetime_iso","_data_":"2026-03-01T09:45:00+00:00"},"actor_id":"system:script","actor_role":"system","request_id":null,"user_id":{"_type_":"uuid_hex","_data_":"00000000000000000000000000000004"}}')
    scripted.app.projections.rebuild([Ledger.name])  # the forger rechains the ledger too
    assert Verifier(scripted.app).verify().ok
    discrepancy = Verifier(scripted.app).verify(kept).discrepancy
    assert discrepancy is not None and (discrepancy.position, discrepancy.kind) == (LAST, "digest")


def test_a_kept_digest_still_holds_after_the_history_grew(scripted: Scripted) -> None:
    kept = Verifier(scripted.app).digest()
    scripted.app.suspend_organisation(SCRIPT, at("13:00"), scripted.organisation_id, "unpaid")
    result = Verifier(scripted.app).verify(kept)
    assert (result.ok, result.head.position) == (True, LAST + 1)


def test_verify_from_the_command_line_exits_non_zero_naming_the_position(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    execute(scripted, "DELETE FROM {events} WHERE id = 5")
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "verify"])
    assert (code, capsys.readouterr().out.splitlines()[0][:36]) == (1, "TAMPERED at position 5 (removed): th")


def test_digest_from_the_command_line_is_position_and_hash(scripted: Scripted, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("SEMA_SECRET_KEY", str(settings.secret_key))
    code = main(["audit", "--database-url", str(settings.database_url), "digest"])
    assert (code, capsys.readouterr().out.strip()) == (0, str(Verifier(scripted.app).digest()))


def test_a_malformed_digest_is_refused_naming_the_field() -> None:
    with pytest.raises(ValueError, match=r"^digest: expected POSITION:SHA256-HEX"):
        Digest.parse("18:not-a-hash")
    with pytest.raises(ValueError, match=r"^digest: expected POSITION:SHA256-HEX"):
        Digest.parse("\u00b2:" + "a" * 64)  # a digit to str.isdigit, no number to int


def test_a_tampered_history_is_reported_intact_up_to_the_position_before(scripted: Scripted) -> None:
    execute(scripted, "DELETE FROM {events} WHERE id = 11")
    result = Verifier(scripted.app).verify()
    with scripted.app.engine.connect() as connection:
        link_at_10 = connection.execute(text("SELECT link FROM sema_ledger WHERE notification_id = 10")).scalar_one()
    assert (result.checked, result.head) == (10, Digest(10, link_at_10))
