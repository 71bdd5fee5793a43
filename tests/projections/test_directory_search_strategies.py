"""However a directory page is found — on SQLite the FTS index in name order
(its matches taken until the page is full, then the rest of the last match's
name code, sorted), or a walk of the name index for one-letter words; on
PostgreSQL a walk of the name index, a trigram's list in name order or the
trigram index's candidates (of some words, the others checked on each), sorted,
chosen by a sample of the entries or not,
or a walk or list given up for the candidates — it is the page a plain query gives: every listed entry whose text
has each word, sorted by name then id, sliced. Also while people are renamed,
marked ex-directory, deleted and undeleted."""

from __future__ import annotations

import contextlib
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select, text

from domain.errors import AlreadySo, UserDeleted
from projections import directory_fts as fts_index, name_order, queries
from projections.queries import directory as directory_query, directory_fts, directory_plan
from projections.queries.common import directory
from projections.search_text import found_in
from sema.application import NewUser

from testkit.read_side import read

FIRST = ["Sarah", "Tara", "Ann", "Anna", "John", "Jonathan", "Zoë", "Bill", "Gill", "Liam"]
LAST = ["Khan", "Johnson", "Jones", "Williams", "Hill", "Marsh", "O'Brien", "Ahn", "Cohn", "Smith"]
FRAGMENTS = ["ara", "ohn", "ill", "an", "a", "hn", "smith", "o", "jo", "ill ara", "anna kh", "zzz", "liam hol", "hollowfield", "son", "ar ill", "an o", "johnson hollowfield ill", "ohnso hol sar"]


@pytest.fixture
def people(app, clock, service_admin):
    org = app.register_organisation(service_admin, clock.now(), name="Hollowfield", code="hollowfield", account_type="mailbox")
    rows = [NewUser(f, l, ex_directory=(i % 7 == 3)) for i, (f, l) in enumerate((f, l) for l in LAST for f in FIRST)]
    created = app.add_users(service_admin, clock.now(), org, rows)
    app.change_statuses(service_admin, clock.now(), [c.user_id for c in created[::9]], "delete")
    for i, name in enumerate(["Hill Walkers", "Anna's Team", "Johnson Rota"]):
        app.create_distribution_list(service_admin, clock.now(), org, name, f"list{i}", [])
    app.created = created
    return app


def _reference(app, text, limit, offset, kinds=()):
    e = directory.entries.c
    rows = read(app, lambda s: s.execute(select(e.name, e.search_text, e.kind).where(e.listed).order_by(e.sort_name, e.id)).all())
    return [name for name, indexed, kind in rows if found_in(indexed, text) and (not kinds or kind in kinds)][offset : offset + limit]


def _coarser_codes(monkeypatch, bits):
    """Queries that take names whose codes differ in their low ``bits`` only for
    alike (as if the code were that coarse): more matches share the last one's code."""
    monkeypatch.setattr(directory_fts, "ALIKE_BITS", bits)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.sampled_from(FRAGMENTS),
    alike_bits=st.sampled_from([0, 16, 30, name_order.CODE_BITS]),
    common=st.sampled_from([5000, 30, 1]),
    kinds=st.sampled_from([(), ("user",), ("distribution_list", "group_mailbox")]),
    walk=st.sampled_from([3, 10000]),
    candidate_cost=st.sampled_from([None, 0.0, 1.3, 1e9]),
    ordered_cost=st.sampled_from([0.0, 1.5, 1e12]),
    selective=st.sampled_from([0.0, 0.1, 0.5, 1.0]),
    limit=st.integers(1, 12),
    offset=st.integers(0, 40),
)
def test_a_page_is_the_plain_querys_page_whichever_index_drives(people, monkeypatch, text, alike_bits, common, kinds, walk, candidate_cost, ordered_cost, selective, limit, offset):
    _coarser_codes(monkeypatch, alike_bits)
    monkeypatch.setattr(directory_fts, "COUNTED", common)  # trigrams in more entries are asked only if needed
    if candidate_cost is not None:  # PostgreSQL: the sample chooses (0: the trigram index first; 1e9: the walk)
        monkeypatch.setattr(directory_plan, "USABLE", 1)
        monkeypatch.setattr(directory_plan, "CANDIDATE_COST", candidate_cost)
        monkeypatch.setattr(directory_plan, "TRIGRAM_FIXED_COST", 0 if candidate_cost == 0 else 500)
        monkeypatch.setattr(directory_plan, "ORDERED_COST", ordered_cost)  # 0: a trigram's list in name order first
        monkeypatch.setattr(directory_plan, "SELECTIVE", selective)  # which words the trigram index is asked for (ADR 60)
    monkeypatch.setattr(directory_query, "WALK_POSTGRESQL", walk)
    found = read(people, queries.search_directory, text, kinds=kinds, limit=limit, offset=offset)
    assert [e.name for e in found] == _reference(people, text, limit, offset, kinds)


CHANGES = st.lists(
    st.tuples(
        st.integers(0, 99),
        st.sampled_from(["last_name", "first_name", "mark_ex_directory", "unmark_ex_directory", "delete", "undelete"]),
        st.sampled_from(["Aaron", "Zyx", "Marsh", "Ahn", "Anna"]),
    ),
    min_size=1,
    max_size=6,
)


def _change(people, clock, service_admin, changes):
    for index, change, name in changes:
        user_id = people.created[index].user_id
        if change in ("last_name", "first_name"):
            with contextlib.suppress(UserDeleted, AlreadySo):  # a deleted user is not renamed, nor a name changed to itself
                getattr(people, f"change_{change}")(service_admin, clock.now(), user_id, name)
        else:
            people.change_statuses(service_admin, clock.now(), [user_id], change)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES)
def test_pages_follow_renames_ex_directory_deletion_and_undeletion(people, clock, service_admin, monkeypatch, changes):
    _coarser_codes(monkeypatch, 30)
    _change(people, clock, service_admin, changes)
    for text in ("a", "an", "ar", "ahn", "zyx", "aaro", "ars hn"):
        found = read(people, queries.search_directory, text, limit=15, offset=3)
        assert [e.name for e in found] == _reference(people, text, 15, 3), text


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # SQLite's FTS index only
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=CHANGES)
def test_trigram_counts_are_those_of_the_listed_entries_after_renames_ex_directory_and_deletion(people, clock, service_admin, changes):
    _change(people, clock, service_admin, changes)
    e = directory.entries.c
    listed = read(people, lambda s: s.execute(select(e.search_text).where(e.listed)).scalars().all())
    expected = Counter(fts_index.trigram_key(t) for indexed in listed for t in fts_index.trigrams(indexed))
    counts = read(people, lambda s: dict(s.execute(text(f"SELECT trigram, entries FROM {directory.fts.counts}")).all()))
    assert counts == dict(expected)


@given(st.text(), st.text())
def test_name_codes_keep_the_order_of_names(a, b):
    a, b = sorted((a, b))
    assert name_order.name_code(a) <= name_order.name_code(b) < 1 << name_order.CODE_BITS
    assert name_order.fts_rowid(a, 7) < name_order.fts_rowid(b, 8) or name_order.name_code(a) == name_order.name_code(b)


@given(st.text())
def test_a_walk_from_the_first_name_with_a_code_reaches_every_name_with_it(name):
    assert name_order.first_name_with_code(name_order.name_code(name)) <= name


def test_names_that_differ_in_their_first_eight_characters_get_different_codes():
    names = ["adams ann", "adams bob", "khan sarah", "smith jo", "smith ma", "smyth jo", "smith", "smit"]
    assert len({name_order.name_code(n) for n in names}) == len(names)
