"""The SQL Postfix and Dovecot run names only tables and columns the mail read model has."""

from __future__ import annotations

import re

import pytest

from mail.lookups import dovecot_queries, postfix_queries
from projections.mail import MailSystem
from sema.credentials import credentials_table


@pytest.mark.parametrize("store", ["sqlite", "postgresql"])
def test_every_table_and_column_the_lookups_name_exists(store: str) -> None:
    model = MailSystem()
    tables = {t.name: set(t.c.keys()) for t in model.metadata.sorted_tables}
    tables[credentials_table.name] = set(credentials_table.c.keys())
    queries = {**postfix_queries(), **dovecot_queries(store, "/srv/mail")}
    for name, query in queries.items():
        named = re.findall(r"(?:FROM|JOIN) (\w+) (\w+)", query)
        assert named, name
        by_alias = {}
        for table, alias in named:
            assert table in tables, f"{name}: no table {table}"
            assert by_alias.setdefault(alias, table) == table, f"{name}: {alias} names two tables"
        for alias, column in re.findall(r"\b(\w+)\.(\w+)\b", query):
            if alias in by_alias:
                assert column in tables[by_alias[alias]], f"{name}: {by_alias[alias]} has no column {column}"
