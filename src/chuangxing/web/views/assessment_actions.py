"""What the self-assessment, review and inspection pages post, besides the findings themselves.

::

    POST /assessments/<a>/<stage>/preview/        the sheet as JSON for the findings typed so far (nothing saved)
    POST /assessments/<a>/facts/<name>/           override a fact with a reason (services.override_fact)
    POST /assessments/<a>/evidence/               upload a file for an indicator (evidence.add_evidence)
    GET  /assessments/<a>/evidence/<e>/           download it (evidence.open_evidence)
    POST /assessments/<a>/report/                 the self-assessment report (services.save_report)
    POST /assessments/<a>/move/                   完成自评, 提交, 开始审核, 退回, 审核通过 (services.transition), 完成抽验
                                                  (inspection.complete_inspection); 提交 and 审核通过 take two
                                                  POSTs: the first goes back to the page, which shows what will
                                                  happen beside the button (``?confirm=<action>``), the second
                                                  (``confirm=1``) moves
    POST /assessments/<a>/fraud/                  flag 弄虚作假 on an indicator, or withdraw the flag

Every one of them reads the assessment through ``services.get_assessment`` and lets the service decide
(a NotAllowed is a 403 page); the other refusals come back as the service's Chinese message.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_POST

from chuangxing.assessments import inspection, permissions, services
from chuangxing.assessments.evidence import EvidenceDownload, add_evidence, open_evidence
from chuangxing.assessments.models import Assessment, AuditEntry, Evidence, Role, State
from chuangxing.assessments.workflow import MOVES, NotAllowed, WorkflowError
from chuangxing.facts.catalogue import FACTS
from chuangxing.scoring import score
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.scoring.points import fmt
from chuangxing.scoring.whatif import what_would_it_take
from chuangxing.web import assessment_page as pages
from chuangxing.web.findings_form import FindingsForm, fact_override_form, field_name
from chuangxing.web.lookups import assessment_for
from chuangxing.web.views.score_sheets import STAGE_LABELS, sheet_links

STAGES = ("self", "review", "inspection")
PAGE_OF = {"self": "web:self_assessment", "review": "web:review", "inspection": "web:inspection"}
MOVES_ON = {"self": ("self_assess", "edit_self", "submit"), "review": ("start_review", "return", "approve"),
            "inspection": ("spot_check",)}
STAGE_ROLES = {"review": (Role.REVIEWER, Role.ADMIN), "inspection": (Role.INSPECTOR, Role.ADMIN)}


# -- shared by the pages -------------------------------------------------------------------------
class ReportForm(forms.Form):
    text = forms.CharField(label="自评报告", required=False, max_length=20000,
                           widget=forms.Textarea(attrs={"rows": 8}))
    passed_on = forms.DateField(label="支委会讨论通过日期", required=False,
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    version = forms.IntegerField(widget=forms.HiddenInput)


class EvidenceForm(forms.Form):
    node = forms.CharField(max_length=80)
    file = forms.FileField(label="佐证材料", error_messages={"required": "请选择要上传的文件"})


def posted_version(request) -> int | None:
    value = request.POST.get("version", "")
    return int(value) if value.isdigit() else None


def page_url(assessment: Assessment, stage: str, anchor: str = "") -> str:
    url = reverse(PAGE_OF.get(stage, "web:self_assessment"), kwargs={"assessment": assessment.pk})
    return f"{url}#{anchor}" if anchor else url


def _back(request, assessment: Assessment, anchor: str = "") -> HttpResponseRedirect:
    """Back to the page the form was on (``stage``), at ``anchor`` when it is a plain id."""
    stage = request.POST.get("stage", "self")
    anchor = anchor if re.fullmatch(r"[A-Za-z0-9_-]{1,100}", anchor or "") else ""
    return HttpResponseRedirect(page_url(assessment, stage if stage in STAGES else "self", anchor))


def base_context(request, assessment: Assessment, *, stage: str) -> dict[str, Any]:
    """What every assessment page shows at the top: the branch, cycle, state, deadline, the moves the user may make."""
    allowed = services.allowed_actions(assessment, by=request.user)
    moves = [m for m in allowed["moves"] if m["action"] in MOVES_ON[stage]]
    asked = request.GET.get("confirm", "")
    confirming = move_confirmation(assessment, asked) if any(m["action"] == asked for m in moves) else None
    held = permissions.roles_on(request.user, assessment.branch)
    own = permissions.is_own_branch(request.user, assessment.branch)
    reviewer = bool(held & {Role.REVIEWER, Role.ADMIN}) and not own
    return {
        "assessment": assessment, "cycle": assessment.cycle, "branch": assessment.branch, "stage": stage,
        "state_label": State(assessment.state).label, "allowed": allowed, "moves": moves,
        "version": assessment.version, "confirming": confirming, "sheet_links": sheet_links(assessment, stage),
        "sheet_stage": STAGE_LABELS[stage],
        "links": {"self": True, "review": reviewer,
                  "inspection": (assessment.sampled or assessment.state in permissions.INSPECTED_STATES)
                  and bool(held & {Role.INSPECTOR, Role.ADMIN}) and not own},
    }


ACTION_LABELS = {
    "finding_self": "自评填写", "finding_review": "审核调整", "finding_inspection": "抽验调整",
    "override_fact": "修改事实", "self_report": "自评报告", "add_evidence": "上传佐证材料",
    "flag_fraud": "认定弄虚作假", "withdraw_fraud": "撤销弄虚作假认定", "reopen": "重新开放", "downgrade": "抽验降级",
    "open_cycle": "开启考评", **{action: move.label for action, move in MOVES.items()},
}


def _shown(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return State(value).label if value in State.values else value
    if isinstance(value, bool):
        return "是" if value else "否"
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 160 else text[:157] + "…"


def audit_trail(assessment: Assessment) -> list[dict]:
    """The assessment's audit entries, oldest first: when, who, what, old → new, why (refused attempts left out)."""
    entries = AuditEntry.objects.filter(assessment=assessment, denied=False).select_related("actor").order_by("at", "pk")
    return [{"at": e.at, "who": (e.actor.get_full_name() or e.actor.get_username()) if e.actor else "系统",
             "action": ACTION_LABELS.get(e.action, e.action), "target": e.target, "old": _shown(e.old),
             "new": _shown(e.new), "reason": e.reason} for e in entries]


CONFLICT = "其他人已在您打开之后保存了这份考评，请刷新后再修改（您的修改未保存）"


def stale(form: FindingsForm) -> dict:
    """The conflict message, and the rules where what was posted differs from the latest data (none of it saved)."""
    form.is_valid()
    rules = dict.fromkeys([*form.changes(), *form.rule_errors()])
    return {"message": CONFLICT, "unsaved": [f"{rule_id}：{form.rules[rule_id].text}" for rule_id in rules
                                             if rule_id in form.rules]}


def findings_errors(form: FindingsForm, invalid: FindingsInvalid) -> None:
    """The engine's refusals, next to the rules they name (the rest at the top of the form)."""
    for error in invalid.errors:
        if error.rule and error.rule in form.inputs:
            form.add_error(field_name(error.rule, next(iter(form.inputs[error.rule].fields()))), error.message_zh)
        else:
            form.add_error(None, error.message_zh)


def _refused(request, refusal: WorkflowError) -> None:
    if isinstance(refusal, NotAllowed):
        raise PermissionDenied(refusal.message_zh)
    messages.error(request, refusal.message_zh)


# -- the live score ------------------------------------------------------------------------------
@require_POST
def preview(request, assessment: int, stage: str) -> JsonResponse:
    """The sheet for the findings typed so far at ``stage``, not saved: totals, each node, each rule, the errors."""
    if stage not in STAGES:
        raise Http404("没有该考评阶段")
    found = assessment_for(request, assessment)
    if stage in STAGE_ROLES:                 # the review and inspection previews: for those who open those pages
        try:
            services._require_role(request.user, STAGE_ROLES[stage], found)
        except NotAllowed as refusal:
            raise PermissionDenied(refusal.message_zh) from None
    rubric = services.rubric_of(found)
    states, scored = _states(request, found, stage)
    rules = pages.editable_rules(rubric, states, stage=stage)
    form = FindingsForm(request.POST, rules=rules, stage=stage, preview=True)
    form.is_valid()
    data = _trial(found, stage, form.changes(), scored)
    errors = form.rule_errors()
    try:
        sheet = score(rubric, data)
    except FindingsInvalid as invalid:
        for error in invalid.errors:
            errors.setdefault(error.rule or "", []).append(error.message_zh)
        return JsonResponse({"ok": False, "errors": errors}, status=200, json_dumps_params={"ensure_ascii": False})
    body = {"ok": not errors, "errors": errors, "changed": len(form.changes()), **sheet_json(sheet)}
    if stage == "self":
        plan = what_would_it_take(rubric, data)
        body["what_would_it_take"] = _plain(plan.to_dict()) if plan else None
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _states(request, assessment: Assessment, stage: str) -> tuple[dict[str, dict], dict | None]:
    """The stage's rules by id, and the findings they were scored from when at hand (the self-assessment's)."""
    from chuangxing.assessments.sheets import review_view, self_rules

    rubric = services.rubric_of(assessment)
    if stage == "self":
        data = self_rules(assessment, by=request.user)
        return pages.self_states(data), data["findings"]
    review, _, _ = pages.review_states(rubric, review_view(assessment, by=request.user))
    if stage == "review":
        return review, None
    return pages.inspection_states(assessment, rubric, review)[0], None


def _trial(assessment: Assessment, stage: str, changes: dict[str, dict], scored: dict | None = None) -> dict:
    """``findings_data`` at ``stage`` (``scored`` when already read) with the typed changes applied: a cleared
    finding falls back to the earlier stage."""
    if stage not in services.EARLIER_STAGE:
        data = scored if scored is not None else services.findings_data(assessment, stage=stage)
        return services.with_changes(data, changes, {})
    findings = list(assessment.findings.all())      # read once for both stages
    return services.with_changes(services.findings_data(assessment, stage=stage, findings=findings), changes,
                                 services.stage_inputs(findings, services.EARLIER_STAGE[stage]))


def sheet_json(sheet) -> dict:
    rating = sheet.rating
    return {
        "total": fmt(sheet.total), "max_total": fmt(sheet.max_total),
        "rating": rating.label if rating else None,
        "eligible": rating.eligible_label if rating and rating.eligible_label != rating.label else None,
        "pending": list(rating.pending) if rating else [],
        "vetoes": [f"{v.text}（{v.reason}）" for v in sheet.vetoes],
        "unassessed": len(sheet.unassessed),
        "nodes": {node_id: fmt(points) for node_id, points in pages.scores_of(sheet).items()},
        "rules": {rule_id: fmt(points) for rule_id, points in pages.rule_points(sheet).items()},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


# -- facts ---------------------------------------------------------------------------------------
@require_POST
def override(request, assessment: int, name: str) -> HttpResponse:
    found = assessment_for(request, assessment)
    form = fact_override_form(services.rubric_of(found), name, request.POST)
    if form is None:
        raise Http404("本标准没有该事实")
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, f"修改“{_fact_label(name)}”未保存：{errors[0]}")
        return _back(request, found)
    try:
        services.override_fact(assessment=found, name=name, value=form.value(), reason=form.cleaned_data["reason"],
                               version=form.cleaned_data["version"], by=request.user)
    except (WorkflowError, FindingsInvalid) as refusal:
        _refused(request, refusal)
    else:
        messages.success(request, f"已修改“{_fact_label(name)}”，理由已记录")
    return _back(request, found)


def _fact_label(name: str) -> str:
    return FACTS[name].description if name in FACTS else name


# -- evidence ------------------------------------------------------------------------------------
@require_POST
def evidence_upload(request, assessment: int) -> HttpResponse:
    found = assessment_for(request, assessment)
    form = EvidenceForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "上传失败：" + "；".join(str(e[0]) for e in form.errors.values()))
        return _back(request, found, f"node-{request.POST.get('node', '')[:80]}")
    node = form.cleaned_data["node"]
    try:
        ev = add_evidence(assessment=found, node_id=node, uploaded_file=form.cleaned_data["file"], by=request.user)
    except WorkflowError as refusal:
        _refused(request, refusal)
    else:
        messages.success(request, f"已上传佐证材料“{ev.original_name}”")
    return _back(request, found, f"node-{node}")


@require_GET
def evidence_download(request, assessment: int, evidence: int) -> StreamingHttpResponse:
    found = assessment_for(request, assessment)
    item = Evidence.objects.filter(pk=evidence, assessment=found).select_related("assessment__branch").first()
    if item is None:
        raise Http404("没有找到该佐证材料")
    try:
        download = open_evidence(evidence=item, by=request.user)
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message_zh) from None
    return file_response(download)


def file_response(download: EvidenceDownload) -> StreamingHttpResponse:
    """The file as an attachment under its clean name, never cached by a shared cache (the API sends it the same way)."""
    response = StreamingHttpResponse(download.chunks(), content_type=download.content_type)
    response["Content-Length"] = str(download.size)
    response["Content-Disposition"] = content_disposition_header(True, download.filename)
    response["Cache-Control"] = "private, no-store"
    return response


# -- the report, the moves, fraud ------------------------------------------------------------------
@require_POST
def report(request, assessment: int) -> HttpResponse:
    found = assessment_for(request, assessment)
    form = ReportForm(request.POST)
    if not form.is_valid():
        messages.error(request, "自评报告未保存：" + "；".join(str(e[0]) for e in form.errors.values()))
        return _back(request, found, "report")
    try:
        services.save_report(assessment=found, text=form.cleaned_data["text"], passed_on=form.cleaned_data["passed_on"],
                             version=form.cleaned_data["version"], by=request.user)
    except WorkflowError as refusal:
        _refused(request, refusal)
    else:
        messages.success(request, "自评报告已保存")
    return _back(request, found, "report")


# The moves that ask first: what they fix cannot be taken back by the one who makes them.
CONFIRMED_MOVES = ("submit", "approve")


def move_confirmation(assessment: Assessment, action: str) -> dict | None:
    """What ``action`` will do to ``assessment``, in sentences with the figures (None: the move asks nothing)."""
    if action not in CONFIRMED_MOVES:
        return None
    stage = "self" if action == "submit" else "review"
    try:
        sheet = score(services.rubric_of(assessment), services.findings_data(assessment, stage=stage))
    except FindingsInvalid as invalid:
        figures = invalid.message_zh
    else:
        left = len(sheet.unassessed)
        figures = (f"{'自评' if stage == 'self' else '审核'}得分 {fmt(sheet.total)} 分（满分 {fmt(sheet.max_total)} 分）；"
                   + (f"尚有 {left} 项未填写。" if left else "各项均已填写。"))
    if action == "submit":
        lines = ["提交后自评数据和自评报告不能再修改，除非审核人退回。", figures]
        if not assessment.self_report.strip():
            lines.append("自评报告尚未填写。")
    else:
        lines = ["审核通过后审核得分即确定，不能再调整审核数据；该党支部进入“已审核”，可被抽入抽验样本并进入公示。", figures]
    return {"action": action, "label": MOVES[action].label, "lines": lines}


@require_POST
def move(request, assessment: int) -> HttpResponse:
    found = assessment_for(request, assessment)
    action = request.POST.get("action", "")
    if not any(action in moves for moves in MOVES_ON.values()):
        raise PermissionDenied("这些页面上没有该操作")      # sample, announce, finalize… have pages of their own
    if action in CONFIRMED_MOVES and request.POST.get("confirm") != "1":
        return _ask(request, found, action)
    version, reason = posted_version(request), request.POST.get("reason", "").strip()
    try:
        if action == "spot_check":
            found = inspection.complete_inspection(assessment=found, by=request.user, version=version)
        else:
            found = services.transition(assessment=found, action=action, by=request.user, reason=reason, version=version)
    except FindingsInvalid as invalid:
        missing = [e for e in invalid.errors if e.code == "unassessed"]
        messages.error(request, f"还有 {len(missing)} 条评定标准尚未填写，请填写完整后再“{MOVES[action].label}”"
                       if missing else invalid.message_zh)
        return _back(request, found)
    except WorkflowError as refusal:
        _refused(request, refusal)
        return _back(request, found)
    messages.success(request, f"已{MOVES[action].label}：当前状态为“{State(found.state).label}”")
    return _back(request, found)


def _ask(request, assessment: Assessment, action: str) -> HttpResponseRedirect:
    """The first POST of a move that asks: back to the page, which shows the confirmation beside the button."""
    stage = request.POST.get("stage", "self")
    url = reverse(PAGE_OF.get(stage, "web:self_assessment"), kwargs={"assessment": assessment.pk})
    return HttpResponseRedirect(f"{url}?confirm={action}#moves")


@require_POST
def fraud(request, assessment: int) -> HttpResponse:
    found = assessment_for(request, assessment)
    target, reason = request.POST.get("target", "")[:80], request.POST.get("reason", "").strip()
    if not target:
        messages.error(request, "缺少认定对象，请刷新页面后重试")
        return _back(request, found)
    version, withdraw = posted_version(request), request.POST.get("withdraw") == "1"
    if version is None:
        messages.error(request, "缺少版本号，请刷新页面后重试")
        return _back(request, found)
    service = services.withdraw_fraud if withdraw else services.flag_fraud
    try:
        service(assessment=found, target=target, reason=reason, version=version, by=request.user)
    except FindingsInvalid as invalid:
        messages.error(request, invalid.message_zh)
    except WorkflowError as refusal:
        _refused(request, refusal)
    else:
        messages.success(request, "已撤销弄虚作假认定" if withdraw else "已认定弄虚作假：该项作废并加倍扣分")
    return _back(request, found, f"node-{target}")
