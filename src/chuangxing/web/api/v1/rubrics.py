"""The rubric library: the same data as ``/api/rubrics/`` and the rubric pages."""

from __future__ import annotations

from typing import Any

from ninja import Router

from chuangxing.rubric import library
from chuangxing.rubric.export import rubric_tree
from chuangxing.web.api.v1.errors import ApiError
from chuangxing.web.api.v1.schemas import Error, RubricSummary

router = Router(tags=["评分标准"])


@router.get("", response=list[RubricSummary], summary="标准库")
def rubric_list(request):
    return [{"id": e.id, "title": e.title, "issuer": e.issuer, "year": e.year, "version": str(e.version),
             "status": e.status, "family": e.family, "variant_title": e.variant_title}
            for e in library.list_entries()]


@router.get("/{rubric_id}", response={200: dict[str, Any], 404: Error}, summary="一个标准（树形）")
def rubric_detail(request, rubric_id: str):
    try:
        rubric = library.load(rubric_id)
    except KeyError:
        raise ApiError(404, "not_found", f"没有找到评分标准：{rubric_id}") from None
    return rubric_tree(rubric)
