"""Look-alike characters in addresses (Unicode TR39 confusables).

``jаne.doe@westmids.example.uk`` with a Cyrillic ``а`` is a different address
from ``jane.doe@…`` that no reader can tell apart. TR39 compares strings under
a *skeleton*: each character replaced by the prototype it is confusable with.
We take the confusables data of Unicode's ``confusables.txt`` as shipped by
the ``confusable_homoglyphs`` package and map every non-ASCII character to
its look-alike with the lowest code point (an ASCII one where there is one),
its compatibility form (NFKC: fullwidth and mathematical letters) included.

An address is accepted only if it *is* its own skeleton. Then two accepted
addresses that look alike are equal, and the exact uniqueness claims of the
write side refuse the second (ADR 0020). ASCII characters map to themselves:
``l``/``1`` or ``rn``/``m`` are ordinary spellings, compared exactly.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from importlib import resources

_MARKS = "\u200e\u200f"  # the data wraps right-to-left look-alikes in direction marks


@functools.cache
def _homoglyphs() -> dict[str, list[str]]:
    raw = json.loads(resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text(encoding="utf-8"))
    return {char: [h["c"].strip(_MARKS) for h in found] for char, found in raw.items() if len(char) == 1}


def prototype(char: str) -> str:
    """The character ``char`` is compared as: itself for ASCII, else its lowest look-alike."""
    if char.isascii():
        return char
    # Compatibility forms (fullwidth, mathematical letters) count as their plain letter too.
    compatible = unicodedata.normalize("NFKC", char)
    single = [h for h in [*_homoglyphs().get(char, []), compatible] if len(h) == 1 and h != char]
    ascii_ones = [h for h in single if h.isascii()]
    return min(ascii_ones or [char, *single], key=ord)


def skeleton(text: str) -> str:
    return "".join(prototype(c) for c in unicodedata.normalize("NFC", text))


def first_lookalike(text: str) -> tuple[str, str] | None:
    """The first character of ``text`` that imitates another, with the one it imitates."""
    for char in unicodedata.normalize("NFC", text):
        seen_as = prototype(char)
        if seen_as != char:
            return char, seen_as
    return None


def describe(char: str) -> str:
    return f"U+{ord(char):04X} {unicodedata.name(char, 'character')}"
