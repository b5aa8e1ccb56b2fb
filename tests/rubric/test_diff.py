"""diff_rubrics: what changed between two versions of a standard, each change a Chinese sentence."""

from decimal import Decimal
from pathlib import Path

import pytest

from chuangxing.rubric import load_rubric
from chuangxing.rubric.diff import diff_rubrics

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def diff():
    return diff_rubrics(load_rubric(DATA / "mini.yaml"), load_rubric(DATA / "mini-v2.yaml"))


def change(diff, action, id_, field=None):
    found = [c for c in diff.changes if c.action == action and c.id == id_ and (field is None or c.field == field)]
    assert len(found) == 1, [c.message for c in diff.changes]
    return found[0]


def test_same_rubric_has_no_changes():
    rubric = load_rubric(DATA / "mini.yaml")
    assert not diff_rubrics(rubric, rubric)
    assert diff_rubrics(rubric, rubric).changes == []


def test_metadata(diff):
    assert change(diff, "changed", "version").message == "版本：“1” → “2”"
    assert change(diff, "changed", "title").new == "测试（修订）"
    assert diff.old["version"] == "1" and diff.new["version"] == "2"


def test_reweighted_and_retitled_nodes(diff):
    i1 = change(diff, "reweighted", "i1")
    assert (i1.old, i1.new) == (Decimal(6), Decimal(7))
    assert i1.message == "指标 i1“组织设置与换届”分值由 6 分改为 7 分"
    assert change(diff, "retitled", "i1").message == "指标 i1 名称：“组织设置” → “组织设置与换届”"
    assert change(diff, "reweighted", "i2").new == Decimal(3)


def test_rules_added_removed_changed(diff):
    assert change(diff, "removed", "r2").message == "删除规则 r2（按次扣分/得分，属于“组织设置”）：“少一次扣0.5分”"
    assert "酌情扣分" in change(diff, "added", "r4").message
    points = change(diff, "changed", "r1", "points")
    assert (points.old, points.new) == (Decimal(3), Decimal(2))
    assert points.message == "规则 r1（“组织设置与换届”）的分值：3 → 2"
    assert "扣3分” → “有党员7人以上，未按要求设立支部委员会，扣2分”" in change(diff, "changed", "r1", "text").message
    bands = change(diff, "changed", "r3", "bands")
    assert "60 至不足 70：3 分" in bands.message and "60 至不足 80：2 分" in bands.message
    assert change(diff, "changed", "a1", "min").message == "规则 a1（“活动”）的下限：3 → 2"
    # a rule whose indicator was only renamed has not moved
    assert not [c for c in diff.changes if c.action == "moved"]


def test_vetoes_and_ratings(diff):
    assert change(diff, "added", "v2").message == "新增否决项 v2：“班子成员受到党纪处分的”"
    assert change(diff, "added", "stars/three").message == "星级新增等次“三星”（不低于 8 分）"
    one = change(diff, "changed", "stars/one", "threshold")
    assert one.message == "星级“一星”的分数门槛：高于 6 分 → 不低于 6 分"
    assert change(diff, "changed", "stars/four", "threshold").new == {"min": Decimal("9.5"), "min_inclusive": True}
    assert change(diff, "changed", "one_star_at_60", "value").message == "参数 one_star_at_60 的取值：否 → 是"


def test_sections_in_reading_order(diff):
    sections = [s for s, _ in diff.by_section()]
    assert sections == ["metadata", "parameters", "structure", "rules", "vetoes", "ratings"]
    assert diff.to_dict()["counts"] == diff.counts()
    assert all(c.message for c in diff.changes)


def test_moved_and_kind_changed():
    old = load_rubric(DATA / "mini.yaml")
    category = old.categories[0]
    i1, i2 = category.indicators
    moved_rule = i1.rules[0].model_copy(update={"text": "少一次扣0.5分"})
    new = old.model_copy(update={"categories": [category.model_copy(update={"indicators": [
        i1.model_copy(update={"rules": [i1.rules[1], i1.rules[2]]}),
        i2.model_copy(update={"rules": [*i2.rules, moved_rule]}),
    ]})]})

    diff = diff_rubrics(old, new)

    moved = change(diff, "moved", "r1")
    assert moved.message == "规则 r1 由“组织设置”移至“活动”"
    assert (moved.old, moved.new) == ("i1", "i2")
