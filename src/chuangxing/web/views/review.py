"""The reviewer's page (审核) and the inspector's (抽验): the self-assessment beside this stage, rule by rule.

::

    GET  /assessments/<a>/review/        self vs review per indicator: the rule wording, facts, evidence, gap, fraud
    POST /assessments/<a>/review/        adjust findings, each with its reason (services.save_findings, stage review)
    GET  /assessments/<a>/inspection/    the sampled branch re-scored: self, review and inspection side by side
    POST /assessments/<a>/inspection/    the inspector's findings (stage inspection)

Both pages show the assessment's audit trail (old → new, who, when, why). Only a reviewer (or an admin)
of the branch opens the review page and only an inspector (or an admin) of a sampled branch the
inspection page; nobody opens them for the branch they are secretary of.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chuangxing.assessments import permissions, services
from chuangxing.assessments.evidence import evidence_by_node
from chuangxing.assessments.models import Assessment, State
from chuangxing.assessments.sheets import review_stages
from chuangxing.assessments.workflow import EditConflict, NotAllowed, WorkflowError
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.web import assessment_page as pages
from chuangxing.web.findings_form import FindingsForm
from chuangxing.web.jinja import render_parts
from chuangxing.web.lookups import assessment_for
from chuangxing.web.views.assessment_actions import (
    STAGE_ROLES,
    audit_trail,
    base_context,
    findings_errors,
    posted_version,
    stale,
)

LABELS = {"review": "审核", "inspection": "抽验"}


@require_http_methods(["GET", "POST"])
def review(request, assessment: int) -> HttpResponse:
    return _stage(request, assessment, "review")


@require_http_methods(["GET", "POST"])
def inspection(request, assessment: int) -> HttpResponse:
    return _stage(request, assessment, "inspection")


def _stage(request, pk: int, stage: str) -> HttpResponse:
    found = assessment_for(request, pk)
    try:
        services._require_role(request.user, STAGE_ROLES[stage], found)
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message_zh) from None
    if stage == "inspection" and not (found.sampled or found.state in permissions.INSPECTED_STATES):
        raise PermissionDenied("该党支部未被列入抽验")
    if request.method == "POST":
        return _save(request, found, stage)
    return _page(request, found, stage)


class _View:
    """One stage of one assessment as the page needs it: the states by rule and the sheets."""

    def __init__(self, request, assessment: Assessment, stage: str):
        self.rubric = services.rubric_of(assessment)
        rows, self.self_sheet, self.review_sheet = review_stages(assessment, by=request.user)
        review, earlier, self.by_node = pages.review_states(self.rubric, rows)
        if stage == "review":
            self.states, self.compare = review, earlier
            self.sheet = self.review_sheet
        else:
            self.states, self.sheet = pages.inspection_states(assessment, self.rubric, review)
            self.compare = review
        self.editable = stage in services.allowed_actions(assessment, by=request.user)["edits"]
        self.rows = rows

    def form(self, stage: str, data=None) -> FindingsForm:
        return FindingsForm(data, rules=pages.editable_rules(self.rubric, self.states, stage=stage), stage=stage)


def _save(request, assessment: Assessment, stage: str) -> HttpResponse:
    version = posted_version(request)
    if version is None:
        return HttpResponseBadRequest("缺少版本号，请刷新页面后重试")
    view = _View(request, assessment, stage)
    if not view.editable:
        raise PermissionDenied(f"当前状态为“{State(assessment.state).label}”，不能修改{LABELS[stage]}结果")
    form = view.form(stage, request.POST)
    if version != assessment.version:        # read before someone else saved: nothing is compared, nothing written
        return _page(request, assessment, stage, view=view, status=409, conflict=stale(form))
    if not form.is_valid():
        return _page(request, assessment, stage, view=view, form=form, status=400,
                     error="有填写不正确的地方，请按红色提示修改后再保存（未保存任何内容）")
    changes = form.changes()
    if not changes:
        messages.info(request, "没有需要保存的调整")
        return redirect(f"web:{stage}", assessment=assessment.pk)
    try:
        services.save_findings(assessment=assessment, stage=stage, values=changes, version=version, by=request.user)
    except EditConflict:
        return _page(request, assessment_for(request, assessment.pk), stage, status=409, conflict=stale(form))
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message_zh) from None
    except FindingsInvalid as invalid:
        findings_errors(form, invalid)
        return _page(request, assessment, stage, view=view, form=form, status=400, error="有填写不正确的地方（未保存任何内容）")
    except WorkflowError as refusal:
        return _page(request, assessment, stage, view=view, form=form, status=400, error=refusal.message_zh)
    messages.success(request, f"已保存 {len(changes)} 项{LABELS[stage]}调整")
    return redirect(f"web:{stage}", assessment=assessment.pk)


def _page(request, assessment: Assessment, stage: str, *, view: _View | None = None, form: FindingsForm | None = None,
          status: int = 200, error: str = "", conflict: dict | None = None) -> HttpResponse:
    view = view or _View(request, assessment, stage)
    if form is None and view.editable:
        form = view.form(stage)
    facts = pages.fact_rows(assessment)
    page = pages.Page(view.rubric, stage=stage, states=view.states, scores=pages.scores_of(view.sheet),
                      evidence=evidence_by_node(assessment), facts=facts, form=form if view.editable else None,
                      version=assessment.version, people=pages.people(f["overridden_by"] for f in facts.values()),
                      compare_rows=view.by_node, compare_states=view.compare, fact_forms=view.editable)
    context = {
        **base_context(request, assessment, stage=stage),
        "form": form, "editable": view.editable, "error": error, "conflict": conflict,
        "sheet": view.sheet, "self_sheet": view.self_sheet, "stage_label": LABELS[stage], "review_sheet": view.review_sheet,
        "audit": audit_trail(assessment),
        **render_parts(request, page, assessment=assessment, editable=view.editable,
                       fraud_allowed=view.editable and view.rubric.fraud is not None, stage_label=LABELS[stage]),
    }
    return render(request, "assessments/review.html", context, status=status)
