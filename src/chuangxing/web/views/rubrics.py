"""The rubric library (the home page) and one rubric as its official table."""

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from chuangxing.rubric import library
from chuangxing.web.tables import official_table


@require_GET
def rubric_list(request):
    return render(request, "rubrics/rubric_list.html", {"entries": library.list_entries()})


@require_GET
def rubric_detail(request, rubric_id: str):
    try:
        rubric = library.load(rubric_id)
    except KeyError:
        raise Http404(f"没有找到评分标准：{rubric_id}") from None
    context = {
        "rubric": rubric,
        "table": official_table(rubric),
        "category_titles": {category.id: category.title for category in rubric.categories},
    }
    return render(request, "rubrics/rubric_detail.html", context)
