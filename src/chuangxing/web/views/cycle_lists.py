"""The official lists of a cycle (附件2, 未授星/未达标, distribution against the targets) and their downloads."""

from __future__ import annotations

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from chuangxing.assessments import lists
from chuangxing.assessments.workflow import Refused
from chuangxing.web import cycle_stats
from chuangxing.web.views.cycles import admin_cycle

# The reports offered as downloads on the lists page: (registry name, button text).
DOWNLOADS = (("recommendations", "附件2 推荐名单"), ("unstarred", "未授星（未达标）名单"),
             ("distribution", "星级分布与目标"), ("committee-summary", "考评结果汇总表"), ("short-board", "短板分析"))
FORMATS = (("xlsx", "Excel"), ("pdf", "PDF"), ("csv", "CSV"))


@require_GET
def cycle_lists(request, cycle: int):
    cycle = admin_cycle(request, cycle)
    recommendations = lists.recommendation_rows(cycle=cycle)
    try:
        unrated, unrated_error = lists.unrated_rows(cycle=cycle), ""
    except Refused as refusal:
        unrated, unrated_error = [], refusal.message_zh
    context = {
        "cycle": cycle, "tab": "lists", "recommendations": recommendations,
        "quota": lists.recommendation_quota(cycle=cycle, rows=recommendations),
        "unrated": unrated, "unrated_error": unrated_error,
        "distribution": cycle_stats.distribution(cycle),
        "downloads": _downloads(), "formats": FORMATS,
    }
    return render(request, "cycles/cycle_lists.html", context)


def _downloads() -> list[dict]:
    """The downloads the report registry offers (none when it is not installed)."""
    try:
        from chuangxing.reports.registry import reports
    except ImportError:
        return []
    known = {spec.name: spec for spec in reports()}
    return [{"name": name, "label": label, "formats": [f for f, _ in FORMATS if f in known[name].formats]}
            for name, label in DOWNLOADS if name in known]


@require_GET
def cycle_report(request, cycle: int, name: str, fmt: str):
    cycle = admin_cycle(request, cycle)
    from chuangxing.reports.registry import ReportError
    from chuangxing.reports.registry import render as render_report

    if name not in dict(DOWNLOADS):
        raise Http404("没有这个报表")
    try:
        content, filename, content_type = render_report(name, fmt, {"cycle": cycle.pk}, by=request.user)
    except ReportError as error:
        if error.code in ("unknown_report", "unknown_format", "not_found"):
            raise Http404(error.message) from None
        return render(request, "cycles/report_error.html", {"cycle": cycle, "message": error.message}, status=400)
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
