"""Row ids in name order: SQLite's FTS index yields its matches in row-id
order, so a row id that follows the sort name lets a directory query stop at
the first page (ADR 47).

The row id is the sort name's *code* in its high bits and the entry's
ordinal (its creation's rank among the directory's entries) in the low ones.
The code is an order-preserving arithmetic code of the name's UTF-8 bytes:
names that sort apart get codes in the same order, until the code runs out of
precision (eight to ten characters of a name), where names share a code. Row-id
order is then name order *between* codes, and a query sorts the few matches
that share a code. Both parts come from the entry alone, so a rebuild gives
every row the id it had.
"""

from __future__ import annotations

from itertools import accumulate

CODE_BITS = 40
ORDINAL_BITS = 24
MAX_ORDINAL = (1 << ORDINAL_BITS) - 1
CODED_BYTES = 24  # far beyond the code's precision

# Each symbol's share of an interval: the end of the name, then each byte value.
# English letter frequencies for letters, a space between surname and given
# name; digits, other bytes (accents, apostrophes) get little (any share works,
# larger shares only spend fewer bits).
_LETTERS = dict(zip("etaoinshrdlcumwfgypbvkjxqz", (1100, 800, 1000, 750, 800, 850, 700, 400, 900, 350, 650, 250, 250, 200, 200, 150, 200, 150, 150, 250, 120, 100, 80, 30, 10, 40)))
_END = 800
_SHARES = [_END] + [800 if b == 0x20 else _LETTERS.get(chr(b), 30 if 0x30 <= b <= 0x39 else 1) for b in range(256)]
_BOUNDS = [0, *accumulate(_SHARES)]
_TOTAL = _BOUNDS[-1]


def name_code(sort_name: str) -> int:
    """A ``CODE_BITS``-bit integer; ``a < b`` implies ``name_code(a) <= name_code(b)``.

    Each byte narrows an interval of [0, 1) to its symbol's share, the symbols
    in byte order after the end of the name (exact fractions, ``low / scale``):
    a name's point lies inside the interval of each of its prefixes, and those
    of two names part at their first different byte, in that byte's order. The
    code is the point's first ``CODE_BITS`` binary digits."""
    low, width, scale = 0, 1, 1
    for byte in sort_name.encode()[:CODED_BYTES]:
        low, width, scale = _narrowed(low, width, scale, byte)
    return (low << CODE_BITS) // scale


def first_name_with_code(code: int) -> str:
    """A text no greater than any name whose code is ``code`` or more, and close
    below the first of them (a prefix of it, as far as the code tells): where a
    walk of the names in order reaches that code."""
    low, width, scale = 0, 1, 1
    prefix = bytearray()
    while len(prefix) < CODED_BYTES and (low << CODE_BITS) < code * scale:
        # The smallest byte after which some name reaches the code (the first
        # name that does starts so, or greater: a prefix of it, or a text below it).
        first, last = 0, 255
        while first < last:
            middle = (first + last) // 2
            if ((low * _TOTAL + width * _BOUNDS[middle + 2]) << CODE_BITS) >= code * scale * _TOTAL:
                last = middle
            else:
                first = middle + 1
        prefix.append(first)
        low, width, scale = _narrowed(low, width, scale, first)
    try:
        return prefix.decode()
    except UnicodeDecodeError as error:  # a UTF-8 text: a prefix of a lower bound is one
        return prefix[: error.start].decode()


def _narrowed(low: int, width: int, scale: int, byte: int) -> tuple[int, int, int]:
    return low * _TOTAL + width * _BOUNDS[byte + 1], width * _SHARES[byte + 1], scale * _TOTAL


def fts_rowid(sort_name: str, ordinal: int) -> int:
    """The row id of an entry in SQLite's directory FTS table: a signed 64-bit
    integer, ordered by name code, then by ordinal."""
    if not 0 < ordinal <= MAX_ORDINAL:
        raise ValueError(f"directory entry ordinal {ordinal} out of range: SQLite's directory index holds at most {MAX_ORDINAL} entries")
    return ((name_code(sort_name) - (1 << (CODE_BITS - 1))) << ORDINAL_BITS) | ordinal


def code_of_rowid(rowid: int) -> int:
    """The name code of an FTS row id."""
    return (rowid >> ORDINAL_BITS) + (1 << (CODE_BITS - 1))
