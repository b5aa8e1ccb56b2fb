"""Importing the organization tree, members, meetings with attendance, and dues from Excel or CSV.

::

    template_workbook(kind) / template_csv(kind)   the file to fill in (workbooks.py)
    import_file(path, kind=...) -> ImportResult    read → check everything → write all or nothing (service.py)
      sources.py        the file, distrusted: size, zip, XML declarations, formulas, encoding, row limits
      sheets.py         header row → layout; each cell parsed by its column
      columns.py        the column declarations' cell kinds: Text, Code, DateCell, Month, Choice, YesNo, Money
      organizations.py  members.py  meetings.py  dues.py   one importer per kind: its sheets, checks, writing
    export_workbook(kind, queryset)                the template's layout with rows; re-imports as "unchanged"
    run_import(path, kind) / run_template(kind, out)   for the command line (commands.py)

Kinds: ``organizations`` (组织), ``members`` (党员), ``meetings`` (会议 + 出勤), ``attendance`` (出勤 alone,
e.g. a CSV file) and ``dues`` (党费). Keys: 组织编码, 党员编号, 会议编号, (会议编号, 党员编号),
(党员编号, 月份). Importing the same file twice changes nothing the second time.
"""

from typing import Any

from chuangxing.records.imports.commands import run_import, run_template  # no Django import: usable before setup

_LAZY = {
    "Counts": "problems", "ImportProblem": "problems", "ImportResult": "problems", "Limits": "problems",
    "import_file": "service", "export_workbook": "workbooks", "template_csv": "workbooks", "template_workbook": "workbooks",
}
__all__ = ["Counts", "ImportProblem", "ImportResult", "Limits", "export_workbook", "import_file", "run_import",
           "run_template", "template_csv", "template_workbook"]


def __getattr__(name: str) -> Any:
    """The rest loads the models, so it is imported on first use (after ``django.setup()``)."""
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f"{__name__}.{_LAZY[name]}"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
