"""抽验 sample draws: the pure ``choose`` (property tests) and ``draw_sample`` on a demo city."""

from __future__ import annotations

import math
from collections import Counter
from datetime import date
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangxing.assessments.bulk import score_one
from chuangxing.assessments.models import Assessment, AuditEntry, Role, SampleDraw, State
from chuangxing.assessments.sampling import (
    ALGORITHM,
    choose,
    committees_of,
    draw_sample,
    places_per_stratum,
    population_of,
    verify_draw,
)
from chuangxing.assessments.services import open_cycle
from chuangxing.assessments.workflow import WorkflowError
from chuangxing.demo.city import build_demo_city
from chuangxing.demo.reviewed import review_all
from chuangxing.orgs.models import Organization, OrgKind
from tests.assessments.conftest import make_user

# A loaded CI machine must not fail these for slowness: the inputs are small.
relaxed = settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
shares = st.integers(min_value=1, max_value=1000).map(lambda n: Decimal(n) / 1000)


def populations(max_size: int = 120):
    """Sorted ``(id, stratum, priority)`` rows: up to 8 strata, any mix of five-star candidates."""
    rows = st.lists(st.tuples(st.integers(min_value=0, max_value=7), st.booleans()), max_size=max_size)
    return rows.map(lambda pairs: [(1000 + 7 * i, stratum, priority) for i, (stratum, priority) in enumerate(pairs)])


def no_priority(rows):
    return [(pk, s, False) for pk, s, _ in rows]


@relaxed
@given(populations(), shares, st.text(min_size=1, max_size=20))
def test_same_seed_same_sample(rows, share, seed):
    assert choose(rows, share, seed) == choose(list(reversed(rows)), share, seed)


@relaxed
@given(populations(), shares, st.text(min_size=1, max_size=20))
def test_size_is_the_ceiling_of_share_times_population(rows, share, seed):
    sample = choose(rows, share, seed)
    assert len(sample) == math.ceil(Fraction(share) * len(rows))
    assert len(set(sample)) == len(sample)
    assert set(sample) <= {pk for pk, _, _ in rows}
    assert sample == sorted(sample)


@relaxed
@given(populations(), shares, st.text(min_size=1, max_size=20))
def test_every_candidate_is_drawn_when_the_sample_is_big_enough(rows, share, seed):
    sample = set(choose(rows, share, seed))
    candidates = {pk for pk, _, priority in rows if priority}
    if len(sample) >= len(candidates):
        assert candidates <= sample
    else:
        assert sample <= candidates          # too few places: the whole sample is candidates


@relaxed
@given(populations(), shares, st.text(min_size=1, max_size=20))
def test_strata_get_their_proportional_share_within_one(rows, share, seed):
    rows = no_priority(rows)
    sample = set(choose(rows, share, seed))
    size = Counter(s for _, s, _ in rows)
    drawn = Counter(s for pk, s, _ in rows if pk in sample)
    for stratum, n in size.items():
        quota = Fraction(len(sample) * n, len(rows))
        assert abs(drawn[stratum] - quota) < 1


@relaxed
@given(populations(), shares, st.text(min_size=1, max_size=20))
def test_candidates_within_their_strata_places_keep_the_proportions(rows, share, seed):
    """Candidates change nothing when each stratum's places already hold them."""
    k = math.ceil(Fraction(share) * len(rows))
    size = Counter(s for _, s, _ in rows)
    plain = places_per_stratum(k, size)
    wanted = Counter(s for _, s, p in rows if p)
    if any(wanted[s] > plain[s] for s in size):
        return
    sample = set(choose(rows, share, seed))
    drawn = Counter(s for pk, s, _ in rows if pk in sample)
    assert {s: drawn[s] for s in size} == {s: plain[s] for s in size}


@settings(max_examples=50, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(populations(), shares)
def test_different_seeds_draw_differently_somewhere(rows, share):
    """Not a proof, a smoke test: over 20 seeds, a population with a real choice is not always drawn alike."""
    rows = no_priority(rows)
    k = math.ceil(Fraction(share) * len(rows))
    if k in (0, len(rows)) or len(rows) < 10:
        return
    assert len({tuple(choose(rows, share, f"seed-{i}")) for i in range(20)}) > 1


def test_places_go_first_to_strata_that_would_have_none():
    # quotas: a 9.1, nine strata of 0.1 each; a whole place is left over after the floors
    places = places_per_stratum(10, {"a": 91, **{f"s{i}": 1 for i in range(9)}})
    assert places["a"] == 9 and sum(places.values()) == 10
    assert sum(1 for s, p in places.items() if s != "a" and p == 1) == 1
    assert places_per_stratum(10, {"a": 50, "b": 30, "c": 5, "d": 5, "e": 10}) == {"a": 5, "b": 3, "c": 1, "d": 0,
                                                                                    "e": 1}


def test_a_crowded_stratum_takes_places_from_the_one_furthest_above_its_quota():
    # 10 places over a (50) and b (50): 5 and 5; b has 8 candidates, so b gets 8 and a gives 3 back
    rows = [(i, "a", False) for i in range(50)] + [(100 + i, "b", i < 8) for i in range(50)]
    sample = choose(rows, Decimal("0.1"), "x")
    assert {100 + i for i in range(8)} <= set(sample)
    assert Counter("a" if pk < 100 else "b" for pk in sample) == {"a": 2, "b": 8}


def test_the_docstring_example():
    assert choose([(1, 7, False), (2, 7, True), (3, 9, False)], Decimal("0.5"), "seed") == [2, 3]


# -- on a demo city ----------------------------------------------------------------------------
@pytest.fixture
def city_cycle(db):
    build_demo_city(branches=60, seed=11, year=2026)
    root = Organization.objects.get(kind=OrgKind.WORK_COMMITTEE)
    admin = make_user("admin", (Role.ADMIN, root))
    cycle = open_cycle(name="2026年度", root=root, rubric_id="zhenjiang-2018", period_start=date(2026, 1, 1),
                       period_end=date(2026, 12, 31), by=admin, spot_check_share=Decimal("0.2"))
    review_all(cycle=cycle, seed=3)
    # 年初预报 for every branch that reaches 90: they are the five-star candidates
    Assessment.objects.filter(cycle=cycle, reviewed_total__gte=90).update(
        process={"four_star_confirmed": True, "five_star_preregistered": True})
    return cycle, admin


@pytest.mark.django_db
def test_draw_sample_is_recorded_reproducible_and_moves_the_sample(city_cycle):
    cycle, admin = city_cycle
    population = population_of(cycle)
    assert len(population) == 60
    draw = draw_sample(cycle=cycle, seed="2026-抽验", by=admin)
    draw = SampleDraw.objects.get(pk=draw.pk)
    assert draw.algorithm == ALGORITHM and draw.seed == "2026-抽验" and draw.share == Decimal("0.2")
    assert [tuple(r) for r in draw.population] == population
    assert len(draw.sample) == 12
    assert draw.sample == choose(population, Decimal("0.2"), "2026-抽验")
    assert verify_draw(draw)
    sampled = set(Assessment.objects.filter(cycle=cycle, state=State.SAMPLED, sampled=True).values_list("id", flat=True))
    assert sampled == set(draw.sample)
    assert AuditEntry.objects.filter(action="sample", assessment_id__in=draw.sample).count() == 12
    assert AuditEntry.objects.filter(action="draw_sample", new__seed="2026-抽验").exists()

    draw.sample = sorted(set(draw.sample[1:]) | {next(pk for pk, _, _ in population if pk not in draw.sample)})
    assert not verify_draw(draw)           # a sample that was tampered with does not verify


@pytest.mark.django_db
def test_five_star_candidates_are_drawn_first_and_strata_are_committees(city_cycle):
    cycle, admin = city_cycle
    population = population_of(cycle)
    candidates = {pk for pk, _, priority in population if priority}
    assert candidates, "the demo data pre-registers some branches that reach 90"
    for pk in candidates:
        a = Assessment.objects.get(pk=pk)
        assert a.process.get("five_star_preregistered") and a.reviewed_total >= 90
    strata, names = committees_of(cycle)
    parents = dict(Organization.objects.filter(kind=OrgKind.BRANCH).values_list("id", "parent_id"))
    assert strata == parents                      # the demo city hangs every branch under a 党委 or 党总支
    assert {names[s] for s in strata.values()} <= set(
        Organization.objects.filter(kind__in=[OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH]).values_list("name", flat=True))
    draw = draw_sample(cycle=cycle, seed=None, by=admin)
    assert len(draw.seed) == 32                                    # generated and recorded
    assert candidates <= set(draw.sample) or len(draw.sample) < len(candidates)
    assert verify_draw(draw)


@pytest.mark.django_db
def test_candidates_are_those_whose_reviewed_sheet_reaches_five_stars(city_cycle):
    """population_of scores only the branches whose reviewed total can reach 五星: the same as scoring all."""
    cycle, _ = city_cycle
    expected = set()
    for a in Assessment.objects.filter(cycle=cycle).select_related("cycle", "branch", "snapshot"):
        if score_one(a, stage="review").rating("stars").eligible == "five":
            expected.add(a.pk)
    assert {pk for pk, _, priority in population_of(cycle) if priority} == expected


@pytest.mark.django_db
def test_only_an_admin_draws_and_an_empty_population_is_refused(city_cycle):
    cycle, admin = city_cycle
    reviewer = make_user("reviewer", (Role.REVIEWER, cycle.root))
    with pytest.raises(WorkflowError) as refused:
        draw_sample(cycle=cycle, seed="x", by=reviewer)
    assert refused.value.code == "forbidden" and "工委管理员" in refused.value.message_zh
    assert not SampleDraw.objects.exists()
    Assessment.objects.filter(cycle=cycle).update(state=State.UNDER_REVIEW)
    with pytest.raises(WorkflowError) as empty:
        draw_sample(cycle=cycle, seed="x", by=admin)
    assert empty.value.code == "nothing_to_sample"
    assert empty.value.message_zh == "没有已审核的党支部，无法抽取抽验样本"
