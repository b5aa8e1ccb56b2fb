"""Cycles the user takes part in: an admin of the cycle's scope, or anyone who may read one of its assessments;
and the reviewer's queue (as on 我的工作)."""

from __future__ import annotations

from django.db.models import Count
from ninja import Router

from chuangxing.assessments import permissions
from chuangxing.assessments.models import Cycle, Role, State
from chuangxing.web.api.v1.errors import ApiError
from chuangxing.web.api.v1.schemas import AssessmentSummary, CycleDetail, CycleSummary, Error
from chuangxing.web.api.v1.shapes import assessment_summary, cycle_summary
from chuangxing.web.views.work import QUEUE_STATES

router = Router(tags=["考评周期"])

NOT_SUBMITTED = {State.DRAFT, State.SELF_ASSESSED, State.RETURNED}
QUEUE_ROLES = (Role.REVIEWER, Role.ADMIN)


def takes_part(user, cycle: Cycle) -> bool:
    return (permissions.visible_organizations(user, [Role.ADMIN]).filter(pk=cycle.root_id).exists()
            or permissions.visible_assessments(user, cycle).exists())


def cycle_for(request, pk: int) -> Cycle:
    cycle = Cycle.objects.select_related("root").filter(pk=pk).first()
    if cycle is None:
        raise ApiError(404, "not_found", "没有找到该考评周期")
    if not takes_part(request.auth, cycle):
        raise ApiError(403, "forbidden", "没有权限查看该考评周期")
    return cycle


@router.get("", response=list[CycleSummary], summary="我参与的考评周期")
def cycle_list(request):
    cycles = Cycle.objects.select_related("root").order_by("-period_end", "name")
    return [cycle_summary(c) for c in cycles if takes_part(request.auth, c)]


@router.get("/{int:cycle_id}", response={200: CycleDetail, 403: Error, 404: Error}, summary="一个考评周期及进度")
def cycle_detail(request, cycle_id: int):
    cycle = cycle_for(request, cycle_id)
    visible = permissions.visible_assessments(request.auth, cycle)
    counts = dict(visible.order_by().values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    total = sum(counts.values())
    return {**cycle_summary(cycle), "total": total,
            "submitted": total - sum(counts.get(s.value, 0) for s in NOT_SUBMITTED),
            "counts": [{"state": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in State]}


@router.get("/{int:cycle_id}/assessments", response={200: list[AssessmentSummary], 403: Error, 404: Error},
            summary="周期内我可查看的考评")
def cycle_assessments(request, cycle_id: int):
    cycle = cycle_for(request, cycle_id)
    rows = (permissions.visible_assessments(request.auth, cycle).select_related("branch__parent")
            .order_by("branch__path"))
    return [assessment_summary(a) for a in rows]


@router.get("/{int:cycle_id}/queue", response={200: list[AssessmentSummary], 403: Error, 404: Error},
            summary="待审核：我负责审核的范围内已提交、审核中的考评（审核人、管理员）")
def review_queue(request, cycle_id: int):
    cycle = cycle_for(request, cycle_id)
    if not permissions.visible_organizations(request.auth, QUEUE_ROLES).exists():
        raise permissions.refused(request.auth, "没有权限：需要审核人或工委管理员角色", "user reviews nothing",
                                  target=f"cycle:{cycle.pk}", needed=[str(r) for r in QUEUE_ROLES])
    scope = permissions.scope_filter(request.auth, QUEUE_ROLES, field="branch__")
    rows = (permissions.visible_assessments(request.auth, cycle).filter(scope, state__in=QUEUE_STATES)
            .select_related("branch__parent").order_by("state", "submitted_at", "branch__path"))
    return [assessment_summary(a) for a in rows]
