"""The directory finds fragments inside words, sorted by name, on both stores."""

from __future__ import annotations

import re
from contextlib import contextmanager

import pytest
from sqlalchemy import text

from domain.actors import system_actor
from projections import queries
from sema.application import NewUser
from sema.bootstrap import build_application

from testkit import make_settings
from testkit.read_side import read, snapshot


def _names(app, fragment, **kwargs):
    return [e.name for e in read(app, queries.search_directory, fragment, limit=500, **kwargs)]


def _people(app, service_admin, clock, rows):
    org = app.register_organisation(service_admin, clock.now(), name="Hollowfield", code="hollowfield", account_type="mailbox")
    return app.add_users(service_admin, clock.now(), org, [NewUser(first, last) for first, last in rows])


def test_a_fragment_inside_a_word_finds_the_entry(app, clock, service_admin):
    _people(app, service_admin, clock, [("Sarah", "Khan"), ("Tara", "Jones"), ("Peter", "Pan")])
    assert _names(app, "ara") == ["Tara Jones", "Sarah Khan"]
    assert _names(app, "ara han") == ["Sarah Khan"]


def test_a_two_letter_fragment_inside_a_word_finds_the_entry_sorted_by_name(app, clock, service_admin):
    _people(app, service_admin, clock, [("Zoe", "Ahn"), ("Ann", "Cohn"), ("Peter", "Pan")])
    assert _names(app, "hn") == ["Zoe Ahn", "Ann Cohn"]


def test_pages_follow_the_name_order(app, clock, service_admin):
    _people(app, service_admin, clock, [(f"Given{i}", f"Marsh{chr(97 + i)}") for i in range(6)])
    page = read(app, queries.search_directory, "arsh", limit=2, offset=2)
    assert [e.name for e in page] == ["Given2 Marshc", "Given3 Marshd"]


@contextmanager
def _reopened_store_made_before(tmp_path, clock, people, *statements, url=None):
    """A store (SQLite unless ``url``) with ``people``, changed by ``statements``
    to what an older sema made, then opened again (which brings it up to date)."""
    settings = make_settings(url or f"sqlite:///{tmp_path / 'sema.db'}", tmp_path)
    app = build_application(settings)
    try:
        _people(app, system_actor("test"), clock, people)
        with app.engine.begin() as connection:
            for statement in statements:
                connection.execute(text(statement))
    finally:
        app.close()
        app.engine.dispose()
    reopened = build_application(settings)
    try:
        yield reopened
    finally:
        reopened.close()
        reopened.engine.dispose()


FILL_FTS = "INSERT INTO sema_directory_fts (rowid, search_text) SELECT seq, search_text FROM sema_directory_entries WHERE listed"


def test_a_sqlite_store_indexed_by_words_is_indexed_by_trigrams_when_opened(tmp_path, clock):
    before_trigrams = (
        "DROP TABLE sema_directory_fts",
        "CREATE VIRTUAL TABLE sema_directory_fts USING fts5(search_text, tokenize='unicode61')",
        FILL_FTS,
    )
    with _reopened_store_made_before(tmp_path, clock, [("Sarah", "Khan")], *before_trigrams) as reopened:
        assert _names(reopened, "ara") == ["Sarah Khan"]


def test_a_sqlite_store_made_before_the_sort_keys_were_indexed_is_brought_up_to_date_when_opened(tmp_path, clock):
    before_adr_43 = (  # FTS without sort keys, the old name index
        "DROP TABLE sema_directory_fts",
        "CREATE VIRTUAL TABLE sema_directory_fts USING fts5(search_text, tokenize='trigram')",
        FILL_FTS,
        "DROP INDEX ix_sema_directory_entries_walk",
        "CREATE INDEX ix_sema_directory_entries_sort ON sema_directory_entries (listed, sort_name)",
    )
    with _reopened_store_made_before(tmp_path, clock, [("Sarah", "Khan"), ("Tara", "Jones")], *before_adr_43) as reopened:
        assert _names(reopened, "ara") == ["Tara Jones", "Sarah Khan"]
        with reopened.engine.connect() as connection:
            indexes = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'index'")).scalars())
        assert "ix_sema_directory_entries_walk" in indexes and "ix_sema_directory_entries_sort" not in indexes


def test_a_sqlite_store_indexed_in_creation_order_is_indexed_in_name_order_when_opened_as_a_rebuild_would(tmp_path, clock):
    before_adr_47 = (  # FTS row ids were the entries' creation positions; no keys
        "DROP TABLE sema_directory_fts",
        "DROP TABLE sema_directory_fts_keys",
        "CREATE VIRTUAL TABLE sema_directory_fts USING fts5(search_text, sort_name UNINDEXED, id UNINDEXED, kind UNINDEXED, tokenize='trigram')",
        "INSERT INTO sema_directory_fts (rowid, search_text, sort_name, id, kind) SELECT seq, search_text, sort_name, id, kind FROM sema_directory_entries WHERE listed",
    )
    people = [("Sarah", "Khan"), ("Zed", "Adams"), ("Tara", "Jones")]
    with _reopened_store_made_before(tmp_path, clock, people, *before_adr_47) as reopened:
        assert _names(reopened, "ar") == ["Tara Jones", "Sarah Khan"]
        upgraded = snapshot(reopened, ("directory",))
        reopened.projections.rebuild(["directory"])
        assert snapshot(reopened, ("directory",)) == upgraded


def test_a_sqlite_store_made_before_the_trigram_counts_gets_them_when_opened_as_a_rebuild_would(tmp_path, clock):
    before_adr_52 = ("DROP TABLE sema_directory_fts_counts",)
    people = [("Sarah", "Khan"), ("Zed", "Adams"), ("Tara", "Jones")]
    with _reopened_store_made_before(tmp_path, clock, people, *before_adr_52) as reopened:
        assert _names(reopened, "ar") == ["Tara Jones", "Sarah Khan"]
        upgraded = snapshot(reopened, ("directory",))
        assert upgraded["sema_directory_fts_counts"]
        reopened.projections.rebuild(["directory"])
        assert snapshot(reopened, ("directory",)) == upgraded


def test_a_sqlite_store_whose_index_kept_column_sizes_is_remade_without_them_when_opened_as_a_rebuild_would(tmp_path, clock):
    columns = "search_text, sort_name UNINDEXED, kind UNINDEXED, id UNINDEXED, name UNINDEXED, organisation_id UNINDEXED, organisation_name UNINDEXED, address UNINDEXED, aliases UNINDEXED, details UNINDEXED"
    before_column_sizes_went = (  # the same index with the size of each row's text kept (sema_directory_fts_docsize)
        "DROP TABLE sema_directory_fts",
        f"CREATE VIRTUAL TABLE sema_directory_fts USING fts5({columns}, tokenize='trigram', detail=none)",
    )
    people = [("Sarah", "Khan"), ("Zed", "Adams"), ("Tara", "Jones")]
    with _reopened_store_made_before(tmp_path, clock, people, *before_column_sizes_went) as reopened:
        assert _names(reopened, "ar") == ["Tara Jones", "Sarah Khan"]
        with reopened.engine.connect() as connection:
            tables = set(connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
        assert "sema_directory_fts" in tables and "sema_directory_fts_docsize" not in tables
        upgraded = snapshot(reopened, ("directory",))
        reopened.projections.rebuild(["directory"])
        assert snapshot(reopened, ("directory",)) == upgraded


FTS_SEGMENTS = "SELECT count(DISTINCT segid) FROM sema_directory_fts_idx"


def test_a_sqlite_rebuild_leaves_the_directory_index_in_one_segment_finding_the_same(tmp_path, clock):
    settings = make_settings(f"sqlite:///{tmp_path / 'sema.db'}", tmp_path)
    app = build_application(settings)
    try:
        actor = system_actor("test")
        org = app.register_organisation(actor, clock.now(), name="Hollowfield", code="hollowfield", account_type="mailbox")
        for first, last in [("Sarah", "Khan"), ("Tara", "Jones"), ("Peter", "Pan"), ("Zara", "Marsh")]:
            app.add_users(actor, clock.now(), org, [NewUser(first, last)])  # a commit each: a segment each
        with app.engine.connect() as connection:
            assert connection.execute(text(FTS_SEGMENTS)).scalar_one() > 1
        incremental = snapshot(app, ("directory",))
        app.projections.rebuild(["directory"], batch_size=2)
        with app.engine.connect() as connection:
            assert connection.execute(text(FTS_SEGMENTS)).scalar_one() == 1
        assert snapshot(app, ("directory",)) == incremental
        assert _names(app, "ara") == ["Tara Jones", "Sarah Khan", "Zara Marsh"]
    finally:
        app.close()
        app.engine.dispose()


# PostgreSQL: what the directory's trigram (and pair) rows must be, from the entries alone (ADR 53, 54):
# each distinct run of three, and of two, characters inside a word, less those all digits.
LISTED_ENTRIES = "SELECT search_text, sort_name, seq FROM sema_directory_entries WHERE listed"
TRIGRAM_ROWS = "SELECT trigram, sort_name, seq FROM sema_directory_trigrams ORDER BY 1, 2, 3"


def _grams(indexed):
    return {
        word[start : start + size]
        for word in re.findall(r"[^\W_]+", indexed)
        for size in (2, 3)
        for start in range(len(word) - size + 1)
        if not word[start : start + size].isdigit()
    }


def _trigram_rows(app):
    with app.engine.connect() as connection:
        kept = sorted(tuple(r) for r in connection.execute(text(TRIGRAM_ROWS)))
        derived = sorted((g, name, seq) for indexed, name, seq in connection.execute(text(LISTED_ENTRIES)) for g in _grams(indexed))
        return kept, derived


@pytest.mark.postgres
def test_postgresql_trigram_rows_follow_renames_ex_directory_and_deletion_then_a_rebuild_makes_the_same(postgres_url, tmp_path, clock):
    app = build_application(make_settings(postgres_url, tmp_path))
    try:
        actor = system_actor("test")
        org = app.register_organisation(actor, clock.now(), name="Hollowfield", code="hollowfield", account_type="mailbox")
        created = app.add_users(actor, clock.now(), org, [NewUser(f, l) for f, l in [("Sarah", "Khan"), ("Tara", "Jones"), ("Peter", "Pan"), ("Sarah", "Khan")]])
        team, _ = app.create_distribution_list(actor, clock.now(), org, "Hill Walkers", "walkers", [])
        app.rename_distribution_list(actor, clock.now(), team, "Hill Runners")
        app.rename_organisation(actor, clock.now(), org, "Hollowmead")
        app.change_last_name(actor, clock.now(), created[0].user_id, "Marsh")
        app.change_statuses(actor, clock.now(), [created[1].user_id], "mark_ex_directory")
        app.change_statuses(actor, clock.now(), [created[2].user_id], "delete")
        app.change_statuses(actor, clock.now(), [created[2].user_id], "undelete")
        app.change_statuses(actor, clock.now(), [created[3].user_id], "delete")
        kept, derived = _trigram_rows(app)
        assert kept == derived and {("ars", "marsh sarah"), ("unn", "hill runners"), ("mea", "pan peter"), ("sa", "marsh sarah"), ("nn", "hill runners")} <= {(t, n) for t, n, _ in kept}
        assert not any(n == "hill walkers" for _, n, _ in kept)
        assert not any(n == "jones tara" for _, n, _ in kept)  # ex-directory: not listed
        incremental = snapshot(app, ("directory",))
        app.projections.rebuild(["directory"])
        assert snapshot(app, ("directory",)) == incremental
        app.add_users(actor, clock.now(), org, [NewUser("Zara", "Mitchell", directory={"telephone": "0121 496000"})])  # kept after the swap too
        kept, derived = _trigram_rows(app)
        assert kept == derived and _names(app, "mit") == ["Zara Mitchell"] and _names(app, "4960 ara") == ["Zara Mitchell"]
        assert not any(t.isdigit() for t, _, _ in kept)
    finally:
        app.close()
        app.engine.dispose()


@pytest.mark.postgres
def test_a_postgresql_store_made_before_the_trigram_rows_is_filled_when_opened(postgres_url, tmp_path, clock):
    before_adr_53 = ("DROP TABLE sema_directory_trigrams",) + tuple(
        f"DROP TRIGGER sema_directory_trigrams_{event} ON sema_directory_entries" for event in ("insert", "update", "delete")
    )
    with _reopened_store_made_before(tmp_path, clock, [("Sarah", "Khan"), ("Tara", "Jones")], *before_adr_53, url=postgres_url) as reopened:
        kept, derived = _trigram_rows(reopened)
        assert kept == derived and len(kept) > 0
        assert _names(reopened, "ara") == ["Tara Jones", "Sarah Khan"]


@pytest.mark.postgres
def test_a_postgresql_store_with_trigram_rows_only_gets_its_pairs_when_opened(postgres_url, tmp_path, clock):
    before_adr_54 = (  # as ADR 53 left it: no pairs, its index under its name
        "DELETE FROM sema_directory_trigrams WHERE length(trigram) = 2",
        "ALTER INDEX ix_sema_directory_grams_order RENAME TO ix_sema_directory_trigrams_order",
    )
    people = [("Sarah", "Khan"), ("Tara", "Jones"), ("Kim", "Fox")]
    with _reopened_store_made_before(tmp_path, clock, people, *before_adr_54, url=postgres_url) as reopened:
        kept, derived = _trigram_rows(reopened)
        assert kept == derived and any(len(t) == 2 for t, _, _ in kept)
        assert _names(reopened, "ki") == ["Kim Fox"] and _names(reopened, "ha") == ["Sarah Khan"]
