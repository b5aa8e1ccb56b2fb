"""What ``chuangxing import KIND FILE`` and ``chuangxing template KIND OUT`` run; they return the exit status.

    run_import("党员.xlsx", "members")      # prints the counts, or every problem in Chinese; 0 or 1
    run_template("dues", "党费.csv")          # .xlsx or .csv, by the suffix of OUT
"""

from __future__ import annotations

import sys
from pathlib import Path

OK, FAILED = 0, 1
MAX_PRINTED = 1000


def _django() -> None:
    import os

    import django
    from django.apps import apps

    if not apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
        django.setup()


def run_import(path: str | Path, kind: str) -> int:
    """Import ``path`` as ``kind``; the result goes to stdout, problems to stderr (Chinese). 0: imported, 1: refused."""
    _django()
    from chuangxing.records.imports.kinds import UnknownKind
    from chuangxing.records.imports.service import import_file

    try:
        result = import_file(path, kind=kind)
    except UnknownKind as exc:
        print(str(exc), file=sys.stderr)
        return FAILED
    stream = sys.stdout if result.ok else sys.stderr
    for line in result.summary():
        print(line, file=stream)
    for problem in result.problems[:MAX_PRINTED]:
        print(f"  {problem}", file=sys.stderr)
    if len(result.problems) > MAX_PRINTED:
        print(f"  ……另有 {len(result.problems) - MAX_PRINTED} 个问题未列出", file=sys.stderr)
    return OK if result.ok else FAILED


def run_template(kind: str, out_path: str | Path) -> int:
    """Write ``kind``'s template to ``out_path``: a workbook for .xlsx, the header line for .csv (UTF-8 with BOM)."""
    _django()
    from chuangxing.records.imports.kinds import UnknownKind
    from chuangxing.records.imports.workbooks import template_csv, template_workbook

    out = Path(out_path)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        print(f"模板文件名应以 .xlsx 或 .csv 结尾（收到“{out.name}”）", file=sys.stderr)
        return FAILED
    try:
        data = template_csv(kind) if out.suffix.lower() == ".csv" else template_workbook(kind)
    except UnknownKind as exc:
        print(str(exc), file=sys.stderr)
        return FAILED
    try:
        out.write_bytes(data)
    except OSError as exc:
        print(f"无法写入“{out}”：{exc.strerror}", file=sys.stderr)
        return FAILED
    print(f"已生成模板：{out}")
    return OK
