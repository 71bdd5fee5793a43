"""An edited user's row is written with the columns the edit changed, and not at all when it changed none."""

from __future__ import annotations

from projections.user_rows import changes


def test_an_edit_sets_only_the_columns_it_changed() -> None:
    row = {"first_name": "Ann", "last_name": "Lee", "sort_name": "lee ann", "details": {"department": "Audit"}, "aliases": []}
    values = {"first_name": "Ann", "last_name": "Lee", "sort_name": "lee ann", "details": {"department": "Tax"}, "aliases": []}
    assert changes(row, values) == {"details": {"department": "Tax"}}


def test_an_edit_that_changes_nothing_sets_nothing() -> None:
    row = {"details": {"department": "Tax"}, "aliases": ["a@example.org"], "original_address": None}
    assert changes(row, {"details": {"department": "Tax"}, "aliases": ["a@example.org"], "original_address": None}) == {}
