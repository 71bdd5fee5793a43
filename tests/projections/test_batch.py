"""The change buffer is invisible: any sequence of writes and reads through a
``Batch`` gives the same reads, the same final rows and the same failures as
running each write at once, on both stores — however it groups and reorders
them. And the check has teeth: buffers that break the rules are caught."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import Column, Engine, case, Integer, MetaData, String, Table, create_engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.pool import StaticPool

import projections.batch
from projections.batch import Batch

metadata = MetaData()
things = Table(
    "batch_things",
    metadata,
    Column("id", String(5), primary_key=True),
    Column("grp", String(5), nullable=False),
    Column("code", String(5), unique=True),
    Column("n", Integer, nullable=False),
)
links = Table("batch_links", metadata, Column("left", String(5), primary_key=True), Column("right", String(5), primary_key=True))
# Expressions over the row, one object each, as read models keep theirs.
INCREMENT = things.c.n + 1
GROUP_BY_SIZE = case((things.c.n > 1, "x"), else_="y")

ids, groups, codes = st.sampled_from(["a", "b", "c"]), st.sampled_from(["x", "y"]), st.sampled_from(["p", "q"])
thing_keys = st.fixed_dictionaries({}, optional={"id": ids, "grp": groups, "code": codes}).filter(bool)
thing_changes = st.fixed_dictionaries(
    {}, optional={"n": st.integers(0, 3) | st.just(INCREMENT), "grp": groups | st.just(GROUP_BY_SIZE), "code": codes | st.none()}
).filter(bool)
link_keys = st.fixed_dictionaries({}, optional={"left": ids, "right": ids}).filter(bool)
operation = st.one_of(
    st.tuples(st.just("insert"), st.just(things), st.fixed_dictionaries({"id": ids, "grp": groups, "code": codes | st.none(), "n": st.integers(0, 3)})),
    st.tuples(st.just("update"), st.just(things), thing_keys, thing_changes),
    st.tuples(st.just("delete"), st.just(things), thing_keys),
    st.tuples(st.just("get"), st.just(things), st.fixed_dictionaries({"id": ids})),
    st.tuples(st.just("rows"), st.just(things), st.fixed_dictionaries({"grp": groups})),
    st.tuples(st.just("insert"), st.just(links), st.fixed_dictionaries({"left": ids, "right": ids})),
    st.tuples(st.just("delete"), st.just(links), link_keys),
    st.tuples(st.just("rows"), st.just(links), st.fixed_dictionaries({"left": ids})),
)
histories = st.lists(operation, max_size=25)


def _where(table: Table, key: dict[str, Any]) -> list[Any]:
    return [table.c[k] == v for k, v in key.items()]


def _ordered(table: Table, rows: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in sorted(rows, key=lambda r: tuple(r[c.name] for c in table.primary_key.columns))]


def _final(session: Session) -> dict[str, list[dict[str, Any]]]:
    return {t.name: _ordered(t, session.execute(select(t)).mappings().all()) for t in (things, links)}


def at_once(engine: Engine, history: list[tuple[Any, ...]]) -> Any:
    """Each write as its own statement, at once: what a batch must be equivalent to."""
    reads: list[Any] = []
    with Session(engine) as session:
        try:
            for kind, table, *args in history:
                if kind == "insert":
                    session.execute(table.insert().values(args[0]))
                elif kind == "update":
                    session.execute(update(table).where(*_where(table, args[0])).values(args[1]))
                elif kind == "delete":
                    session.execute(delete(table).where(*_where(table, args[0])))
                else:
                    rows = session.execute(select(table).where(*_where(table, args[0]))).mappings().all()
                    reads.append(_ordered(table, rows) if kind == "rows" else [dict(r) for r in rows])
            return reads, _final(session)
        except IntegrityError:
            return "refused"
        finally:
            session.rollback()


def through_a_batch(engine: Engine, history: list[tuple[Any, ...]], batch_class: type[Batch] = Batch) -> Any:
    reads: list[Any] = []
    with Session(engine) as session:
        try:
            batch = batch_class(session)
            for kind, table, *args in history:
                if kind == "insert":
                    batch.insert(table, args[0])
                elif kind == "update":
                    batch.update(table, args[0], **args[1])
                elif kind == "delete":
                    batch.delete(table, **args[0])
                elif kind == "get":
                    row = batch.get(table, **args[0])
                    reads.append([] if row is None else [dict(row)])
                else:
                    reads.append([dict(r) for r in batch.rows(table, **args[0])])
            batch.flush()
            return reads, _final(session)
        except IntegrityError:
            return "refused"
        finally:
            session.rollback()


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url.replace("postgresql://", "postgresql+psycopg://"))
    metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(history=histories)
def test_a_batch_reads_writes_and_fails_as_the_same_writes_made_one_at_a_time(engine: Engine, history: list[tuple[Any, ...]]) -> None:
    assert through_a_batch(engine, history) == at_once(engine, history)


def test_like_writes_on_different_rows_go_out_as_one_statement_each(engine: Engine) -> None:
    """A bulk add's shape: per user an insert, then an update of the same row; 2 statements, not 200."""
    statements: list[str] = []
    with Session(engine) as session:
        batch = Batch(session)
        for i in range(100):
            batch.insert(things, {"id": f"u{i}", "grp": "x", "code": None, "n": 0})
            batch.update(things, {"id": f"u{i}"}, n=INCREMENT)
        _count_statements(session, statements)
        batch.flush()
        sent = len(statements)
        assert session.execute(select(things.c.n).distinct()).scalars().all() == [1]
        session.rollback()
    assert sent == 2


def _count_statements(session: Session, statements: list[str]) -> None:
    from sqlalchemy import event

    event.listen(session.connection(), "before_cursor_execute", lambda conn, cursor, sql, *rest: statements.append(sql))


def _thing(id_: str, grp: str = "x", code: str | None = None, n: int = 0) -> tuple[Any, ...]:
    return ("insert", things, {"id": id_, "grp": grp, "code": code, "n": n})


class ReadsBeforeWrites(Batch):
    """Deliberately wrong: reads do not wait for the writes queued before them."""

    def _flush_through(self, table: Table) -> None:
        pass


def _reorders_anything(*args: Any) -> bool:
    """Deliberately wrong: every write may join an earlier group of its shape."""
    return True


# Histories the property test's strategy makes, each telling one broken buffer from writes made at once.
CAUGHT = [
    ("a read misses the insert before it", ReadsBeforeWrites, None, [_thing("a"), ("get", things, {"id": "a"})]),
    ("a read misses the update before it", ReadsBeforeWrites, None, [_thing("a"), ("get", things, {"id": "a"}), ("update", things, {"id": "a"}, {"n": 2}), ("rows", things, {"grp": "x"})]),
    ("an insert jumps the delete that frees its key", Batch, _reorders_anything, [_thing("a"), ("delete", things, {"id": "a"}), _thing("a", grp="y")]),
    ("an update jumps the insert of its row", Batch, _reorders_anything, [("update", things, {"id": "a"}, {"n": 1}), _thing("a"), ("update", things, {"id": "a"}, {"n": 2})]),
    ("a delete jumps the insert it removes", Batch, _reorders_anything, [("delete", links, {"left": "a"}), ("insert", links, {"left": "a", "right": "b"}), ("delete", links, {"left": "a"})]),
]


@pytest.mark.parametrize(("broken", "batch_class", "independence", "history"), CAUGHT, ids=[c[0] for c in CAUGHT])
def test_the_check_catches_a_broken_buffer(
    broken: str, batch_class: type[Batch], independence: Any, history: list[tuple[Any, ...]], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine("sqlite://", poolclass=StaticPool)
    metadata.create_all(engine)
    assert through_a_batch(engine, history) == at_once(engine, history)
    if independence is not None:
        monkeypatch.setattr(projections.batch, "independent", independence)
    assert through_a_batch(engine, history, batch_class) != at_once(engine, history)
