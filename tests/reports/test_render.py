"""The renderers on documents made here: cells, merges, spans, numbers, big tables, fonts, CSV, charts."""

from __future__ import annotations

import csv
import io
import time
from decimal import Decimal

from openpyxl import load_workbook

from chuangxing.reports.document import Chart, Column, Document, Table, show
from chuangxing.reports.fonts import CJK, LATIN, markup, runs
from chuangxing.reports.render import render_csv, render_pdf, render_xlsx
from tests.reports.conftest import assert_png, fonts_drawn, pdf_fonts, pdf_pages, pdf_text

COLUMNS = [Column("group", "项目", 10, merge_on="_g"), Column("name", "名称", 20), Column("points", "分值", 6, "points"),
           Column("delta", "扣分", 6, "signed"), Column("share", "占比", 8, "percent")]


def rows():
    return [
        {"group": "基本组织（15分）", "_g": "a", "name": "第3党支部", "points": Decimal("1.5"), "delta": Decimal("-3"),
         "share": Decimal("0.125")},
        {"group": "基本组织（15分）", "_g": "a", "name": "=1+1 不是公式", "points": Decimal("0.3"), "delta": Decimal(2),
         "share": Decimal(1)},
        {"group": "基本队伍", "_g": "b", "name": "甲", "points": 0},
        {"group": "合计：3 个党支部", "_span": True, "_style": "strong"},
    ]


def document(**extra) -> Document:
    return Document(title="测试报表", filename="测试", tables=[Table(COLUMNS, rows(), count=4)],
                    preamble=["单位（盖章）：某某党委"], footer=["支部书记（签字）：＿＿＿＿"], **extra)


def test_values_are_shown_exactly():
    assert show(COLUMNS[2], Decimal("1.50")) == "1.5"
    assert show(COLUMNS[3], Decimal(2)) == "+2" and show(COLUMNS[3], Decimal(-3)) == "-3"
    assert show(COLUMNS[4], Decimal("0.125")) == "12.5%"
    assert show(COLUMNS[2], None) == ""


def test_xlsx_cells_numbers_merges_and_text_that_looks_like_a_formula():
    book = load_workbook(io.BytesIO(render_xlsx(document())))
    sheet = book.worksheets[0]
    assert sheet["A1"].value == "测试报表" and sheet["A2"].value == "单位（盖章）：某某党委"
    assert [c.value for c in sheet[3]] == ["项目", "名称", "分值", "扣分", "占比"]
    assert sheet["C4"].value == Decimal("1.5") or sheet["C4"].value == 1.5      # a number, not text
    assert sheet["D4"].number_format == "+0.##;-0.##;0" and sheet["E4"].number_format == "0.0%"
    assert sheet["B5"].value == "=1+1 不是公式" and sheet["B5"].data_type == "s"
    merged = {str(r) for r in sheet.merged_cells.ranges}
    assert {"A1:E1", "A2:E2", "A4:A5", "A7:E7"} <= merged            # title, preamble, the group, the span row
    assert sheet["A5"].value is None                                  # a merged run holds its value once
    assert sheet.freeze_panes == "A4"
    assert any("支部书记（签字）" in str(c.value) for row in sheet.iter_rows() for c in row if c.value)


def test_csv_is_utf8_with_bom_and_neutralises_formulas():
    content = render_csv(document())
    assert content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert lines[0] == ["项目", "名称", "分值", "扣分", "占比"]
    assert lines[1] == ["基本组织（15分）", "第3党支部", "1.5", "-3", "12.5%"]
    assert lines[2][1] == "'=1+1 不是公式"
    assert lines[4] == ["合计：3 个党支部"]


def test_text_is_cut_into_runs_each_font_has_the_glyphs_for():
    assert runs("第3党支部★") == ((CJK, "第"), (LATIN, "3"), (CJK, "党支部"), (LATIN, "★"))
    assert markup("A<B") == f'<font face="{LATIN}">A&lt;B</font>'


def test_pdf_embeds_both_fonts_and_has_the_chinese_and_the_digits_in_its_text_layer(tmp_path):
    content = render_pdf(document())
    drawn = fonts_drawn(content)
    assert drawn == {"AAAAAA+DroidSansFallback", "AAAAAA+DejaVuSans"}, drawn      # subsets, nothing else drawn
    fonts = pdf_fonts(content, tmp_path)
    for line in fonts.splitlines()[2:]:
        if "Helvetica" not in line:      # reportlab lists Helvetica in every page's resources; nothing draws with it
            assert " yes yes " in line, f"embedded and subset: {line}"
    text = pdf_text(content, tmp_path)
    for needle in ("测试报表", "第3党支部", "基本组织（15分）", "12.5%", "合计：3 个党支部", "支部书记（签字）"):
        assert needle in text, needle
    assert "第1页" in text.replace(" ", "")
    [page] = pdf_pages(content, tmp_path)
    assert_png(page)


def test_pdf_pages_a_long_table_with_its_header_on_every_page_in_linear_time(tmp_path):
    count = 3000
    big = [{"group": f"委员会{i // 50}", "_g": i // 50, "name": f"第{i}党支部", "points": Decimal(i % 100),
            "delta": Decimal(-1), "share": Decimal("0.5")} for i in range(count)]
    started = time.monotonic()
    content = render_pdf(Document(title="长表", filename="长表", tables=[Table(COLUMNS, big, count=count)]))
    elapsed = time.monotonic() - started
    assert elapsed < 20, f"{count} rows took {elapsed:.1f}s"
    text = pdf_text(content, tmp_path)
    pages = text.split("\f")
    assert len(pages) > 40
    assert all("名称" in page for page in pages if page.strip()), "the header repeats on every page"
    assert "第2999党支部" in text and "委员会59" in text


def test_pdf_keeps_a_merged_group_together_and_repeats_its_name_on_the_next_page(tmp_path):
    long_group = [{"group": "很长的一组", "_g": "g", "name": f"第{i}行", "points": 1} for i in range(120)]
    content = render_pdf(Document(title="分组", filename="分组", tables=[Table(COLUMNS, long_group, count=120)]))
    pages = [p for p in pdf_text(content, tmp_path).split("\f") if p.strip()]
    assert len(pages) >= 2
    assert all("很长的一组" in page for page in pages)


def test_an_empty_table_still_shows_its_header(tmp_path):
    content = render_pdf(Document(title="空表", filename="空表", tables=[Table(COLUMNS, [], count=0)]))
    text = pdf_text(content, tmp_path)
    assert "名称" in text and "（无）" in text


def test_charts_go_into_the_pdf_and_onto_their_own_sheet(tmp_path):
    chart = Chart("等次分布（共 6 个党支部）", ["三星", "四星★"], [("党支部数", [3, 3])], value_label="党支部数")
    shares = Chart("目标对照", ["三星及以上不低于75%"], [("实际", [Decimal("0.5")]), ("目标", [Decimal("0.75")])],
                   horizontal=True, percent=True)
    doc = document(charts=[chart, shares])
    book = load_workbook(io.BytesIO(render_xlsx(doc)))
    assert book.sheetnames[-1] == "图表"
    assert len(book["图表"]._images) == 2
    content = render_pdf(document(charts=[chart, shares]))
    pages = pdf_pages(content, tmp_path, name="chart", dpi=60, keep=True)
    assert pages and all(p.stat().st_size > 5000 for p in pages)


def test_cells_wrap_as_chinese_does():
    from chuangxing.reports.fonts import text_width
    from chuangxing.reports.render.pdf import wrap_lines

    text = "党员领导班子成员一岗双责，机关党组织抓落实（0.5分）。"
    width = text_width("党员领导班子成员一岗双责，机关党组织抓落实（0.5分", 8.5)
    # 。 and ） never start a line: the character before them goes down too
    assert wrap_lines(text, width, 8.5) == ("党员领导班子成员一岗双责，机关党组织抓落实（0.5", "分）。")
    assert wrap_lines("第3党支部 score 100 points", 60, 8.5) == ("第3党支部", "score 100", "points")  # words kept whole
    assert wrap_lines("一\n二", 100, 8.5) == ("一", "二")
    assert all(text_width(line, 8.5) <= 40 for line in wrap_lines("abcdefghijklmnopqrstuvwxyz" * 2, 40, 8.5))


def test_big_plain_tables_take_the_fast_row_path_and_give_the_same_cells(monkeypatch):
    from chuangxing.reports.render import fastrows, xlsx

    count = xlsx.STYLED_ROWS + 5
    values = [None, 0, 7, Decimal("1.5"), Decimal("-0.25"), Decimal("100"), " 前后有空格 ", "=SUM(A1)", "第3党支部"]
    columns = [Column("group", "项目", 10), *COLUMNS[1:]]          # no merged column: a plain table

    def big():
        return Document(title="大表", filename="大表", tables=[Table(columns, [
            {"group": values[i % len(values)], "name": f"第{i}党支部", "points": values[(i + 1) % len(values)],
             "delta": Decimal(i % 7 - 3), "share": Decimal(i % 100) / 100} for i in range(count)], count=count)])

    installed = []
    monkeypatch.setattr(fastrows, "install", lambda *a, real=fastrows.install: installed.append(real(*a)) or installed[-1])
    fast = render_xlsx(big())
    assert installed == [True]
    monkeypatch.setattr(fastrows, "install", lambda *a: False)
    slow = render_xlsx(big())

    def cells(content):
        sheet = load_workbook(io.BytesIO(content)).worksheets[0]
        return [[(c.value, c.number_format, c.data_type) for c in row] for row in sheet.iter_rows()]

    assert cells(fast) == cells(slow)
