"""What every query shares: the live read models it reads, paging, bad-input errors."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import BaseModel, ConfigDict

from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from projections.address_book import AddressBook
from projections.admin_search import AdminSearch
from projections.directory import Directory
from projections.due import Due
from projections.grants import Grants
from projections.routing import Routing

Reader = Session | Connection

# The live tables of each read model (no suffix): queries read only these.
directory = Directory()
admin_search = AdminSearch()
routing = Routing()
address_books = AddressBook()
exceptional_access = Grants()
due = Due()

MAX_LIMIT = 500

EntryKind = Literal["user", "distribution_list", "group_mailbox"]


class View(BaseModel):
    """A read-side answer: immutable, and the very model the API returns, so
    its fields and their descriptions are the response's schema. Every field is
    in every response, defaults included."""

    model_config = ConfigDict(frozen=True, json_schema_serialization_defaults_required=True)


class QueryError(ValueError):
    """Bad query input, naming the field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def check_paging(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_LIMIT:
        raise QueryError("limit", f"must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise QueryError("offset", "must not be negative")


def dialect(session: Reader) -> str:
    bind = session.get_bind() if isinstance(session, Session) else session
    return bind.dialect.name


def aware(value: datetime | None) -> datetime | None:
    """SQLite gives back naive datetimes; every time we store is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=timezone.utc)
