"""The branch secretary's self-assessment (自评): every indicator with its standard, each rule's wording and input.

::

    GET  /assessments/<a>/self/     the form, pre-filled from the records (``sheets.prefill``)
    POST /assessments/<a>/self/     save what changed (``services.save_findings``, with the version read)
    POST /assessments/<a>/self/refresh-facts/   从台账刷新 (``services.refresh_assessment_facts``)

Inputs that come from the records are shown with their source; a person changes them by overriding
the fact, with a reason (``assessment_actions.override``). A stale save (someone saved since the page
was read) is refused with the Chinese conflict message and the list of what was not saved.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from chuangxing.assessments import services
from chuangxing.assessments.models import Assessment, Stage, State
from chuangxing.assessments.sheets import prefill, self_rules
from chuangxing.assessments.workflow import EditConflict, NotAllowed, WorkflowError
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.web import assessment_page as pages
from chuangxing.web.findings_form import FindingsForm
from chuangxing.web.jinja import render_parts
from chuangxing.web.lookups import assessment_for
from chuangxing.web.views.assessment_actions import (
    ReportForm,
    audit_trail,
    base_context,
    findings_errors,
    posted_version,
    stale,
)


@require_http_methods(["GET", "POST"])
def self_assessment(request, assessment: int) -> HttpResponse:
    found = assessment_for(request, assessment)
    if request.method == "POST":
        return _save(request, found)
    return _page(request, found)


@require_http_methods(["POST"])
def refresh_facts(request, assessment: int) -> HttpResponse:
    """从台账刷新: the facts recomputed from the branch's records; the page then scores with them."""
    found = assessment_for(request, assessment)
    try:
        changed = services.refresh_assessment_facts(assessment=found, by=request.user)
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message_zh) from None
    except WorkflowError as refusal:
        messages.error(request, refusal.message_zh)
    else:
        messages.success(request, "已从台账重新计算数据" if changed else "台账数据没有变化")
    return redirect("web:self_assessment", assessment=found.pk)


def _save(request, assessment: Assessment) -> HttpResponse:
    version = posted_version(request)
    if version is None:
        return HttpResponseBadRequest("缺少版本号，请刷新页面后重试")
    data = self_rules(assessment, by=request.user)     # the page shown on a refusal reads it all afresh
    if not data["editable"]:
        raise PermissionDenied(f"当前状态为“{State(assessment.state).label}”，您不能修改自评")
    states = pages.self_states(data)
    form = FindingsForm(request.POST, rules=pages.editable_rules(services.rubric_of(assessment), states), stage="self")
    if version != assessment.version:        # read before someone else saved: nothing is compared, nothing written
        return _page(request, assessment, status=409, conflict=stale(form))
    if not form.is_valid():
        return _page(request, assessment, form=form, status=400,
                     error="有填写不正确的地方，请按红色提示修改后再保存（未保存任何内容）")
    changes = form.changes()
    if not changes:
        messages.info(request, "没有需要保存的修改")
        return redirect("web:self_assessment", assessment=assessment.pk)
    try:
        services.save_findings(assessment=assessment, stage=Stage.SELF, values=changes, version=version, by=request.user)
    except EditConflict:
        return _page(request, assessment_for(request, assessment.pk), status=409, conflict=stale(form))
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message_zh) from None
    except FindingsInvalid as invalid:
        findings_errors(form, invalid)
        return _page(request, assessment, form=form, status=400, error="有填写不正确的地方（未保存任何内容）")
    except WorkflowError as refusal:
        return _page(request, assessment, form=form, status=400, error=refusal.message_zh)
    messages.success(request, f"已保存 {len(changes)} 项自评内容")
    return redirect("web:self_assessment", assessment=assessment.pk)


def _page(request, assessment: Assessment, *, form: FindingsForm | None = None, data: dict | None = None,
          status: int = 200, error: str = "", conflict: dict | None = None) -> HttpResponse:
    data = data or prefill(assessment, by=request.user)
    rubric = services.rubric_of(assessment)
    states = pages.self_states(data)
    if form is None and data["editable"]:
        form = FindingsForm(rules=pages.editable_rules(rubric, states), stage="self")
    stored_errors: dict[str, list[str]] = {}
    for problem in data["unreadable"]:      # stored values the engine refuses now: shown at their rules, to be filled again
        stored_errors.setdefault(problem.rule or "", []).append(problem.message_zh)
    if stored_errors and not error:
        error = "已保存的部分内容超出允许的范围，未计入得分；请按红色提示重新填写后保存"
        loose = stored_errors.get("", [])          # a fact, not a rule: said at the top
        error += "：" + "；".join(loose) if loose else ""
    facts = pages.fact_rows(assessment)
    page = pages.Page(rubric, stage="self", states=states, scores=_scores(data["sheet"]), evidence=data["evidence"],
                      facts=facts, form=form if data["editable"] else None, version=data["version"],
                      people=pages.people(f["overridden_by"] for f in facts.values()), fact_forms=data["editable"],
                      stored_errors=stored_errors)
    context = {
        **base_context(request, assessment, stage="self"),
        **render_parts(request, page, assessment=assessment, editable=data["editable"]),
        "form": form, "data": data, "sheet": data["sheet"], "plan": data["what_would_it_take"],
        "editable": data["editable"], "error": error, "conflict": conflict,
        "report_form": ReportForm(initial={"text": data["report"], "passed_on": data["report_passed_on"],
                                           "version": data["version"]}),
        "audit": audit_trail(assessment),
    }
    return render(request, "assessments/self_assessment.html", context, status=status)


def _scores(sheet: dict) -> dict:
    """Each node's score (and each adjustment's signed points) from a sheet's JSON form."""
    scores = {}
    for category in sheet["categories"]:
        scores[category["id"]] = category["score"]
        for indicator in category["indicators"]:
            scores[indicator["id"]] = indicator["score"]
            for item in indicator.get("items", []):
                scores[item["id"]] = item["score"]
    for adjustment in sheet["adjustments"]:
        scores[adjustment["id"]] = adjustment["points"] if adjustment["type"] == "bonus" else -adjustment["points"]
    return scores
