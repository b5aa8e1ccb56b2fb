"""The facts of one assessment (computed from the records, or overridden by a person with a reason).

A value sent is parsed by the page's own form (``findings_form.fact_override_form``: by the fact's
unit, a checklist's items) and saved by ``services.override_fact``, which checks the role, the state
and the version (409 when stale). ``null`` takes an override back: the computed value applies again.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import Http404
from ninja import Router

from chuangxing.assessments.services import override_fact, rubric_of
from chuangxing.facts.catalogue import FACTS
from chuangxing.web.api.v1.assessments import REFUSALS, assessment_for
from chuangxing.web.api.v1.errors import ApiError
from chuangxing.web.api.v1.schemas import Error, FactOut, FactOverrideIn, FactOverrideOut
from chuangxing.web.assessment_page import fact_rows
from chuangxing.web.findings_form import fact_override_form

router = Router(tags=["事实"])


def _fact(rubric, name: str, row: dict) -> dict:
    catalogued, declared = FACTS.get(name), rubric.facts.get(name)
    described = catalogued or declared
    return {"name": name, "description": described.description if described else name,
            "unit": (declared or catalogued).unit if described else "text", **row}


@router.get("/{int:assessment_id}/facts", response={200: list[FactOut], **REFUSALS}, summary="一份考评的事实")
def fact_list(request, assessment_id: int):
    assessment = assessment_for(request, assessment_id)
    rubric = rubric_of(assessment)
    return [_fact(rubric, name, row) for name, row in sorted(fact_rows(assessment).items())]


@router.put("/{int:assessment_id}/facts/{name}",
            response={200: FactOverrideOut, 400: Error, 409: Error, 422: Error, **REFUSALS},
            summary="人工修改一项事实（须写明理由；value 为 null 时撤销修改）")
def fact_override(request, assessment_id: int, name: str, body: FactOverrideIn):
    assessment = assessment_for(request, assessment_id)
    rubric = rubric_of(assessment)
    blank = fact_override_form(rubric, name)
    if blank is None:
        raise Http404("本标准没有该事实")
    value = None
    if body.value is not None:
        multiple = isinstance(blank.fields["value"], forms.MultipleChoiceField)
        form = fact_override_form(rubric, name, {"value": _as_posted(body.value, multiple), "reason": body.reason,
                                                 "version": body.version})
        if not form.is_valid():
            first = next(iter(form.errors.values()))[0]
            raise ApiError(400, "fact_invalid", f"修改“{_label(rubric, name)}”未保存：{first}")
        value = form.value()
    override_fact(assessment=assessment, name=name, value=value, reason=body.reason, version=body.version,
                  by=request.auth)
    assessment.refresh_from_db()
    return {"assessment": assessment.pk, "version": assessment.version,
            "fact": _fact(rubric, name, fact_rows(assessment)[name])}


def _as_posted(value: Any, multiple: bool) -> Any:
    """A JSON value as the page's form posts it: 是/否 as yes/no, items as the checked boxes (or one line of
    ids where the fact has no checklist), the rest as text."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return [str(v) for v in value] if multiple else ",".join(str(v) for v in value)
    return [str(value)] if multiple else str(value)


def _label(rubric, name: str) -> str:
    described = FACTS.get(name) or rubric.facts.get(name)
    return described.description if described else name
