"""抽验: an inspector re-scores a sampled branch; a mismatch with the review downgrades it.

>>> a = save_findings(assessment=a, stage="inspection", values={"zj-func-2-b": {"value": True, "reason": "无服务载体"}},
...                   version=a.version, by=inspector)
>>> a = complete_inspection(assessment=a, by=inspector)
>>> a.state, a.downgraded, a.downgrade_reason
('spot_checked', True, '抽验得分 84 分，审核得分 90 分，相差 6 分，超过容差 3 分；……')

The inspection stage layers the inspector's findings over the review's (``services.save_findings(stage=
"inspection")``). Completing it compares the two sheets: when the totals differ by more than the
cycle's ``spot_check_tolerance``, or any rating scheme gives a lower level than the review did, the
assessment is *downgraded* (镇江: “发现与星级评定条件不符的，进行通报降级”): ``downgraded`` is set, the
reason is kept (audit, and later every :class:`FinalRating`'s reasons), and the final rating is
computed from the inspection stage — as it is for every sampled branch. A branch that passes gets
the rubric's ``five_star_inspected`` flag (五星 “随机抽查、综合考评” done), where the rubric has it.
"""

from __future__ import annotations

from chuangxing.assessments import services
from chuangxing.assessments.models import Assessment
from chuangxing.rubric.schema import RatingScheme
from chuangxing.scoring.points import fmt
from chuangxing.scoring.sheet import RatingResult, ScoreSheet

FIVE_STAR_INSPECTED = "five_star_inspected"


def mismatch(reviewed: ScoreSheet, inspected: ScoreSheet, *, tolerance, schemes: list[RatingScheme]) -> list[str]:
    """Why the inspection does not confirm the review (empty when it does), in Chinese."""
    reasons = []
    difference = inspected.total - reviewed.total
    if abs(difference) > tolerance:
        reasons.append(f"抽验得分 {fmt(inspected.total)} 分，审核得分 {fmt(reviewed.total)} 分，"
                       f"相差 {fmt(abs(difference))} 分，超过容差 {fmt(tolerance)} 分")
    for scheme in schemes:
        before, after = reviewed.rating_of(scheme.id), inspected.rating_of(scheme.id)
        if before is not None and after is not None and _rank(scheme, after) < _rank(scheme, before):
            reasons.append(f"抽验{scheme.title}为“{after.label}”，低于审核的“{before.label}”")
    return reasons


def _rank(scheme: RatingScheme, result: RatingResult) -> int:
    if result.level is None:
        return -1
    if scheme.kind == "per_category":
        return result.stars or 0
    return [lv.id for lv in scheme.levels].index(result.level)


@services.service
def complete_inspection(*, assessment: Assessment, by, version: int | None = None) -> Assessment:
    """Finish the spot check of ``assessment`` (sampled → spot_checked), downgrading it on a mismatch."""
    rubric = services.rubric_of(assessment)
    reviewed = services.sheet_of(assessment, stage="review")
    inspected = services.sheet_of(assessment, stage="inspection")
    reasons = mismatch(reviewed, inspected, tolerance=assessment.cycle.spot_check_tolerance, schemes=rubric.ratings)
    reason = "；".join(reasons)
    assessment = services.transition(assessment=assessment, action="spot_check", by=by, version=version,
                                     reason=reason or "抽验结果与审核一致")
    process = dict(assessment.process)
    if FIVE_STAR_INSPECTED in rubric.process_flags:
        process[FIVE_STAR_INSPECTED] = not reasons
    fields = {"inspected_total": inspected.total, "downgraded": bool(reasons), "downgrade_reason": reason,
              "process": process}
    Assessment.objects.filter(pk=assessment.pk).update(**fields)
    for name, value in fields.items():
        setattr(assessment, name, value)
    if reasons:
        services.audit(by=by, action="downgrade", assessment=assessment, target="rating",
                       old={"total": reviewed.total, "ratings": {r.scheme: r.level for r in reviewed.ratings}},
                       new={"total": inspected.total, "ratings": {r.scheme: r.level for r in inspected.ratings}},
                       reason=reason)
    return assessment
