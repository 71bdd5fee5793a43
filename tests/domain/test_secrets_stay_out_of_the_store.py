"""No password, one-time password or security answer is ever stored in clear:
after issuing every kind, no byte of the SQLite database (nor anything else
in the data directory) and no row of any PostgreSQL table holds one of them,
in any common encoding."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, table, text

from sema.application import NewUser, SemaApplication
from sema.clock import SettableClock
from sema.credentials import normalise_answer
from testkit import Org, SERVICE_ADMIN

FIRST_PASSWORD = "Xylophone-Quarry-7731"
SECOND_PASSWORD = "Marmalade-Glacier-4410"
THIRD_PASSWORD = "Obsidian-Wombat-2967"
FIRST_ANSWERS = {"mothers_maiden_name": "Featherstonehaugh", "first_school": "Quixwood Academy", "place_of_birth": "Llanfairpwll"}
SECOND_ANSWERS = {"first_pet": "Zebedee Biscuit", "favourite_teacher": "Vandersloot", "childhood_street": "Juniper Crescent"}


def encodings(secret: str) -> set[bytes]:
    """The secret as it might be written: plain, cased, normalised, without dashes,
    base64, hex, UTF-16, JSON-escaped."""
    forms = {secret, secret.upper(), secret.lower(), secret.replace("-", ""), secret.replace("-", "").lower(), normalise_answer(secret)}
    found: set[bytes] = set()
    for form in forms:
        raw = form.encode()
        found |= {
            raw,
            base64.b64encode(raw),
            base64.b64encode(raw).rstrip(b"="),
            base64.urlsafe_b64encode(raw).rstrip(b"="),
            raw.hex().encode(),
            raw.hex().upper().encode(),
            form.encode("utf-16-le"),
            form.encode("utf-16-be"),
            json.dumps(form).encode()[1:-1],
            json.dumps(form, ensure_ascii=False).encode()[1:-1],
        }
    return found


def issue_every_kind_of_secret(app: SemaApplication, clock: SettableClock, organisation: Org) -> list[str]:
    """Bulk add (one-time passwords), activation (password, answers), password change,
    new security answers, password reset and user reset (one-time passwords)."""
    now = clock.now()
    jane, john = app.add_users(organisation.admin, now, organisation.id, [NewUser("Jane", "Doe"), NewUser("John", "Roe")])
    secrets = [jane.one_time_password, john.one_time_password]
    jane_acts = app.log_in(jane.username, jane.one_time_password or "", now).actor()
    app.complete_first_log_in(jane_acts, now, FIRST_PASSWORD, FIRST_ANSWERS)
    app.change_password(jane_acts, now, FIRST_PASSWORD, SECOND_PASSWORD)

    prompt = app.issue_challenge(organisation.admin, now, jane.user_id)
    letters = [normalise_answer(FIRST_ANSWERS[q])[p - 1] for q, p in prompt.positions]
    assert app.answer_challenge(organisation.admin, now, jane.user_id, prompt.challenge_id, letters)
    reset_otp, _ = app.reset_password(organisation.admin, now, jane.user_id)
    jane_acts = app.log_in(jane.username, reset_otp, now).actor()
    app.complete_first_log_in(jane_acts, now, THIRD_PASSWORD, None)
    app.set_security_information(jane_acts, now, THIRD_PASSWORD, SECOND_ANSWERS)

    grant_id = app.request_exceptional_access(organisation.admin, now, "user_reset", john.user_id, "locked out before activating")
    app.decide_exceptional_access(SERVICE_ADMIN, now, "user_reset", john.user_id, grant_id, approve=True)
    user_reset_otp, _ = app.reset_user(organisation.admin, now, john.user_id, grant_id)
    secrets += [reset_otp, user_reset_otp, FIRST_PASSWORD, SECOND_PASSWORD, THIRD_PASSWORD]
    secrets += [*FIRST_ANSWERS.values(), *SECOND_ANSWERS.values()]
    assert all(secrets)
    return [s for s in secrets if s]


def sqlite_bytes(app: SemaApplication, data_dir: Path) -> Iterator[tuple[str, bytes]]:
    """Every file in the data directory (the database, its -wal and -shm, anything else) after a checkpoint."""
    with app.engine.connect() as connection:
        connection.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    for path in sorted(p for p in data_dir.rglob("*") if p.is_file()):
        yield str(path), path.read_bytes()


def postgres_rows(app: SemaApplication) -> Iterator[tuple[str, bytes]]:
    """Every value of every row of every table: the event table, read models, credentials."""
    with app.engine.connect() as connection:
        for name in inspect(connection).get_table_names():
            for row in connection.execute(select(text("*")).select_from(table(name))):
                for value in row:
                    if isinstance(value, (bytes, bytearray, memoryview)):
                        yield name, bytes(value)
                    elif value is not None:
                        yield name, str(value).encode()


@pytest.fixture
def issued(app: SemaApplication, clock: SettableClock, organisation: Org) -> list[str]:
    return issue_every_kind_of_secret(app, clock, organisation)


def test_the_stored_bytes_hold_no_secret_in_any_common_encoding(app: SemaApplication, issued: list[str], database_url: str, tmp_path: Path) -> None:
    sources = sqlite_bytes(app, tmp_path) if database_url.startswith("sqlite") else postgres_rows(app)
    scanned = 0
    leaks = []
    wanted = {secret: encodings(secret) for secret in issued}
    for where, blob in sources:
        scanned += len(blob)
        for secret, forms in wanted.items():
            if any(form in blob for form in forms):
                leaks.append((secret, where))
    assert scanned > 10_000  # the scan did read the store
    assert leaks == []


def test_the_scan_finds_a_secret_that_is_stored(app: SemaApplication, clock: SettableClock, organisation: Org, database_url: str, tmp_path: Path) -> None:
    """The scan itself works: a secret put where it must never be is found."""
    directory_secret = "Featherstonehaugh"
    (jane,) = app.add_users(organisation.admin, clock.now(), organisation.id, [NewUser("Jane", "Doe")])
    app.change_details(organisation.admin, clock.now(), [jane.user_id], {"department": directory_secret.upper()})
    sources = sqlite_bytes(app, tmp_path) if database_url.startswith("sqlite") else postgres_rows(app)
    forms = encodings(directory_secret)
    assert any(any(form in blob for form in forms) for _, blob in sources)
