"""The work-committee admin's cycles, the public notice and the dashboards.

Included by ``web/urls.py`` inside the ``web`` namespace (``web:cycle_list``, ``web:notice``, ``web:dashboard`` …).
"""

from django.urls import path

from chuangxing.web.views import cycle_lists, cycles, dashboards, publicity

C = "cycles/<int:cycle>/"

urlpatterns = [
    path("cycles/", cycles.cycle_list, name="cycle_list"),
    path("cycles/new/", cycles.cycle_new, name="cycle_new"),
    path(C, cycles.cycle_detail, name="cycle_detail"),
    path(f"{C}cancel/", cycles.cycle_cancel, name="cycle_cancel"),
    path(f"{C}roles/", cycles.cycle_roles, name="cycle_roles"),
    path(f"{C}roles/<int:assignment>/revoke/", cycles.role_revoke, name="role_revoke"),
    path(f"{C}sample/", cycles.cycle_sample, name="cycle_sample"),
    path(f"{C}publicity/", publicity.cycle_publicity, name="cycle_publicity"),
    path(f"{C}objections/<int:objection>/answer/", publicity.objection_answer, name="objection_answer"),
    path(f"{C}objections/dismiss/", publicity.objections_dismiss, name="objections_dismiss"),
    path(f"{C}finalize/", publicity.cycle_finalize, name="cycle_finalize"),
    path(f"{C}lists/", cycle_lists.cycle_lists, name="cycle_lists"),
    path(f"{C}reports/<slug:name>.<slug:fmt>", cycle_lists.cycle_report, name="cycle_report"),
    path(f"{C}dashboard/", dashboards.dashboard, name="dashboard"),
    path(f"{C}dashboard/short-board/<slug:indicator>/", dashboards.short_board_detail, name="short_board_detail"),
    path(f"{C}dashboard/branches/<int:assessment>/", dashboards.branch_dashboard, name="branch_dashboard"),
    # the same data as JSON, for the charts (the API serves what the page shows)
    path(f"api/{C}dashboard/", dashboards.dashboard_json, name="dashboard_json"),
    path(f"api/{C}dashboard/short-board/<slug:indicator>/", dashboards.short_board_detail_json,
         name="short_board_detail_json"),
    path(f"api/{C}dashboard/branches/<int:assessment>/", dashboards.branch_dashboard_json, name="branch_dashboard_json"),
    # 公示: public, no sign-in
    path("notice/<int:notice>/", publicity.notice, name="notice"),
]
