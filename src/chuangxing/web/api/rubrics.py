"""``/api/rubrics/``: the rubric library, and one rubric as a tree (``rubric.export.rubric_tree``)."""

from django.core.serializers.json import DjangoJSONEncoder
from django.http import JsonResponse
from django.urls import reverse
from django.views.decorators.http import require_GET

from chuangxing.rubric import library
from chuangxing.rubric.export import rubric_tree
from chuangxing.web.api.errors import api_error


def _json(data: dict) -> JsonResponse:
    return JsonResponse(data, encoder=DjangoJSONEncoder, json_dumps_params={"ensure_ascii": False})


@require_GET
def rubric_list(request):
    rubrics = [
        {
            "id": entry.id,
            "title": entry.title,
            "issuer": entry.issuer,
            "year": entry.year,
            "version": entry.version,
            "status": entry.status,
            "family": entry.family,
            "variant_title": entry.variant_title,
            "url": reverse("web:api_rubric_detail", args=[entry.id]),
        }
        for entry in library.list_entries()
    ]
    return _json({"rubrics": rubrics})


@require_GET
def rubric_detail(request, rubric_id: str):
    try:
        rubric = library.load(rubric_id)
    except KeyError:
        return api_error("rubric_not_found", f"没有找到评分标准：{rubric_id}", status=404)
    return _json(rubric_tree(rubric))
