"""Engine semantics on small hand-built rubrics, totals computed by hand from the rule wording."""

from __future__ import annotations

import textwrap
from decimal import Decimal as D

import pytest

from chuangxing.rubric import check_text
from chuangxing.scoring import FindingsInvalid, score
from chuangxing.scoring.whatif import what_would_it_take

HEADER = 'format: 1\nid: t\nversion: "1"\ntitle: 测试\nissuer: 测试\nyear: 2018\napplicability: 测试\n'


def rubric_of(body: str):
    report, rubric = check_text(HEADER + textwrap.dedent(body), source="t.yaml")
    assert rubric is not None, [str(p) for p in report.problems]
    return rubric


DEDUCT = rubric_of("""\
    max_total: 10
    fraud: {text: 发现有弄虚作假的，相应项目加倍倒扣。}
    process_flags: {confirmed: 审核认定}
    categories:
      - id: c1
        title: 基本制度
        max: 10
        indicators:
          - id: life
            title: 组织生活
            max: 3
            rules:
              - {id: theme, kind: per_occurrence, text: 每月开展主题党日活动，少一次扣0.5分, points: 0.5, required: 12,
                 fact: theme_days_held}
              - {id: low, kind: per_occurrence, text: 党员参与率低于80%的，有1次扣1分, points: 1, fact: meetings_below_80pct}
          - id: site
            title: 场所设施
            max: 5
            rules:
              - id: six
                kind: checklist
                text: 有一项未达到的扣1分，扣完为止。
                points: 1
                fact: six_musts_missing
                items: [{id: place, label: 有场所}, {id: flag, label: 有党旗}, {id: oath, label: 有入党誓词},
                        {id: duty, label: 有班子责任分工}, {id: plan, label: 有支部工作计划}, {id: board, label: 有公示栏}]
          - id: test
            title: 应知应会
            max: 2
            rules:
              - {id: band, kind: banded, text: 低于60分的扣2分，60-80分扣1分，不参加不得分, absent_points: 2,
                 fact: secretary_test_score, bands: [{to: 60, points: 2}, {from: 60, to: 80, points: 1}, {from: 80, points: 0}]}
    adjustments:
      - id: bonus
        title: 加分项
        type: bonus
        cap: 3
        rules:
          - id: honours
            kind: events
            effect: award
            text: 国家级加2分，省级加1分
            best_per_project: true
            modifiers: [{id: half, label: 会议交流减半, factor: 0.5}]
            types: [{id: national, label: 国家级, points: 2}, {id: provincial, label: 省级, points: 1}]
      - id: penalty
        title: 减分项
        type: penalty
        rules:
          - id: accountability
            kind: events
            text: 书面检查的每次扣3分；党员被诫勉谈话的，每人每次扣1分
            types: [{id: check, label: 书面检查, points: 3}, {id: talk, label: 诫勉谈话, points: 1, per_person: true}]
    vetoes:
      - {id: overdue, text: 未按期换届的, fact: term_overdue}
    ratings:
      - id: stars
        title: 星级
        levels:
          - {id: none, label: 不予评星, stars: 0}
          - {id: one, label: 一星, stars: 1, min: 6}
          - {id: two, label: 二星, stars: 2, min: 9, requires: [confirmed]}
    """)


def test_a_clean_branch_keeps_every_point_and_the_trace_says_so():
    sheet = score(DEDUCT, {"facts": {"theme_days_held": 12, "meetings_below_80pct": 0, "six_musts_missing": [],
                                     "secretary_test_score": 85, "term_overdue": False},
                           "process": {"confirmed": True}})
    assert sheet.total == D(10)
    assert sheet.rating.label == "二星"
    for node in sheet.nodes():
        assert sum(e.points for e in node.trace()) == node.score


def test_deductions_floor_at_zero_and_decimals_stay_exact():
    # 主题党日: 12 required, 5 held → 7 × 0.5 = 3.5 > 3, plus 2 low meetings: floored at 0 (扣完为止)
    sheet = score(DEDUCT, {"facts": {"theme_days_held": 5, "meetings_below_80pct": 2, "six_musts_missing": [],
                                     "secretary_test_score": 60, "term_overdue": False}})
    life = sheet.node("life")
    assert life.score == 0
    assert [e.kind for e in life.entries] == ["start", "per_occurrence", "per_occurrence", "floor"]
    assert life.entries[-1].points == D("2.5")          # 3 − 3.5 − 2 = −2.5 → back to 0
    assert sheet.node("test").score == 1                 # 60 is in the 60-80 band: 2 − 1
    assert sheet.total == D(6)


def test_a_band_boundary_and_an_absent_value():
    base = {"facts": {"theme_days_held": 12, "meetings_below_80pct": 0, "six_musts_missing": [], "term_overdue": False}}
    assert score(DEDUCT, {**base, "inputs": {"band": D("59.9")}}).node("test").score == 0
    assert score(DEDUCT, {**base, "inputs": {"band": 80}}).node("test").score == 2
    assert score(DEDUCT, {**base, "inputs": {"band": "absent"}}).node("test").score == 0


def test_checklist_names_what_is_missing():
    sheet = score(DEDUCT, {"inputs": {"six": ["flag", "board"]}})
    [entry] = [e for e in sheet.node("site").entries if e.rule == "six"]
    assert entry.points == -2
    assert "有党旗、有公示栏" in entry.explanation


def test_bonus_takes_the_highest_level_per_project_halves_and_caps():
    sheet = score(DEDUCT, {"inputs": {"honours": [
        {"type": "provincial", "project": "先锋岗"}, {"type": "national", "project": "先锋岗"},   # same project: 2
        {"type": "national", "project": "品牌", "modifier": "half"},                              # half: 1
        {"type": "provincial", "project": "课题"},                                                 # 1 → over the cap
    ]}})
    bonus = sheet.adjustments[0]
    assert bonus.raw == D(4) and bonus.points == D(3)
    assert sheet.bonus == 3


def test_penalty_counts_per_person_and_per_event():
    sheet = score(DEDUCT, {"inputs": {"accountability": [{"type": "check", "count": 2},
                                                         {"type": "talk", "persons": 3}]}})
    assert sheet.penalty == D(9)     # 2 × 3 + 3 × 1


def test_a_veto_blocks_the_rating_whatever_the_score():
    sheet = score(DEDUCT, {"facts": {"term_overdue": True}, "process": {"confirmed": True}})
    assert sheet.total == 10
    assert sheet.rating.level is None and sheet.rating.label == "不予评定"
    assert [v.id for v in sheet.vetoes] == ["overdue"]


def test_a_level_that_needs_a_process_step_is_pending_until_it_is_done():
    sheet = score(DEDUCT, {})
    assert sheet.rating.eligible == "two" and sheet.rating.level == "one"
    assert sheet.rating.pending == ["审核认定"]


def test_fraud_voids_the_item_and_deducts_double_past_the_floors():
    sheet = score(DEDUCT, {"fraud": [{"target": "life", "reason": "主题党日记录造假"}]})
    assert sheet.node("life").score == D(-6)           # 3 voided, then 2 × 3 deducted
    assert sheet.node("c1").score == D(1)              # 0 + 5 + 2 − 6
    assert sheet.total == D(1)


def test_refused_findings_name_every_rule_at_once():
    with pytest.raises(FindingsInvalid) as raised:
        score(DEDUCT, {"inputs": {"theme": -1, "nope": 1, "six": ["rocket"], "band": "many"},
                       "fraud": [{"target": "life"}], "facts": {"widgets": 3}})
    got = {e.code: e for e in raised.value.errors}
    assert set(got) == {"negative_count", "unknown_rule", "unknown_item", "not_a_number", "reason_required",
                        "unknown_fact"}
    assert got["negative_count"].rule == "theme" and got["negative_count"].path == "inputs.theme"
    assert "次数不能为负数" in got["negative_count"].message_zh


AWARD = rubric_of("""\
    mode: award
    max_total: 10
    categories:
      - id: c1
        title: 农村基层组织建设
        max: 10
        indicators:
          - id: plan
            title: 提升年活动
            max: 5
            rules:
              - {id: a, kind: range, effect: award, text: 推进扎实得3—5分, min: 3, max: 5}
              - {id: thin, kind: range, text: 资料过于简单、不够规范酌情扣分, min: 0.5, max: 2}
              - {id: none, kind: zero_if, text: 未开展活动得0分}
          - id: poverty
            title: 强引领行动
            max: 5
            rules:
              - {id: p1, kind: fixed, effect: award, text: 落实共建任务得2分, points: 2}
              - {id: p2, kind: fixed, effect: award, text: 结对帮扶实现全覆盖得1分, points: 1}
              - {id: p3, kind: per_occurrence, effect: award, text: 每次0.3分, points: 0.3, max: 2}
              - {id: gate, kind: all_or_nothing, text: 否则，不得分。, covers: [p1, p2]}
    ratings:
      - id: grade
        title: 等次
        levels:
          - {id: low, label: 未达标}
          - {id: ok, label: 达标, min: 6}
          - {id: good, label: 先进, min: 9}
    """)


def test_awards_add_up_exactly_and_are_capped_at_the_part():
    sheet = score(AWARD, {"inputs": {"a": {"points": 4, "reason": "方案扎实"}, "p1": True, "p2": True, "p3": 10}})
    assert sheet.node("poverty").score == D(5)        # 2 + 1 + min(10 × 0.3, 2) = 5
    sheet = score(AWARD, {"inputs": {"p1": True, "p2": True, "p3": 1}})
    assert sheet.node("poverty").score == D("3.3")


def test_otherwise_nothing_and_zero_if():
    sheet = score(AWARD, {"inputs": {"a": {"points": 5, "reason": "好"}, "none": True, "p1": True, "p3": 5}})
    assert sheet.node("plan").score == 0
    assert sheet.node("poverty").score == 0
    gate = sheet.node("poverty").entries[-1]
    assert gate.rule == "gate" and "p2" in gate.explanation


def test_a_discretionary_deduction_needs_a_reason_and_a_value_in_range():
    with pytest.raises(FindingsInvalid) as raised:
        score(AWARD, {"inputs": {"a": {"points": 2, "reason": "一般"}, "thin": {"points": 1}}})
    assert sorted(raised.value.codes) == ["out_of_range", "reason_required"]
    sheet = score(AWARD, {"inputs": {"a": {"points": 5, "reason": "好"}, "thin": {"points": "1.5", "reason": "资料简单"}}})
    assert sheet.node("plan").score == D("3.5")


def test_what_would_it_take_finds_the_fewest_fixes_including_a_gated_pair():
    findings = {"inputs": {"a": {"points": 3, "reason": "一般"}, "p3": 2}}
    assert score(AWARD, findings).total == 3                 # poverty gated to 0
    plan = what_would_it_take(AWARD, findings)
    assert plan.target_label == "达标"
    assert plan.reachable
    # p1 + p2 only help together (否则，不得分): one fix of two rules lifts poverty to 3.6 → 6.6
    assert [f.rules for f in plan.fixes] == [("p1", "p2", "p3")] or plan.total_after >= 6
    assert plan.total_after >= 6
    assert len(plan.fixes) == 1


def test_what_would_it_take_reports_vetoes_as_blockers():
    plan = what_would_it_take(DEDUCT, {"facts": {"term_overdue": True}, "inputs": {"theme": 6}})
    assert any("未按期换届" in b for b in plan.blockers)
