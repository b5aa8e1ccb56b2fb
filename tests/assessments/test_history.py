"""Across years: rating history over two cycles, five-star pre-registration and inspection, turnover, targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chuangxing.assessments.history import five_star_turnover, history, preregister_five_star, target_progress
from chuangxing.assessments.inspection import complete_inspection
from chuangxing.assessments.models import AuditEntry
from chuangxing.assessments.publicity import announce, finalize
from chuangxing.assessments.sampling import draw_sample
from chuangxing.assessments.services import open_cycle
from chuangxing.assessments.workflow import WorkflowError
from tests.assessments.conftest import World
from tests.assessments.steps import AFTER, NO_SERVICE, NOTICE_END, NOTICE_START, reviewed

CONFIRMED = {"four_star_confirmed": True}


def refusal(call, **kwargs) -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        call(**kwargs)
    return caught.value


def run_cycle(w, *, five_star, others) -> None:
    """``five_star``: pre-registered, reviewed at 100, sampled, passes inspection. ``others``: reviewed at 100."""
    preregister_five_star(assessment=w.assessment(five_star), by=w.admin)
    reviewed(w, five_star, process=CONFIRMED)
    draw_sample(cycle=w.cycle, seed="五星", by=w.admin)              # share 1: the one reviewed branch
    complete_inspection(assessment=w.assessment(five_star), by=w.inspector)
    for branch, review in others:
        reviewed(w, branch, process=CONFIRMED, review=review)
    year = w.cycle.period_end.year
    announce(cycle=w.cycle, title=f"{year}年度评星结果公示", starts_on=NOTICE_START.replace(year=year),
             ends_on=NOTICE_END.replace(year=year), by=w.admin)
    finalize(cycle=w.cycle, by=w.admin, now=AFTER.replace(year=year))


@pytest.fixture
def two_years(db):
    w = World(spot_check_share=Decimal("1"))
    first = w.cycle
    run_cycle(w, five_star=w.a1, others=[(w.a2, None), (w.b1, NO_SERVICE)])
    w.cycle = open_cycle(name="2027年度达标创星", root=w.root, rubric_id="zhenjiang-2018", period_start=date(2026, 12, 16),
                         period_end=date(2027, 12, 15), by=w.admin, spot_check_share=Decimal("1"))
    run_cycle(w, five_star=w.a2, others=[(w.a1, NO_SERVICE), (w.b1, None)])
    return w, first, w.cycle


@pytest.mark.django_db
def test_history_lists_each_finalized_cycle_oldest_first(two_years):
    w, first, second = two_years
    rows = history(w.a1)
    assert [(r["cycle"], r["total"], r["downgraded"]) for r in rows] == [
        ("2026年度达标创星", Decimal("100"), False), ("2027年度达标创星", Decimal("94"), False)]
    assert rows[0]["ratings"] == {"stars": {"level": "five", "label": "五星", "stars": 5, "reasons": []}}
    assert rows[1]["ratings"]["stars"]["label"] == "四星"
    assert [r["cycle_id"] for r in history(w.b1)] == [first.pk, second.pk]


@pytest.mark.django_db
def test_five_star_needs_pre_registration_and_a_passed_inspection(two_years):
    w, first, _ = two_years
    a1 = first.assessments.get(branch=w.a1)
    assert a1.process == {"five_star_preregistered": True, "four_star_confirmed": True, "five_star_inspected": True}
    entry = AuditEntry.objects.filter(action="preregister_five_star", assessment=a1).get()
    assert (entry.actor, entry.new, entry.reason) == (w.admin, True, "五星年初预报")
    a2 = first.assessments.get(branch=w.a2)
    assert a2.ratings.get().label == "四星"                 # 100 points but not pre-registered: 四星


@pytest.mark.django_db
def test_pre_registration_is_the_admins_and_comes_before_the_review(db):
    w = World()
    a = w.assessment(w.a1)
    error = refusal(preregister_five_star, assessment=a, by=w.reviewer_a)
    assert error.code == "forbidden"
    a = w.under_review(w.a2)
    error = refusal(preregister_five_star, assessment=a, by=w.admin)
    assert (error.code, error.message_zh) == ("too_late", "当前状态为“审核中”：五星须在审核开始前预报（年初预报）")


@pytest.mark.django_db
def test_a_rubric_without_five_star_pre_registration_refuses_it(db):
    w = World("shaoxing-2018")
    error = refusal(preregister_five_star, assessment=w.assessment(w.a1), by=w.admin)
    assert error.code == "no_five_star" and "没有五星预报环节" in error.message_zh


@pytest.mark.django_db
def test_five_star_turnover_between_two_cycles(two_years):
    w, first, second = two_years
    turnover = five_star_turnover(cycle=second, previous=first)
    assert turnover["lost"] == [{"branch_id": w.a1.pk, "name": "甲一支部", "now": "四星"}]
    assert turnover["gained"] == [{"branch_id": w.a2.pk, "name": "甲二支部"}]
    assert (turnover["previous"], turnover["current"], turnover["kept"]) == (1, 1, 0)
    assert turnover["lost_share"] == Decimal("1.0000") and turnover["target_share"] == Decimal("0.05")
    assert turnover["message"] == ("上一周期五星 1 个，本周期 1 个：保持 0 个，退出 1 个（100%），新增 1 个（100%）；"
                                   "规定按 5% 左右的比例调整")


@pytest.mark.django_db
def test_target_progress_across_the_years(two_years):
    _, first, second = two_years
    rows = target_progress(cycles=[second, first])
    assert [(r["cycle"], r["level"], r["count"], r["met"]) for r in rows] == [
        ("2026年度达标创星", "three", 3, True), ("2026年度达标创星", "four", 3, True), ("2026年度达标创星", "five", 1, True),
        ("2027年度达标创星", "three", 3, True), ("2027年度达标创星", "four", 3, True), ("2027年度达标创星", "five", 1, True)]

