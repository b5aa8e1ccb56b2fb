"""``chuangxing demo``, ``import``, ``template`` and ``report``: the database commands, called as ``main([...])``."""

from __future__ import annotations

import openpyxl
import pytest

from chuangxing.cli.main import main
from chuangxing.orgs.models import Member, Organization, OrgKind
from chuangxing.records.models import Dues, Meeting

pytestmark = pytest.mark.django_db

ORGS = [
    ["W", "机关工委", "工委", "", "", "", "", ""],
    ["P1", "某镇党委", "党委", "W", "", "", "", "2001-01-01"],
    ["B1", "第一党支部", "党支部", "P1", "农村", "某村", "0571-1234567", "2019-07-01"],
]


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


# -- demo ------------------------------------------------------------------------------------------
def test_demo_builds_a_small_city_and_prints_the_counts(capsys):
    code, out, err = run(capsys, "demo", "--branches", 3, "--seed", 5, "--year", 2026)

    assert code == 0, err
    assert Organization.objects.filter(kind=OrgKind.BRANCH).count() == 3
    members, meetings, dues = Member.objects.count(), Meeting.objects.count(), Dues.objects.count()
    assert members and meetings and dues
    assert "党支部 3" in out
    assert f"党员 {members}" in out and f"组织生活 {meetings}" in out and f"党费记录 {dues}" in out
    assert "生成党支部：3/3（100%）" in err
    assert set(Meeting.objects.values_list("held_on__year", flat=True)) == {2026}


def test_demo_refuses_a_database_with_organizations_unless_add(capsys):
    Organization.objects.create(code="X1", name="已导入的党委", kind=OrgKind.PARTY_COMMITTEE)

    code, out, err = run(capsys, "demo", "--branches", 2, "--seed", 5)
    assert code == 1
    assert "已有 1 个党组织" in err and "--add" in err
    assert Organization.objects.count() == 1 and out == ""

    code, _, err = run(capsys, "demo", "--branches", 2, "--seed", 5, "--add")
    assert code == 0, err
    assert Organization.objects.filter(kind=OrgKind.BRANCH).count() == 2


def test_demo_add_with_clashing_codes_writes_nothing(capsys):
    assert run(capsys, "demo", "--branches", 2, "--seed", 5)[0] == 0
    before = Organization.objects.count(), Member.objects.count()

    code, _, err = run(capsys, "demo", "--branches", 2, "--seed", 5, "--add")

    assert code == 1
    assert "未写入任何数据" in err
    assert (Organization.objects.count(), Member.objects.count()) == before


@pytest.mark.parametrize("argv", [["--branches", 0, "--seed", 1], ["--branches", 2, "--seed", 1, "--year", 26]])
def test_demo_misused(capsys, argv):
    code, _, err = run(capsys, "demo", *argv)
    assert code == 2 and "用法错误" in err
    assert not Organization.objects.exists()


# -- template and import ---------------------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".xlsx", ".csv"])
def test_template_writes_the_blank(capsys, tmp_path, suffix):
    path = tmp_path / f"党费{suffix}"

    code, out, _ = run(capsys, "template", "dues", path)

    assert code == 0 and f"已生成模板：{path}" in out
    data = path.read_bytes()
    assert data.startswith(b"PK" if suffix == ".xlsx" else "\ufeff党员编号".encode())


def test_template_refuses_another_suffix_and_unknown_kinds(capsys, tmp_path):
    code, _, err = run(capsys, "template", "members", tmp_path / "党员.txt")
    assert code == 1 and ".xlsx 或 .csv" in err
    code, _, err = run(capsys, "template", "cats", tmp_path / "猫.xlsx")
    assert code == 2 and "用法错误" in err


def fill(path, sheet: str, rows: list[list]) -> None:
    book = openpyxl.load_workbook(path)
    for row in rows:
        book[sheet].append(row)
    book.save(path)


def test_template_filled_in_then_imported_then_imported_again(capsys, tmp_path):
    path = tmp_path / "组织.xlsx"
    assert run(capsys, "template", "organizations", path)[0] == 0
    fill(path, "组织", ORGS)

    code, out, err = run(capsys, "import", "organizations", path)
    assert code == 0, err
    assert "党组织：新增 3，更新 0，未变 0" in out
    assert Organization.objects.get(code="B1").parent.code == "P1"

    code, out, _ = run(capsys, "import", "organizations", path)
    assert code == 0 and "党组织：新增 0，更新 0，未变 3" in out


def test_import_with_a_problem_names_the_cell_writes_nothing_and_fails(capsys, tmp_path):
    path = tmp_path / "组织.xlsx"
    assert run(capsys, "template", "organizations", path)[0] == 0
    fill(path, "组织", [*ORGS, ["B2", "第二党支部", "党支部", "P9", "社区", "", "", "2020-13-01"]])

    code, out, err = run(capsys, "import", "organizations", path)

    assert code == 1 and out == ""
    assert "未导入任何数据" in err
    assert "第 5 行" in err and "H 列" in err and "2020-13-01" in err   # the bad date, by row and column
    assert "P9" in err                                                  # the unknown parent
    assert not Organization.objects.exists()


def test_import_of_a_missing_file(capsys, tmp_path):
    code, _, err = run(capsys, "import", "members", tmp_path / "没有.xlsx")
    assert code == 1 and "无法打开文件" in err


# -- report ----------------------------------------------------------------------------------------
def test_report_list_and_a_report_to_a_file(capsys, tmp_path):
    code, out, _ = run(capsys, "report", "--list")
    assert code == 0 and "score-sheet" in out and "rubric" in out

    path = tmp_path / "标准.csv"
    code, _, err = run(capsys, "report", "rubric", "--rubric", "zhenjiang-2018", "--format", "csv", "-o", path)
    assert code == 0, err
    assert path.read_bytes().startswith(b"\xef\xbb\xbf") and "已生成" in err


def test_report_refusals(capsys, tmp_path):
    code, _, err = run(capsys, "report", "no-such-report", "--cycle", 1, "-o", tmp_path / "x.xlsx")
    assert code == 2 and "没有名为“no-such-report”的报表" in err
    code, _, err = run(capsys, "report", "score-sheet", "--cycle", 999, "--branch", 1, "--format", "csv",
                       "-o", tmp_path / "x.csv")
    assert code == 1 and "找不到" in err
    assert not (tmp_path / "x.csv").exists()
