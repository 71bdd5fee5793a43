"""CSV that a spreadsheet opens as data, never as formulas.

A cell that begins with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return, which some spreadsheets skip before looking) is run as a formula by
Excel, LibreOffice and Google Sheets: a name like ``=HYPERLINK(…)`` in a
directory export becomes a link that leaks data. OWASP's advice is followed:
such a cell is prefixed with a single quote, which spreadsheets show as text
and do not display. Every CSV that sema writes goes through :func:`writer`.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, TextIO

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str:
    """The value as a CSV cell a spreadsheet will not evaluate (``None`` is empty)."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """``csv.writer`` whose every cell is neutralised by :func:`cell`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([cell(value) for value in row])


def writer(out: TextIO) -> SafeWriter:
    return SafeWriter(out)
