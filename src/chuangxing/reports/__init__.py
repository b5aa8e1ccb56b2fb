"""Reports: one report yields rows; renderers own the formats (xlsx, pdf, csv) and the charts.

::

    registry.py     report declarations, render(name, format, params) -> (bytes, filename, content type),
                    run_report_cli(...) with progress on stderr; the reports listed by reports()
    document.py     what a report gives: Document → Table (Column, rows) + Chart + text lines
    render/         xlsx (openpyxl, write-only; fastrows for big plain sheets), pdf (reportlab platypus, paged
                    tables), csv, charts (matplotlib)
    fonts.py        the shipped Chinese font and DejaVu Sans, embedded in every PDF and chart
    scoresheet.py   the per-branch score sheet in the standard's table layout (from a ScoreSheet or an Assessment)
    cycle.py        committee summary, 附件2 recommendation list, 未达标 list, distribution, short-board analysis
    scores.py       every node's score for many branches at once (batch engine), for the summary and short board
    fillin.py       the blank score sheet to fill offline, and reading it back as findings (validated)
    rubric_xlsx.py  a rubric to Excel in the official layout and back (round trip exact)
    uploads.py      opening an uploaded workbook without trusting it (zip bombs, formulas, huge sheets)

>>> from chuangxing.reports import render
>>> content, filename, content_type = render("committee-summary", "xlsx", {"cycle": 3}, by=request.user)
"""

from chuangxing.reports.registry import ReportError, render, reports, run_report_cli

__all__ = ["ReportError", "render", "reports", "run_report_cli"]
