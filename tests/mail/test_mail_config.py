"""``sema mail-config`` writes configuration that answers from the deployment's store."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from cli import main
from sema.application import SemaApplication
from testkit import START, TEST_SECRET_KEY, add_user, organisation_with_admin

pytestmark = pytest.mark.mail


def postmap(map_file: Path, kind: str, key: str) -> str:
    """What Postfix's own look-up code answers for ``key`` (postmap reads a main.cf: an empty one will do)."""
    config = map_file.parent / "postmap-config"
    config.mkdir(exist_ok=True)
    (config / "main.cf").write_text("compatibility_level = 3.6\n")
    found = subprocess.run(["postmap", "-c", str(config), "-q", key, f"{kind}:{map_file}"], capture_output=True, text=True)
    return found.stdout.strip()


def test_the_postfix_maps_it_writes_answer_from_the_store(app: SemaApplication, database_url: str, tmp_path: Path) -> None:
    org = organisation_with_admin(app, START, code="acme")
    user = app.get_user(add_user(app, org, START, "Bob", "Baker").user_id)
    suspended = app.get_user(add_user(app, org, START, "Sue", "Spended").user_id)
    app.change_statuses(org.admin, START, [suspended.id], "suspend")

    code = main(["mail-config", "--postfix", str(tmp_path / "postfix"), "--dovecot", str(tmp_path / "dovecot"),
                 "--database-url", database_url, "--secret-key", TEST_SECRET_KEY, "--data-dir", str(tmp_path), "--mail-root", "/srv/mail"])
    assert code == 0

    kind = "sqlite" if database_url.startswith("sqlite") else "pgsql"
    maps = tmp_path / "postfix"
    assert postmap(maps / "sema-mailboxes.cf", kind, user.primary_address.upper()) == str(user.mailbox_id)
    assert postmap(maps / "sema-domains.cf", kind, "acme.cjsm.net") == "acme.cjsm.net"
    assert postmap(maps / "sema-recipient_access.cf", kind, suspended.primary_address) == "550 5.2.1 Mailbox disabled"
    assert postmap(maps / "sema-recipient_access.cf", kind, user.primary_address) == ""
    assert postmap(maps / "sema-aliases.cf", kind, "nobody@acme.cjsm.net") == ""
    main_cf = (maps / "main.cf.sema").read_text()
    assert f"virtual_mailbox_maps = {kind}:{maps / 'sema-mailboxes.cf'}" in main_cf
    dovecot = (tmp_path / "dovecot" / "sema.conf").read_text()
    assert "/var/spool/postfix/private/dovecot-lmtp" in dovecot
    assert "'/srv/mail/' ||" in (tmp_path / "dovecot" / "sema-user.conf.ext").read_text()
    if kind == "sqlite":
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as connection:
            assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_an_in_memory_store_is_refused_with_a_clear_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["mail-config", "--postfix", str(tmp_path / "p"), "--dovecot", str(tmp_path / "d"), "--database-url", "sqlite://", "--data-dir", str(tmp_path)])
    assert code == 2
    assert "in-memory" in capsys.readouterr().err
    assert not (tmp_path / "p").exists()
