"""CSV: UTF-8 with a BOM (so Excel on a Chinese Windows shows the Chinese), CRLF line ends.

Only the tables go into a CSV: a header line and the rows, values as the PDF shows them (points as
1.5, shares as 12.5%). Several tables follow one another, each after an empty line and its title.
Text that a spreadsheet would take for a formula (starting with = + - @) is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io

from chuangxing.reports.document import Document, Table, show
from chuangxing.reports.progress import Progress, Ticker

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def render_csv(document: Document, *, progress: Progress | None = None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    several = len(document.tables) > 1
    for index, table in enumerate(document.tables):
        if several:
            if index:
                writer.writerow([])
            writer.writerow([table.title or document.title])
        _write(writer, table, Ticker(progress, table.count, "写出 CSV"))
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _write(writer, table: Table, ticker: Ticker) -> None:
    writer.writerow([c.header for c in table.columns])
    for row in table.rows:
        if row.get("_span"):
            writer.writerow([_safe(str(row.get(table.columns[0].key) or ""))])
        else:
            writer.writerow([_safe(show(c, row.get(c.key))) if c.kind == "text" else show(c, row.get(c.key))
                             for c in table.columns])
        ticker.tick()
    ticker.done()


def _safe(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_START) else text
