"""我的工作: the page after sign-in, by role.

- 支部书记: the branch's assessment in each open cycle (state, deadline, score so far, what to do next)
  and the branch's records;
- 党委审核人 (and 工委管理员): the queue of the subtree, submitted and under review, with counts by state;
- 抽验组成员: the sampled branches.

What a user sees is what the services let them read (``permissions.visible_assessments``), limited to
the subtrees where they hold the role of the section.
"""

from __future__ import annotations

from django.db.models import Count, Q
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from chuangxing.assessments import permissions, services
from chuangxing.assessments.models import Assessment, AuditEntry, Cycle, CycleStatus, Role, RoleAssignment, State
from chuangxing.orgs.models import Organization, OrgKind

QUEUE_STATES = (State.SUBMITTED, State.UNDER_REVIEW)
QUEUE_LIMIT = 100
NEXT_STEP = {
    State.DRAFT: "填写自评，填完后点“完成自评”",
    State.RETURNED: "按审核意见修改自评，再“完成自评”并重新提交",
    State.SELF_ASSESSED: "核对无误后“提交”",
    State.SUBMITTED: "已提交，等待党委审核",
    State.UNDER_REVIEW: "党委正在审核",
    State.REVIEWED: "审核已完成，等待抽验或公示",
    State.SAMPLED: "已列入抽验，等待抽验组复核",
    State.SPOT_CHECKED: "抽验已完成，等待公示",
    State.ANNOUNCED: "公示中",
    State.FINALIZED: "已评定",
    State.RECTIFICATION: "列入整改，请按提示反馈清单整改",
    State.REINSPECTED: "已复检",
}


# The cycles with work in them: the open ones, and a closed one while a branch of it is in rectification
# (a subquery: joining the assessments made every 我的工作 sort a whole cycle's rows for its DISTINCT, 30 ms on
# PostgreSQL with 30,000 branches).
WORK_CYCLES = Q(status=CycleStatus.OPEN) | Q(
    status=CycleStatus.CLOSED, pk__in=Assessment.objects.filter(state=State.RECTIFICATION).values("cycle_id"))


@require_GET
def my_work(request):
    user = request.user
    assignments = list(RoleAssignment.objects.filter(user=user).select_related("organization")
                       .order_by("role", "organization__path"))
    cycles = list(Cycle.objects.filter(WORK_CYCLES).order_by("-period_end", "name"))
    roles = {a.role for a in assignments}
    context = {
        "branches": [_branch(user, a.organization, cycles) for a in assignments
                     if a.role == Role.SECRETARY and a.organization.kind == OrgKind.BRANCH],
        "queues": [q for cycle in cycles if (q := _queue(user, cycle)) is not None]
        if user.is_superuser or roles & {Role.REVIEWER, Role.ADMIN} else [],
        "samples": [s for cycle in cycles if (s := _samples(user, cycle)) is not None]
        if user.is_superuser or Role.INSPECTOR in roles else [],
        "assignments": assignments,
        "no_role": not assignments and not user.is_superuser,
    }
    return render(request, "work/my_work.html", context)


def _branch(user, branch: Organization, cycles: list[Cycle]) -> dict:
    assessments = (Assessment.objects.filter(branch=branch, cycle__in=cycles).select_related("cycle", "branch")
                   .order_by("-cycle__period_end"))
    return {"branch": branch, "assessments": [_assessment(user, a) for a in assessments]}


def _assessment(user, assessment: Assessment) -> dict:
    allowed = services.allowed_actions(assessment, by=user)
    total = assessment.self_total
    if total is None:
        total = services.sheet_of(assessment, stage="self").total
    due = assessment.cycle.self_assessment_due
    returned = None
    if assessment.state == State.RETURNED:
        returned = AuditEntry.objects.filter(assessment=assessment, action="return", denied=False).order_by("-at").first()
    return {
        "assessment": assessment, "state_label": State(assessment.state).label, "due": due,
        "overdue": due is not None and timezone.now() > due and assessment.submitted_at is None,
        "total": total, "reviewed_total": assessment.reviewed_total, "next": NEXT_STEP.get(assessment.state, ""),
        "moves": allowed["moves"], "can_edit": "self" in allowed["edits"],
        "returned_reason": returned.reason if returned else "",
    }


def _queue(user, cycle: Cycle) -> dict | None:
    """The cycle's assessments in the reviewer's (or admin's) subtrees: counts by state, and those waiting."""
    scope = permissions.scope_filter(user, (Role.REVIEWER, Role.ADMIN), field="branch__")
    mine = permissions.visible_assessments(user, cycle).filter(scope)
    counts = dict(mine.order_by().values_list("state").annotate(n=Count("pk")))
    if not counts:
        return None
    waiting = (mine.filter(state__in=QUEUE_STATES).select_related("branch__parent")
               .order_by("state", "submitted_at", "branch__path")[:QUEUE_LIMIT])
    return {
        "cycle": cycle,
        "counts": [{"state": s, "label": s.label, "n": counts.get(s.value, 0)} for s in State if counts.get(s.value)],
        "total": sum(counts.values()),
        "waiting": [{"assessment": a, "state_label": State(a.state).label} for a in waiting],
        "waiting_count": sum(counts.get(s.value, 0) for s in QUEUE_STATES),
        "own_branches": _own(user),
    }


def _own(user) -> set[int]:
    return {pk for role, pk in RoleAssignment.objects.filter(user=user, role=Role.SECRETARY)
            .values_list("role", "organization_id")}


def _samples(user, cycle: Cycle) -> dict | None:
    scope = permissions.scope_filter(user, (Role.INSPECTOR,), field="branch__") if not user.is_superuser else None
    sampled = permissions.visible_assessments(user, cycle).filter(sampled=True)
    if scope is not None:
        sampled = sampled.filter(scope)
    rows = [{"assessment": a, "state_label": State(a.state).label}
            for a in sampled.select_related("branch__parent").order_by("state", "branch__path")]
    return {"cycle": cycle, "rows": rows, "open": sum(1 for r in rows if r["assessment"].state == State.SAMPLED)} \
        if rows else None
