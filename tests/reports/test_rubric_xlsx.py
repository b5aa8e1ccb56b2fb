"""A rubric to Excel in the official layout and back: identical; a rubric drafted in that layout, validated."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from chuangxing.reports.registry import render
from chuangxing.reports.rubric_xlsx import (
    C_CAT,
    C_RULE,
    C_RULE_ID,
    C_TEXT,
    HEADER_ROW,
    HEADERS,
    INFO,
    TABLE,
    check_rubric_xlsx,
    rubric_from_xlsx,
    rubric_to_xlsx,
)
from chuangxing.reports.uploads import SheetInvalid
from chuangxing.rubric import check_rubric, library, load_rubric
from chuangxing.rubric.export import rubric_tree
from chuangxing.rubric.loader import build
from chuangxing.rubric.problems import Report
from tests.reports.conftest import pdf_text

pytestmark = pytest.mark.django_db      # the upload checks are the record importers', which live in a Django app
MINI = Path(__file__).resolve().parent.parent / "rubric" / "data" / "mini.yaml"


def round_trip(rubric, *, run_examples: bool = True):
    report = Report("excel")
    back = build(rubric_from_xlsx(rubric_to_xlsx(rubric)), report, run_examples=run_examples)
    assert back is not None, [str(p) for p in report.errors]
    return back


@pytest.mark.parametrize("rubric_id", library.ids())
def test_every_library_rubric_comes_back_identical(rubric_id):
    rubric = library.load(rubric_id)
    back = round_trip(rubric)
    assert back.model_dump() == rubric.model_dump()
    assert rubric_tree(back) == rubric_tree(rubric)


def test_a_rubric_read_with_other_parameters_comes_back_as_read():
    # as a cycle reads it: its examples assume the default reading, so they are not run
    _, rubric = check_rubric("zhenjiang-2018", parameters={"one_star_at_60": True}, run_examples=False)
    assert rubric is not None and rubric.parameters["one_star_at_60"].value is True
    assert round_trip(rubric, run_examples=False).model_dump() == rubric.model_dump()


def test_a_rubric_outside_the_library_comes_back_identical_too():
    rubric = load_rubric(MINI)
    assert round_trip(rubric).model_dump() == rubric.model_dump()


def test_the_table_is_the_official_layout_with_the_semantics_beside_each_rule():
    rubric = library.load("zhenjiang-2018")
    book = load_workbook(io.BytesIO(rubric_to_xlsx(rubric)))
    sheet = book[TABLE]
    assert [c.value for c in sheet[HEADER_ROW]][:8] == ["项目", "项目分值", "指标", "标准及要求", "指标分值", "分项", "分项分值",
                                                       "评定标准"]
    first = HEADER_ROW + 1
    assert sheet.cell(first, C_CAT).value == "基本组织覆盖" and sheet.cell(first, C_CAT + 1).value == 15
    rule = rubric.rule(sheet.cell(first, C_RULE_ID).value)
    assert sheet.cell(first, C_TEXT).value == rule.text
    assert sheet.cell(first, C_RULE).value.startswith(f"kind: {rule.kind}")
    merged = {str(r) for r in sheet.merged_cells.ranges}
    rows_of_first = sum(len(i.rules) + sum(len(t.rules) for t in i.items) for i in rubric.categories[0].indicators)
    assert f"A{first}:A{first + rows_of_first - 1}" in merged
    fields = [row[0].value for row in book[INFO].iter_rows(min_row=2)]
    assert {"id", "version", "ratings", "targets", "examples"} <= set(fields)


def test_the_rubric_report_renders_the_table_as_pdf(tmp_path):
    content, filename, content_type = render("rubric", "pdf", {"rubric": "fujian-2018"})
    assert content_type == "application/pdf" and filename.endswith("（fujian-2018）.pdf")
    text = pdf_text(content, tmp_path).replace(" ", "")
    assert "省直机关基层党支部达标创星基本标准" in text and "有党员7人以上，未按要求设立支部委员会，扣3分" in text
    content, filename, _ = render("rubric", "xlsx", {"rubric": "fujian-2018"})
    assert check_rubric_xlsx(content)[1] == library.load("fujian-2018")


# -- drafting a rubric in Excel --------------------------------------------------------------------------
def drafted(rules: list[tuple[str, str, str]], *, info: dict[str, str] | None = None) -> bytes:
    """A workbook a person could type: one category, one indicator, a rule per row; 规则语义 in YAML."""
    book = Workbook()
    table = book.active
    table.title = TABLE
    table.append(["某单位党支部考评表"])
    table.append([""])
    table.append(list(HEADERS))
    for i, (rule_id, text, semantics) in enumerate(rules):
        values = {1: "基本组织", 2: 10, 3: "组织设置", 4: "党组织设置规范", 5: 10, 8: text, 11: "评分项目", 12: "c1", 13: "i1",
                  15: rule_id, 16: semantics}
        if i:
            values = {k: v for k, v in values.items() if k not in (1, 2, 3, 4, 5)}     # merged cells: first row only
        table.append([values.get(col) for col in range(1, len(HEADERS) + 1)])
    sheet = book.create_sheet(INFO)
    sheet.append(["字段", "说明", "内容（YAML）"])
    fields = {"id": "my-unit", "version": '"1"', "title": "某单位党支部考评表", "issuer": "某单位党委", "year": "2026",
              "applicability": "某单位各党支部", "max_total": "10", **(info or {})}
    for name, value in fields.items():
        sheet.append([name, "", value])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_rubric_drafted_in_the_layout_is_imported_and_validated():
    content = drafted([("r1", "有党员7人以上，未按要求设立支部委员会，扣3分", "kind: fixed\npoints: 3"),
                       ("r2", "少一次扣0.5分", "kind: per_occurrence\npoints: 0.5\nrequired: 12")])
    report, rubric = check_rubric_xlsx(content)
    assert report.ok, [str(p) for p in report.problems]
    assert rubric.id == "my-unit" and rubric.categories[0].indicators[0].standard == "党组织设置规范"
    assert [r.id for r in rubric.categories[0].indicators[0].rules] == ["r1", "r2"]
    assert str(rubric.rule("r2").points) == "0.5"


def test_the_validators_problems_name_the_cell_of_the_rule():
    content = drafted([("r1", "扣12分", "kind: fixed\npoints: 12"), ("r2", "未知", "kind: fixed\npoints: 1\nfact: no_such_fact")])
    report, rubric = check_rubric_xlsx(content)
    assert rubric is None
    messages = [p.message for p in report.errors]
    assert any(m.startswith(f"{TABLE}!P{HEADER_ROW + 1}：") for m in messages), messages
    assert any(m.startswith(f"{TABLE}!P{HEADER_ROW + 2}：") and "no_such_fact" in m for m in messages), messages


def test_bad_yaml_aliases_and_formulas_are_refused_with_their_cells():
    content = drafted([("r1", "扣3分", "kind: fixed\npoints: [3"), ("r2", "扣1分", "base: &a {kind: fixed}\nx: *a")])
    with pytest.raises(SheetInvalid) as caught:
        rubric_from_xlsx(content)
    cells = {p.cell: p.code for p in caught.value.problems}
    assert cells == {f"{TABLE}!P{HEADER_ROW + 1}": "bad_yaml", f"{TABLE}!P{HEADER_ROW + 2}": "bad_yaml"}
    book = load_workbook(io.BytesIO(drafted([("r1", "扣3分", "kind: fixed\npoints: 3")])))
    book[TABLE].cell(HEADER_ROW + 1, 5, "=2*5")
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(SheetInvalid) as caught:
        rubric_from_xlsx(out.getvalue())
    assert [(p.code, p.cell) for p in caught.value.problems] == [("formula", f"{TABLE}!E{HEADER_ROW + 1}")]


def test_not_a_rubric_workbook():
    with pytest.raises(SheetInvalid) as caught:
        rubric_from_xlsx(b"<html>not a workbook</html>")
    assert caught.value.codes == ["not_xlsx"]
    book = Workbook()
    out = io.BytesIO()
    book.save(out)
    with pytest.raises(SheetInvalid) as caught:
        rubric_from_xlsx(out.getvalue())
    assert set(caught.value.codes) == {"wrong_sheet"}
