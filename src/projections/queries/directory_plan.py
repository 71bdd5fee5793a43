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
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from projections.queries.common import Reader, directory

SAMPLE = 1000  # entries in the sample
SAMPLE_SECONDS = 60.0  # a sample is taken again after this long
USABLE = 100  # a smaller sample (a small directory) is not used: the walk goes first, as before
CANDIDATE_COST = 1.3  # a trigram candidate read and sorted, in entries walked (EXPLAIN ANALYZE, ADR 48)
TRIGRAM_FIXED_COST = 500  # the trigram query's planning and bitmap, in entries walked
ORDERED_COST = 1.5  # an entry of a trigram's list in name order, read from the table (ADR 53), in entries walked


@dataclass(frozen=True)
class Sample:
    texts: tuple[str, ...]  # listed entries' search texts, in name order
    listed: int  # listed entries in the table (estimated)
    taken: float
    having: dict[str, list[int]] = field(default_factory=dict)  # trigram -> positions of the texts having it


@dataclass(frozen=True)
class Plan:
    walk_first: bool  # walk the name index before asking the trigram index
    budget: int | None  # entries the walk may read (None: all)
    trigram: str | None = None  # walk this trigram's (or pair's) entries in name order (ADR 53, 54), at most ``budget``


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
    candidates = scale * len(having_long)
    needed = max(1, math.ceil(wanted / scale))
    found = set(hits)
    among = [k for k, i in enumerate(holders) if i in found]
    # With fewer than twice the page's matches in sight, the page may need every match, the
    # last far down the list ("Ian Ward": a sample's hit 4th of 20 holders, the page's 29
    # matches the list's last, 1,979 entries read): the list is read to its end (ADR 54).
    many = len(among) * scale >= 2 * wanted
    ordered = (among[needed - 1] + 1) * scale if many else (len(holders) + 1) * scale
    if ORDERED_COST * ordered <= CANDIDATE_COST * candidates + TRIGRAM_FIXED_COST:
        return Plan(walk_first=False, budget=max(budget, int(2 * ordered)), trigram=trigram)
    return Plan(walk_first=False, budget=None)


def _rarest(sample: Sample, long_words: list[str]) -> tuple[str, list[int]] | None:
    """The long words' listed trigram (not all digits) in fewest texts of the sample,
    and the positions of those texts; ``None`` if they have none."""
    trigrams = dict.fromkeys(t for word in long_words for start in range(len(word) - 2) if not (t := word[start : start + 3]).isdigit())
    if not trigrams:
        return None
    for trigram in trigrams:
        if trigram not in sample.having:
            sample.having[trigram] = _having(sample.texts, [trigram])
    rarest = min(trigrams, key=lambda t: len(sample.having[t]))
    return rarest, sample.having[rarest]


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
    name = directory.entries.name
    listed = session.execute(text(f"SELECT count(*) FROM (SELECT 1 FROM {name} WHERE listed LIMIT :cap) c"), {"cap": SAMPLE * 1000}).scalar() or 0
    percent = min(100.0, 100.0 * SAMPLE / listed) if listed else 100.0
    texts = session.execute(
        text(f"SELECT search_text FROM {name} TABLESAMPLE BERNOULLI (:percent) REPEATABLE (12) WHERE listed ORDER BY sort_name, id"),
        {"percent": percent},
    ).scalars()
    return Sample(tuple(texts), listed, time.monotonic())
