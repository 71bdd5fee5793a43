"""Read-side endpoints: directory, administrator search, address book, grants, mail routing."""

from __future__ import annotations

from api.operations import OperationTable

table = OperationTable()
