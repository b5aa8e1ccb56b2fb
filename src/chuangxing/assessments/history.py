"""Across years: a branch's ratings over the cycles, five-star pre-registration and turnover, target progress.

>>> history(branch)                     # oldest first
[{'cycle': '2025年度', 'total': Decimal('91'), 'ratings': {'stars': {'label': '四星', ...}}, 'downgraded': False}, ...]
>>> preregister_five_star(assessment=a, by=admin)       # 年初预报: before the review starts, admin only
>>> five_star_turnover(cycle=this_year, previous=last_year)["message"]
'上一周期五星 20 个，本周期 21 个：保持 19 个，退出 1 个（5%），新增 2 个（10%）；规定按 5% 左右的比例调整'

镇江: “五星”党支部由市委党建办通过年初预报、随机抽查、综合考评的程序产生 … 对“五星”党支部实行动态管理，
根据每年复查结果，按照5%左右的比例进行调整. Pre-registration sets the rubric's ``five_star_preregistered``
flag (a five-star candidate, sampled first by :mod:`sampling`); a passed spot check sets
``five_star_inspected`` (:mod:`inspection`). Turnover compares the five-star branches of two
finalized cycles: which of last cycle's lost it, which gained it, and the share that changed against
``process.five_star_turnover_share``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chuangxing.assessments import services
from chuangxing.assessments.lists import CHUNK, RATED, distribution, main_rubric, percent, percent_of, ratio, set_process_flag
from chuangxing.assessments.models import Assessment, Cycle, FinalRating, Role, State
from chuangxing.assessments.workflow import Refused
from chuangxing.orgs.models import Organization
from chuangxing.rubric.schema import Rubric

FIVE_STAR_PREREGISTERED = "five_star_preregistered"
BEFORE_REVIEW = (State.DRAFT, State.SELF_ASSESSED, State.SUBMITTED, State.RETURNED)


def history(branch: Organization) -> list[dict[str, Any]]:
    """The branch's final results, one row per finalized cycle, oldest first."""
    rows = []
    assessments = (Assessment.objects.filter(branch=branch, state__in=RATED).select_related("cycle")
                   .prefetch_related("ratings").order_by("cycle__period_end", "cycle_id"))
    for a in assessments:
        rows.append({"cycle_id": a.cycle_id, "cycle": a.cycle.name, "period_start": a.cycle.period_start,
                     "period_end": a.cycle.period_end, "total": a.final_total, "downgraded": a.downgraded,
                     "state": a.state,
                     "ratings": {r.scheme: {"level": r.level or None, "label": r.label, "stars": r.stars,
                                            "reasons": [x["text"] for x in r.reasons]}
                                 for r in sorted(a.ratings.all(), key=lambda r: r.pk)}})
    return rows


@services.service
def preregister_five_star(*, assessment: Assessment, by, version: int | None = None) -> Assessment:
    """年初预报: mark a branch as a five-star candidate (admin only, before its review starts)."""
    services._require_role(by, (Role.ADMIN,), assessment)
    rubric = services.rubric_of(assessment)
    if FIVE_STAR_PREREGISTERED not in rubric.process_flags:
        raise Refused("no_five_star", f"考评标准“{rubric.title}”没有五星预报环节", "the rubric has no five-star pre-registration")
    if assessment.state not in BEFORE_REVIEW:
        raise Refused("too_late", f"当前状态为“{State(assessment.state).label}”：五星须在审核开始前预报（年初预报）",
                      f"cannot pre-register in {assessment.state}")
    return set_process_flag(assessment, FIVE_STAR_PREREGISTERED, True, by=by, version=version, action="preregister_five_star",
                     reason="五星年初预报")


def five_star_scheme(rubric: Rubric) -> str | None:
    """The first rating scheme with a five-star level."""
    for scheme in rubric.ratings:
        if scheme.kind == "levels" and any(lv.stars == 5 for lv in scheme.levels):
            return scheme.id
    return None


def five_star_branches(cycle: Cycle) -> dict[int, str]:
    """{branch id: name} of the branches rated five-star in ``cycle``."""
    scheme = five_star_scheme(main_rubric(cycle))
    if scheme is None:
        return {}
    return dict(FinalRating.objects.filter(assessment__cycle=cycle, assessment__state__in=RATED, scheme=scheme, stars=5)
                .values_list("assessment__branch_id", "assessment__branch__name"))


def five_star_turnover(*, cycle: Cycle, previous: Cycle) -> dict[str, Any]:
    """Which of ``previous``'s five-star branches lost it in ``cycle``, which gained it, and the shares."""
    before, now = five_star_branches(previous), five_star_branches(cycle)
    scheme = five_star_scheme(main_rubric(cycle))
    current = _labels(cycle, scheme, set(before) - set(now))
    lost = [{"branch_id": b, "name": before[b], "now": current.get(b, "未参评")} for b in sorted(before) if b not in now]
    gained = [{"branch_id": b, "name": now[b]} for b in sorted(now) if b not in before]
    target = main_rubric(cycle).process.five_star_turnover_share
    head = (f"上一周期五星 {len(before)} 个，本周期 {len(now)} 个：保持 {len(before) - len(lost)} 个，"
            f"退出 {len(lost)} 个（{percent(len(lost), len(before))}），"
            f"新增 {len(gained)} 个（{percent(len(gained), len(before))}）")
    rule = f"；规定按 {percent_of(target)} 左右的比例调整" if target is not None else "；本标准未规定调整比例"
    return {"previous": len(before), "current": len(now), "kept": len(before) - len(lost), "lost": lost, "gained": gained,
            "lost_share": ratio(len(lost), len(before)), "gained_share": ratio(len(gained), len(before)),
            "target_share": target, "message": head + rule}


def _labels(cycle: Cycle, scheme: str | None, branch_ids: set[int]) -> dict[int, str]:
    """{branch id: its label under ``scheme`` in ``cycle``} for the branches asked about."""
    out: dict[int, str] = {}
    ids = sorted(branch_ids)
    for start in range(0, len(ids) if scheme else 0, CHUNK):
        out.update(FinalRating.objects.filter(assessment__cycle=cycle, scheme=scheme,
                                              assessment__branch_id__in=ids[start:start + CHUNK])
                   .values_list("assessment__branch_id", "label"))
    return out


def target_progress(*, cycles: Sequence[Cycle]) -> list[dict[str, Any]]:
    """The overall distribution against the targets, cycle after cycle (progress over the years)."""
    rows = []
    for cycle in sorted(cycles, key=lambda c: (c.period_end, c.pk)):
        for row in distribution(cycle=cycle, per_committee=False):
            rows.append({"cycle_id": cycle.pk, "cycle": cycle.name, **row})
    return rows
