"""The cycle reports on a small finalized cycle: summary, 附件2, 未授星 list, distribution, short board; scoping."""

from __future__ import annotations

import io
from collections import defaultdict
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from chuangxing.assessments import lists
from chuangxing.assessments.models import FinalRating, Rectification
from chuangxing.assessments.services import sheet_of
from chuangxing.reports.registry import ReportError, render
from chuangxing.reports.scoresheet import STAGE_LABELS, default_stage
from chuangxing.scoring import score
from tests.reports.conftest import assert_png, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


def sheet(content: bytes, name: str | None = None):
    book = load_workbook(io.BytesIO(content))
    return book[name] if name else book.worksheets[0]


def table(ws, first_header: str) -> list[dict]:
    """The rows under the header row whose first cell is ``first_header``, as dicts by header."""
    rows = list(ws.iter_rows(values_only=True))
    start = next(i for i, row in enumerate(rows) if row[0] == first_header)
    headers = rows[start]
    out = []
    for row in rows[start + 1:]:
        if row[0] is None or not isinstance(row[0], int | float):
            break
        out.append(dict(zip(headers, row, strict=False)))
    return out


def number(value) -> Decimal | None:
    return None if value is None else Decimal(str(value))


# -- committee summary -------------------------------------------------------------------------------
def test_the_summary_has_every_branch_with_the_engines_numbers(finalized_world, tmp_path):
    w = finalized_world
    content, filename, content_type = render("committee-summary", "xlsx", {"cycle": w.cycle.pk})
    assert filename == "2026年度达标创星-考评结果汇总表.xlsx" and content_type.endswith("spreadsheetml.sheet")
    rows = table(sheet(content), "序号")
    assert [r["党支部"] for r in rows] == [b.name for b in w.branches]
    assert rows[0]["上级党组织"] == "市财政局机关党委" and rows[-1]["上级党组织"] == "市教育局机关党委"
    main = {f.assessment_id: f.label for f in FinalRating.objects.filter(scheme="stars")}
    for row, branch in zip(rows, w.branches, strict=True):
        a = w.assessment(branch)
        engine = sheet_of(a, stage="review")
        assert number(row["总分"]) == engine.total == a.final_total
        for category in engine.categories:
            assert number(row[category.title]) == category.score
        assert number(row["自评得分"]) == a.self_total and number(row["审核得分"]) == a.reviewed_total
        assert number(row["自评与审核之差"]) == a.self_total - a.reviewed_total
        assert row["评定等次"] == main[a.pk] and row["状态"] == "已评定"
    text = pdf_text(render("committee-summary", "pdf", {"cycle": w.cycle.pk})[0], tmp_path).replace(" ", "")
    assert all(b.name in text for b in w.branches) and "考评结果汇总表" in text


def test_before_finalization_the_rating_is_marked_as_an_estimate(cycle_world):
    rows = table(sheet(render("committee-summary", "xlsx", {"cycle": cycle_world.cycle.pk})[0]), "序号")
    assert all(r["评定等次"].endswith("（测算）") for r in rows)
    assert {r["状态"] for r in rows} == {"已审核"}


def test_the_web_user_sees_only_the_branches_they_may_read(finalized_world):
    w = finalized_world
    rows = table(sheet(render("committee-summary", "xlsx", {"cycle": w.cycle.pk}, by=w.users["reviewer"])[0]), "序号")
    assert [r["党支部"] for r in rows] == [b.name for b in w.branches[:3]]
    rows = table(sheet(render("committee-summary", "xlsx", {"cycle": w.cycle.pk}, by=w.users["secretary"])[0]), "序号")
    assert [r["党支部"] for r in rows] == [w.branches[0].name]
    rows = table(sheet(render("committee-summary", "xlsx", {"cycle": w.cycle.pk, "committee": w.committees[1].pk})[0]),
                 "序号")
    assert [r["党支部"] for r in rows] == [b.name for b in w.branches[3:]]
    with pytest.raises(ReportError) as caught:
        render("score-sheet", "pdf", {"cycle": w.cycle.pk, "branch": w.branches[4].pk}, by=w.users["reviewer"])
    assert caught.value.code == "not_found"
    with pytest.raises(ReportError) as caught:
        render("distribution", "pdf", {"cycle": w.cycle.pk}, by=w.users["secretary"])
    assert caught.value.code == "forbidden"


# -- 附件2 ------------------------------------------------------------------------------------------------
def test_the_recommendation_list_is_the_official_form(finalized_world, tmp_path):
    w = finalized_world
    content = render("recommendations", "xlsx", {"cycle": w.cycle.pk, "unit": "市直机关工委"})[0]
    ws = sheet(content)
    lines = [row[0] for row in ws.iter_rows(values_only=True) if row[0]]
    assert lines[0] == "推荐标准化规范化建设示范党支部名单"
    assert lines[1].startswith("单位（盖章）：市直机关工委") and "填写时间：" in lines[1] and "年　　月　　日" in lines[1]
    rows = table(ws, "序号")
    expected = lists.recommendation_rows(cycle=w.cycle)
    assert expected, "the world recommends some branches"
    assert [[r[h] for h in ("序号", "党支部名称", "党支部负责人", "联系方式", "支部类型")] for r in rows] == [
        [e["number"], e["name"], e["leader"], e["phone"], e["branch_type"]] for e in expected]
    assert any(str(line).startswith("备注：支部类型填写农村、社区、机关") for line in lines)
    assert any(str(line).startswith("推荐示范党支部") for line in lines)      # the quota check
    text = pdf_text(render("recommendations", "pdf", {"cycle": w.cycle.pk})[0], tmp_path).replace(" ", "")
    for needle in ("推荐标准化规范化建设示范党支部名单", "单位（盖章）：", "填写时间：", "党支部负责人", expected[0]["name"]):
        assert needle in text, needle


# -- 未授星 / 未达标 -------------------------------------------------------------------------------------
def test_the_unstarred_list_names_the_vetoed_branch_with_its_rectification_items(finalized_world, tmp_path):
    w = finalized_world
    vetoed = w.branches[-1]
    rows = table(sheet(render("unstarred", "xlsx", {"cycle": w.cycle.pk})[0]), "序号")
    row = next(r for r in rows if r["党支部名称"] == vetoed.name)
    assert "书记" in row["原因"] and row["评定结果"] == "不予评星"
    assert row["整改事项"].startswith("1. ") and row["整改情况"] == "未下达整改"
    a = w.assessment(vetoed)
    Rectification.objects.bulk_create([Rectification(assessment=a, item="配齐支部书记", response="已选举新书记"),
                                       Rectification(assessment=a, item="按期换届")])
    row = next(r for r in table(sheet(render("unstarred", "xlsx", {"cycle": w.cycle.pk})[0]), "序号")
               if r["党支部名称"] == vetoed.name)
    assert row["整改事项"] == "1. 配齐支部书记\n2. 按期换届" and row["整改情况"] == "已答复 1/2 项"
    assert vetoed.name in pdf_text(render("unstarred", "pdf", {"cycle": w.cycle.pk})[0], tmp_path).replace(" ", "")
    graded = table(sheet(render("unstarred", "xlsx", {"cycle": w.cycle.pk, "scheme": "grade"})[0]), "序号")
    assert vetoed.name in [r["党支部名称"] for r in graded]


# -- distribution -----------------------------------------------------------------------------------------
def test_distribution_against_the_targets_with_charts(finalized_world, tmp_path):
    w = finalized_world
    w.cycle.targets = [{"scheme": "stars", "at_least": "three", "share": "0.75", "text": "三星及以上不低于75%"},
                       {"scheme": "grade", "at_least": "advanced", "share": "0.2"}]
    w.cycle.save(update_fields=["targets"])
    content = render("distribution", "xlsx", {"cycle": w.cycle.pk})[0]
    book = load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["等次分布", "目标对照", "图表"]
    levels = [row for row in book["等次分布"].iter_rows(values_only=True) if row[0] == "星级"]
    labels = {"": "不予评星（否决）", "none": "不予评星", "one": "一星", "two": "二星", "three": "三星", "four": "四星",
              "five": "五星"}
    counts = defaultdict(int)
    for level in FinalRating.objects.filter(scheme="stars").values_list("level", flat=True):
        counts[labels[level]] += 1
    assert counts["不予评星（否决）"] == 1
    assert {row[1]: row[2] for row in levels} == {label: counts[label] for label in labels.values()}
    targets = [row for row in book["目标对照"].iter_rows(values_only=True) if row[0] == "全部"]
    expected = [r for r in lists.distribution(cycle=w.cycle) if r["committee_id"] is None]
    assert [(row[2], row[3], row[6]) for row in targets] == [(r["branches"], r["count"], "是" if r["met"] else "否")
                                                            for r in expected]
    assert len(book["图表"]._images) == 2
    pdf = render("distribution", "pdf", {"cycle": w.cycle.pk})[0]
    text = pdf_text(pdf, tmp_path).replace(" ", "")
    assert "目标达成情况" in text and "三星及以上不低于75%" in text
    pages = pdf_pages(pdf, tmp_path, name="distribution", dpi=60, keep=True)
    for page in pages:
        assert_png(page)


# -- short board ----------------------------------------------------------------------------------------
def test_the_short_board_adds_up_the_points_lost_per_indicator_as_the_engine_scores_them(finalized_world, tmp_path):
    w = finalized_world
    lost, losing = defaultdict(Decimal), defaultdict(int)
    for branch in w.branches:
        for category in sheet_of(w.assessment(branch), stage="review").categories:
            for indicator in category.children:
                lost[indicator.title] += indicator.lost()
                losing[indicator.title] += indicator.lost() > 0
    rows = table(sheet(render("short-board", "xlsx", {"cycle": w.cycle.pk})[0]), "排名")
    assert {r["指标"]: number(r["失分合计"]) for r in rows} == dict(lost)
    assert {r["指标"]: r["失分党支部数"] for r in rows} == dict(losing)
    assert [number(r["失分合计"]) for r in rows] == sorted(lost.values(), reverse=True)
    top = rows[0]
    assert number(top["平均失分"]) == (lost[top["指标"]] / len(w.branches)).quantize(Decimal("0.01"))
    pdf = render("short-board", "pdf", {"cycle": w.cycle.pk})[0]
    assert top["指标"] in pdf_text(pdf, tmp_path)
    pages = pdf_pages(pdf, tmp_path, name="short-board", dpi=60, keep=True)
    assert len(pages) >= 1


# -- one branch, from the cycle ------------------------------------------------------------------------------
def test_the_score_sheet_of_a_branch_in_the_cycle(finalized_world, tmp_path):
    w = finalized_world
    branch = w.branches[-1]
    content, filename, _ = render("score-sheet", "xlsx", {"cycle": w.cycle.pk, "branch": branch.pk})
    stage = STAGE_LABELS[default_stage(w.assessment(branch))]
    assert filename == f"{branch.name}-考评评分表（{stage}）.xlsx"             # the stage shown is in the name
    values = [c for row in sheet(content).iter_rows(values_only=True) for c in row if c is not None]
    engine = sheet_of(w.assessment(branch), stage="review")
    at = values.index("总分")
    assert Decimal(str(values[at + 1])) == engine.total
    assert any(str(v).startswith("最终评定（星级）：不予评星（否决项：") for v in values)
    pdf = render("score-sheet", "pdf", {"cycle": w.cycle.pk, "branch": branch.pk, "stage": "self"})[0]
    text = pdf_text(pdf, tmp_path).replace(" ", "")
    assert branch.name in text and "评分阶段：自评" in text and "上级党组织：市教育局机关党委" in text


def test_the_blank_sheet_of_a_branch_can_come_prefilled_with_a_stage(finalized_world):
    from chuangxing.assessments.services import findings_data, rubric_of
    from chuangxing.reports.fillin import read_filled_sheet

    w = finalized_world
    a = w.assessment(w.branches[0])
    content, filename, _ = render("blank-sheet", "xlsx", {"cycle": w.cycle.pk, "branch": w.branches[0].pk,
                                                           "stage": "review"})
    assert filename == f"{w.branches[0].name}-评分表（填写用）.xlsx"
    back = read_filled_sheet(rubric_of(a), content)
    stored = findings_data(a, stage="review")          # decimals are stored as text: compare what they score
    assert set(back["inputs"]) == set(stored["inputs"])
    assert score(rubric_of(a), {**stored, "inputs": back["inputs"]}).to_dict() == score(rubric_of(a), stored).to_dict()
    with pytest.raises(ReportError) as caught:
        render("blank-sheet", "pdf", {"cycle": w.cycle.pk, "branch": w.branches[0].pk})
    assert caught.value.code == "unknown_format"
