"""The one rule for text that people send: what a field may contain, and its normal form.

Every text value that reaches sema — JSON bodies, CSV rows, query and path
parameters — passes through :func:`check`, by field. Refused anywhere:

- NUL and every other control character (Unicode ``Cc``: ESC, DEL, the C1
  set, and tab, CR and LF outside the free-text fields);
- format characters (``Cf``: right-to-left and isolate overrides such as
  U+202E and U+2066, zero-width spaces and joiners, the byte-order mark, soft
  hyphens), which make a name or address display as something it is not;
- line and paragraph separators (U+2028, U+2029), private-use characters and
  lone surrogates, which no database stores as text.

Secrets (passwords) are never displayed and are compared byte for byte, so
they are refused only what cannot be stored (NUL, lone surrogates). Text that
passes is returned in Unicode normal form C, so that canonically equal
spellings are equal when compared and stored.
"""

from __future__ import annotations

import unicodedata

REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Zl", "Zp"})
# Free text where a line break or tab is part of the message.
MULTILINE_FIELDS = frozenset({"reason", "message"})
MULTILINE_ALLOWED = frozenset("\n\r\t")
SECRET_FIELDS = frozenset({"password", "new_password", "current_password"})


class RefusedText(ValueError):
    """A text value holds a character its field may not hold; the message says which."""


# What a refused character is, by its category, in the refusal's words.
REFUSED_KINDS = {
    "Cc": "control characters",
    "Cf": "format characters",
    "Cs": "unpaired surrogates",
    "Co": "private-use characters",
    "Zl": "line separators",
    "Zp": "paragraph separators",
}


def _describe(char: str) -> str:
    kind = REFUSED_KINDS.get(unicodedata.category(char), "characters")
    return f"U+{ord(char):04X} {unicodedata.name(char, kind[:-1])}"


def check(field: str, value: str) -> str:
    """The value in normal form C; raises :class:`RefusedText` naming the first refused character.

    ``field`` is the field's own name (the last part of a dotted path), which
    decides whether line breaks (free text) or anything storable (secrets) may pass."""
    if field in SECRET_FIELDS:
        for char in value:
            if char == "\x00" or unicodedata.category(char) == "Cs":
                raise RefusedText(f"must not contain NUL characters or unpaired surrogates (found {_describe(char)})")
        return value
    allowed = MULTILINE_ALLOWED if field in MULTILINE_FIELDS else frozenset()
    for index, char in enumerate(value):
        if char not in allowed and unicodedata.category(char) in REFUSED_CATEGORIES:
            raise RefusedText(f"must not contain {REFUSED_KINDS[unicodedata.category(char)]} (found {_describe(char)} at position {index + 1})")
    return unicodedata.normalize("NFC", value)


def with_article(words: str) -> str:
    """``words`` after "a" or "an", by their sound in this service's vocabulary: "an
    organisation administrator", "an auditor", but "a user" (a "u" said as "you")."""
    return f"{'an' if words[:1].lower() in 'aeio' else 'a'} {words}"
