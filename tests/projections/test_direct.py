"""Statements run on SQLite's cursor (``projections.direct``) behave as SQLAlchemy
running them: the same stored values, the same values read back, the same
exception classes, the same transaction; and they give way to SQLAlchemy
whenever someone listens for statements."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import JSON, Boolean, Column, DateTime, Engine, Integer, MetaData, String, Table, bindparam, create_engine, event, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy_utils.types.uuid import UUIDType

from projections import direct

metadata = MetaData()
rows_table = Table(
    "direct_rows",
    metadata,
    Column("id", String(10), primary_key=True),
    Column("owner", UUIDType(), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("details", JSON, nullable=False),
    Column("flag", Boolean, nullable=False),
    Column("n", Integer, nullable=False, server_default="0"),
)
INSERT = rows_table.insert()
BY_ID = select(rows_table).where(rows_table.c.id == bindparam("id"))
FIRST = select(rows_table.c.id).order_by(rows_table.c.id).limit(1)
SET_FLAG = update(rows_table).where(rows_table.c.id == bindparam("key")).values(flag=bindparam("flag"))
ROW: dict[str, Any] = {"id": "a", "owner": uuid.UUID(int=7), "at": datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc), "details": {"k": ["v"]}, "flag": True}


@pytest.fixture
def engine(tmp_path: Any) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{tmp_path / 'direct.db'}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def test_a_row_written_and_read_directly_equals_one_written_and_read_by_sqlalchemy(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, ROW)
        connection.execute(INSERT, {**ROW, "id": "b"})
    with engine.connect() as connection:
        mine, theirs = direct.rows(connection, BY_ID, {"id": "a"}), direct.rows(connection, BY_ID, {"id": "b"})
        sqlalchemy_read = dict(connection.execute(BY_ID, {"id": "a"}).mappings().one())
    stored = {**ROW, "at": ROW["at"].replace(tzinfo=None), "n": 0}  # SQLite keeps no offset, whoever writes
    assert mine == [stored]
    assert theirs == [{**stored, "id": "b"}]
    assert sqlalchemy_read == mine[0]


def test_values_a_statement_carries_are_used_when_not_given(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, [{**ROW, "id": i} for i in ("c", "b")])
        assert direct.rows(connection, FIRST) == [{"id": "b"}]


def test_a_text_query_names_its_columns_as_sqlalchemy_does(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, ROW)
        assert direct.rows(connection, text("SELECT count(*) AS rows_held, max(id) AS last FROM direct_rows")) == [{"rows_held": 1, "last": "a"}]


def test_a_write_belongs_to_the_callers_transaction(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, ROW)
    with engine.connect() as connection:
        direct.run(connection, SET_FLAG, {"key": "a", "flag": False})
        connection.rollback()
        assert direct.rows(connection, BY_ID, {"id": "a"})[0]["flag"] is True
        direct.run(connection, SET_FLAG, {"key": "a", "flag": False})
        connection.commit()
    with engine.connect() as connection:
        assert direct.rows(connection, BY_ID, {"id": "a"})[0]["flag"] is False


def test_a_clash_raises_sqlalchemys_integrity_error(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, ROW)
        with pytest.raises(IntegrityError):
            direct.run(connection, INSERT, ROW)


def test_many_rows_go_on_the_cursor_in_the_callers_transaction_and_a_clash_raises_sqlalchemys_error(engine: Engine) -> None:
    rows = [{**ROW, "id": "m1"}, {**ROW, "id": "m2"}]
    with engine.connect() as connection:
        direct.run(connection, INSERT, rows)
        connection.rollback()
        assert direct.rows(connection, BY_ID, {"id": "m1"}) == []
        direct.run(connection, INSERT, rows)
        with pytest.raises(IntegrityError):
            direct.run(connection, INSERT, [{**ROW, "id": "m3"}, {**ROW, "id": "m1"}])
        connection.rollback()
        assert direct.rows(connection, BY_ID, {"id": "m1"}) == []


def test_a_missing_parameter_is_refused_as_sqlalchemy_refuses_it(engine: Engine) -> None:
    with engine.connect() as connection, pytest.raises(Exception) as mine:
        direct.rows(connection, BY_ID, {})
    with engine.connect() as connection, pytest.raises(Exception) as theirs:
        connection.execute(BY_ID, {})
    assert type(mine.value) is type(theirs.value)


def test_statements_go_through_sqlalchemy_when_someone_listens_for_them(engine: Engine) -> None:
    seen: list[str] = []
    with engine.begin() as connection:
        event.listen(connection, "before_cursor_execute", lambda conn, cursor, sql, *rest: seen.append(sql))
        direct.run(connection, INSERT, ROW)
        direct.rows(connection, BY_ID, {"id": "a"})
    assert [s.split()[0] for s in seen] == ["INSERT", "SELECT"]


def test_a_write_says_how_many_rows_it_changed_on_the_cursor_and_through_sqlalchemy(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, [ROW, {**ROW, "id": "b"}])
        assert direct.changed(connection, SET_FLAG, {"key": "a", "flag": False}) == 1
        assert direct.changed(connection, SET_FLAG, {"key": "z", "flag": False}) == 0
        event.listen(connection, "before_cursor_execute", lambda *args: None)
        assert direct.changed(connection, SET_FLAG, {"key": "b", "flag": False}) == 1
        assert direct.changed(connection, SET_FLAG, {"key": "z", "flag": False}) == 0


def test_a_sessions_connection_is_kept_for_its_transaction_and_asked_again_for_the_next(engine: Engine) -> None:
    from sqlalchemy.orm import Session

    with Session(engine) as session:
        with session.begin():
            first = direct.connection_of(session)
            assert direct.connection_of(session) is first
            assert first is session.connection()
            direct.run(first, INSERT, ROW)
        with session.begin():
            second = direct.connection_of(session)
            assert second is session.connection()
            assert second.in_transaction()
            assert direct.rows(second, BY_ID, {"id": "a"})[0]["id"] == "a"


def test_a_read_on_a_connection_of_its_own_sees_the_last_commit_as_sqlalchemy_reads_it(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, ROW)
    with engine.connect() as connection:
        expected = [dict(r) for r in connection.execute(BY_ID, {"id": "a"}).mappings()]
    assert direct.read(engine, BY_ID, {"id": "a"}) == expected
    assert direct.read(engine, BY_ID, {"id": "none"}) == []
    with engine.begin() as connection:
        direct.run(connection, SET_FLAG, {"key": "a", "flag": False})
    assert direct.read(engine, BY_ID, {"id": "a"})[0]["flag"] is False
    assert engine.pool.checkedout() == 0  # the pooled connection is given back


def test_a_read_on_a_connection_of_its_own_goes_through_sqlalchemy_when_someone_listens(engine: Engine) -> None:
    with engine.begin() as connection:
        direct.run(connection, INSERT, ROW)
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, statement, *rest: seen.append(statement))
    assert [r["id"] for r in direct.read(engine, BY_ID, {"id": "a"})] == ["a"]
    assert len(seen) == 1 and "FROM direct_rows" in seen[0]


def test_a_read_on_a_connection_of_its_own_raises_as_sqlalchemy_does(engine: Engine) -> None:
    broken = select(rows_table).where(rows_table.c.id == bindparam("id"), text("no_such_column = 1"))
    with pytest.raises(Exception) as found:
        direct.read(engine, broken, {"id": "a"})
    with engine.connect() as connection, pytest.raises(Exception) as expected:
        connection.execute(broken, {"id": "a"})
    assert type(found.value) is type(expected.value)
    assert engine.pool.checkedout() == 0
