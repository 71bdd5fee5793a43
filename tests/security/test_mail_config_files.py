"""The files ``sema mail-config`` writes hold the store's password and Dovecot's
report key: no other local user may read them, from the moment they exist."""

from __future__ import annotations

import stat
from pathlib import Path

from cli import main
from mail.config import POLICY_HEADER
from testkit import TEST_SECRET_KEY


def test_the_files_with_the_policy_key_or_a_password_are_private(tmp_path: Path) -> None:
    dovecot = tmp_path / "dovecot"
    dovecot.mkdir()
    (dovecot / "sema.conf").write_text("left by an earlier run\n")
    (dovecot / "sema.conf").chmod(0o644)  # an older file, readable by all, is made private too
    code = main(["mail-config", "--postfix", str(tmp_path / "postfix"), "--dovecot", str(dovecot),
                 "--database-url", f"sqlite:///{tmp_path / 'sema.db'}", "--secret-key", TEST_SECRET_KEY, "--data-dir", str(tmp_path)])
    assert code == 0
    assert POLICY_HEADER in (dovecot / "sema.conf").read_text()
    secret_files = [dovecot / "sema.conf", *dovecot.glob("*.conf.ext"), *(tmp_path / "postfix").glob("*.cf")]
    assert len(secret_files) > 5
    for path in secret_files:
        mode = stat.S_IMODE(path.stat().st_mode)
        assert mode & stat.S_IRWXO == 0, f"{path.name} is readable by others: {oct(mode)}"
