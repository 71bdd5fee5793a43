"""A process with a key other than the store's is refused at start, naming the key:
with it every log-in would fail (and count as failed) and every challenge end in a 500."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import delete

from sema.config import ConfigurationError
from sema.credentials import key_check_table
from testkit import START, activate, add_user, close_app, make_settings, open_app, organisation_with_admin

OTHER_KEY = base64.urlsafe_b64encode(b"another key, of thirty-two bytes!").decode()


def test_a_process_with_another_key_is_refused_and_the_store_keeps_working(database_url: str, tmp_path: Path) -> None:
    app = open_app(make_settings(database_url, tmp_path))
    try:
        org = organisation_with_admin(app, START)
        created = add_user(app, org, START, "Bob", "Baker")
    finally:
        close_app(app)

    with pytest.raises(ConfigurationError, match=r"the secret key \(SEMA_SECRET_KEY\) is not the one this store's secrets were made with"):
        open_app(make_settings(database_url, tmp_path, secret_key=OTHER_KEY))

    app = open_app(make_settings(database_url, tmp_path))
    try:
        activate(app, created, START)  # the one-time password still works: nothing was changed
    finally:
        close_app(app)


def test_a_store_made_before_the_check_is_checked_by_its_security_answers(database_url: str, tmp_path: Path) -> None:
    app = open_app(make_settings(database_url, tmp_path))
    try:
        org = organisation_with_admin(app, START)
        activate(app, add_user(app, org, START, "Bob", "Baker"), START)
        with app.engine.begin() as connection:
            connection.execute(delete(key_check_table))  # as a store from before kept none
    finally:
        close_app(app)

    with pytest.raises(ConfigurationError, match="it does not open the security answers the store holds"):
        open_app(make_settings(database_url, tmp_path, secret_key=OTHER_KEY))

    close_app(open_app(make_settings(database_url, tmp_path)))  # its own key opens them, and is kept
    with pytest.raises(ConfigurationError, match="its fingerprint differs"):
        open_app(make_settings(database_url, tmp_path, secret_key=OTHER_KEY))
