"""Import of the organization tree, members, meetings with attendance and dues (records.imports)."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from chuangxing.orgs.models import Member, Organization, OrgKind
from chuangxing.records.imports import (
    Limits,
    export_workbook,
    import_file,
    run_import,
    run_template,
    template_csv,
    template_workbook,
)
from chuangxing.records.models import Attendance, Dues, Meeting, Presence
from chuangxing.records.services import record_attendance

pytestmark = pytest.mark.django_db

ORGS = [
    ["B1", "第一党支部", "党支部", "P1", "农村", "某村", "0571-1234567", "2019-07-01"],
    ["W", "机关工委", "工委", "", "", "", "", ""],
    ["G1", "第一党小组", "党小组", "B1", "", "", "", ""],
    ["P1", "某镇党委", "党委", "W", "", "", "", "2001-01-01"],
    ["B2", "第二党支部", "党支部", "P1", "社区", "", "", ""],
]
MEMBERS = [
    ["M001", "张三", "B1", "G1", "正式党员", "2001-07-01", "2002-07-01", "", "", "是", "是", ""],
    ["M002", "李四", "B1", "", "预备党员", "2024-03-01", "", "", "", "", "", ""],
    ["M003", "王五", "B2", "", "正式党员", "1999-10-01", "2000-10-01", "", "", "否", "否", "2023-05-01"],
]


def workbook(kind: str, sheets: dict[str, list[list]]) -> bytes:
    """The template of ``kind`` filled in with openpyxl, as a person would in Excel."""
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(kind)))
    for name, rows in sheets.items():
        for row in rows:
            book[name].append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def save(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def counts() -> tuple[int, ...]:
    return (Organization.objects.count(), Member.objects.count(), Meeting.objects.count(), Attendance.objects.count(),
            Dues.objects.count())


def only(result, code: str):
    assert not result.counts, "a refused file writes nothing"
    matching = [p for p in result.problems if p.code == code]
    assert matching, [str(p) for p in result.problems]
    return matching[0]


@pytest.fixture
def tree(tmp_path):
    result = import_file(save(tmp_path, "组织.xlsx", workbook("organizations", {"组织": ORGS})), kind="organizations")
    assert result.ok, [str(p) for p in result.problems]
    return {o.code: o for o in Organization.objects.all()}


@pytest.fixture
def members(tree, tmp_path):
    result = import_file(save(tmp_path, "党员.xlsx", workbook("members", {"党员": MEMBERS})), kind="members")
    assert result.ok, [str(p) for p in result.problems]
    return {m.number: m for m in Member.objects.all()}


# -- templates ------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["organizations", "members", "meetings", "attendance", "dues"])
def test_template_has_headers_notes_and_drop_down_lists(kind):
    book = openpyxl.load_workbook(io.BytesIO(template_workbook(kind)))
    assert book.sheetnames[-1] == "说明"
    first = book[book.sheetnames[0]]
    headers = [c.value for c in first[1]]
    assert all(headers) and first.max_row == 1
    notes = "\n".join(str(c.value) for row in book["说明"].iter_rows() for c in row if c.value)
    assert all(h in notes for h in headers)
    if kind != "dues":
        assert first.data_validations.dataValidation, "choice columns offer a drop-down list"


def test_member_template_lists_the_categories_and_formats_codes_as_text():
    sheet = openpyxl.load_workbook(io.BytesIO(template_workbook("members")))["党员"]
    lists = {str(dv.sqref)[0]: dv.formula1 for dv in sheet.data_validations.dataValidation}
    assert lists["E"] == '"正式党员,预备党员,入党积极分子"'
    assert lists["J"] == '"是,否"'
    assert sheet.column_dimensions["A"].number_format == "@"


def test_csv_template_is_utf8_with_bom():
    data = template_csv("dues")
    assert data.startswith(b"\xef\xbb\xbf")
    assert data.decode("utf-8-sig").strip() == "党员编号,月份,应交金额,实交金额,交纳日期"


# -- importing ------------------------------------------------------------------------------

def test_organizations_reference_parents_anywhere_in_the_file(tree):
    assert tree["G1"].parent == tree["B1"] and tree["B1"].parent == tree["P1"] and tree["P1"].parent == tree["W"]
    assert tree["B1"].kind == OrgKind.BRANCH and tree["B1"].branch_type == "rural"
    assert tree["B1"].established_on == date(2019, 7, 1) and tree["B1"].contact_phone == "0571-1234567"
    for org in tree.values():    # paths as Organization.save would have made them
        assert (org.path, org.depth) == org._computed_path()
    assert set(tree["P1"].subtree().values_list("code", flat=True)) == {"P1", "B1", "B2", "G1"}


def test_members_imported(members):
    zhang = members["M001"]
    assert zhang.branch.code == "B1" and zhang.group.code == "G1" and zhang.category == "full"
    assert zhang.is_leader and zhang.under_management and zhang.full_member_on == date(2002, 7, 1)
    li = members["M002"]
    assert li.category == "probationary" and not li.is_leader and li.under_management and li.group is None
    assert members["M003"].lost_contact_since == date(2023, 5, 1) and not members["M003"].under_management


def test_meetings_with_attendance_keep_the_counts_like_record_attendance(members, tmp_path):
    data = workbook("meetings", {
        "会议": [["H1", "B1", "主题党日", date(2026, 3, 5), "学习党章", "张三", ""],
                 ["H2", "B1", "党小组会", "2026-03-10", "", "", "G1"]],
        "出勤": [["H1", "M001", "出席"], ["H1", "M002", "请假"], ["H2", "M001", "出席"]],
    })
    result = import_file(save(tmp_path, "会议.xlsx", data), kind="meetings")
    assert result.ok, [str(p) for p in result.problems]
    assert (result.counts["meetings"].created, result.counts["attendance"].created) == (2, 3)
    h1 = Meeting.objects.get(key="H1")
    assert (h1.kind, h1.held_on, h1.topic, h1.expected, h1.present) == ("theme_day", date(2026, 3, 5), "学习党章", 2, 1)
    assert Meeting.objects.get(key="H2").group.code == "G1"
    # the same meeting through the service gives the same counts
    record_attendance(meeting=h1, presence={members["M001"]: Presence.PRESENT, members["M002"]: Presence.LEAVE})
    h1.refresh_from_db()
    assert (h1.expected, h1.present) == (2, 1)


def test_attendance_sheet_replaces_a_meetings_list(members, tmp_path):
    first = workbook("meetings", {"会议": [["H1", "B1", "支部党员大会", "2026-01-08", "", "", ""]],
                                  "出勤": [["H1", "M001", "出席"], ["H1", "M002", "出席"]]})
    assert import_file(save(tmp_path, "a.xlsx", first), kind="meetings").ok
    second = workbook("attendance", {"出勤": [["H1", "M001", "缺席"]]})
    result = import_file(save(tmp_path, "b.xlsx", second), kind="attendance")
    assert result.ok, [str(p) for p in result.problems]
    c = result.counts["attendance"]
    assert (c.created, c.updated, c.unchanged, c.removed) == (0, 1, 0, 1)
    meeting = Meeting.objects.get(key="H1")
    assert (meeting.expected, meeting.present) == (1, 0)
    assert list(meeting.attendance.values_list("member__number", "presence")) == [("M001", "absent")]


def test_dues_imported_and_reimport_changes_nothing(members, tmp_path):
    rows = [["M001", "2026-01", 12.5, 12.5, "2026-01-10"], ["M001", "2026-02", "12.50", None, None],
            ["M002", date(2026, 1, 1), 3, 3, date(2026, 1, 20)]]
    path = save(tmp_path, "党费.xlsx", workbook("dues", {"党费": rows}))
    result = import_file(path, kind="dues")
    assert result.ok, [str(p) for p in result.problems]
    assert result.counts["dues"].created == 3
    unpaid = Dues.objects.get(member__number="M001", month=date(2026, 2, 1))
    assert (unpaid.amount_due, unpaid.amount_paid, unpaid.paid_on) == (Decimal("12.50"), Decimal("0.00"), None)
    again = import_file(path, kind="dues")
    assert (again.counts["dues"].created, again.counts["dues"].updated, again.counts["dues"].unchanged) == (0, 0, 3)


def test_reimport_is_unchanged_and_changed_values_update(members, tmp_path):
    path = save(tmp_path, "党员.xlsx", workbook("members", {"党员": MEMBERS}))
    result = import_file(path, kind="members")
    assert (result.counts["members"].created, result.counts["members"].updated, result.counts["members"].unchanged) == (0, 0, 3)
    changed = [list(MEMBERS[0]), *MEMBERS[1:]]
    changed[0][1] = "张三丰"
    changed[0][3] = ""
    result = import_file(save(tmp_path, "改.xlsx", workbook("members", {"党员": changed})), kind="members")
    assert (result.counts["members"].created, result.counts["members"].updated, result.counts["members"].unchanged) == (0, 1, 2)
    zhang = Member.objects.get(number="M001")
    assert zhang.name == "张三丰" and zhang.group is None


def test_moving_an_organization_moves_its_subtree(tree, tmp_path):
    rows = [["P2", "另一镇党委", "党委", "W", "", "", "", ""],
            ["B1", "第一党支部", "党支部", "P2", "农村", "某村", "0571-1234567", "2019-07-01"]]
    result = import_file(save(tmp_path, "移.xlsx", workbook("organizations", {"组织": rows})), kind="organizations")
    assert result.ok, [str(p) for p in result.problems]
    assert (result.counts["organizations"].created, result.counts["organizations"].updated) == (1, 1)
    group = Organization.objects.get(code="G1")
    assert group.path.startswith(Organization.objects.get(code="P2").path)
    assert all((o.path, o.depth) == o._computed_path() for o in Organization.objects.all())


# -- problems: where, what, and nothing written ---------------------------------------------

def test_wrong_header_names_the_cell_and_writes_nothing(tree, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(workbook("members", {"党员": MEMBERS})))
    book["党员"]["F1"] = "入党时间"
    data = io.BytesIO()
    book.save(data)
    before = counts()
    result = import_file(save(tmp_path, "党员.xlsx", data.getvalue()), kind="members")
    unknown = only(result, "unknown_header")
    assert (unknown.sheet, unknown.row, unknown.column, unknown.header) == ("党员", 1, "F", "入党时间")
    missing = only(result, "missing_header")
    assert (missing.sheet, missing.row, missing.header) == ("党员", 1, "入党日期")
    assert str(missing) == "【党员】第 1 行（入党日期）：缺少列“入党日期”"
    assert counts() == before


def test_bad_date_names_sheet_row_and_column(tree, tmp_path):
    rows = [list(r) for r in MEMBERS]
    rows[1][5] = "2024-13-01"
    before = counts()
    result = import_file(save(tmp_path, "党员.xlsx", workbook("members", {"党员": rows})), kind="members")
    problem = only(result, "bad_date")
    assert (problem.sheet, problem.row, problem.column, problem.header) == ("党员", 3, "F", "入党日期")
    assert str(problem) == "【党员】第 3 行 F 列（入党日期）：日期“2024-13-01”无法识别，应写成 2024-03-01 这样的日期"
    assert problem.message_en
    assert counts() == before and result.problems == [problem]


def test_unknown_branch(tree, tmp_path):
    rows = [*MEMBERS, ["M004", "赵六", "B9", "", "正式党员", "", "", "", "", "", "", ""]]
    before = counts()
    result = import_file(save(tmp_path, "党员.xlsx", workbook("members", {"党员": rows})), kind="members")
    problem = only(result, "unknown_org")
    assert (problem.sheet, problem.row, problem.column, problem.header) == ("党员", 5, "C", "所在党支部编码")
    assert "B9" in problem.message
    assert counts() == before


def test_duplicate_member_in_the_file(tree, tmp_path):
    rows = [*MEMBERS, ["M002", "李四", "B1", "", "预备党员", "", "", "", "", "", "", ""]]
    before = counts()
    result = import_file(save(tmp_path, "党员.xlsx", workbook("members", {"党员": rows})), kind="members")
    problem = only(result, "duplicate_key")
    assert (problem.sheet, problem.row, problem.column, problem.header) == ("党员", 5, "A", "党员编号")
    assert "第 3 行" in problem.message
    assert counts() == before


def test_every_problem_is_reported_at_once(tree, tmp_path):
    rows = [
        ["M001", "", "B1", "B2", "党员", "2001/7/1", "2000-01-01", "", "", "对", "", ""],
        ["M002", "李四", "G1", "", "预备党员", 20240301, "", "", "", "", "", ""],
    ]
    result = import_file(save(tmp_path, "党员.xlsx", workbook("members", {"党员": rows})), kind="members")
    found = {(p.code, p.row, p.column) for p in result.problems}
    assert found == {("required", 2, "B"), ("bad_choice", 2, "E"), ("wrong_org_kind", 2, "D"), ("date_order", 2, "G"),
                     ("bad_choice", 2, "J"), ("wrong_org_kind", 3, "C"), ("bad_date", 3, "F")}
    assert [p.row for p in result.problems] == sorted(p.row for p in result.problems)
    assert Member.objects.count() == 0


def test_member_moving_needs_the_transfer_dates(members, tmp_path):
    moved = [["M002", "李四", "B2", "", "预备党员", "2024-03-01", "", "", "", "", "", ""]]
    result = import_file(save(tmp_path, "a.xlsx", workbook("members", {"党员": moved})), kind="members")
    problem = only(result, "member_in_other_branch")
    assert problem.column == "C" and "B1" in problem.message
    left = [["M002", "李四", "B1", "", "预备党员", "2024-03-01", "", "", "2025-06-30", "", "", ""]]
    assert import_file(save(tmp_path, "b.xlsx", workbook("members", {"党员": left})), kind="members").ok
    early = [["M002", "李四", "B2", "", "预备党员", "2024-03-01", "", "2025-06-01", "", "", "", ""]]
    assert only(import_file(save(tmp_path, "c.xlsx", workbook("members", {"党员": early})), kind="members"),
                "member_in_other_branch")
    joined = [["M002", "李四", "B2", "", "预备党员", "2024-03-01", "", "2025-07-01", "", "", "", ""]]
    result = import_file(save(tmp_path, "d.xlsx", workbook("members", {"党员": joined})), kind="members")
    assert result.ok, [str(p) for p in result.problems]
    li = Member.objects.get(number="M002")
    assert (li.branch.code, li.joined_branch_on, li.left_branch_on) == ("B2", date(2025, 7, 1), None)


def test_organization_problems(tree, tmp_path):
    rows = [["X1", "甲", "党支部", "X2", "", "", "", ""], ["X2", "乙", "党委", "X6", "", "", "", ""],
            ["X3", "丙", "党小组", "", "", "", "", ""], ["X4", "丁", "党支部", "Q9", "机关", "", "", ""],
            ["X5", "戊", "党支部", "G1", "机关", "", "", ""], ["X6", "己", "党委", "X2", "", "", "", ""],
            ["X7", "庚", "党总支", "X5", "", "", "", ""]]
    before = counts()
    result = import_file(save(tmp_path, "组织.xlsx", workbook("organizations", {"组织": rows})), kind="organizations")
    found = {(p.code, p.row, p.header) for p in result.problems}
    assert ("required", 2, "支部类型") in found                    # a branch without its type
    assert ("parent_cycle", 3, "上级组织编码") in found            # X2 → X6 → X2
    assert ("parent_cycle", 7, "上级组织编码") in found
    assert ("parent_cycle", 2, "上级组织编码") not in found        # X1 hangs below the cycle, is not in it
    assert ("required", 4, "上级组织编码") in found                # a party group without its branch
    assert ("unknown_org", 5, "上级组织编码") in found
    assert ("wrong_org_kind", 6, "上级组织编码") in found          # a branch under a party group
    assert ("wrong_org_kind", 8, "上级组织编码") in found          # a general branch under a branch
    assert "X2 → X6 → X2" in str(next(p for p in result.problems if p.code == "parent_cycle"))
    assert counts() == before


def test_dues_problems(members, tmp_path):
    rows = [["M001", "2026-1", 10, 10, ""], ["M001", "2026-02", -1, 0, ""], ["M009", "2026-02", 1, 1, ""],
            ["M002", "2026-02", "1.234", 0, ""], ["M002", "2026-02", 1, 0, ""]]
    result = import_file(save(tmp_path, "党费.xlsx", workbook("dues", {"党费": rows})), kind="dues")
    found = {(p.code, p.row, p.column) for p in result.problems}
    assert found == {("bad_month", 2, "B"), ("negative_amount", 3, "C"), ("unknown_member", 4, "A"), ("bad_amount", 5, "C"),
                     ("duplicate_key", 6, "B")}
    assert "“M002、2026-02”在本文件中重复（第 5 行已有）" in only(result, "duplicate_key").message
    assert "YYYY-MM" in only(result, "bad_month").message and Dues.objects.count() == 0


def test_attendance_problems(members, tmp_path):
    data = workbook("meetings", {"会议": [["H1", "B1", "党课", "2026-03-05", "", "", ""]],
                                 "出勤": [["H1", "M001", "出席"], ["H9", "M001", "出席"], ["H1", "M404", "出席"],
                                          ["H1", "M001", "请假"], ["H1", "M002", "迟到"]]})
    result = import_file(save(tmp_path, "会议.xlsx", data), kind="meetings")
    found = {(p.sheet, p.code, p.row, p.column) for p in result.problems}
    assert found == {("出勤", "unknown_meeting", 3, "A"), ("出勤", "unknown_member", 4, "B"),
                     ("出勤", "duplicate_key", 5, "B"), ("出勤", "bad_choice", 6, "C")}
    assert Meeting.objects.count() == 0


# -- round trip ---------------------------------------------------------------------------

def test_export_then_import_is_unchanged_everywhere(tmp_path):
    from chuangxing.demo.city import build_demo_city

    build_demo_city(branches=4, seed=3, year=2026)
    before = counts()
    for kind in ("organizations", "members", "meetings", "attendance", "dues"):
        path = save(tmp_path, f"{kind}.xlsx", export_workbook(kind))
        result = import_file(path, kind=kind)
        assert result.ok, (kind, [str(p) for p in result.problems[:5]])
        for name, c in result.counts.items():
            assert (c.created, c.updated, c.removed) == (0, 0, 0), (kind, name, c)
            assert c.unchanged > 0, (kind, name)
    assert counts() == before


def test_export_keeps_formula_like_text_as_text(members, tmp_path):
    Member.objects.filter(number="M001").update(name="=1+1")
    data = export_workbook("members", Member.objects.filter(number="M001"))
    cell = openpyxl.load_workbook(io.BytesIO(data))["党员"]["B2"]
    assert (cell.value, cell.data_type) == ("=1+1", "s")
    result = import_file(save(tmp_path, "导出.xlsx", data), kind="members")
    assert result.ok and result.counts["members"].unchanged == 1


# -- hostile or broken files ----------------------------------------------------------------

def test_formula_cell_is_refused(tree, tmp_path):
    rows = [[*MEMBERS[0][:1], '=CONCAT("张","三")', *MEMBERS[0][2:]]]
    result = import_file(save(tmp_path, "党员.xlsx", workbook("members", {"党员": rows})), kind="members")
    problem = only(result, "formula")
    assert (problem.sheet, problem.row, problem.column) == ("党员", 2, "B")
    assert "B2" in problem.message and "公式不被接受" in problem.message
    assert [p.code for p in result.problems] == ["formula"] and Member.objects.count() == 0


def _rezip(data: bytes, extra: dict[str, bytes] | None = None, replace: dict[str, bytes] | None = None) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, (replace or {}).get(info.filename, src.read(info.filename)))
        for name, content in (extra or {}).items():
            dst.writestr(name, content)
    return out.getvalue()


def test_zip_bomb_is_refused_by_ratio(tmp_path):
    bomb = _rezip(template_workbook("members"), extra={"xl/media/padding.bin": b"\0" * (50 * 1024 * 1024)})
    assert len(bomb) < 200_000
    result = import_file(save(tmp_path, "炸弹.xlsx", bomb), kind="members")
    assert only(result, "zip_ratio").sheet is None


def test_workbook_inflating_past_the_limit_is_refused(tmp_path):
    sheet = b"<worksheet xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><sheetData/>" + b" " * 3_000_000
    big = _rezip(template_workbook("members"), replace={"xl/worksheets/sheet1.xml": sheet + b"</worksheet>"})
    result = import_file(save(tmp_path, "大.xlsx", big), kind="members", limits=Limits(max_uncompressed_bytes=2_000_000))
    assert "上限" in only(result, "zip_too_large").message


def test_xml_entity_declarations_are_refused(tmp_path):
    evil = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
            b"<sst xmlns='http://schemas.openxmlformats.org/spreadsheetml/2006/main'><si><t>&lol2;</t></si></sst>")
    data = _rezip(template_workbook("members"), extra={"xl/sharedStrings.xml": evil})
    only(import_file(save(tmp_path, "实体.xlsx", data), kind="members"), "xml_declarations")


def test_text_named_xlsx_is_refused(tmp_path):
    result = import_file(save(tmp_path, "党员.xlsx", "党员编号,姓名\nM001,张三\n".encode()), kind="members")
    assert "不是 Excel 工作簿" in only(result, "not_xlsx").message


def test_old_xls_and_other_suffixes_are_refused(tmp_path):
    only(import_file(save(tmp_path, "党员.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100), kind="members"), "old_xls")
    only(import_file(save(tmp_path, "党员.txt", b"x"), kind="members"), "bad_suffix")


def test_file_size_limit(tmp_path):
    path = save(tmp_path, "党员.csv", template_csv("members") + b"x" * 2000)
    only(import_file(path, kind="members", limits=Limits(max_file_bytes=1000)), "file_too_large")


def test_million_row_csv_is_refused_at_the_row_limit(tree, tmp_path):
    path = tmp_path / "党费.csv"
    with path.open("w", encoding="utf-8-sig", newline="") as out:     # written lazily, never held in memory
        writer = csv.writer(out)
        writer.writerow(["党员编号", "月份", "应交金额", "实交金额", "交纳日期"])
        writer.writerows(("M001", "2026-01", "1", "1", "") for _ in range(1_000_001))
    assert Limits().max_rows == 200_000 and path.stat().st_size < Limits().max_file_bytes
    result = import_file(path, kind="dues")
    problem = only(result, "too_many_rows")
    assert "200000" in problem.message and problem.row == 200_002    # stopped at the first row past the limit
    assert result.problems == [problem] and Dues.objects.count() == 0


def test_a_file_taking_a_branch_past_its_member_cap_is_refused_whole(members, tmp_path, settings):
    settings.CHUANGXING_BRANCH_MAX_MEMBERS = 4          # B1 holds 2
    rows = [[f"N{i}", f"新党员{i}", "B1", "", "正式党员", "", "", "", "", "", "", ""] for i in range(3)]
    rows.append(["N9", "别支部", "B2", "", "正式党员", "", "", "", "", "", "", ""])
    path = save(tmp_path, "党员.xlsx", workbook("members", {"党员": rows}))
    before = counts()

    problem = only(import_file(path, kind="members"), "branch_too_large")

    assert problem.sheet == "党员" and "第一党支部" in problem.message
    assert "将有 5 名党员，超过每个党支部 4 人的上限" in problem.message
    assert counts() == before
    settings.CHUANGXING_BRANCH_MAX_MEMBERS = 5
    assert import_file(path, kind="members").ok


def test_the_member_cap_counts_members_moving_out(members, tmp_path, settings):
    settings.CHUANGXING_BRANCH_MAX_MEMBERS = 2          # B1 holds 2: one leaves for B2, one arrives
    out = [["M002", "李四", "B1", "", "预备党员", "2024-03-01", "", "", "2026-01-31", "", "", ""]]
    assert import_file(save(tmp_path, "出.xlsx", workbook("members", {"党员": out})), kind="members").ok
    moved = [["M002", "李四", "B2", "", "预备党员", "2024-03-01", "", "2026-02-01", "", "", "", ""],
             ["N1", "新党员", "B1", "", "正式党员", "", "", "", "", "", "", ""]]

    result = import_file(save(tmp_path, "移.xlsx", workbook("members", {"党员": moved})), kind="members")

    assert result.ok, [str(p) for p in result.problems]


def test_row_limit_is_configurable(tmp_path):
    rows = "".join(f"M{i},2026-01,1,1,\n" for i in range(11))
    path = save(tmp_path, "党费.csv", ("党员编号,月份,应交金额,实交金额,交纳日期\n" + rows).encode())
    assert only(import_file(path, kind="dues", limits=Limits(max_rows=10)), "too_many_rows").row == 12
    assert not any(p.code == "too_many_rows" for p in import_file(path, kind="dues", limits=Limits(max_rows=11)).problems)


def test_csv_in_gb18030_is_accepted(members, tmp_path):
    text = "党员编号,月份,应交金额,实交金额,交纳日期\r\nM001,2026-03,10.00,10.00,2026/3/5\r\n"
    result = import_file(save(tmp_path, "党费.csv", text.encode("gb18030")), kind="dues")
    assert result.ok, [str(p) for p in result.problems]
    assert result.encoding == "GB18030" and "GB18030" in result.summary()[0]
    assert Dues.objects.get().paid_on == date(2026, 3, 5)


def test_csv_utf8_with_and_without_bom(members, tmp_path):
    body = "会议编号,党员编号,出勤\n".encode()
    for name, data, label in (("a.csv", b"\xef\xbb\xbf" + body, "UTF-8（带 BOM）"), ("b.csv", body, "UTF-8")):
        assert import_file(save(tmp_path, name, data), kind="attendance").encoding == label


def test_csv_in_an_unknown_encoding_is_refused(tmp_path):
    data = "党员编号,月份".encode("utf-16-le")
    only(import_file(save(tmp_path, "党费.csv", data), kind="dues"), "not_text")
    only(import_file(save(tmp_path, "党费.csv", b"\xff\xff\xff\xfe\x80abc"), kind="dues"), "bad_encoding")


def test_csv_formula_is_refused(members, tmp_path):
    text = "党员编号,月份,应交金额,实交金额,交纳日期\nM001,2026-03,=1+1,0,\n"
    problem = only(import_file(save(tmp_path, "党费.csv", text.encode()), kind="dues"), "formula")
    assert (problem.sheet, problem.row, problem.column) == ("党费.csv", 2, "C")


# -- bulk and the command line --------------------------------------------------------------

def test_dues_import_uses_a_bounded_number_of_queries(members, tmp_path, django_assert_max_num_queries):
    rows = [[number, f"{2000 + i // 12}-{i % 12 + 1:02d}", 10, 10, None] for number in ("M001", "M002", "M003")
            for i in range(1000)]
    path = save(tmp_path, "党费.xlsx", workbook("dues", {"党费": rows}))
    with django_assert_max_num_queries(22):        # 2 of them: the members' branches, the open cycles to refresh
        result = import_file(path, kind="dues")
    assert result.counts["dues"].created == 3000


def test_run_import_and_run_template(members, tmp_path, capsys):
    out = tmp_path / "党费模板.xlsx"
    assert run_template("dues", out) == 0 and out.read_bytes()[:2] == b"PK"
    assert run_template("dues", tmp_path / "党费.csv") == 0
    good = save(tmp_path, "好.csv", "党员编号,月份,应交金额,实交金额,交纳日期\nM001,2026-03,10,10,\n".encode())
    assert run_import(good, "dues") == 0
    assert "党费：新增 1，更新 0，未变 0" in capsys.readouterr().out
    bad = save(tmp_path, "坏.csv", "党员编号,月份,应交金额,实交金额,交纳日期\nM001,2026/03,10,10,\n".encode())
    assert run_import(bad, "dues") == 1
    err = capsys.readouterr().err
    assert "未导入任何数据" in err and "【坏.csv】第 2 行 B 列（月份）：月份“2026/03”应写成 YYYY-MM" in err
    assert run_import(good, "nonsense") == 1 and run_template("nonsense", out) == 1


def test_every_problem_code_is_documented():
    import re

    import chuangxing.records.imports.problems as problems_module

    source = "".join(p.read_text(encoding="utf-8") for p in Path(problems_module.__file__).parent.glob("*.py"))
    patterns = [r'(?:ImportProblem|refuse|Invalid)\(\s*"([a-z_]+)"', r'\.problem\(\s*(?:"[a-z_]+"|[\w.\[\]-]+),\s*"([a-z_]+)"']
    codes = {code for pattern in patterns for code in re.findall(pattern, source)}
    assert {"formula", "zip_ratio", "duplicate_key", "required", "bad_date", "parent_cycle"} <= codes   # the patterns work
    documented = set(re.findall(r"[a-z_]+", problems_module.__doc__))
    assert codes <= documented, sorted(codes - documented)


def test_upload_as_a_file_object_and_formulas_elsewhere_in_the_workbook(members, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(workbook("dues", {"党费": [["M001", "2026-04", 5, 5, None]]})))
    book["说明"]["H1"] = "=1+1"        # a formula outside the data: the cell-by-cell path, same result
    data = io.BytesIO()
    book.save(data)
    result = import_file(io.BytesIO(data.getvalue()), kind="dues", filename="上传.xlsx")
    assert result.ok and result.source == "上传.xlsx" and result.counts["dues"].created == 1


def test_meetings_workbook_without_attendance_sheet(members, tmp_path):
    book = openpyxl.load_workbook(io.BytesIO(workbook("meetings", {"会议": [["H1", "B1", "支委会", "2026-02-02", "", "", ""]]})))
    del book["出勤"]
    data = io.BytesIO()
    book.save(data)
    result = import_file(save(tmp_path, "会议.xlsx", data.getvalue()), kind="meetings")
    assert result.ok and result.counts["meetings"].created == 1 and "attendance" not in result.counts
    del book["会议"]
    book.save(data := io.BytesIO())
    assert only(import_file(save(tmp_path, "缺.xlsx", data.getvalue()), kind="meetings"), "missing_sheet").sheet == "会议"


def test_command_functions_import_before_django_is_set_up():
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    code = "import chuangxing.records.imports as m; from django.apps import apps; print(callable(m.run_import), apps.ready)"
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "False"]
