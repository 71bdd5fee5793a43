"""PostgreSQL: which way a directory page is found, judged from a sample of the entries.

Walking the name index costs about one step per entry walked; the trigram
index about 1.3 steps per candidate it yields (each read from the table and
sorted), and a fixed cost. Neither number is known before the query: a
fragment's matches may be many yet bunched far down the name order ("mit":
Mitchell, Smith), or few. A sample of the listed entries' texts, in name
order, estimates both in microseconds (issue 12; ADR 48). The sample only
chooses the way: every way gives the same page, and a stale or empty sample
only makes a page slower.
"""

from __future__ import annotations

import math
import time
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from projections.queries.common import Reader, directory

SAMPLE = 1000  # entries in the sample
SAMPLE_SECONDS = 60.0  # a sample is taken again after this long
USABLE = 100  # a smaller sample (a small directory) is not used: the walk goes first, as before
CANDIDATE_COST = 1.3  # a trigram candidate read and sorted, in entries walked (EXPLAIN ANALYZE, ADR 48)
TRIGRAM_FIXED_COST = 150  # the trigram query of the selective words: its bitmap, in entries walked (ADR 60)
ORDERED_COST = 1.5  # an entry of a trigram's list in name order, read from the table (ADR 53), in entries walked
SELECTIVE = 0.1  # a long word in at most this share of the sample is asked of the trigram index; commoner ones are checked on the rows (ADR 60)


@dataclass(frozen=True)
class Sample:
    texts: tuple[str, ...]  # listed entries' search texts, in name order
    listed: int  # listed entries in the table (estimated)
    taken: float
    having: dict[str, list[int]]  # trigram inside a word -> positions of the texts having it (made with the sample)


@dataclass(frozen=True)
class Plan:
    walk_first: bool  # walk the name index before asking the trigram index
    budget: int | None  # entries the walk may read (None: all)
    trigram: str | None = None  # walk this trigram's (or pair's) entries in name order (ADR 53, 54), at most ``budget``
    indexed: tuple[str, ...] = ()  # the long words the trigram index is asked for (none: all); the rest are checked on its candidates (ADR 60)


_samples: weakref.WeakKeyDictionary[Engine, Sample] = weakref.WeakKeyDictionary()
def plan(session: Reader, words: list[str], long_words: list[str], wanted: int, budget: int) -> Plan:
    """The cheaper way to the first ``wanted`` matches of ``words``; without a
    usable sample, the walk first within ``budget`` (ADR 43)."""
    if not long_words:
        # A two-letter word's pair has its list in name order, holding every match (ADR 54):
        # it reads only entries having the pair, where the walk read every entry before them.
        # Within ``budget`` (a statement with no limit there was planned as a sort of the
        # whole list); a list that did not fill the page gives up for the walk.
        pairs = [w for w in words if len(w) == 2 and not w.isdigit()]
        return Plan(walk_first=False, budget=budget, trigram=pairs[0]) if pairs else Plan(walk_first=True, budget=None)
    sample = _sample(session)
    if len(sample.texts) < USABLE:
        return Plan(walk_first=True, budget=budget)
    scale = sample.listed / len(sample.texts)
    # The trigram's list in name order holds every match and reads only entries having the
    # trigram, each at about the cost of a step of the walk: the walk is left for queries
    # without a long word (ADR 53). Estimated from few sample texts, so the list may read
    # twice its estimate (at least ``budget``) before the trigram index takes over.
    rarest = _rarest(sample, long_words)
    if rarest is None:  # only digits' trigrams, which the lists leave out
        return Plan(walk_first=False, budget=None)
    trigram, holders = rarest
    # A text having the long words has their trigrams, and a match has the long words: each
    # is looked for among the fewer texts (looking through the whole sample twice a query
    # was a sixth of a query's time on PostgreSQL, issue 12).
    having_long = _having(sample.texts, long_words, holders)
    hits = _having(sample.texts, [w for w in words if w not in long_words], having_long)
    # The trigram index is asked only for the selective words: a word in most entries
    # ("cjsm", "net" of an address) makes it read long posting lists to exclude nothing
    # ("julie.morgan@hollowfield.cjsm.net": 0.4 ms against 1.2 ms, issue 12). Its
    # candidates are the entries having those words, each read and checked for the rest.
    indexed, having_indexed = _selective(sample, long_words)
    candidates = scale * len(having_indexed)
    needed = max(1, math.ceil(wanted / scale))
    found = set(hits)
    among = [k for k, i in enumerate(holders) if i in found]
    # With fewer than twice the page's matches in sight, the page may need every match, the
    # last far down the list ("Ian Ward": a sample's hit 4th of 20 holders, the page's 29
    # matches the list's last, 1,979 entries read): the list is read to its end (ADR 54).
    many = len(among) * scale >= 2 * wanted
    ordered = (among[needed - 1] + 1) * scale if many else (len(holders) + 1) * scale
    if ORDERED_COST * ordered <= CANDIDATE_COST * candidates + TRIGRAM_FIXED_COST:
        return Plan(walk_first=False, budget=max(budget, _power_of_two(2 * ordered)), trigram=trigram, indexed=tuple(indexed))
    return Plan(walk_first=False, budget=None, indexed=tuple(indexed))


def _power_of_two(entries: float) -> int:
    """``entries`` rounded up to a power of two: few budgets, so few statement texts,
    each prepared once per connection (a statement planned at each run cost a first pass
    through the queries a sixth of its time, issue 12)."""
    return 1 << max(0, math.ceil(entries) - 1).bit_length()


def _rarest(sample: Sample, long_words: list[str], listed_only: bool = True) -> tuple[str, list[int]] | None:
    """The long words' trigram in fewest texts of the sample, and the positions of
    those texts; ``None`` if they have none. ``listed_only``: of the trigrams the lists
    hold (not all digits)."""
    trigrams = [t for t in dict.fromkeys(word[start : start + 3] for word in long_words for start in range(len(word) - 2)) if not (listed_only and t.isdigit())]
    if not trigrams:
        return None
    rarest = min(trigrams, key=lambda t: len(sample.having.get(t, ())))
    return rarest, sample.having.get(rarest, [])


def _selective(sample: Sample, long_words: list[str]) -> tuple[list[str], list[int]]:
    """The long words in at most ``SELECTIVE`` of the sample's texts (all of them if
    none is), and the positions of the texts having those words."""
    holders = {word: _holders(sample, word) for word in long_words}
    indexed = [w for w in long_words if len(holders[w]) <= SELECTIVE * len(sample.texts)] or long_words
    rarest = min(indexed, key=lambda w: len(holders[w]))
    return indexed, _having(sample.texts, [w for w in indexed if w != rarest], holders[rarest])


def _holders(sample: Sample, word: str) -> list[int]:
    """The positions of the texts having ``word``: looked for among those having its rarest trigram."""
    found = _rarest(sample, [word], listed_only=False)
    return _having(sample.texts, [word], found[1] if found else None)


def _having(texts: tuple[str, ...], words: list[str], among: Sequence[int] | None = None) -> list[int]:
    """The positions of the texts having every word, of those ``among`` (default all),
    in order (a comprehension per word: a generator per text cost a few milliseconds a query)."""
    found: Sequence[int] = range(len(texts)) if among is None else among
    for word in words:
        found = [i for i in found if word in texts[i]]
    return list(found)


def _sample(session: Reader) -> Sample:
    bind = session.get_bind() if isinstance(session, Session) else session
    engine = bind if isinstance(bind, Engine) else bind.engine
    sample = _samples.get(engine)
    if sample is None or time.monotonic() - sample.taken > SAMPLE_SECONDS:
        sample = _take_sample(session)
        _samples[engine] = sample
    return sample


def _take_sample(session: Reader) -> Sample:
    """About ``SAMPLE`` listed entries. The share taken is judged from the table's
    size as the planner judges it (rows a page when last analysed, times its pages
    now): counting the listed entries was a 57 ms scan at 100,000 users (issue 12).
    A table never analysed is counted."""
    name = directory.entries.name
    rows = session.execute(_ESTIMATED_ROWS, {"table": name}).scalar()
    if rows is None:
        rows = session.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM {name} LIMIT :cap) c"), {"cap": SAMPLE * 1000}).scalar() or 0
    percent = min(100.0, 100.0 * SAMPLE / rows) if rows else 100.0
    texts = tuple(
        session.execute(
            text(f"SELECT search_text FROM {name} TABLESAMPLE BERNOULLI (:percent) REPEATABLE (12) WHERE listed ORDER BY sort_name, id"),
            {"percent": percent},
        ).scalars()
    )
    listed = round(len(texts) * 100.0 / percent)
    texts = _spread(texts, SAMPLE)
    return Sample(texts, listed, time.monotonic(), _trigrams_of(texts))


# NULL for a table never analysed, or analysed empty (no pages then).
_ESTIMATED_ROWS = text(
    "SELECT CASE WHEN reltuples >= 0 AND relpages > 0 "
    "THEN reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::float8) END "
    "FROM pg_class WHERE oid = CAST(:table AS regclass)"
)


def _spread(texts: tuple[str, ...], wanted: int) -> tuple[str, ...]:
    """At most about twice ``wanted`` texts: every k-th, still spread over the name
    order (a table whose rows grew much denser since it was analysed)."""
    return texts if len(texts) <= 2 * wanted else texts[:: len(texts) // wanted]


def _trigrams_of(texts: tuple[str, ...]) -> dict[str, list[int]]:
    """Each trigram inside the texts' words -> the positions of the texts having it, in
    order: made once per sample (about 30 ms for 1,000 texts), where a trigram's texts
    looked for at its first query cost 0.1 ms each, a first address 2 ms (issue 12)."""
    having: dict[str, list[int]] = {}
    for position, indexed in enumerate(texts):
        for trigram in {word[start : start + 3] for word in indexed.split() for start in range(len(word) - 2)}:
            having.setdefault(trigram, []).append(position)
    return having
