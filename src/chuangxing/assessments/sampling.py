"""抽验: the spot-check sample of a cycle, drawn reproducibly and re-verifiable by anyone.

>>> draw = draw_sample(cycle=cycle, seed=None, by=admin)    # a seed is generated with ``secrets`` and recorded
>>> verify_draw(draw)                                        # recomputes the sample from what was recorded
True
>>> choose([(1, 7, False), (2, 7, True), (3, 9, False)], Decimal("0.5"), "seed")
[2, 3]

The population is every *reviewed* assessment of the cycle, recorded as sorted tuples
``(assessment id, stratum, priority)``: the stratum is the branch's nearest 党委 / 党总支 (the cycle's
root for a branch directly under it, 直属党支部); priority marks a five-star candidate (焦作: “五星级
基层党组织中的党支部作为重点对象”; 镇江: 五星 needs 随机抽查). The sample is :func:`choose` of that
population, the cycle's ``spot_check_share`` and the seed; the draw (:class:`SampleDraw`) keeps all
three and the algorithm's name, so :func:`verify_draw` can redo it. Drawn assessments move to
``sampled``.

The algorithm ``stratified-v1``
-------------------------------
1. ``n`` = the population, ``k = ceil(share × n)`` (exact: ``share`` is a Decimal).
2. **Places per stratum** (Hamilton's largest remainder, exact fractions): stratum ``s`` of size
   ``n_s`` has the quota ``q_s = k × n_s / n`` and gets ``floor(q_s)`` places; the places left over go
   one each, first to strata that would otherwise get none (largest remainder first), then to the
   others by largest remainder; ties go to the stratum that sorts first. Every stratum thus gets
   ``floor(q_s)`` or ``ceil(q_s)`` places: within one of its proportional share, and every committee
   is visited when there are places enough (a stratum is left out only when more strata than places
   would need one, or when its quota is under one and all remainders are taken by unrepresented strata
   with larger remainders). No stratum is forced to one place regardless: that could put a large
   committee several places below its share.
3. **Five-star candidates first.** When ``k`` is at least the number of candidates ``P``, every
   candidate is drawn: a stratum with more candidates than places gets as many places as candidates,
   and the places are taken back one at a time from the stratum furthest above its quota that still
   has places beyond its own candidates (ties: the stratum that sorts first). When ``k < P`` the whole
   sample is candidates, apportioned as in 2 over the strata's candidate counts (raise the share so
   that every candidate can be inspected: without inspection none can be rated five-star).
4. **The draw.** ``random.Random(seed)`` (CPython's Mersenne Twister, seeded from the SHA-512 of the
   seed text: the same on every machine) visits the strata in sorted order; in each it takes all its
   candidates (or ``rng.sample`` of them when they outnumber its places), then ``rng.sample`` of the
   other assessment ids, sorted ascending, for the remaining places. The sample is returned sorted.
"""

from __future__ import annotations

import heapq
import math
import secrets
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from decimal import Decimal
from fractions import Fraction
from random import Random

from django.db.models import F, Q
from django.utils import timezone

from chuangxing.assessments import permissions
from chuangxing.assessments.bulk import insert_rows, rubric_of_snapshot, score_assessments
from chuangxing.assessments.models import Assessment, AuditEntry, Cycle, Role, SampleDraw, State
from chuangxing.assessments.services import audit, check_cycle_live, cycle_changed, service
from chuangxing.assessments.workflow import EditConflict, WorkflowError, move_for
from chuangxing.orgs.models import Organization, OrgKind
from chuangxing.rubric.schema import Rubric

ALGORITHM = "stratified-v1"
COMMITTEE_KINDS = (OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH)
CHUNK = 500          # ids per ``IN (...)``: well under every database's limit on parameters


class NothingToSample(WorkflowError):
    code = "nothing_to_sample"


# -- the pure part ----------------------------------------------------------------------------------
def sample_size(n: int, share: Decimal | Fraction) -> int:
    """``ceil(share × n)``, exactly."""
    return math.ceil(Fraction(share) * n) if n else 0


def choose(population: Iterable[Sequence], share: Decimal | Fraction, seed: str) -> list[int]:
    """The ids drawn from ``population`` (``(id, stratum, priority)`` tuples) by ``stratified-v1``."""
    rows = sorted((int(i), s, bool(p)) for i, s, p in population)
    k = sample_size(len(rows), share)
    members: dict[Hashable, list[int]] = defaultdict(list)
    candidates: dict[Hashable, list[int]] = defaultdict(list)
    for pk, stratum, priority in rows:
        (candidates if priority else members)[stratum].append(pk)
        members.setdefault(stratum, [])
    strata = sorted(set(members) | set(candidates))
    sizes = {s: len(members[s]) + len(candidates[s]) for s in strata}
    wanted = {s: len(candidates[s]) for s in strata}
    all_fit = k >= sum(wanted.values())
    places = places_per_stratum(k, sizes, at_least=wanted) if all_fit else places_per_stratum(k, wanted)
    rng = Random(seed)
    drawn: list[int] = []
    for s in strata:
        first = candidates[s]
        if places[s] < len(first):
            drawn += rng.sample(first, places[s])
        else:
            drawn += first + rng.sample(members[s], places[s] - len(first))
    return sorted(drawn)


def places_per_stratum(k: int, sizes: Mapping[Hashable, int], *, at_least: Mapping[Hashable, int] | None = None
                       ) -> dict[Hashable, int]:
    """Apportion ``k`` places over strata of ``sizes`` (steps 2 and 3 of the module docstring)."""
    strata = sorted(sizes)
    n = sum(sizes.values())
    if n == 0 or k == 0:
        return {s: 0 for s in strata}
    position = {s: i for i, s in enumerate(strata)}
    quota = {s: Fraction(k * sizes[s], n) for s in strata}
    places = {s: math.floor(quota[s]) for s in strata}
    left = k - sum(places.values())
    order = sorted((s for s in strata if quota[s] > places[s]),
                   key=lambda s: (places[s] > 0, -(quota[s] - places[s]), position[s]))
    for s in order[:left]:
        places[s] += 1
    if at_least:
        _give_candidates_places(places, quota, at_least, position)
    return places


def _give_candidates_places(places: dict[Hashable, int], quota: Mapping[Hashable, Fraction],
                            at_least: Mapping[Hashable, int], position: Mapping[Hashable, int]) -> None:
    """Step 3: each stratum short of ``at_least`` (in sorted order) takes places one at a time from the stratum
    furthest above its quota that has places beyond its own ``at_least`` (ties: the stratum that sorts first).

    A heap of the donors: a stratum short of places ends with exactly ``at_least`` and never gives, and only the
    donor just taken from changes its standing, so each place moved costs O(log S), not a pass over the strata.
    """
    donors = [(quota[d] - places[d], position[d], d) for d in places if places[d] > at_least.get(d, 0)]
    heapq.heapify(donors)
    for s in sorted(places, key=position.__getitem__):
        for _ in range(max(0, at_least.get(s, 0) - places[s])):
            if not donors:
                raise ValueError("no stratum has a place to give")
            _, _, donor = heapq.heappop(donors)
            places[donor] -= 1
            places[s] += 1
            if places[donor] > at_least.get(donor, 0):
                heapq.heappush(donors, (quota[donor] - places[donor], position[donor], donor))


def verify_draw(draw: SampleDraw) -> bool:
    """Redo ``draw`` from its recorded population, share and seed: True when the sample is the same."""
    if draw.algorithm != ALGORITHM:
        return False
    return choose([tuple(row) for row in draw.population], Decimal(draw.share), draw.seed) == sorted(draw.sample)


# -- strata and candidates ----------------------------------------------------------------------
def committees_of(cycle: Cycle) -> tuple[dict[int, int], dict[int, str]]:
    """({branch id: its nearest 党委/党总支 id (the cycle root for 直属)}, {that id: its name})."""
    committees = dict(Organization.objects.subtree(cycle.root).filter(kind__in=COMMITTEE_KINDS)
                      .values_list("id", "name"))
    names = {cycle.root_id: cycle.root.name, **committees}
    out = {}
    for branch_id, path in cycle.assessments.values_list("branch_id", "branch__path").iterator(chunk_size=5000):
        ancestors = [int(part) for part in path.strip("/").split("/")[:-1]]
        out[branch_id] = next((pk for pk in reversed(ancestors) if pk in committees), cycle.root_id)
    return out, names


def priority_levels(rubric: Rubric) -> tuple[str, frozenset[str]] | None:
    """(main scheme, the levels whose branches are sampled first): ``process.spot_check_priority`` and any
    level above it, or the five-star level when the rubric names none; None when nothing is."""
    if not rubric.ratings or rubric.ratings[0].kind != "levels":
        return None
    scheme = rubric.ratings[0]
    wanted = rubric.process.spot_check_priority
    ids = [lv.id for lv in scheme.levels]
    first = next((i for i, lv in enumerate(scheme.levels) if (lv.id == wanted if wanted else lv.stars == 5)), None)
    return None if first is None else (scheme.id, frozenset(ids[first:]))


def population_of(cycle: Cycle) -> list[tuple[int, int, bool]]:
    """The reviewed assessments of ``cycle`` as ``(id, stratum, five-star candidate)``, sorted.

    A candidate's reviewed sheet reaches the priority level (its minimum and its condition, before the
    process steps). Only the assessments whose stored ``reviewed_total`` (fixed when the review was
    approved) reaches that level's minimum can, so only those are scored; a level with no minimum, or a
    scheme rated on something other than the total, has every reviewed assessment scored.
    """
    strata, _ = committees_of(cycle)
    reviewed = list(cycle.assessments.filter(state=State.REVIEWED).values_list("id", "branch_id", "snapshot_id"))
    if not reviewed:
        return []
    priorities = {snap.pk: priority_levels(rubric_of_snapshot(snap, cycle)) for snap in cycle.snapshots.all()}
    scored = {}
    if any(priorities.values()):
        bounds = [_lowest_total(rubric_of_snapshot(snap, cycle), priorities[snap.pk]) for snap in cycle.snapshots.all()
                  if priorities[snap.pk]]
        subset = cycle.assessments.filter(state=State.REVIEWED)
        if None not in bounds:
            subset = subset.filter(Q(reviewed_total__gte=min(bounds)) | Q(reviewed_total__isnull=True))
        scored = score_assessments(cycle=cycle, ids=subset.values("id"), stage="review")
    out = []
    for pk, branch_id, snapshot_id in reviewed:
        wanted = priorities[snapshot_id]
        rated = scored[pk].rating(wanted[0]) if wanted and pk in scored else None
        out.append((pk, strata[branch_id], rated is not None and rated.eligible in wanted[1]))
    return sorted(out)


def _lowest_total(rubric: Rubric, wanted: tuple[str, frozenset[str]]) -> Decimal | None:
    """The least total any priority level needs (None: a level, or the scheme, does not rest on the total)."""
    scheme = next(s for s in rubric.ratings if s.id == wanted[0])
    mins = [lv.min for lv in scheme.levels if lv.id in wanted[1]]
    if scheme.value != "total" or any(m is None for m in mins):
        return None
    return min(mins)


# -- the service --------------------------------------------------------------------------------
@service
def draw_sample(*, cycle: Cycle, seed: str | None, by, now=None) -> SampleDraw:
    """Draw the spot-check sample of ``cycle``'s reviewed assessments and move them to ``sampled``."""
    move = move_for("sample", State.REVIEWED)
    permissions.require(by, move.roles, cycle.root)
    check_cycle_live(cycle)
    population = population_of(cycle)
    if not population:
        raise NothingToSample("没有已审核的党支部，无法抽取抽验样本", "no reviewed assessment to sample")
    seed = seed if seed else secrets.token_hex(16)
    share = Decimal(cycle.spot_check_share)
    sample = choose(population, share, seed)
    draw = SampleDraw.objects.create(cycle=cycle, seed=seed, share=share, population=[list(r) for r in population],
                                     sample=sample, algorithm=ALGORITHM, drawn_by=by if _person(by) else None)
    moved = 0
    for start in range(0, len(sample), CHUNK):
        moved += Assessment.objects.filter(pk__in=sample[start:start + CHUNK], state=State.REVIEWED).update(
            state=move.target, sampled=True, version=F("version") + 1, updated_at=now or timezone.now())
    if moved != len(sample):
        raise EditConflict("抽样期间有考评的状态被他人改变，抽样未生效，请重新抽取", "assessments changed during the draw")
    cycle_changed(cycle.pk)
    insert_rows(AuditEntry, ("at", "actor", "action", "assessment", "target", "old", "new", "reason", "denied"),
                ((now or timezone.now(), by.pk if _person(by) else None, "sample", pk, "state", State.REVIEWED.value,
                  move.target.value, f"抽验样本（第 {draw.pk} 次抽取）", False) for pk in sample))
    audit(by=by, action="draw_sample", target=f"cycle:{cycle.pk}",
          new={"draw": draw.pk, "seed": seed, "share": share, "population": len(population), "sample": len(sample),
               "algorithm": ALGORITHM})
    return draw


def sample_names(draw: SampleDraw) -> dict[int, str]:
    """{assessment id: its branch's name} for the draw's sample, read ``CHUNK`` ids at a time (a sample of a
    province is tens of thousands of ids: too many parameters for one query)."""
    sample = sorted(draw.sample)
    names: dict[int, str] = {}
    for start in range(0, len(sample), CHUNK):
        names.update(draw.cycle.assessments.filter(pk__in=sample[start:start + CHUNK]).values_list("id", "branch__name"))
    return names


def _person(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


__all__ = ["ALGORITHM", "NothingToSample", "Role", "choose", "committees_of", "draw_sample", "places_per_stratum",
           "population_of", "priority_levels", "sample_names", "sample_size", "verify_draw"]
