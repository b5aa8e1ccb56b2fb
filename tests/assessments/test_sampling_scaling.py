"""``choose`` grows like n log n in branches and committees, and draws exactly what ``stratified-v1`` always drew.

The draw is audited and verified again later: a draw stored by the first implementation must still verify. So the
first implementation is kept here, word for word (``_old_choose``, ``_old_places``), and the property tests hold the
module's ``choose`` and ``places_per_stratum`` to it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from decimal import Decimal
from fractions import Fraction
from functools import total_ordering
from random import Random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangxing.assessments.sampling import choose, places_per_stratum, sample_size

relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None, max_examples=300)
shares = st.integers(min_value=1, max_value=1000).map(lambda n: Decimal(n) / 1000)


# -- stratified-v1 as first written (O(S²) in the strata): the reference ---------------------------------------
def _old_choose(population, share, seed):
    rows = sorted((int(i), s, bool(p)) for i, s, p in population)
    k = sample_size(len(rows), share)
    members = defaultdict(list)
    candidates = defaultdict(list)
    for pk, stratum, priority in rows:
        (candidates if priority else members)[stratum].append(pk)
        members.setdefault(stratum, [])
    strata = sorted(set(members) | set(candidates))
    sizes = {s: len(members[s]) + len(candidates[s]) for s in strata}
    wanted = {s: len(candidates[s]) for s in strata}
    all_fit = k >= sum(wanted.values())
    places = _old_places(k, sizes, at_least=wanted) if all_fit else _old_places(k, wanted)
    rng = Random(seed)
    drawn = []
    for s in strata:
        first = candidates[s]
        if places[s] < len(first):
            drawn += rng.sample(first, places[s])
        else:
            drawn += first + rng.sample(members[s], places[s] - len(first))
    return sorted(drawn)


def _old_places(k, sizes, *, at_least=None):
    strata = sorted(sizes)
    n = sum(sizes.values())
    if n == 0 or k == 0:
        return {s: 0 for s in strata}
    quota = {s: Fraction(k * sizes[s], n) for s in strata}
    places = {s: math.floor(quota[s]) for s in strata}
    left = k - sum(places.values())
    order = sorted((s for s in strata if quota[s] > places[s]),
                   key=lambda s: (places[s] > 0, -(quota[s] - places[s]), strata.index(s)))
    for s in order[:left]:
        places[s] += 1
    for s in strata:
        need = (at_least or {}).get(s, 0) - places[s]
        for _ in range(max(0, need)):
            donors = [d for d in strata if places[d] > (at_least or {}).get(d, 0)]
            donor = max(donors, key=lambda d: (places[d] - quota[d], -strata.index(d)))
            places[donor] -= 1
            places[s] += 1
    return places


# -- populations: few or many strata, rare or crowded five-star candidates ----------------------------------------
@st.composite
def populations(draw):
    """Rows ``(id, stratum, priority)`` in any order, ids unique but not consecutive; strata skewed in size."""
    n = draw(st.integers(min_value=0, max_value=400))
    strata = draw(st.integers(min_value=1, max_value=60))
    weight = draw(st.floats(min_value=0.0, max_value=1.0))
    rng = Random(draw(st.integers(min_value=0, max_value=2**32)))
    ids = rng.sample(range(1, 10 * n + 2), n)
    rows = []
    for pk in ids:
        stratum = int(strata * rng.random() ** 2)          # some large committees, many small ones
        rows.append((pk, stratum, rng.random() < weight))
    return rows


@relaxed
@given(populations(), shares, st.text(min_size=1, max_size=20))
def test_choose_draws_what_the_first_implementation_drew(rows, share, seed):
    assert choose(rows, share, seed) == _old_choose(rows, share, seed)


@relaxed
@given(st.dictionaries(st.integers(min_value=0, max_value=40), st.integers(min_value=0, max_value=30), max_size=30),
       st.data())
def test_places_are_the_first_implementations(sizes, data):
    n = sum(sizes.values())
    k = data.draw(st.integers(min_value=0, max_value=n))
    at_least = {s: data.draw(st.integers(min_value=0, max_value=size)) for s, size in sizes.items()}
    if sum(at_least.values()) > k:           # choose() only asks for at_least when every candidate fits
        at_least = {}
    assert places_per_stratum(k, sizes, at_least=at_least) == _old_places(k, sizes, at_least=at_least)


def test_a_stored_draw_of_a_large_city_still_verifies():
    """A city bigger than the property tests reach: 20,000 branches under 900 committees, 15% candidates."""
    rng = Random(2018)
    rows = [(pk, int(900 * rng.random() ** 2), rng.random() < 0.15) for pk in range(1, 20001)]
    for share in (Decimal("0.05"), Decimal("0.2")):
        assert choose(rows, share, "audit-2026") == _old_choose(rows, share, "audit-2026")


# -- growth, counted rather than timed ---------------------------------------------------------------------------
@total_ordering
class Committee:
    """A stratum that counts how often it is compared: the work of ``choose`` over the strata, on any machine."""

    compared = 0

    def __init__(self, pk: int):
        self.pk = pk

    def __hash__(self):
        return hash(self.pk)

    def __eq__(self, other):
        Committee.compared += 1
        return self.pk == other.pk

    def __lt__(self, other):
        Committee.compared += 1
        return self.pk < other.pk


def _comparisons(committees: int) -> int:
    strata = [Committee(i) for i in range(committees)]
    rng = Random(7)
    rows = [(pk, strata[pk % committees], rng.random() < 0.3) for pk in range(10 * committees)]
    Committee.compared = 0
    choose(rows, Decimal("0.1"), "seed")
    return Committee.compared


def test_choose_compares_committees_n_log_n_times_not_n_squared():
    """Each five-star place a committee needs used to scan every committee (``list.index`` in a sort key, the donor
    list rebuilt): S² comparisons. Now a sort and a heap: within a constant of S log S."""
    for committees in (250, 2000):
        assert _comparisons(committees) <= 4 * committees * math.log2(committees), committees
