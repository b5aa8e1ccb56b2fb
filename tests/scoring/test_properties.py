"""Properties of the engine on random rubrics (built as dicts, loaded through the real validator) and
random findings: bounds, monotonicity, exact decimals, parts adding up to the whole, a complete trace."""

from __future__ import annotations

from decimal import Decimal as D
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangxing.scoring import score
from chuangxing.scoring.batch import columns_from_findings, compile_rubric, score_batch
from chuangxing.scoring.kinds import EvalContext
from chuangxing.scoring.points import ZERO, fmt
from chuangxing.scoring.trace import FRAUD_DOUBLE

from .strategies import fact_for, fact_names, findings_for, load, rubrics, value_for

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))


def _fraud_inside(node) -> bool:
    return any(e.kind == FRAUD_DOUBLE for e in node.trace())


@SETTINGS
@given(st.data())
def test_indicators_and_items_stay_within_zero_and_max(data):
    rubric = data.draw(rubrics())
    sheet = score(rubric, data.draw(findings_for(rubric)))
    for category in sheet.categories:
        for node in [n for indicator in category.children for n in (indicator, *indicator.children)]:
            if not _fraud_inside(node):
                assert ZERO <= node.score <= node.max, (node.id, node.score, node.max)


# -- more deductions never raise the total ------------------------------------------------------


def _moved(rule, raw) -> D:
    """How many points ``raw`` makes the rule move on its own (before the item's cap and floor)."""
    return abs(sum((e.points for e in rule.evaluate(rule.parse_input(raw), EvalContext())), ZERO))


def _scored_rules(rubric):
    return [(rule, owner) for rule, owner in rubric.rules()
            if rule.enabled and rule.kind not in ("all_or_nothing", "veto")]


@SETTINGS
@given(st.data())
def test_more_deductions_or_fewer_awards_never_raise_the_total(data):
    """A deduction rule moving more (more occurrences, more items missing, a worse band, a zero_if holding),
    or an award rule moving less, never raises any node or the total. (Fraud counted on the claimed
    points is left out: there, fewer points claimed means a smaller double deduction.)"""
    rubric = data.draw(rubrics(basis="max"))
    findings = data.draw(findings_for(rubric))
    before = score(rubric, findings)
    rule, _ = data.draw(st.sampled_from(_scored_rules(rubric)))
    if rule.kind == "zero_if":
        worse = True
    else:
        now = abs(sum((e.points for c in before.categories for e in c.trace() if e.rule == rule.id), ZERO))
        now += abs(sum((e.points for a in before.adjustments for e in a.entries if e.rule == rule.id), ZERO))
        tries = [value_for(data.draw, rule) for _ in range(8)]
        fits = [v for v in tries if (_moved(rule, v) >= now if rule.effect == "deduct" else _moved(rule, v) <= now)]
        if not fits:
            return
        worse = fits[0]
    after = score(rubric, {**findings, "inputs": {**findings["inputs"], rule.id: worse}})
    assert after.total <= before.total
    old = {n.id: n.score for n in before.nodes()}
    for node in after.nodes():
        assert node.score <= old[node.id], (rule.id, node.id, old[node.id], node.score)


@pytest.mark.parametrize(("kind", "steps"), [("per_occurrence", [0, 1, 2, 5, 9]), ("checklist", [[], ["a"], ["a", "b"]]),
                                             ("banded", [95, 85, 75, 65, 55, "absent"])])
def test_named_deductions_are_monotone(kind, steps):
    rule = {"per_occurrence": {"kind": "per_occurrence", "points": "0.3"},
            "checklist": {"kind": "checklist", "points": "0.5", "items": [{"id": x, "label": x} for x in "abc"]},
            "banded": {"kind": "banded", "absent_points": 2, "bands": [
                {"to": 60, "points": 2}, {"from": 60, "to": 70, "points": "1.5"}, {"from": 70, "to": 80, "points": 1},
                {"from": 80, "to": 90, "points": "0.5"}, {"from": 90, "points": 0}]}}[kind]
    rubric = load(_one_indicator(2, "deduct", [{"id": "r", "text": "扣分", **rule}]))
    totals = [score(rubric, {"inputs": {"r": step}}).total for step in steps]
    assert totals == sorted(totals, reverse=True) and totals[0] > totals[-1]


# -- exact decimals -----------------------------------------------------------------------------


def _one_indicator(top: object, mode: str, rules: list[dict]) -> dict:
    return {"format": 1, "id": "exact", "version": "1", "title": "精确", "issuer": "测试", "year": 2018,
            "applicability": "测试", "max_total": top,
            "categories": [{"id": "c", "title": "项目", "max": top, "indicators": [
                {"id": "i", "title": "指标", "max": top, "mode": mode, "rules": rules}]}]}


def _both(rubric, findings: dict) -> tuple[D, D]:
    sheet = score(rubric, findings)
    plan = compile_rubric(rubric)
    batch = score_batch(plan, columns_from_findings(plan, [findings]))
    return sheet.total, batch.totals()[0]


def test_ten_awards_of_a_tenth_are_exactly_one():
    rubric = load(_one_indicator(1, "award", [{"id": "r", "kind": "per_occurrence", "effect": "award",
                                               "text": "每次0.1分", "points": "0.1"}]))
    assert _both(rubric, {"inputs": {"r": 10}}) == (D(1), D(1))
    assert fmt(score(rubric, {"inputs": {"r": 10}}).total) == "1"
    assert _both(rubric, {"inputs": {"r": 3}}) == (D("0.3"), D("0.3"))


def test_a_tenth_and_two_tenths_are_three_tenths():
    rubric = load(_one_indicator(1, "award", [
        {"id": "a", "kind": "fixed", "effect": "award", "text": "得0.1分", "points": "0.1"},
        {"id": "b", "kind": "fixed", "effect": "award", "text": "得0.2分", "points": "0.2"}]))
    total, batch = _both(rubric, {"inputs": {"a": True, "b": True}})
    assert total == batch == D("0.3") and str(total) == "0.3"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["0.1", "0.2", "0.3", "0.5", "1.5", "0.25"]), min_size=1, max_size=12),
       st.sampled_from(["award", "deduct"]))
def test_sums_of_decimal_points_are_exact(points, mode):
    """Awards add up to their exact sum; deductions of a whole item leave exactly 0 (no 5.55e-17)."""
    top = sum((D(p) for p in points), ZERO)
    effect = "award" if mode == "award" else "deduct"
    rules = [{"id": f"r{i}", "kind": "fixed", "effect": effect, "text": f"{p}分", "points": p} for i, p in enumerate(points)]
    rubric = load(_one_indicator(top, mode, rules))
    findings = {"inputs": {f"r{i}": True for i in range(len(points))}}
    expected = top if mode == "award" else ZERO
    total, batch = _both(rubric, findings)
    assert total == batch == expected
    assert Fraction(total) == (sum(Fraction(p) for p in points) if mode == "award" else 0)
    half = {"inputs": {f"r{i}": i % 2 == 0 for i in range(len(points))}}
    taken = sum((D(p) for p in points[::2]), ZERO)
    assert _both(rubric, half) == ((taken, taken) if mode == "award" else (top - taken, top - taken))


@pytest.mark.parametrize("covers", [[], ["a", "b"]])
def test_a_rule_switched_off_is_not_a_part_the_gate_requires(covers):
    """"否则，不得分" asks for every part that applies: a part a reading switches off (enabled: $param = false)
    cannot be earned, and must not zero the item (it did: the engine counted it as unmet)."""
    gate = {"id": "g", "kind": "all_or_nothing", "text": "否则，不得分", **({"covers": covers} if covers else {})}
    raw = _one_indicator(4, "award", [
        {"id": "a", "kind": "fixed", "effect": "award", "text": "方案得1分", "points": 1},
        {"id": "b", "kind": "fixed", "effect": "award", "text": "实施得3分", "points": 3, "enabled": "$with_b"}, gate])
    raw["parameters"] = {"with_b": {"value": False, "description": "实施一项是否适用"}}
    rubric = load(raw)
    assert _both(rubric, {"inputs": {"a": True}}) == (D(1), D(1))
    assert _both(rubric, {"inputs": {"a": False}}) == (D(0), D(0))
    raw["parameters"]["with_b"]["value"] = True
    assert _both(load(raw), {"inputs": {"a": True}}) == (D(0), D(0))
    assert _both(load(raw), {"inputs": {"a": True, "b": True}}) == (D(4), D(4))


# -- the parts and the whole; the trace ---------------------------------------------------------


@SETTINGS
@given(st.data())
def test_parts_add_up_to_the_whole(data):
    """Every node = Σ its children + its own entries (rules, caps, floors, gates, fraud);
    subtotal = Σ categories; total = subtotal + bonus − penalty (at least the total floor)."""
    rubric = data.draw(rubrics())
    sheet = score(rubric, data.draw(findings_for(rubric)))
    for node in sheet.nodes():
        assert node.score == sum((c.score for c in node.children), ZERO) + sum((e.points for e in node.entries), ZERO)
    assert sheet.subtotal == sum((c.score for c in sheet.categories), ZERO)
    whole = sheet.subtotal + sheet.bonus - sheet.penalty
    assert sheet.total == (max(whole, rubric.total_floor) if rubric.total_floor is not None else whole)


@SETTINGS
@given(st.data())
def test_the_trace_accounts_for_every_point(data):
    rubric = data.draw(rubrics())
    sheet = score(rubric, data.draw(findings_for(rubric)))
    for node in sheet.nodes():
        assert sum((e.points for e in node.trace()), ZERO) == node.score, node.id
    for adjustment in sheet.adjustments:
        signed = adjustment.points if adjustment.type == "bonus" else -adjustment.points
        assert sum((e.points for e in adjustment.entries), ZERO) == signed, adjustment.id


# -- the memo of repeated scorings (what would it take) -----------------------------------------


@SETTINGS
@given(st.data())
def test_a_memo_never_changes_a_sheet(data):
    """Scorings sharing a memo (the same branch with a rule or a fact changed, and other branches)
    give the same sheets, trace and all, as scorings without one."""
    rubric = data.draw(rubrics())
    first = data.draw(findings_for(rubric))
    variants = [first]
    rules = [rule for rule, _ in rubric.rules() if rule.enabled and rule.kind != "all_or_nothing"]
    units, bound = fact_names(rubric), {rule.fact: rule for rule in rules if rule.fact}
    for _ in range(data.draw(st.integers(1, 6))):
        earlier = data.draw(st.sampled_from(variants))
        change = data.draw(st.sampled_from(["rule", "rule", "fact", "other"]))
        if change == "rule" and rules:
            rule = data.draw(st.sampled_from(rules))
            variants.append({**earlier, "inputs": {**earlier["inputs"], rule.id: value_for(data.draw, rule)}})
        elif change == "fact" and units:
            name = data.draw(st.sampled_from(sorted(units)))
            facts = {k: v for k, v in earlier["facts"].items() if k != name}
            if data.draw(st.booleans()):
                facts[name] = fact_for(data.draw, units[name], bound.get(name))
            variants.append({**earlier, "facts": facts})
        else:
            variants.append(data.draw(findings_for(rubric)))
    memo: dict = {}
    for findings in variants + variants[::-1]:
        assert score(rubric, findings, memo=memo).to_dict() == score(rubric, findings).to_dict()
        points = score(rubric, findings, memo=memo, rated=False)        # what would it take's trials
        full = score(rubric, findings)
        assert (points.total, points.subtotal, points.categories, points.adjustments) == (
            full.total, full.subtotal, full.categories, full.adjustments)
