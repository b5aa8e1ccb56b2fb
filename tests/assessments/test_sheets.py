"""What people read: the self-assessment pre-filled from facts, review side by side, the gap; and fraud."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chuangxing.assessments.evidence import add_evidence
from chuangxing.assessments.models import Assessment, AuditEntry, FactValue, Stage, State
from chuangxing.assessments.services import (
    flag_fraud,
    override_fact,
    rubric_of,
    save_findings,
    save_report,
    sheet_of,
    transition,
    withdraw_fraud,
)
from chuangxing.assessments.sheets import gap_report, prefill, review_view, self_rules
from chuangxing.assessments.workflow import IllegalTransition, NotAllowed
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.scoring.trace import FRAUD_DOUBLE

from .conftest import World, fill_self
from .test_evidence import PDF, upload

pytestmark = pytest.mark.django_db


def set_fact(a: Assessment, name: str, value) -> None:
    FactValue.objects.update_or_create(assessment=a, name=name, defaults={"computed": value})


def test_prefill_lists_every_rule_with_where_its_input_comes_from(world):
    a = world.assessment(world.a1)
    set_fact(a, "members_not_managed", 2)
    set_fact(a, "secretary_test_score", "65")
    form = prefill(a, by=world.secretary_a1)
    rubric = rubric_of(a)
    assert [r["rule"] for r in form["rules"]] == [rule.id for rule, _ in rubric.rules() if rule.enabled]
    rows = {r["rule"]: r for r in form["rules"]}
    assert rows["zj-org-1-a"].items() >= {"source": "fact", "fact": "members_not_managed", "input": 2,
                                          "points": Decimal(-2), "fact_value": 2}.items()
    assert rows["zj-team-1-test"]["source"] == "fact" and rows["zj-team-1-test"]["points"] == Decimal(-3)
    assert rows["zj-org-1-c"]["source"] is None and rows["zj-org-1-c"]["input"] is None   # nothing covers it yet
    assert rows["zj-veto-satisfaction"]["facts"] == ["public_satisfaction_rate"]
    assert "zj-org-1-c" in form["unassessed"]
    assert form["sheet"]["total"] == sheet_of(a, stage="self").total
    assert form["editable"] is True and form["state"] == State.DRAFT
    assert form["what_would_it_take"]["scheme"] == "stars"
    unscored = self_rules(a, by=world.secretary_a1)         # a save and the live score: not scored
    assert unscored["rules"] == [{k: v for k, v in r.items() if k not in ("points", "veto")} for r in form["rules"]]
    assert {k: unscored[k] for k in ("editable", "version", "facts", "findings")} == \
        {k: form[k] for k in ("editable", "version", "facts", "findings")}

    a = save_findings(assessment=a, stage=Stage.SELF, values={"zj-org-1-a": {"value": 0, "reason": "两人已转入"}},
                      version=a.version, by=world.secretary_a1)
    row = next(r for r in prefill(a, by=world.secretary_a1)["rules"] if r["rule"] == "zj-org-1-a")
    assert (row["source"], row["input"], row["points"], row["reason"], row["fact_value"]) == (
        "finding", 0, Decimal(0), "两人已转入", 2)
    assert prefill(a, by=world.reviewer_a)["editable"] is False


def test_the_live_sheet_follows_the_findings_and_the_form_shows_evidence(world, media):
    a = fill_self(world.assessment(world.a1), world.secretary_a1)
    before = prefill(a, by=world.secretary_a1)
    assert before["unassessed"] == []
    a = save_findings(assessment=a, stage=Stage.SELF, values={"zj-org-1-c": {"value": True}}, version=a.version,
                      by=world.secretary_a1)
    after = prefill(a, by=world.secretary_a1)
    assert after["sheet"]["total"] == before["sheet"]["total"] - 1 == a.self_total
    add_evidence(assessment=a, node_id="zj-org-1", uploaded_file=upload(PDF, "名册.pdf"), by=world.secretary_a1)
    assert [e["name"] for e in prefill(a, by=world.secretary_a1)["evidence"]["zj-org-1"]] == ["名册.pdf"]
    plan = after["what_would_it_take"]
    assert plan["total_before"] == after["sheet"]["total"]


def test_the_self_assessment_report_is_saved_and_locked_on_submission(world):
    a = world.assessment(world.a1)
    a = save_report(assessment=a, text="本年度支部……", passed_on=date(2026, 12, 10), version=a.version,
                    by=world.secretary_a1)
    assert (a.self_report, a.report_passed_on, a.version) == ("本年度支部……", date(2026, 12, 10), 2)
    assert AuditEntry.objects.filter(action="self_report", assessment=a).exists()
    with pytest.raises(NotAllowed):
        save_report(assessment=a, text="篡改", passed_on=None, version=a.version, by=world.secretary_a2)
    a = world.submitted(world.a1)
    with pytest.raises(IllegalTransition):
        save_report(assessment=a, text="改", passed_on=None, version=a.version, by=world.secretary_a1)


def test_review_side_by_side_with_the_reason_and_the_gap(world, media):
    a = world.assessment(world.a1)
    set_fact(a, "members_not_managed", 1)
    a = world.under_review(world.a1)
    add_evidence(assessment=a, node_id="zj-org-1", uploaded_file=upload(PDF, "关系转接.pdf"), by=world.reviewer_a)
    a = save_findings(assessment=a, stage=Stage.REVIEW,
                      values={"zj-org-1-c": {"value": True, "reason": "后勤科未覆盖"},
                              "zj-sys-4-c": {"value": True, "reason": "无督查记录"}},
                      version=a.version, by=world.reviewer_a)
    rows = review_view(a, by=world.reviewer_a)
    by_id = {r["id"]: r for r in rows}
    org = by_id["zj-org-1"]
    assert (org["max"], org["self_points"], org["review_points"], org["gap"]) == (3, 2, 1, 1)
    assert org["standard"] and org["category"] == "zj-org"
    rule = next(r for r in org["rules"] if r["rule"] == "zj-org-1-c")
    assert rule["self"]["input"] is False and rule["review"]["input"] is True
    assert (rule["adjusted"], rule["reason"], rule["by"]) == (True, "后勤科未覆盖", world.reviewer_a.pk)
    assert org["facts"]["members_not_managed"]["value"] == 1
    assert [e["name"] for e in org["evidence"]] == ["关系转接.pdf"]
    assert sum(r["gap"] for r in rows) == a.self_total - sheet_of(a, stage="review").total == Decimal(2)
    assert {r["level"] for r in rows} == {"indicator", "bonus", "penalty", "vetoes"}
    with pytest.raises(NotAllowed):
        review_view(a, by=world.reviewer_b)
    audit = AuditEntry.objects.get(action="finding_review", target="finding:zj-org-1-c@review")
    assert (audit.old, audit.new, audit.actor, audit.reason) == (False, True, world.reviewer_a, "后勤科未覆盖")


def test_a_save_stores_the_total_of_what_it_wrote_or_nothing(world):
    a = world.under_review(world.a1)
    claimed = sheet_of(a, stage="self").node("zj-org-1").score
    with pytest.raises(FindingsInvalid) as refused:
        save_findings(assessment=a, stage=Stage.REVIEW, values={
            "zj-org-1-c": {"value": True, "reason": "后勤科未覆盖"},
            "zj-org-2-a": {"value": "不是", "reason": "隶属不顺"}}, version=a.version, by=world.reviewer_a)
    assert [e.rule for e in refused.value.errors] == ["zj-org-2-a"]
    stored = Assessment.objects.get(pk=a.pk)
    assert stored.version == a.version and not stored.findings.filter(stage=Stage.REVIEW).exists()
    assert not AuditEntry.objects.filter(action="finding_review").exists()

    a = save_findings(assessment=a, stage=Stage.REVIEW, values={"zj-org-1-c": {"value": True, "reason": "后勤科未覆盖"},
                                                                "zj-org-2-a": {"value": True, "reason": "隶属不顺"}},
                      version=a.version, by=world.reviewer_a)
    assert a.reviewed_total == Assessment.objects.get(pk=a.pk).reviewed_total == sheet_of(a, stage="review").total
    assert sheet_of(a, stage="review").node("zj-org-1").score == claimed - 1
    a = save_findings(assessment=a, stage=Stage.REVIEW, values={"zj-org-1-c": {"value": None, "reason": "复核后撤销"},
                                                                "zj-org-2-a": {"value": False, "reason": "已理顺"}},
                      version=a.version, by=world.reviewer_a)
    after = sheet_of(a, stage="review")
    assert a.reviewed_total == Assessment.objects.get(pk=a.pk).reviewed_total == after.total
    assert after.node("zj-org-1").score == claimed        # the self-assessment's input is in force again
    assert list(a.findings.filter(stage=Stage.REVIEW).values_list("rule_id", "value", "reason")) == [
        ("zj-org-2-a", False, "已理顺")]
    trail = AuditEntry.objects.filter(action="finding_review").order_by("id")
    assert [(e.target, e.old, e.new, e.reason) for e in trail] == [
        ("finding:zj-org-1-c@review", False, True, "后勤科未覆盖"), ("finding:zj-org-2-a@review", False, True, "隶属不顺"),
        ("finding:zj-org-1-c@review", True, None, "复核后撤销"), ("finding:zj-org-2-a@review", True, False, "已理顺")]


def test_the_gap_report_puts_the_largest_over_claim_first(world):
    for branch in (world.a1, world.a2, world.b1):
        world.under_review(branch)
    a2 = world.assessment(world.a2)
    save_findings(assessment=a2, stage=Stage.REVIEW, values={"zj-func-2-b": {"value": True, "reason": "无载体"}},
                  version=a2.version, by=world.reviewer_a)
    for branch in (world.a1, world.a2):
        transition(assessment=world.assessment(branch), action="approve", by=world.reviewer_a)
    rows = gap_report(world.cycle, by=world.admin)
    assert [(r["branch"], r["gap"]) for r in rows] == [("甲二支部", Decimal(6)), ("甲一支部", Decimal(0)), ("乙一支部", None)]
    assert rows[0]["committee"] == "甲党委"
    assert [r["branch"] for r in gap_report(world.cycle, by=world.reviewer_b)] == ["乙一支部"]
    assert [r["branch"] for r in gap_report(world.cycle, by=world.secretary_a1)] == ["甲一支部"]


def test_fraud_is_refused_for_a_rubric_without_a_fraud_policy(world):
    a = world.under_review(world.a1)
    version = a.version
    with pytest.raises(FindingsInvalid) as refused:
        flag_fraud(assessment=a, target="zj-sys-1", reason="会议记录系补写", version=a.version, by=world.reviewer_a)
    assert refused.value.codes == ["no_fraud_policy"]
    assert refused.value.errors[0].message_zh == "本标准没有规定弄虚作假的扣分办法，不能按此计分"
    a.refresh_from_db()
    assert a.fraud_flags == [] and a.version == version
    assert not AuditEntry.objects.filter(action="flag_fraud").exists()


def test_fraud_is_deducted_double_where_the_rubric_says_so(db):
    world = World("shaoxing-2018")
    a = world.under_review(world.a1)
    before = sheet_of(a, stage="review")
    claimed = before.node("sx-study-2").score
    with pytest.raises(NotAllowed):
        flag_fraud(assessment=a, target="sx-study-2", reason="学习记录造假", version=a.version, by=world.secretary_a1)
    with pytest.raises(FindingsInvalid) as refused:
        flag_fraud(assessment=a, target="sx-study-2", reason=" ", version=a.version, by=world.reviewer_a)
    assert refused.value.codes == ["reason_required"]
    with pytest.raises(FindingsInvalid) as refused:
        flag_fraud(assessment=a, target="sx-study", reason="整个维度", version=a.version, by=world.reviewer_a)
    assert refused.value.codes == ["unknown_target"]

    a = flag_fraud(assessment=a, target="sx-study-2", reason="学习记录造假", version=a.version, by=world.reviewer_a)
    after = sheet_of(a, stage="review")
    assert after.total == before.total - claimed - 2 * Decimal(8)
    assert a.reviewed_total == after.total
    assert any(e.kind == FRAUD_DOUBLE for e in after.node("sx-study-2").entries)
    assert sheet_of(a, stage="self").total == before.total          # the branch's own claim is not touched
    flag = a.fraud_flags[0]
    assert (flag["target"], flag["reason"], flag["by"], flag["stage"]) == ("sx-study-2", "学习记录造假",
                                                                         world.reviewer_a.pk, "review")
    entry = AuditEntry.objects.get(action="flag_fraud", assessment=a)
    assert (entry.actor, entry.reason, entry.old) == (world.reviewer_a, "学习记录造假", None)
    row = next(r for r in review_view(a, by=world.reviewer_a) if r["id"] == "sx-study-2")
    assert row["fraud"][0]["reason"] == "学习记录造假" and row["gap"] == claimed + 16

    a = withdraw_fraud(assessment=a, target="sx-study-2", reason="复核后确认记录属实", version=a.version,
                       by=world.reviewer_a)
    assert a.fraud_flags == [] and a.reviewed_total == before.total


def test_fraud_is_flagged_only_under_review_or_spot_check(world):
    a = world.submitted(world.a1)
    with pytest.raises(IllegalTransition) as refused:
        flag_fraud(assessment=a, target="zj-sys-1", reason="x", version=a.version, by=world.reviewer_a)
    assert refused.value.message_zh == "当前状态为“已提交”，不能认定弄虚作假（只能在审核中或抽验中）"


def test_a_fact_overridden_with_a_reason_is_kept_and_shown(world):
    a = world.assessment(world.a1)
    set_fact(a, "members_not_managed", 3)
    with pytest.raises(IllegalTransition):
        override_fact(assessment=a, name="members_not_managed", value=0, reason="", version=a.version,
                      by=world.secretary_a1)
    override_fact(assessment=a, name="members_not_managed", value=0, reason="三人系外出流动党员，已纳入管理",
                  version=a.version, by=world.secretary_a1)
    a.refresh_from_db()
    form = prefill(a, by=world.secretary_a1)
    assert form["facts"]["members_not_managed"].items() >= {"value": 0, "computed": 3, "override": 0,
                                                           "reason": "三人系外出流动党员，已纳入管理"}.items()
    row = next(r for r in form["rules"] if r["rule"] == "zj-org-1-a")
    assert (row["source"], row["input"], row["points"]) == ("fact", 0, Decimal(0))
