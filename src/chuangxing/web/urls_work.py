"""我的工作 and what the branch secretary, the reviewer and the inspector do: records, self-assessment, review, spot check.

Included by ``web/urls.py`` inside the ``web`` namespace (``web:my_work``, ``web:self_assessment`` …).
"""

from django.urls import path

from chuangxing.web.views import assessment_actions as actions
from chuangxing.web.views import records, review, score_sheets, self_assessment, work

A = "assessments/<int:assessment>/"
B = "branches/<int:branch>/"

urlpatterns = [
    path("work/", work.my_work, name="my_work"),
    # the self-assessment, the review and the spot check of one assessment
    path(f"{A}self/", self_assessment.self_assessment, name="self_assessment"),
    path(f"{A}self/refresh-facts/", self_assessment.refresh_facts, name="refresh_facts"),
    path(f"{A}review/", review.review, name="review"),
    path(f"{A}inspection/", review.inspection, name="inspection"),
    path(f"{A}<slug:stage>/preview/", actions.preview, name="assessment_preview"),
    path(f"{A}facts/<slug:name>/", actions.override, name="fact_override"),
    path(f"{A}evidence/", actions.evidence_upload, name="evidence_upload"),
    path(f"{A}evidence/<int:evidence>/", actions.evidence_download, name="evidence_download"),
    path(f"{A}report/", actions.report, name="self_report"),
    path(f"{A}move/", actions.move, name="assessment_move"),
    path(f"{A}fraud/", actions.fraud, name="assessment_fraud"),
    path(f"{A}score-sheet.<slug:fmt>", score_sheets.score_sheet, name="score_sheet"),
    path(f"{A}blank-sheet.xlsx", score_sheets.blank_sheet, name="blank_sheet"),
    # a branch's records
    path(f"{B}members/", records.member_list, name="member_list"),
    path(f"{B}members/new/", records.member_form, name="member_new"),
    path(f"{B}members/<int:member>/", records.member_form, name="member_edit"),
    path(f"{B}meetings/", records.meeting_list, name="meeting_list"),
    path(f"{B}meetings/new/", records.meeting_form, name="meeting_new"),
    path(f"{B}meetings/<int:meeting>/", records.meeting_detail, name="meeting_detail"),
    path(f"{B}meetings/<int:meeting>/edit/", records.meeting_form, name="meeting_edit"),
    path(f"{B}dues/", records.dues_grid, name="dues_grid"),
    path(f"{B}dues/<int:member>/<int:year>/<int:month>/", records.dues_form, name="dues_edit"),
    path(f"{B}import/", records.record_import, name="record_import"),
    path(f"{B}import/<slug:kind>.xlsx", records.import_template, name="import_template"),
]
