"""One assessment: its sheet, saving findings, the self-assessment report, moves, the review side by side, and
its score sheet as a file (``score-sheet.pdf`` / ``.xlsx``, ``?stage=self|review|inspection``, default the stage
it is at; the report registry's ``score-sheet``). Every call goes through the services, which check the user's
role, the state, the deadline and the version."""

from __future__ import annotations

from django.http import Http404
from ninja import Router

from chuangxing.assessments.inspection import complete_inspection
from chuangxing.assessments.models import Assessment
from chuangxing.assessments.services import (
    MOVE_SERVICES,
    allowed_actions,
    get_assessment,
    save_findings,
    save_report,
    sheet_of,
    transition,
)
from chuangxing.assessments.sheets import review_view
from chuangxing.assessments.workflow import NotAllowed
from chuangxing.reports.render import CONTENT_TYPES
from chuangxing.reports.scoresheet import sheet_file
from chuangxing.web.api.v1.errors import ApiError
from chuangxing.web.api.v1.schemas import (
    AssessmentDetail,
    Error,
    FindingsIn,
    ReportIn,
    ReportOut,
    ReviewRows,
    Stage,
    TransitionIn,
)
from chuangxing.web.api.v1.shapes import assessment_summary
from chuangxing.web.views.score_sheets import attachment

router = Router(tags=["考评"])
REFUSALS = {403: Error, 404: Error}
# The moves of the whole cycle have endpoints of their own.
ELSEWHERE = {"sample": "POST /api/v1/cycles/{cycle}/sample", "announce": "POST /api/v1/cycles/{cycle}/notices",
             "finalize": "POST /api/v1/cycles/{cycle}/finalize"}


def assessment_for(request, pk: int) -> Assessment:
    """The assessment if the user may read it: 404 when there is none, 403 (audited) otherwise."""
    try:
        return get_assessment(pk=pk, by=request.auth)
    except NotAllowed:
        if not Assessment.objects.filter(pk=pk).exists():
            raise Http404("没有找到该考评") from None
        raise


def _detail(request, assessment: Assessment, stage: str) -> dict:
    assessment.refresh_from_db()
    return {**assessment_summary(assessment), "stage": stage, "actions": allowed_actions(assessment, by=request.auth),
            "sheet": sheet_of(assessment, stage=stage).to_dict()}


@router.get("/{int:assessment_id}", response={200: AssessmentDetail, **REFUSALS}, summary="一份考评及评分表")
def assessment_detail(request, assessment_id: int, stage: Stage = "review"):
    return _detail(request, assessment_for(request, assessment_id), stage)


@router.put("/{int:assessment_id}/findings",
            response={200: AssessmentDetail, 400: Error, 409: Error, 422: Error, **REFUSALS},
            summary="保存评分输入（带 version，冲突返回 409）")
def put_findings(request, assessment_id: int, body: FindingsIn):
    assessment = assessment_for(request, assessment_id)
    values = {rule: change.model_dump() for rule, change in body.values.items()}
    assessment = save_findings(assessment=assessment, stage=body.stage, values=values, version=body.version,
                               by=request.auth)
    return _detail(request, assessment, body.stage)


@router.post("/{int:assessment_id}/transitions", response={200: AssessmentDetail, 400: Error, 409: Error, **REFUSALS},
             summary="流转（提交、退回、审核通过……）")
def post_transition(request, assessment_id: int, body: TransitionIn):
    assessment = assessment_for(request, assessment_id)
    if body.action == "spot_check":             # 完成抽验: compares with the review, as the inspection page does
        assessment = complete_inspection(assessment=assessment, by=request.auth, version=body.version)
    elif body.action in MOVE_SERVICES:
        where = ELSEWHERE.get(body.action, "").format(cycle=assessment.cycle_id)
        raise ApiError(400, "not_here", f"“{body.action}”涉及整个周期或更多步骤，"
                       + (f"请使用 {where}" if where else "请在相应页面办理"))
    else:
        assessment = transition(assessment=assessment, action=body.action, by=request.auth, reason=body.reason,
                                version=body.version)
    return _detail(request, assessment, "review")


def _report(assessment: Assessment) -> dict:
    return {"assessment": assessment.pk, "version": assessment.version, "state": assessment.state,
            "text": assessment.self_report, "passed_on": assessment.report_passed_on}


@router.get("/{int:assessment_id}/report", response={200: ReportOut, **REFUSALS}, summary="自评报告")
def report_detail(request, assessment_id: int):
    return _report(assessment_for(request, assessment_id))


@router.put("/{int:assessment_id}/report", response={200: ReportOut, 400: Error, 409: Error, **REFUSALS},
            summary="保存自评报告（带 version，冲突返回 409）")
def report_save(request, assessment_id: int, body: ReportIn):
    assessment = assessment_for(request, assessment_id)
    return _report(save_report(assessment=assessment, text=body.text, passed_on=body.passed_on, version=body.version,
                               by=request.auth))


@router.get("/{int:assessment_id}/review", response={200: ReviewRows, **REFUSALS}, summary="自评与审核逐项对照")
def review_rows(request, assessment_id: int):
    assessment = assessment_for(request, assessment_id)
    return {"assessment": assessment.pk, "rows": review_view(assessment, by=request.auth)}


def _sheet_file(request, assessment_id: int, fmt: str, stage: str | None):
    assessment = assessment_for(request, assessment_id)
    return attachment(*sheet_file(assessment, "score-sheet", fmt, stage=stage, by=request.auth))


def _file_described(fmt: str) -> dict:
    return {"responses": {200: {"description": f"评分表文件（{fmt}；Content-Disposition 带中文文件名）",
                                "content": {CONTENT_TYPES[fmt]: {"schema": {"type": "string", "format": "binary"}}}}}}


@router.get("/{int:assessment_id}/score-sheet.pdf", response={400: Error, **REFUSALS}, summary="评分表（PDF）",
            openapi_extra=_file_described("pdf"))
def score_sheet_pdf(request, assessment_id: int, stage: Stage | None = None):
    return _sheet_file(request, assessment_id, "pdf", stage)


@router.get("/{int:assessment_id}/score-sheet.xlsx", response={400: Error, **REFUSALS}, summary="评分表（Excel）",
            openapi_extra=_file_described("xlsx"))
def score_sheet_xlsx(request, assessment_id: int, stage: Stage | None = None):
    return _sheet_file(request, assessment_id, "xlsx", stage)
