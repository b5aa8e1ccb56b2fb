"""``import_file``: read, check everything, then write everything in one transaction, or nothing.

The transaction ends by announcing the branches whose records changed (``records.signals``): their
self-assessments still in the branch's hands read the new facts before it commits.

>>> result = import_file("党员.xlsx", kind="members")
>>> result.ok, result.counts["members"].created
(True, 120)
>>> [str(p) for p in import_file("坏文件.xlsx", kind="members").problems]
['【党员】第 5 行 F 列（入党日期）：日期“2024-13-01”无法识别，应写成 2024-03-01 这样的日期']
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

from django.db import DatabaseError, IntegrityError, transaction

from chuangxing.records.imports.kinds import Kind, get_kind
from chuangxing.records.imports.problems import ImportProblem, ImportResult, Limits, Refused
from chuangxing.records.imports.sheets import Row, read_header, read_rows
from chuangxing.records.imports.sources import Source, read_source
from chuangxing.records.signals import announce

log = logging.getLogger("chuangxing.records.imports")
LOGGED_PROBLEMS = 200


class _Rollback(Exception):
    pass


def import_file(source: str | Path | BinaryIO, *, kind: str, filename: str | None = None,
                limits: Limits | None = None) -> ImportResult:
    """Import ``source`` (a path, or a seekable binary file with ``filename`` telling .xlsx or .csv) as ``kind``.

    Every problem is collected before anything is written; a file with any problem writes nothing.
    """
    spec = get_kind(kind)
    name = filename or (str(source) if isinstance(source, (str, Path)) else getattr(source, "name", "upload"))
    result = ImportResult(kind=kind, source=Path(name).name)
    try:
        with _opened(source) as file:
            data = read_source(file, filename=name, specs=spec.sheets, limits=limits or Limits.from_settings())
    except Refused as exc:
        result.problems = [exc.problem]
    else:
        result.encoding = data.encoding
        result.problems = _import(spec, data, result)
    _log(result)
    return result


@contextmanager
def _opened(source: str | Path | BinaryIO) -> Iterator[BinaryIO]:
    if isinstance(source, (str, Path)):
        try:
            file = open(source, "rb")   # noqa: SIM115 - closed below
        except OSError as exc:
            raise Refused(ImportProblem("not_found", f"无法打开文件“{source}”：{exc.strerror}", f"cannot open: {exc}")) from None
        with file:
            yield file
    else:
        source.seek(0)
        yield source


def _import(kind: Kind, data: Source, result: ImportResult) -> list[ImportProblem]:
    problems = list(data.problems)
    rows: dict[str, list[Row]] = {}
    headers_ok = True
    for sheet in kind.sheets:
        raw = data.sheets.get(sheet.name)
        if raw is None:
            continue
        layout = read_header(raw, sheet, problems)
        if layout is None:
            headers_ok = False
        else:
            rows[sheet.name] = read_rows(raw, layout, problems)
    if headers_ok and not any(p.code == "missing_sheet" for p in problems):
        _check_and_write(kind, rows, problems, result)
    order = {name: i for i, name in enumerate([s.name for s in kind.sheets] + [r.name for r in data.sheets.values()])}
    return sorted(problems, key=lambda p: (order.get(p.sheet or "", -1), p.row or 0, len(p.column or ""), p.column or ""))


def _check_and_write(kind: Kind, rows: dict[str, list[Row]], problems: list[ImportProblem], result: ImportResult) -> None:
    try:
        with transaction.atomic():
            plan = kind.check(rows, problems)
            if problems:
                raise _Rollback
            result.counts = plan.write()
            announce(sender=f"records.import.{kind.name}", branches=plan.branches())
    except _Rollback:
        pass
    except (IntegrityError, DatabaseError) as exc:   # e.g. another import wrote the same keys meanwhile
        log.warning("import %s failed while writing: %r", kind.name, exc)
        problems.append(ImportProblem("write_failed", "写入数据库时失败（可能有人同时导入了相同的数据），未导入任何数据；请重试",
                                      f"database refused the rows: {exc}"))


def _log(result: ImportResult) -> None:
    if result.ok:
        log.info("import %s from %s: %s", result.kind, result.source,
                 "; ".join(f"{k} +{c.created} ~{c.updated} ={c.unchanged} -{c.removed}" for k, c in result.counts.items()))
        return
    log.warning("import %s from %s refused: %d problem(s), nothing written", result.kind, result.source, len(result.problems))
    for problem in result.problems[:LOGGED_PROBLEMS]:
        log.warning("  %s", problem.english())
