"""However a directory page is found — the trigram index and a sort of its few
candidates, a walk of the name index, or a walk given up for the candidates
after all, on PostgreSQL chosen by a sample of the entries or not — it is the
page a plain query gives:
every listed entry whose text has each word, sorted by name then id, sliced."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import select

from projections import queries
from projections.queries import directory as directory_query, directory_plan
from projections.queries.common import directory
from projections.search_text import found_in
from sema.application import NewUser

from testkit.read_side import read

FIRST = ["Sarah", "Tara", "Ann", "Anna", "John", "Jonathan", "Zoë", "Bill", "Gill", "Liam"]
LAST = ["Khan", "Johnson", "Jones", "Williams", "Hill", "Marsh", "O'Brien", "Ahn", "Cohn", "Smith"]
FRAGMENTS = ["ara", "ohn", "ill", "an", "a", "hn", "smith", "o", "jo", "ill ara", "anna kh", "zzz", "liam hol", "hollowfield", "son"]


@pytest.fixture
def people(app, clock, service_admin):
    org = app.register_organisation(service_admin, clock.now(), name="Hollowfield", code="hollowfield", account_type="mailbox")
    rows = [NewUser(f, l, ex_directory=(i % 7 == 3)) for i, (f, l) in enumerate((f, l) for l in LAST for f in FIRST)]
    created = app.add_users(service_admin, clock.now(), org, rows)
    app.change_statuses(service_admin, clock.now(), [c.user_id for c in created[::9]], "delete")
    return app


def _reference(app, text, limit, offset):
    e = directory.entries.c
    rows = read(app, lambda s: s.execute(select(e.name, e.search_text).where(e.listed).order_by(e.sort_name, e.id)).all())
    return [name for name, indexed in rows if found_in(indexed, text)][offset : offset + limit]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    text=st.sampled_from(FRAGMENTS),
    few=st.sampled_from([0, 4, 500]),
    walk=st.sampled_from([3, 10000]),
    candidate_cost=st.sampled_from([None, 0.0, 1.3, 1e9]),
    limit=st.integers(1, 12),
    offset=st.integers(0, 40),
)
def test_a_page_is_the_plain_querys_page_whichever_index_drives(people, monkeypatch, text, few, walk, candidate_cost, limit, offset):
    if candidate_cost is not None:  # PostgreSQL: the sample chooses (0: the trigram index first; 1e9: the walk)
        monkeypatch.setattr(directory_plan, "USABLE", 1)
        monkeypatch.setattr(directory_plan, "CANDIDATE_COST", candidate_cost)
        monkeypatch.setattr(directory_plan, "TRIGRAM_FIXED_COST", 0 if candidate_cost == 0 else 500)
    monkeypatch.setattr(directory_query, "FEW", few)
    monkeypatch.setattr(directory_query, "WALK", walk)
    monkeypatch.setattr(directory_query, "WALK_POSTGRESQL", walk)
    found = read(people, queries.search_directory, text, limit=limit, offset=offset)
    assert [e.name for e in found] == _reference(people, text, limit, offset)
