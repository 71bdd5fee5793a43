"""One-time passwords: three groups of four characters from an alphabet without
look-alikes (no 0/O, 1/l/I), every character equally likely in every place."""

from __future__ import annotations

import random
import re
from collections import Counter

from sema.credentials import OTP_ALPHABET, SecretSource


def test_a_one_time_password_is_three_groups_of_four_from_the_alphabet():
    source = SecretSource()
    for _ in range(200):
        password = source.one_time_password()
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", password), password


def test_every_character_is_as_likely_in_every_place():
    source = SecretSource(random.Random(20261128))  # type: ignore[arg-type]  # seeded: the same draws each run
    drawn = 6400
    places = [Counter() for _ in range(12)]
    for _ in range(drawn):
        for place, character in enumerate(source.one_time_password().replace("-", "")):
            places[place][character] += 1
    expected = drawn / len(OTP_ALPHABET)
    for counts in places:
        assert set(counts) == set(OTP_ALPHABET)
        # Pearson's statistic, 31 degrees of freedom: 61.1 is its 0.999 quantile.
        assert sum((counts[c] - expected) ** 2 / expected for c in OTP_ALPHABET) < 61.1
