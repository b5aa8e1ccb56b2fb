"""The scoring engine: a rubric and one branch's findings → an explained, exact score sheet.

>>> from chuangxing.rubric import load_rubric
>>> sheet = score(load_rubric("zhenjiang-2018"), {"inputs": {"zj-org-1-a": 1}})
>>> sheet.total, sheet.rating.label, sheet.rating.eligible_label, sheet.rating.pending
(Decimal('99'), '三星', '四星', ['四星由市委直属党（工）委审核认定'])

Pure and deterministic: no clock, no database, no randomness. How a node is scored:

1. a deduction item (mode ``deduct``, no sub-items) starts at its max (基础分); an award item at 0;
   an item with sub-items starts from their sum;
2. awards are added and capped at the max ("以该项分值为上限"), deductions are taken away and the
   result is floored (indicators and items at 0: "扣完为止"; categories not at all);
3. gates apply: ``zero_if`` ("未开展活动得0分") and ``all_or_nothing`` ("否则，不得分");
4. fraud (弄虚作假) voids the node and deducts ``factor`` × its max; that deduction is not absorbed
   by any parent's floor, so it always shows in the total.

Every step leaves an entry in the trace, so each node's entries add up to its score.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from chuangxing.rubric.schema import Adjustment, Node, Rubric
from chuangxing.scoring import expressions
from chuangxing.scoring.errors import FindingError, FindingsInvalid, InputError
from chuangxing.scoring.findings import Findings, parse_findings
from chuangxing.scoring.kinds import AllOrNothing, EvalContext, RuleBase, ZeroIf
from chuangxing.scoring.points import ZERO, fmt
from chuangxing.scoring.ratings import rate
from chuangxing.scoring.sheet import AdjustmentScore, NodeScore, ScoreSheet, VetoHit
from chuangxing.scoring.trace import CAP, FLOOR, FRAUD_DOUBLE, FRAUD_VOID, START, Entry

MISSING = object()
_CHILD_LEVEL = {"category": "indicator", "indicator": "item"}


def score(rubric: Rubric, findings: Mapping[str, Any] | Findings, *, complete: bool = False,
          memo: dict | None = None, rated: bool = True) -> ScoreSheet:
    """Score one branch. ``complete=True`` refuses findings that leave any rule unassessed.

    ``rated=False``: the points only (categories, adjustments, the total), without the vetoes and the
    ratings, which read them: what would it take's trials compare totals (a fifth of their time).

    ``memo``: a dict kept by the caller across scorings of one rubric (what would it take scores the
    same branch again and again with one rule changed): a category whose rules' inputs, facts and
    fraud flags are the same as in an earlier scoring is taken from there, not scored again. The
    sheet is the same either way (``tests/scoring/test_properties.py`` checks it); the categories'
    ``NodeScore`` objects are then shared between sheets, so a caller with a memo must not change them.
    """
    if not isinstance(findings, Findings):
        findings = parse_findings(rubric, findings)
    run = _Run(rubric, findings)
    categories = [run.category(category, memo) for category in rubric.categories]
    adjustments = [run.adjustment(adjustment) for adjustment in rubric.adjustments]
    vetoes = run.vetoes() if rated else []
    run.raise_errors()
    if complete and run.unassessed:
        raise FindingsInvalid([FindingError("unassessed", f"规则 {rule_id} 尚未评定", f"rule {rule_id} is unassessed",
                                            rule=rule_id, path=f"inputs.{rule_id}") for rule_id in run.unassessed])
    subtotal = sum((c.score for c in categories), ZERO)
    total = subtotal + sum((a.points if a.type == "bonus" else -a.points for a in adjustments), ZERO)
    if rubric.total_floor is not None and total < rubric.total_floor:
        total = rubric.total_floor
    sheet = ScoreSheet(
        rubric=rubric.id, rubric_version=rubric.version, rubric_title=rubric.title, branch=findings.branch,
        subtotal=subtotal, total=total, max_total=rubric.max_total, categories=categories,
        adjustments=adjustments, vetoes=vetoes, ratings=[], unassessed=run.unassessed,
        parameters={name: p.value for name, p in rubric.parameters.items()},
    )
    if rated:
        sheet.ratings, sheet.warnings = rate(rubric, sheet, facts=findings.facts, flags=findings.process)
    return sheet


class _Run:
    """One scoring of one branch: resolves each rule's input, scores nodes, collects errors."""

    def __init__(self, rubric: Rubric, findings: Findings):
        self.rubric, self.findings = rubric, findings
        self.fraud = {flag.target: flag for flag in findings.fraud}
        self.unassessed: list[str] = []
        self.errors: list[FindingError] = []
        self.rule_points: dict[str, Decimal] = {}
        self.context: tuple | None = None       # what a memo's categories are kept under besides their inputs

    # -- inputs ------------------------------------------------------------------------------
    def value(self, rule: RuleBase) -> tuple[Any, str]:
        """The rule's input and where it came from; MISSING when neither finding nor fact gives it."""
        if rule.id in self.findings.inputs:
            return self.findings.inputs[rule.id], "finding"
        facts = self.findings.facts
        if rule.fact and rule.fact in facts:
            return self._parse(rule, facts[rule.fact], f"facts.{rule.fact}"), f"fact:{rule.fact}"
        if rule.when:
            try:
                raw = expressions.evaluate(rule.when, facts)
            except expressions.MissingSymbol:
                return MISSING, ""
            except expressions.ExpressionError as exc:
                self._error(rule, "expression_failed", exc.message_zh, str(exc), f"rules.{rule.id}.when")
                return MISSING, ""
            return self._parse(rule, raw, f"rules.{rule.id}.when"), "expression"
        if isinstance(rule, AllOrNothing) or getattr(rule, "input_type", None) == "none":
            return None, "rubric"
        return MISSING, ""

    def _parse(self, rule: RuleBase, raw: Any, path: str) -> Any:
        try:
            return rule.parse_input(raw)
        except InputError as exc:
            self._error(rule, exc.code, exc.message_zh, exc.message_en, path)
            return MISSING

    def _error(self, rule: RuleBase, code: str, zh: str, en: str, path: str) -> None:
        self.errors.append(FindingError(code, f"规则 {rule.id}：{zh}", f"rule {rule.id}: {en}", rule=rule.id, path=path))

    def raise_errors(self) -> None:
        if self.errors:
            raise FindingsInvalid(self.errors)

    def evaluate(self, rule: RuleBase, node_id: str, node_max: Decimal | None) -> list[Entry] | None:
        """The rule's entries (with their source), or None when it is unassessed."""
        value, source = self.value(rule)
        if value is MISSING:
            self.unassessed.append(rule.id)
            return None
        ctx = EvalContext(facts=self.findings.facts, node_id=node_id, node_max=node_max)
        try:
            entries = rule.evaluate(value, ctx)
        except (InputError, expressions.ExpressionError) as exc:
            self._error(rule, getattr(exc, "code", "expression_failed"), exc.message_zh, str(exc), f"inputs.{rule.id}")
            return None
        if source != "finding":
            entries = [_with_source(e, source) for e in entries]
        self.rule_points[rule.id] = sum((e.points for e in entries), ZERO)
        return entries

    # -- nodes -------------------------------------------------------------------------------
    def category(self, node: Node, memo: dict | None) -> NodeScore:
        """A category's score; with a memo, the earlier scoring of the same inputs, facts and fraud flags."""
        if memo is None:
            return self.node(node, "category")
        if (rules := memo.get(("rules", rubric_key := (self.rubric.id, self.rubric.version), node.id))) is None:
            rules = memo[("rules", rubric_key, node.id)] = _rules_read(self.rubric, node)
        if self.context is None:        # findings sharing their facts and flags (what if's trials) share it too
            facts, flags = self.findings.facts, self.findings.fraud
            kept = memo.get(("context", rubric_key))
            if kept is not None and kept[0] is facts and kept[1] is flags:
                self.context = kept[2]
            else:
                self.context = (rubric_key, frozen(facts), frozen(sorted(self.fraud.items())))
                memo[("context", rubric_key)] = (facts, flags, self.context)
        inputs = self.findings.inputs
        key = (self.context, node.id, tuple((rule_id, frozen(inputs.get(rule_id, MISSING))) for rule_id in rules))
        if (done := memo.get(key)) is None:
            unassessed, errors = len(self.unassessed), len(self.errors)
            result = self.node(node, "category")
            points = {rule_id: self.rule_points[rule_id] for rule_id in rules if rule_id in self.rule_points}
            done = memo[key] = (result, self.unassessed[unassessed:], self.errors[errors:], points)
            return result
        result, unassessed, errors, points = done
        self.unassessed += unassessed
        self.errors += errors
        self.rule_points.update(points)
        return result

    def node(self, node: Node, level: str) -> NodeScore:
        children = [self.node(child, _CHILD_LEVEL[level]) for child in node.children()]
        result = NodeScore(node.id, node.title, level, node.max, ZERO, children=children)
        start = node.max if self.rubric.mode_of(node) == "deduct" and not children else ZERO
        if start:
            result.entries.append(_system(START, node.id, start, f"本项满分 {fmt(start)} 分，按扣分计"))
        child_fraud = sum((_fraud_points(c) for c in children), ZERO)
        running = start + sum((c.score for c in children), ZERO) - child_fraud

        gates: list[tuple[RuleBase, Any]] = []
        awards = deductions = ZERO
        for rule in node.rules:
            if not rule.enabled:
                continue
            if isinstance(rule, ZeroIf | AllOrNothing):
                gates.append((rule, self.value(rule)[0]))
                continue
            entries = self.evaluate(rule, node.id, node.max)
            for entry in entries or ():
                result.entries.append(entry)
                if entry.points > 0:
                    awards += entry.points
                else:
                    deductions -= entry.points
        running += awards
        if running > node.max:
            result.entries.append(_system(CAP, node.id, node.max - running,
                                          f"得分以本项分值 {fmt(node.max)} 分为上限"))
            running = node.max
        running -= deductions
        floor = node.floor if node.floor is not None else (ZERO if level != "category" else None)
        if floor is not None and running < floor:
            result.entries.append(_system(FLOOR, node.id, floor - running, f"扣完为止，最低 {fmt(floor)} 分"))
            running = floor
        running = self._gates(node, gates, running, result)
        result.score = running + child_fraud + self._fraud(node, running, result)
        return result

    def _gates(self, node: Node, gates: list[tuple[RuleBase, Any]], running: Decimal, result: NodeScore) -> Decimal:
        for rule, value in gates:
            if running <= 0:
                break
            if isinstance(rule, ZeroIf):
                if value is MISSING:
                    self.unassessed.append(rule.id)
                if value is MISSING or not value:
                    continue
                why = "情形成立，本项得0分"
            else:
                unmet = self._unmet(node, rule)
                if not unmet:
                    continue
                why = f"{'、'.join(unmet)} 未全部做到，本项不得分"
            result.entries.append(Entry(rule=rule.id, kind=rule.kind, text=rule.text, points=-running,
                                        explanation=why, input=value if value is not MISSING else None, node=node.id))
            running = ZERO
        return running

    def _unmet(self, node: Node, gate: AllOrNothing) -> list[str]:
        covered = gate.covers or [r.id for r in node.rules if r.effect == "award" and r.kind not in (
            "all_or_nothing", "zero_if")]
        unmet = []
        for rule_id in covered:
            rule = self.rubric.rule(rule_id)
            if rule is not None and not rule.enabled:   # switched off by a reading: not a part to be earned
                continue
            full = rule.max_points() if rule is not None else None
            got = self.rule_points.get(rule_id)
            if got is None or got <= 0 or (full is not None and got < full):
                unmet.append(rule_id)
        return unmet

    def _fraud(self, node: Node, claimed: Decimal, result: NodeScore) -> Decimal:
        flag = self.fraud.get(node.id)
        policy = self.rubric.fraud
        if flag is None or policy is None:
            return ZERO
        basis = node.max if policy.basis == "max" else claimed
        double = policy.factor * basis
        void = _system(FRAUD_VOID, node.id, -claimed, f"弄虚作假（{flag.reason}），本项得分作废")
        result.entries.append(void)
        result.entries.append(Entry(rule=None, kind=FRAUD_DOUBLE, text=policy.text, points=-double, source="rubric",
                                    explanation=f"相应项目加倍倒扣：{fmt(policy.factor)} × {fmt(basis)} 分",
                                    node=node.id))
        return -claimed - double

    # -- outside the categories --------------------------------------------------------------
    def adjustment(self, adjustment: Adjustment) -> AdjustmentScore:
        entries: list[Entry] = []
        for rule in adjustment.rules:
            if rule.enabled:
                entries.extend(self.evaluate(rule, adjustment.id, adjustment.cap) or ())
        # the validator makes every rule of a bonus award and every rule of a penalty deduct
        raw = abs(sum((e.points for e in entries), ZERO))
        points = min(raw, adjustment.cap) if adjustment.cap is not None else raw
        if points != raw:
            sign = Decimal(-1) if adjustment.type == "bonus" else Decimal(1)
            entries.append(_system(CAP, adjustment.id, sign * (raw - points),
                                   f"{adjustment.title}以 {fmt(adjustment.cap)} 分为上限"))
        return AdjustmentScore(adjustment.id, adjustment.title, adjustment.type, adjustment.cap, raw, points, entries)

    def vetoes(self) -> list[VetoHit]:
        hits = []
        for veto in self.rubric.vetoes:
            if not veto.enabled:
                continue
            value, _ = self.value(veto)
            if value is MISSING:
                self.unassessed.append(veto.id)
            elif value:
                hits.append(VetoHit(veto.id, veto.text, value, tuple(veto.blocks)))
        return hits


def _rules_read(rubric: Rubric, category: Node) -> tuple[str, ...]:
    """The rules whose inputs a category's score can depend on: its own, and those its gates cover."""
    ids: list[str] = []

    def walk(node: Node) -> None:
        for rule in node.rules:
            ids.append(rule.id)
            ids.extend(getattr(rule, "covers", None) or ())
        for child in node.children():
            walk(child)

    walk(category)
    return tuple(dict.fromkeys(ids))


def frozen(value: Any) -> Any:
    """A hashable stand-in that tells apart whatever could score or read differently (1, 1.0, True): the key of
    a memo or cache whose values are findings or facts."""
    if isinstance(value, Mapping):
        return ("map", tuple(sorted((str(k), frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return ("seq", tuple(frozen(v) for v in value))
    if value is MISSING:
        return ("missing",)
    return (type(value).__name__, repr(value))


def _fraud_points(node: NodeScore) -> Decimal:
    """The double deductions for fraud in a node: never absorbed by a parent's floor. (Voiding only
    takes a node back to 0, which is ordinary; the parent may floor that like any other loss.)"""
    return sum((e.points for e in node.trace() if e.kind == FRAUD_DOUBLE), ZERO)


def _system(kind: str, node_id: str, points: Decimal, explanation: str) -> Entry:
    return Entry(rule=None, kind=kind, text=explanation, points=points, explanation=explanation,
                 source="rubric", node=node_id)


def _with_source(entry: Entry, source: str) -> Entry:
    return Entry(entry.rule, entry.kind, entry.text, entry.points, entry.explanation, entry.input, source, entry.node)
