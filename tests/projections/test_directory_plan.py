"""PostgreSQL's directory plan (ADR 48, 60): the sample of listed entries it judges
from, the sample's trigram index, and which words the trigram index is asked for.
Every way gives the same page (``test_directory_search_strategies``); these check
what the plan sees and chooses."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from projections.queries import directory_plan
from projections.queries.common import directory
from sema.application import NewUser

from testkit.read_side import read

on_postgres = pytest.mark.parametrize("database_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)

WORDS = st.text(alphabet="abcde1 ", max_size=30).map(lambda s: " " + " ".join(s.split()))


@given(texts=st.lists(WORDS, max_size=12))
def test_the_samples_trigram_index_holds_each_trigram_inside_a_word_with_every_text_having_it(texts):
    having = directory_plan._trigrams_of(tuple(texts))
    inside = {w[i : i + 3] for t in texts for w in t.split() for i in range(len(w) - 2)}
    assert set(having) == inside
    for trigram in inside:
        assert having[trigram] == [p for p, t in enumerate(texts) if trigram in t]


def _listed_texts(app):
    e = directory.entries.c
    return read(app, lambda s: s.execute(select(e.search_text).where(e.listed).order_by(e.sort_name, e.id)).scalars().all())


def _add(app, service_admin, clock, org, names):
    app.add_users(service_admin, clock.now(), org, [NewUser(first, last) for first, last in names])


def _analyse(app):
    with app.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        # Autovacuum off: the test alone says when the table's size is learnt.
        connection.execute(text(f"ALTER TABLE {directory.entries.name} SET (autovacuum_enabled = false)"))
        connection.execute(text(f"ANALYZE {directory.entries.name}"))


@pytest.fixture
def org(app, service_admin, clock):
    return app.register_organisation(service_admin, clock.now(), name="Hollowfield", code="hollowfield", account_type="mailbox")


@on_postgres
def test_a_sample_of_a_table_never_analysed_counts_it_and_takes_every_listed_entry(app, service_admin, clock, org):
    _add(app, service_admin, clock, org, [(f"Given{i}", f"Family{i}") for i in range(30)])
    with Session(app.engine) as session:
        assert session.execute(directory_plan._ESTIMATED_ROWS, {"table": directory.entries.name}).scalar() is None
        sample = directory_plan._take_sample(session)
    assert list(sample.texts) == _listed_texts(app)
    assert sample.listed == len(sample.texts)


@on_postgres
def test_a_sample_is_judged_from_the_tables_size_as_the_planner_judges_it(app, service_admin, clock, org, monkeypatch):
    _add(app, service_admin, clock, org, [(f"Given{i}", f"Family{i}") for i in range(60)])
    _analyse(app)
    _add(app, service_admin, clock, org, [(f"Given{i}", f"Family{i}") for i in range(60, 240)])  # grown since
    monkeypatch.setattr(directory_plan, "SAMPLE", 40)
    listed = _listed_texts(app)
    with Session(app.engine) as session:
        # Rows a page when analysed (60 entries), times the pages now: the 240 there are, roughly.
        estimated = session.execute(directory_plan._ESTIMATED_ROWS, {"table": directory.entries.name}).scalar()
        assert 120 <= estimated <= 480
        sample = directory_plan._take_sample(session)
    # About a sixth of the entries, whatever their number when analysed.
    assert 10 <= len(sample.texts) <= 2 * directory_plan.SAMPLE
    assert len(listed) / 2 <= sample.listed <= 2 * len(listed)
    assert list(sample.texts) == [t for t in listed if t in set(sample.texts)]  # in name order


@given(count=st.integers(0, 5000), wanted=st.integers(1, 1000))
def test_a_sample_too_large_is_thinned_evenly_over_the_name_order(count, wanted):
    texts = tuple(f"{i:05d}" for i in range(count))
    spread = directory_plan._spread(texts, wanted)
    assert len(spread) <= 2 * wanted + 1 and set(spread) <= set(texts) and list(spread) == sorted(spread)
    if count <= 2 * wanted:
        assert spread == texts
    else:  # evenly: the gaps are equal, the last text within a gap of the end
        gaps = {int(b) - int(a) for a, b in zip(spread, spread[1:])}
        assert len(gaps) <= 1 and spread[0] == texts[0]
        assert count - 1 - int(spread[-1]) < (gaps.pop() if gaps else count)


@on_postgres
def test_the_trigram_index_is_asked_only_for_words_few_entries_have(app, service_admin, clock, org, monkeypatch):
    # Everyone is at Hollowfield; a few are called Quentin.
    _add(app, service_admin, clock, org, [("Quentin" if i % 20 == 0 else f"Given{i}", f"Family{i}") for i in range(120)])
    monkeypatch.setattr(directory_plan, "USABLE", 1)
    monkeypatch.setattr(directory_plan, "ORDERED_COST", 1e12)  # not a trigram's list: the trigram index
    with Session(app.engine) as session:
        assert directory_plan.plan(session, ["quentin", "hollowfield"], ["quentin", "hollowfield"], 50, 3000).indexed == ("quentin",)
        # No word is few entries': all of them.
        assert directory_plan.plan(session, ["hollowfield", "family"], ["hollowfield", "family"], 50, 3000).indexed == ("hollowfield", "family")
    monkeypatch.setattr(directory_plan, "SELECTIVE", 1.0)  # every word counts as few entries'
    with Session(app.engine) as session:
        assert directory_plan.plan(session, ["quentin", "hollowfield"], ["quentin", "hollowfield"], 50, 3000).indexed == ("quentin", "hollowfield")


@given(entries=st.floats(0, 1e7))
def test_a_budget_is_a_power_of_two_no_smaller_than_asked(entries):
    budget = directory_plan._power_of_two(entries)
    assert budget >= entries and budget & (budget - 1) == 0 and (budget == 1 or budget / 2 < entries)
