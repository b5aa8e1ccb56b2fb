"""A branch secretary's import: the records importer, limited to the secretary's own branch.

>>> result = import_for_branch(upload, kind="members", branch=branch, filename="党员.xlsx")
>>> [str(p) for p in result.problems]
['【党员】第 3 行 C 列（所在党支部编码）：只能导入本支部（A1）的数据，此行为“B1”']

``records.imports.import_file`` imports for the whole tree (an admin's job). Before it runs, every row
is checked against the branch: its branch code, a meeting key already held by another branch, a member
number of another branch. Any such row is a problem with its sheet, row and column, listed with the
importer's own problems (its run is rolled back), and nothing is written.

A branch's file holds at most ``CHUANGXING_IMPORT_MAX_ROWS`` rows per sheet (default 5,000: a year of
monthly dues for 400 members); a longer one is refused unread past that row (``too_many_rows``, naming
the sheet and the cap). The whole-tree import (``chuangxing records import``, an admin's) keeps the
importer's own limits (``Limits``: 200,000 rows per sheet).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import replace
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction

from chuangxing.orgs.models import Member, Organization
from chuangxing.records.imports import ImportResult, import_file
from chuangxing.records.imports.kinds import get_kind
from chuangxing.records.imports.problems import ImportProblem, Limits, Refused
from chuangxing.records.imports.sheets import Row, read_header, read_rows
from chuangxing.records.imports.sources import read_source
from chuangxing.records.models import Attendance, Dues, Meeting

BRANCH_KINDS = ("members", "meetings", "attendance", "dues")
log = logging.getLogger("chuangxing.records.imports")


def import_for_branch(file: BinaryIO, *, kind: str, branch: Organization, filename: str) -> ImportResult:
    """Import ``file`` as ``kind`` if every row belongs to ``branch``; otherwise nothing, with the problems."""
    if kind not in BRANCH_KINDS:
        raise ValueError(f"支部不能导入“{kind}”")
    limits = branch_limits()
    outside = list(_outside(file, kind=kind, branch=branch, filename=filename, limits=limits))
    if not outside:
        return import_file(file, kind=kind, filename=filename, limits=limits)
    try:                                 # the importer's own problems too, all at once; whatever it wrote is undone
        with transaction.atomic():
            checked = import_file(file, kind=kind, filename=filename, limits=limits)
            raise _Undo
    except _Undo:
        log.info("import %s from %s undone: %d row(s) outside branch %s", kind, filename, len(outside), branch.code)
    order = {sheet.name: i for i, sheet in enumerate(get_kind(kind).sheets)}
    problems = sorted([*outside, *checked.problems],
                      key=lambda p: (order.get(p.sheet or "", -1), p.row or 0, len(p.column or ""), p.column or ""))
    return ImportResult(kind=kind, source=filename, problems=problems, encoding=checked.encoding)


class _Undo(Exception):
    pass


def branch_limits() -> Limits:
    """The importer's limits, with at most ``CHUANGXING_IMPORT_MAX_ROWS`` rows per sheet."""
    limits = Limits.from_settings()
    return replace(limits, max_rows=min(limits.max_rows, int(getattr(settings, "CHUANGXING_IMPORT_MAX_ROWS", 5000))))


def _rows(file: BinaryIO, kind: str, filename: str, limits: Limits) -> dict[str, list[Row]]:
    """The file's rows by sheet, as the importer reads them; a file it cannot read yields nothing (it reports that)."""
    spec = get_kind(kind)
    try:
        source = read_source(file, filename=filename, specs=spec.sheets, limits=limits)
    except Refused:
        return {}
    finally:
        file.seek(0)
    rows: dict[str, list[Row]] = {}
    for sheet in spec.sheets:
        raw = source.sheets.get(sheet.name)
        layout = read_header(raw, sheet, []) if raw is not None else None
        if layout is not None:
            rows[sheet.name] = read_rows(raw, layout, [])
    return rows


def _outside(file: BinaryIO, *, kind: str, branch: Organization, filename: str,
             limits: Limits) -> Iterator[ImportProblem]:
    rows = _rows(file, kind, filename, limits)
    own_members = set(Member.objects.filter(branch=branch).values_list("number", flat=True))
    if kind == "members":
        yield from _codes(rows.get("党员", []), "branch", branch)
    if kind == "meetings":
        meetings = rows.get("会议", [])
        yield from _codes(meetings, "branch", branch)
        yield from _foreign_meetings(meetings, "key", branch, listed=set())
    if kind in ("meetings", "attendance"):
        listed = {row["key"] for row in rows.get("会议", []) if row.ok("key")}
        attendance = rows.get("出勤", [])
        yield from _foreign_meetings(attendance, "meeting", branch, listed=listed)
        yield from _foreign_members(attendance, "member", own_members)
    if kind == "dues":
        yield from _foreign_members(rows.get("党费", []), "member", own_members)


def _value(row: Row, name: str) -> Any:
    return row[name] if row.ok(name) and row.values.get(name) not in (None, "") else None


def _codes(rows: list[Row], name: str, branch: Organization) -> Iterator[ImportProblem]:
    for row in rows:
        code = _value(row, name)
        if code is not None and code != branch.code:
            yield row.problem(name, "outside_branch", f"只能导入本支部（{branch.code}）的数据，此行为“{code}”",
                              f"row belongs to {code!r}, not to {branch.code!r}")


def _foreign_meetings(rows: list[Row], name: str, branch: Organization, *, listed: set[str]) -> Iterator[ImportProblem]:
    keys = {key for row in rows if (key := _value(row, name)) is not None and key not in listed}
    elsewhere = set(Meeting.objects.filter(key__in=keys).exclude(branch=branch).values_list("key", flat=True))
    for row in rows:
        key = _value(row, name)
        if key in elsewhere:
            yield row.problem(name, "outside_branch", f"会议编号“{key}”属于其他党支部，不能在本支部导入",
                              f"meeting {key!r} belongs to another branch")


def _foreign_members(rows: list[Row], name: str, own: set[str]) -> Iterator[ImportProblem]:
    numbers = {n for row in rows if (n := _value(row, name)) is not None and n not in own}
    elsewhere = set(Member.objects.filter(number__in=numbers).values_list("number", flat=True))
    for row in rows:
        number = _value(row, name)
        if number in elsewhere:
            yield row.problem(name, "outside_branch", f"党员编号“{number}”不是本支部党员，不能在本支部导入",
                              f"member {number!r} belongs to another branch")


def branch_export(kind: str, branch: Organization) -> Any:
    """The branch's own rows of ``kind``, for ``export_workbook`` (re-importing the file changes nothing)."""
    return {"members": lambda: Member.objects.filter(branch=branch),
            "meetings": lambda: Meeting.objects.filter(branch=branch),
            "attendance": lambda: Attendance.objects.filter(meeting__branch=branch),
            "dues": lambda: Dues.objects.filter(member__branch=branch)}[kind]()
