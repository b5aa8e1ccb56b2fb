"""Steps of a cycle for the spot-check, publicity, lists and history tests, on the small ``World``.

The World's branches have no records, so their computed facts are poor (no meetings, no secretary):
``perfect_self`` reports every rule as a compliant branch would, which takes precedence over the
facts, so a branch scores 100 unless a test's review or inspection findings say otherwise.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.utils import timezone

from chuangxing.assessments.models import Assessment, Stage
from chuangxing.assessments.services import rubric_of, save_findings, to_stored, transition

# A notice that ran in December; finalization comes after it.
NOTICE_START, NOTICE_END = date(2026, 12, 16), date(2026, 12, 22)
DURING = timezone.make_aware(datetime(2026, 12, 18, 10, 0))
AFTER = timezone.make_aware(datetime(2026, 12, 23, 9, 0))

# Review findings that take points, and the points they take (zhenjiang-2018 / jiaozuo-2019).
NO_SERVICE = {"zj-func-2-b": {"value": True, "reason": "服务群众没有载体"}}          # −6
NO_ROSTER = {"zj-org-3-a": {"value": True, "reason": "未建组织调整一览表"}}         # −2
NOT_COVERED = {"zj-org-1-c": {"value": True, "reason": "党的工作未覆盖所在单位"}}   # −1
UNWILLING = {"zj-team-1-a": {"value": True, "reason": "书记党务工作意愿不强"}}       # −1
TERM_IRREGULAR = {"zj-org-3-c": {"value": True, "reason": "换届程序不规范"}}       # −2


def perfect_self(assessment: Assessment) -> dict[str, dict[str, Any]]:
    values = {}
    for rule, _ in rubric_of(assessment).rules():
        ideal = rule.ideal_input() if rule.enabled else None
        if ideal is not None:
            values[rule.id] = {"value": to_stored(ideal)}
    return values


def reviewed(world, branch, *, review: dict | None = None, process: dict | None = None) -> Assessment:
    """``branch`` self-assessed as perfect, submitted, reviewed with ``review`` findings, approved."""
    secretary, reviewer = world.secretary_of(branch), world.reviewer_of(branch)
    a = world.assessment(branch)
    if process is not None:
        Assessment.objects.filter(pk=a.pk).update(process={**a.process, **process})
        a = world.assessment(branch)
    a = save_findings(assessment=a, stage=Stage.SELF, values=perfect_self(a), version=a.version, by=secretary)
    a = transition(assessment=a, action="self_assess", by=secretary)
    a = transition(assessment=a, action="submit", by=secretary)
    a = transition(assessment=a, action="start_review", by=reviewer)
    if review:
        a = save_findings(assessment=a, stage=Stage.REVIEW, values=review, version=a.version, by=reviewer)
    a = transition(assessment=a, action="approve", by=reviewer)
    return world.assessment(branch)


def inspect(world, branch, values: dict) -> Assessment:
    a = world.assessment(branch)
    return save_findings(assessment=a, stage=Stage.INSPECTION, values=values, version=a.version, by=world.inspector)
