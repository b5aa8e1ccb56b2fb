"""Evidence files (佐证材料) of one assessment: list, upload, download, through :mod:`chuangxing.assessments.evidence`.

The file is judged by its content, its size and its name there (``add_evidence``), for the same
people in the same states as the pages: the secretary while the self-assessment is editable, the
reviewer under review, the inspector while sampled. The pages offer no deletion, nor does the API.
"""

from __future__ import annotations

from typing import Annotated

from django.http import Http404
from ninja import File, Form, Router, Status, UploadedFile
from pydantic import Field

from chuangxing.assessments.evidence import add_evidence, evidence_info, open_evidence
from chuangxing.assessments.models import Evidence
from chuangxing.web.api.v1.assessments import REFUSALS, assessment_for
from chuangxing.web.api.v1.schemas import Error, EvidenceOut
from chuangxing.web.views.assessment_actions import file_response

router = Router(tags=["佐证材料"])

NodeId = Annotated[str, Field(min_length=1, max_length=80, description="指标或分项的编号")]


@router.get("/{int:assessment_id}/evidence", response={200: list[EvidenceOut], **REFUSALS}, summary="一份考评的佐证材料")
def evidence_list(request, assessment_id: int):
    assessment = assessment_for(request, assessment_id)
    return [evidence_info(e) for e in assessment.evidence.order_by("node_id", "uploaded_at", "pk")]


@router.post("/{int:assessment_id}/evidence",
             response={201: EvidenceOut, 400: Error, 413: Error, **REFUSALS},
             summary="上传佐证材料（multipart：node、file；按内容判断类型）")
def evidence_upload(request, assessment_id: int, node: Form[NodeId], file: File[UploadedFile]):
    assessment = assessment_for(request, assessment_id)
    return Status(201, evidence_info(add_evidence(assessment=assessment, node_id=node, uploaded_file=file, by=request.auth)))


@router.get("/{int:assessment_id}/evidence/{int:evidence_id}", response={**REFUSALS}, summary="下载一份佐证材料",
            openapi_extra={"responses": {200: {"description": "文件内容（Content-Disposition 带原文件名）",
                                               "content": {"application/octet-stream": {}}}}})
def evidence_download(request, assessment_id: int, evidence_id: int):
    assessment = assessment_for(request, assessment_id)
    item = Evidence.objects.filter(pk=evidence_id, assessment=assessment).select_related("assessment__branch").first()
    if item is None:                     # another assessment's file is not found through this one
        raise Http404("没有找到该佐证材料")
    return file_response(open_evidence(evidence=item, by=request.auth))
