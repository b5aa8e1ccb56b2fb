"""The per-branch score sheet in the standard's layout, from a plain ScoreSheet + Rubric: every library rubric."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

from chuangxing.reports.render import render_csv, render_pdf, render_xlsx
from chuangxing.reports.scoresheet import SIGNATURES, SheetContext, rating_lines, score_sheet_document
from chuangxing.rubric import library
from chuangxing.scoring import score
from tests.reports.conftest import assert_png, pdf_pages, pdf_text

BRANCH = "市财政局第3党支部"


def example(rubric_id: str, index: int = 0):
    rubric = library.load(rubric_id)
    usable = [e for e in rubric.examples if not e.expect.error_codes and not e.parameters]
    findings = dict(usable[index % len(usable)].findings) if usable else {}
    return rubric, score(rubric, findings)


def context() -> SheetContext:
    return SheetContext(branch=BRANCH, committee="市财政局机关党委", cycle="2026年度达标创星", stage="review")


def workbook(rubric, sheet):
    book = load_workbook(io.BytesIO(render_xlsx(score_sheet_document(rubric, sheet, context=context()))))
    return book["评分表"]


def header(ws) -> dict[str, int]:
    for row in ws.iter_rows(max_row=6):
        values = [c.value for c in row]
        if "评定标准" in values:
            return {v: i + 1 for i, v in enumerate(values) if v} | {"_row": row[0].row}
    raise AssertionError("no header row")


@pytest.mark.parametrize("rubric_id", library.ids())
def test_xlsx_totals_equal_the_engine_and_categories_are_merged_over_their_indicators(rubric_id):
    rubric, sheet = example(rubric_id, 1)
    ws = workbook(rubric, sheet)
    cols = header(ws)
    score_col, indicator_col = cols["得分"], cols["标准及要求"]
    by_label = {}
    subtotals = []
    for row in ws.iter_rows(min_row=cols["_row"] + 1):
        label = row[indicator_col - 1].value
        if label in ("各项目得分合计", "加分", "减分", "总分"):
            by_label[label] = Decimal(str(row[score_col - 1].value))
        if label == "本项目小计":
            subtotals.append((row[0].row, Decimal(str(row[score_col - 1].value))))
    assert by_label["总分"] == sheet.total
    assert by_label["各项目得分合计"] == sheet.subtotal
    if rubric.adjustments:
        assert (by_label["加分"], -by_label["减分"]) == (sheet.bonus, sheet.penalty)
    assert [s for _, s in subtotals] == [c.score for c in sheet.categories]
    merged = {str(r) for r in ws.merged_cells.ranges}
    first = cols["_row"] + 1
    for (end, _), category in zip(subtotals, rubric.categories, strict=True):
        assert ws.cell(first, 1).value.endswith(f"{category.title}\n（{_fmt(category.max)}分）")
        assert f"A{first}:A{end}" in merged, f"{category.title} merged over rows {first}-{end}"
        first = end + 1
    indicator_letter = get_column_letter(indicator_col)
    assert any(r.startswith(indicator_letter) for r in merged), "indicator cells merged over their rules"


def _fmt(value: Decimal) -> str:
    from chuangxing.scoring.points import fmt

    return fmt(value)


def test_each_rule_row_carries_its_wording_its_points_and_the_reasons():
    rubric = library.load("fujian-2018")
    judged = {"points": "1.5", "reason": "换届材料缺选票统计"}
    sheet = score(rubric, {"inputs": {"fj-org-3-lost": 2, "fj-org-2-procedure": judged}})
    ws = workbook(rubric, sheet)
    cols = header(ws)
    rows = {row[cols["评定标准"] - 1].value: row for row in ws.iter_rows(min_row=cols["_row"] + 1)}
    deduction = rows[rubric.rule("fj-org-3-lost").text]
    assert deduction[cols["扣分/加分"] - 1].value == -2
    assert deduction[cols["扣分（加分）原因"] - 1].value == "2 次 × 1 分，扣 2 分"
    judged = rows[rubric.rule("fj-org-2-procedure").text]
    assert Decimal(str(judged[cols["扣分/加分"] - 1].value)) == Decimal("-1.5")
    assert "换届材料缺选票统计" in judged[cols["扣分（加分）原因"] - 1].value
    texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert SIGNATURES in texts


def test_pending_process_steps_vetoes_and_unassessed_rules_are_said():
    rubric = library.load("zhenjiang-2018")
    sheet = score(rubric, {"inputs": {"zj-veto-secretary": {"reason": "书记空缺半年"}}})
    lines = rating_lines(sheet)
    assert lines[0].startswith("星级：不予评星（否决项：") and "未配备书记" in lines[0]
    sheet = score(rubric, {"inputs": {}})
    assert "尚需：四星由市委直属党（工）委审核认定" in rating_lines(sheet)[0]
    document = score_sheet_document(rubric, sheet)
    spans = [r["category"] for r in document.tables[0].rows if r.get("_span")]
    assert any(s.startswith(f"尚有 {len(sheet.unassessed)} 条规则未评定") for s in spans)


@pytest.mark.parametrize("rubric_id", ["zhenjiang-2018", "shaoxing-2018", "fujian-2018", "yintai-sanlidong"])
def test_pdf_renders_and_its_text_layer_has_the_chinese(rubric_id, tmp_path):
    rubric, sheet = example(rubric_id)
    content = render_pdf(score_sheet_document(rubric, sheet, context=context()))
    text = pdf_text(content, tmp_path)
    compact = text.replace(" ", "")
    for needle in (BRANCH, "党支部考评评分表", "支部书记（签字）", "审核人（签字）", rubric.categories[0].indicators[0].title[:4],
                   rubric.title[:10]):
        assert needle in compact, needle
    assert "总分" in compact
    pages = pdf_pages(content, tmp_path, name=f"scoresheet-{rubric_id}", dpi=40, keep=rubric_id == "zhenjiang-2018")
    assert len(pages) >= 2
    for page in pages:
        assert_png(page)


def test_csv_has_one_line_per_row():
    rubric, sheet = example("zhenjiang-2018")
    document = score_sheet_document(rubric, sheet)
    records = list(csv.reader(io.StringIO(render_csv(document).decode("utf-8-sig"))))
    assert records[0][:5] == ["项目", "标准及要求", "分值", "分项", "评定标准"]
    assert len(records) == 1 + len(document.tables[0].rows)
