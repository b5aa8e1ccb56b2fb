"""What people read in an assessment: the self-assessment pre-filled, review side by side, the gap.

>>> form = prefill(a, by=secretary)
>>> [(r["rule"], r["source"], r["fact"], r["input"]) for r in form["rules"]][:2]
[('zj-org-1-a', 'fact', 'members_not_managed', 0), ('zj-org-1-c', None, None, None)]
>>> form["sheet"]["total"], form["what_would_it_take"]["target_label"]
(Decimal('91'), '四星')
>>> rows = review_view(a, by=reviewer)          # one row per indicator: self vs review, rules, facts, evidence
>>> gap_report(cycle, by=admin)[0]               # the branches that claimed most above what review gave
{'assessment': 7, 'branch': '…第3党支部', 'self_total': Decimal('96'), 'reviewed_total': Decimal('81'), 'gap': Decimal('15'), ...}

A rule's input comes, as the engine takes it (:mod:`chuangxing.scoring.engine`), from a finding
of the stage, else from its bound fact (``fact:``), else from its expression over facts (``when:``);
``source`` says which (``finding``, ``fact``, ``expression``, ``rubric`` for a rule with no input,
None: not assessed yet). Every function checks that ``by`` may read the assessment.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from functools import cached_property
from typing import Any

from chuangxing.assessments import permissions
from chuangxing.assessments.evidence import evidence_by_node
from chuangxing.assessments.models import Assessment, Cycle, Stage
from chuangxing.assessments.services import findings_data, rubric_of, to_stored
from chuangxing.assessments.workflow import EDITABLE
from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring import score
from chuangxing.scoring.engine import MISSING, _Run
from chuangxing.scoring.errors import FindingError, FindingsInvalid
from chuangxing.scoring.findings import Findings, parse_findings
from chuangxing.scoring.kinds import RuleBase
from chuangxing.scoring.sheet import ScoreSheet
from chuangxing.scoring.whatif import what_would_it_take

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


class _Stage:
    """One stage of one assessment: per rule its input and source, and (scored when first asked) the sheet and
    each rule's points."""

    def __init__(self, rubric: Rubric, assessment: Assessment, stage: str, *, findings: list | None = None):
        self.rubric, self.stage = rubric, stage
        self.data, self.parsed, self.unreadable = readable(rubric, findings_data(assessment, stage=stage, findings=findings))
        self._run = _Run(rubric, self.parsed)

    @cached_property
    def sheet(self) -> ScoreSheet:
        return score(self.rubric, self.parsed)

    @cached_property
    def points(self) -> dict[str, Decimal]:
        points: dict[str, Decimal] = defaultdict(Decimal)
        for entry in [e for node in self.sheet.nodes() for e in node.entries] + \
                [e for adjustment in self.sheet.adjustments for e in adjustment.entries]:
            if entry.rule:
                points[entry.rule] += entry.points
        return points

    @cached_property
    def vetoes(self) -> dict[str, str]:
        return {hit.id: hit.reason for hit in self.sheet.vetoes}

    def inputs(self, rule: RuleBase) -> dict[str, Any]:
        """The rule's input, its source and bound fact: read without scoring."""
        value, source = self._run.value(rule)
        if value is MISSING:
            value, source = None, None
        fact = source.split(":", 1)[1] if source and source.startswith("fact:") else None
        return {"input": to_stored(_plain(value)), "source": source.split(":", 1)[0] if source else None, "fact": fact}

    def scored(self, rule_id: str) -> dict[str, Any]:
        """The points the rule gave and its veto's reason (the stage scored)."""
        return {"points": self.points.get(rule_id, Decimal(0)), "veto": self.vetoes.get(rule_id)}

    def rule(self, rule: RuleBase) -> dict[str, Any]:
        return {**self.inputs(rule), **self.scored(rule.id)}


def readable(rubric: Rubric, data: dict) -> tuple[dict, Findings, list[FindingError]]:
    """(the findings, parsed, the stored problems): inputs and facts the engine refuses now (saved before the bounds
    of :mod:`chuangxing.scoring.limits`, or restored from an old copy) are set aside and named, so the pages that show
    the assessment still open and the rule can be filled in again. A save still checks everything it stores."""
    try:
        return data, parse_findings(rubric, data), []
    except FindingsInvalid as invalid:
        rules = {e.rule for e in invalid.errors if e.rule}
        facts = {e.path.split(".", 1)[1] for e in invalid.errors if e.path.startswith("facts.")}
        kept = {**data, "inputs": {k: v for k, v in data["inputs"].items() if k not in rules},
                "facts": {k: v for k, v in data["facts"].items() if k not in facts}}
        return kept, parse_findings(rubric, kept), invalid.errors


def _plain(value: Any) -> Any:
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value.to_dict() if hasattr(value, "to_dict") else value


def facts_of(rule: RuleBase, known: set[str]) -> list[str]:
    """The facts a rule reads: its bound fact and the facts its expression names."""
    names = [rule.fact] if rule.fact else []
    if rule.when:
        names += [n for n in _NAME.findall(_QUOTED.sub("", rule.when)) if n in known and n not in names]
    return names


def _known_facts(rubric: Rubric) -> set[str]:
    return set(fact_units({name: decl.unit for name, decl in rubric.facts.items()}))


def _fact_rows(assessment: Assessment) -> dict[str, dict]:
    return {fv.name: {"value": to_stored(fv.value), "computed": fv.computed, "override": fv.override,
                      "reason": fv.override_reason, "overridden_by": fv.overridden_by_id}
            for fv in assessment.facts.all()}


# -- the self-assessment ---------------------------------------------------------------------------
def prefill(assessment: Assessment, *, by) -> dict:
    """The self-assessment form: every rule with its current input and where it comes from, the live
    sheet (stage self), the evidence per indicator, and what it would take to reach the next level
    (:func:`self_rules` is the part a change needs)."""
    stage, data = _self_rules(assessment, by=by)
    rubric = stage.rubric
    for row in data["rules"]:
        row.update(stage.scored(row["rule"]))
    plan = what_would_it_take(rubric, stage.data)
    return {
        **data, "branch": assessment.branch.name, "state": assessment.state, "rubric": rubric.id,
        "rubric_version": rubric.version, "due": assessment.cycle.self_assessment_due,
        "report": assessment.self_report, "report_passed_on": assessment.report_passed_on,
        "unassessed": list(stage.sheet.unassessed), "sheet": stage.sheet.to_dict(),
        "evidence": evidence_by_node(assessment), "what_would_it_take": plan.to_dict() if plan else None,
        "unreadable": stage.unreadable,
    }


def self_rules(assessment: Assessment, *, by) -> dict:
    """What a change of the self-assessment needs (a save, the live score), read without scoring it: whether
    ``by`` may edit it, its version, every enabled rule's input, source, reason and facts as :func:`prefill`
    gives them (without points), its facts, and the findings as the engine takes them."""
    return _self_rules(assessment, by=by)[1]


def _self_rules(assessment: Assessment, *, by) -> tuple[_Stage, dict]:
    permissions.ensure_visible(by, assessment)
    rubric = rubric_of(assessment)
    every = list(assessment.findings.all())
    stage = _Stage(rubric, assessment, Stage.SELF, findings=every)
    facts = _fact_rows(assessment)
    known = _known_facts(rubric)
    findings = {f.rule_id: f for f in every if f.stage == Stage.SELF}
    rules = []
    for rule, owner in rubric.rules():
        if not rule.enabled:
            continue
        row = {"rule": rule.id, "owner": owner, "kind": rule.kind, "effect": rule.effect, "text": rule.text,
               **stage.inputs(rule), "facts": facts_of(rule, known), "reason": ""}
        if rule.id in findings:
            row["reason"] = findings[rule.id].reason
        if rule.fact:
            row["fact_value"] = facts.get(rule.fact, {}).get("value")
        rules.append(row)
    states, roles = EDITABLE[Stage.SELF]
    return stage, {
        "assessment": assessment.pk, "version": assessment.version,
        "editable": assessment.state in states and bool(permissions.roles_on(by, assessment.branch) & set(roles)),
        "rules": rules, "facts": facts,
        "findings": stage.data,         # what the engine scores (``services.findings_data``): the live score starts there
    }


# -- review side by side ---------------------------------------------------------------------------
def review_view(assessment: Assessment, *, by) -> list[dict]:
    """One row per indicator (then one per 加分项/减分项, then the vetoes): self points and review
    points, the gap, the requirement's wording, each rule's input at both stages with the reviewer's
    reason, the facts used, the evidence and any fraud flag."""
    return review_stages(assessment, by=by)[0]


def review_stages(assessment: Assessment, *, by) -> tuple[list[dict], ScoreSheet, ScoreSheet]:
    """``review_view``'s rows with the two sheets they were read from (self, review): a page needs both."""
    permissions.ensure_visible(by, assessment)
    rubric = rubric_of(assessment)
    every = list(assessment.findings.all())     # read once for both stages and the reviewer's reasons
    mine, theirs = _Stage(rubric, assessment, Stage.SELF, findings=every), \
        _Stage(rubric, assessment, Stage.REVIEW, findings=every)
    reviewed = {f.rule_id: f for f in every if f.stage == Stage.REVIEW}
    facts = _fact_rows(assessment)
    known = _known_facts(rubric)
    evidence = evidence_by_node(assessment)
    fraud = defaultdict(list)
    for flag in assessment.fraud_flags:
        fraud[flag.get("target")].append(flag)

    def rule_rows(rules: list[RuleBase]) -> list[dict]:
        out = []
        for rule in rules:
            if not rule.enabled:
                continue
            finding = reviewed.get(rule.id)
            out.append({"rule": rule.id, "text": rule.text, "self": mine.rule(rule), "review": theirs.rule(rule),
                        "adjusted": finding is not None, "reason": finding.reason if finding else "",
                        "by": finding.updated_by_id if finding else None})
        return out

    def row(level: str, node_id: str, title: str, mx, standard, rules: list[RuleBase], own: Decimal, other: Decimal,
            parts: list[str]) -> dict:
        names = sorted({n for rule in rules for n in facts_of(rule, known)})
        return {"level": level, "id": node_id, "title": title, "max": mx, "standard": standard,
                "self_points": own, "review_points": other, "gap": own - other, "rules": rule_rows(rules),
                "facts": {n: facts.get(n) for n in names},
                "evidence": [e for part in parts for e in evidence.get(part, [])],
                "fraud": [f for part in parts for f in fraud.get(part, [])]}

    rows = []
    for category in rubric.categories:
        if category.rules:           # 底线标准 and other rules on the category itself
            own, other = mine.sheet.node(category.id), theirs.sheet.node(category.id)
            rows.append({"category": category.id, "category_title": category.title, **row(
                "category", category.id, category.title, category.max, category.standard, list(category.rules),
                own.score, other.score, [category.id])})
        for indicator in category.indicators:
            rules = list(indicator.rules) + [r for item in indicator.items for r in item.rules]
            own, other = mine.sheet.node(indicator.id), theirs.sheet.node(indicator.id)
            rows.append({"category": category.id, "category_title": category.title, **row(
                "indicator", indicator.id, indicator.title, indicator.max, indicator.standard, rules, own.score,
                other.score, [indicator.id, *(item.id for item in indicator.items)])})
    for adjustment, own, other in zip(rubric.adjustments, mine.sheet.adjustments, theirs.sheet.adjustments, strict=True):
        sign = 1 if adjustment.type == "bonus" else -1
        rows.append({"category": None, "category_title": None, **row(
            adjustment.type, adjustment.id, adjustment.title, adjustment.cap, adjustment.text, list(adjustment.rules),
            sign * own.points, sign * other.points, [adjustment.id])})
    if rubric.vetoes:
        rows.append({"category": None, "category_title": None, **row(
            "vetoes", "vetoes", "否决项", None, None, list(rubric.vetoes), Decimal(0), Decimal(0), [])})
    return rows, mine.sheet, theirs.sheet


# -- the gap across a cycle --------------------------------------------------------------------------
def gap_report(cycle: Cycle, *, by) -> list[dict]:
    """Self total against reviewed total, per branch ``by`` may read; the largest over-claim first
    (branches not yet reviewed last, with ``gap`` None)."""
    rows = []
    assessments = permissions.visible_assessments(by, cycle).select_related("branch__parent").order_by("branch__path")
    for a in assessments:
        gap = a.self_total - a.reviewed_total if a.self_total is not None and a.reviewed_total is not None else None
        rows.append({"assessment": a.pk, "branch": a.branch.name, "branch_id": a.branch_id,
                     "committee": a.branch.parent.name if a.branch.parent else None, "state": a.state,
                     "self_total": a.self_total, "reviewed_total": a.reviewed_total, "gap": gap})
    rows.sort(key=lambda r: (r["gap"] is None, -(r["gap"] or 0)))
    return rows
