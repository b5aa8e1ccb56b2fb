"""Dashboards of a cycle, with charts drawn by the vendored Chart.js from the JSON endpoints beside each page.

Each page renders its tables from a ``*_data`` function; its JSON endpoint serves that same dict, and the
page's charts read the endpoint (``static/web/dashboards.js``): the numbers in a chart are the numbers in
the table under it.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from chuangxing.assessments import history
from chuangxing.assessments.models import Assessment
from chuangxing.reports.scoresheet import STAGE_LABELS, default_stage
from chuangxing.web import cycle_stats
from chuangxing.web.views.cycles import admin_cycle
from chuangxing.web.views.score_sheets import sheet_links

SHORT_BOARD_CHART = 15        # indicators in the short-board chart (the table lists them all)
LOSING_PER_PAGE = 200         # branches per page of a drill-down (its JSON serves them all)


def dashboard_data(cycle) -> dict[str, Any]:
    return {
        "cycle": {"id": cycle.pk, "name": cycle.name},
        "distribution": cycle_stats.distribution(cycle),
        "levels": cycle_stats.level_counts(cycle),
        "short_board": cycle_stats.short_board(cycle),
        "unscored": cycle_stats.unscored(cycle),
        "submissions": cycle_stats.submissions_per_day(cycle),
        "progress": {k: v for k, v in cycle_stats.progress(cycle).items() if k in ("total", "submitted", "counts")},
    }


@require_GET
def dashboard(request, cycle: int):
    cycle = admin_cycle(request, cycle)
    data = dashboard_data(cycle)
    context = {"cycle": cycle, "data": data, "tab": "dashboard",
               "overall": [r for r in data["distribution"] if r["committee_id"] is None],
               "committees": [r for r in data["distribution"] if r["committee_id"] is not None],
               "data_url": reverse("web:dashboard_json", kwargs={"cycle": cycle.pk})}
    return render(request, "dashboards/dashboard.html", context)


@require_GET
def dashboard_json(request, cycle: int):
    return JsonResponse(plain(dashboard_data(admin_cycle(request, cycle))))


# -- drill-down: the branches losing points on one indicator --------------------------------------
@require_GET
def short_board_detail(request, cycle: int, indicator: str):
    cycle = admin_cycle(request, cycle)
    data = cycle_stats.losing_branches(cycle, indicator)
    if data is None:
        raise Http404(f"本周期的考评标准没有指标“{indicator}”")
    page = Paginator(data["rows"], LOSING_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "dashboards/short_board_detail.html",
                  {"cycle": cycle, "data": data, "page": page, "tab": "dashboard"})


@require_GET
def short_board_detail_json(request, cycle: int, indicator: str):
    data = cycle_stats.losing_branches(admin_cycle(request, cycle), indicator)
    if data is None:
        raise Http404(indicator)
    return JsonResponse(plain(data))


# -- one branch: category scores (radar) and its ratings over the years ------------------------------
def branch_data(assessment: Assessment) -> dict[str, Any]:
    return {"assessment": assessment.pk, "branch": assessment.branch.name, "cycle": assessment.cycle.name,
            "categories": cycle_stats.branch_categories(assessment), "history": history.history(assessment.branch)}


def _assessment(request, cycle: int, assessment: int) -> Assessment:
    cycle = admin_cycle(request, cycle)
    return get_object_or_404(Assessment.objects.select_related("cycle", "branch"), pk=assessment, cycle=cycle)


@require_GET
def branch_dashboard(request, cycle: int, assessment: int):
    a = _assessment(request, cycle, assessment)
    context = {"cycle": a.cycle, "data": branch_data(a), "tab": "dashboard",
               "sheet_links": sheet_links(a), "sheet_stage": STAGE_LABELS[default_stage(a)],
               "data_url": reverse("web:branch_dashboard_json", kwargs={"cycle": a.cycle_id, "assessment": a.pk})}
    return render(request, "dashboards/branch_dashboard.html", context)


@require_GET
def branch_dashboard_json(request, cycle: int, assessment: int):
    return JsonResponse(plain(branch_data(_assessment(request, cycle, assessment))))


def plain(value: Any) -> Any:
    """Decimals as text (exact points), dates as ISO text: JSON the page's numbers survive unchanged."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral() else format(value, "f")
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
