"""A branch's score sheet as a download, where people look for it: the assessment pages and the branch dashboard.

::

    GET /assessments/<a>/score-sheet.pdf?stage=review    评分表（PDF）of a stage (default: the stage the assessment is at)
    GET /assessments/<a>/score-sheet.xlsx?stage=review   评分表（Excel）
    GET /assessments/<a>/blank-sheet.xlsx                空白评分表（供线下填写）, the sheet fillin.read_filled_values reads back

The files are the report registry's (``score-sheet``, ``blank-sheet``), made for the user asking: whoever
may open the assessment (``lookups.assessment_for``: an unknown id is a 404, another branch's a 403,
audited) may download its sheets, as the API's ``GET /api/v1/assessments/{id}/score-sheet.pdf`` does.
"""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from chuangxing.assessments.models import Assessment
from chuangxing.reports.registry import ReportError
from chuangxing.reports.scoresheet import STAGE_LABELS, sheet_file
from chuangxing.web.lookups import assessment_for

SHEET_FORMATS = {"pdf": "评分表（PDF）", "xlsx": "评分表（Excel）"}
BLANK_LABEL = "空白评分表（供线下填写）"


def sheet_links(assessment: Assessment, stage: str | None = None) -> list[dict[str, str]]:
    """The download block of a page: the sheet at ``stage`` (None: the current one) as PDF and Excel, and the blank one."""
    query = f"?stage={stage}" if stage else ""
    links = [{"label": label, "url": reverse("web:score_sheet", kwargs={"assessment": assessment.pk, "fmt": fmt}) + query,
              "format": fmt} for fmt, label in SHEET_FORMATS.items()]
    links.append({"label": BLANK_LABEL, "url": reverse("web:blank_sheet", kwargs={"assessment": assessment.pk}),
                  "format": "xlsx"})
    return links


def attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    """A made file as an attachment under its Chinese name (RFC 5987 ``filename*``), never kept by a shared cache."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def score_sheet(request, assessment: int, fmt: str) -> HttpResponse:
    if fmt not in SHEET_FORMATS:
        raise Http404("评分表只能下载为 PDF 或 Excel")
    found = assessment_for(request, assessment)
    stage = request.GET.get("stage") or None
    if stage is not None and stage not in STAGE_LABELS:
        return HttpResponseBadRequest(f"评分阶段只能是：{'、'.join(STAGE_LABELS.values())}",
                                      content_type="text/plain; charset=utf-8")
    return _file(request, found, "score-sheet", fmt, stage)


@require_GET
def blank_sheet(request, assessment: int) -> HttpResponse:
    return _file(request, assessment_for(request, assessment), "blank-sheet", "xlsx", None)


def _file(request, assessment: Assessment, name: str, fmt: str, stage: str | None) -> HttpResponse:
    try:
        return attachment(*sheet_file(assessment, name, fmt, stage=stage, by=request.user))
    except ReportError as error:       # the registry's own check said no: as if there were none
        raise Http404(error.message) from None
