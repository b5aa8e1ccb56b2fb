"""Renderers own the formats: each takes a :class:`~chuangxing.reports.document.Document` and gives bytes.

>>> render_xlsx(document)      # openpyxl, write-only (streamed): merged cells, frozen header, charts as images
>>> render_pdf(document)       # reportlab platypus: A4, the shipped fonts embedded, Chinese wrapped, charts
>>> render_csv(document)       # UTF-8 with BOM (Excel shows the Chinese), the tables' rows only
"""

from chuangxing.reports.render.csv import render_csv
from chuangxing.reports.render.pdf import render_pdf
from chuangxing.reports.render.xlsx import render_xlsx

RENDERERS = {"xlsx": render_xlsx, "pdf": render_pdf, "csv": render_csv}
CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}

__all__ = ["CONTENT_TYPES", "RENDERERS", "render_csv", "render_pdf", "render_xlsx"]
