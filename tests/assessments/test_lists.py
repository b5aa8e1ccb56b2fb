"""The lists of a finalized cycle: 附件2 recommendations with the quota, 未授星/未达标, rectification, targets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chuangxing.assessments.lists import (
    answer_rectification,
    distribution,
    feedback_items,
    open_rectification,
    recommend,
    recommendation_quota,
    recommendation_rows,
    reinspect,
    unrated_rows,
)
from chuangxing.assessments.models import AuditEntry, Rectification, State
from chuangxing.assessments.publicity import announce, finalize
from chuangxing.assessments.workflow import WorkflowError
from chuangxing.orgs.models import CommitteePost, CommitteeTerm, Duty, Member, Organization
from tests.assessments.conftest import World
from tests.assessments.steps import (
    AFTER,
    NO_ROSTER,
    NO_SERVICE,
    NOT_COVERED,
    NOTICE_END,
    NOTICE_START,
    TERM_IRREGULAR,
    UNWILLING,
    reviewed,
)

# jiaozuo-2019: 先进 from 85, 达标 above 60; 示范 is 先进 with the recommendation. The example pass-84:
PASS_84 = {**NO_SERVICE, **NO_ROSTER, **TERM_IRREGULAR, **NOT_COVERED, **UNWILLING,
           "zj-func-2-c": {"value": 75, "reason": "群众基本满意率 75%"}}                   # −16
NO_SECRETARY = {"zj-veto-secretary": {"value": True, "reason": "书记空缺半年"}}


def refusal(call, **kwargs) -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        call(**kwargs)
    return caught.value


def secretary(branch: Organization, name: str) -> None:
    member = Member.objects.create(branch=branch, number=f"M-{branch.code}", name=name)
    term = CommitteeTerm.objects.create(branch=branch, elected_on=date(2024, 3, 1))
    CommitteePost.objects.create(term=term, member=member, duty=Duty.SECRETARY, started_on=date(2024, 3, 1))


@pytest.fixture
def world(db):
    """jiaozuo-2019. a1: 100, recommended → 示范; a2: 84 → 达标; b1: no secretary → 不予评星, 未达标."""
    w = World("jiaozuo-2019")
    Organization.objects.filter(pk=w.a1.pk).update(contact_phone="0391-3568123")
    secretary(w.a1, "王建华")
    reviewed(w, w.a1)
    reviewed(w, w.a2, review=PASS_84)
    reviewed(w, w.b1, review={**NO_SECRETARY, **NO_SERVICE, **NO_ROSTER})
    return w


def finalized(w) -> None:
    announce(cycle=w.cycle, title="达标创建结果公示", starts_on=NOTICE_START, ends_on=NOTICE_END, by=w.admin)
    finalize(cycle=w.cycle, by=w.admin, now=AFTER)


@pytest.mark.django_db
def test_recommendation_needs_a_reason_a_reviewer_and_the_advanced_grade(world):
    w = world
    a1, a2 = w.assessment(w.a1), w.assessment(w.a2)
    assert refusal(recommend, assessment=a1, by=w.reviewer_a, reason=" ").code == "reason_required"
    assert refusal(recommend, assessment=a1, by=w.secretary_a1, reason="好").code == "forbidden"
    error = refusal(recommend, assessment=a2, by=w.reviewer_a, reason="好")
    assert (error.code, error.message_zh) == ("not_eligible", "只有达到“先进”的党支部才能推荐为“示范”（本支部为“达标”）")
    a1 = recommend(assessment=a1, by=w.reviewer_a, reason="主题党日品牌突出，示范作用好")
    assert a1.process["recommended"] is True
    entry = AuditEntry.objects.get(action="recommend")
    assert (entry.assessment_id, entry.reason, entry.new) == (a1.pk, "主题党日品牌突出，示范作用好", True)


@pytest.mark.django_db
def test_the_recommendation_list_and_its_quota(world):
    w = world
    recommend(assessment=w.assessment(w.a1), by=w.reviewer_a, reason="示范作用好")
    finalized(w)
    rows = recommendation_rows(cycle=w.cycle)
    a1 = w.assessment(w.a1)
    assert rows == [{"number": 1, "name": "甲一支部", "leader": "王建华", "phone": "0391-3568123", "branch_type": "机关",
                     "assessment_id": a1.pk, "branch_id": w.a1.pk, "total": Decimal("100")}]
    quota = recommendation_quota(cycle=w.cycle, rows=rows)
    assert quota["ok"] and quota["required"] == 1         # 20% of 3 branches: at least 1
    assert quota["message"] == "推荐示范党支部 1 个，占党支部总数 3 个的 33.3%，达到规定的 20%（至少 1 个）"
    w.cycle.recommendation_min_share = Decimal("0.5")       # the cycle's own quota overrides the rubric's
    quota = recommendation_quota(cycle=w.cycle)
    assert (quota["ok"], quota["required"], quota["shortfall"]) == (False, 2, 1)
    assert quota["message"] == "推荐示范党支部 1 个，占党支部总数 3 个的 33.3%，少于规定的 50%（至少 2 个），还差 1 个"


@pytest.mark.django_db
def test_unrated_and_unmet_lists_carry_the_veto_reasons(world):
    w = world
    finalized(w)
    rows = unrated_rows(cycle=w.cycle)
    b1 = w.assessment(w.b1)
    assert [(r["name"], r["committee"], r["rating"], r["total"], r["blocked"]) for r in rows] == [
        ("乙一支部", "乙党委", "不予评星", Decimal("92"), True)]
    assert rows[0]["reasons"] == "否决项：近一年，党支部未配备书记的（书记空缺半年）"
    assert rows[0]["assessment_id"] == b1.pk and rows[0]["state"] == State.FINALIZED
    grades = unrated_rows(cycle=w.cycle, scheme="grade")
    assert [(r["name"], r["rating"], r["blocked"]) for r in grades] == [("乙一支部", "未达标", False)]
    assert refusal(unrated_rows, cycle=w.cycle, scheme="nope").code == "no_such_scheme"


@pytest.mark.django_db
def test_rectification_from_the_sheet_then_reinspection(world):
    w = world
    finalized(w)
    b1 = w.assessment(w.b1)
    items = feedback_items(b1)
    assert [i["rule_id"] for i in items] == ["zj-veto-secretary", "zj-func-2-b", "zj-org-3-a"]
    assert [i["lost"] for i in items] == [None, Decimal("6"), Decimal("2")]
    assert items[1]["item"] == "未有载体或方法的扣6分"                          # the standard's own wording
    assert items[0]["item"] == "近一年，党支部未配备书记的（书记空缺半年）"
    assert refusal(open_rectification, assessment=b1, items=None, due_on=date(2027, 3, 31),
                   by=w.reviewer_a).code == "forbidden"
    made = open_rectification(assessment=b1, items=None, due_on=date(2027, 3, 31), by=w.reviewer_b)
    b1 = w.assessment(w.b1)
    assert b1.state == State.RECTIFICATION and len(made) == 3
    assert AuditEntry.objects.get(action="rectify", assessment=b1).reason == "评定为“不予评星”，列入整改（提示反馈清单 3 项）"

    error = refusal(reinspect, assessment=b1, passed=True, by=w.inspector)
    assert (error.code, error.message_zh) == ("rectification_unanswered", "还有 3 项整改未填写整改情况，不能复检")
    first, *rest = Rectification.objects.filter(assessment=b1).order_by("pk")
    assert refusal(answer_rectification, rectification=first, response="已配齐", by=w.secretary_a1).code == "forbidden"
    for item in (first, *rest):
        answer_rectification(rectification=item, response="已整改到位", by=w.secretary_b1)
    b1 = reinspect(assessment=w.assessment(w.b1), passed=True, by=w.inspector)
    assert b1.state == State.REINSPECTED
    assert set(Rectification.objects.filter(assessment=b1).values_list("passed", flat=True)) == {True}
    assert AuditEntry.objects.get(action="reinspect", assessment=b1).reason == "复检通过"


@pytest.mark.django_db
def test_rectification_items_can_be_given_and_must_not_be_empty(world):
    w = world
    finalized(w)
    a2 = w.assessment(w.a2)
    assert refusal(open_rectification, assessment=a2, items=["  "], due_on=None, by=w.admin).code == "no_items"
    made = open_rectification(assessment=a2, items=["组织生活记录不全", {"rule_id": "zj-func-2-b", "item": "无服务载体"}],
                              due_on=None, by=w.admin, reason="提示反馈")
    assert [(r.item, r.rule_id) for r in made] == [("组织生活记录不全", ""), ("无服务载体", "zj-func-2-b")]


@pytest.mark.django_db
def test_distribution_against_the_targets_overall_and_per_committee(world):
    w = world
    w.cycle.targets = [{"scheme": "grade", "at_least": "pass", "share": "0.75", "text": "达标及以上不低于75%"},
                       {"scheme": "stars", "at_least": "three", "share": "0.5"}]
    w.cycle.save(update_fields=["targets"])
    finalized(w)
    rows = distribution(cycle=w.cycle)
    seen = {(r["committee"], r["level"]): (r["branches"], r["count"], r["share"], r["met"], r["needed"]) for r in rows}
    assert seen == {
        ("全部", "pass"): (3, 2, Decimal("0.6667"), False, 1),     # 2 < 0.75 × 3: one more branch needed
        ("全部", "three"): (3, 2, Decimal("0.6667"), True, 0),     # a1 三星 (四星 not confirmed), a2 三星
        ("甲党委", "pass"): (2, 2, Decimal("1.0000"), True, 0),
        ("甲党委", "three"): (2, 2, Decimal("1.0000"), True, 0),
        ("乙党委", "pass"): (1, 0, Decimal("0.0000"), False, 1),
        ("乙党委", "three"): (1, 0, Decimal("0.0000"), False, 1),
    }
    overall = rows[0]
    assert overall["target"] == Decimal("0.75") and overall["target_text"] == "达标及以上不低于75%"
    assert rows[1]["target_text"] == "三星及以上不低于50%"
