"""An assessment laid out for a page: the rubric's tree with, at each rule, what the stage shows and edits.

>>> page = Page(rubric, stage="self", states=self_states(prefill(a, by=user)), scores=scores_of(sheet_dict), ...)
>>> [indicator.node.id for category in page.categories for indicator in category.indicators][:2]
['zj-org-1', 'zj-org-2']

The same tree serves the self-assessment (one column of points) and the review and inspection
pages (the earlier stage's points beside this one's). Nothing here decides a score or a permission:
the states come from ``sheets.prefill`` / ``sheets.review_view``, the scores from the engine's sheet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from markupsafe import Markup, escape

from chuangxing.facts.catalogue import FACTS
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring.engine import frozen
from chuangxing.scoring.kinds import RuleBase
from chuangxing.scoring.points import fmt
from chuangxing.scoring.sheet import ScoreSheet
from chuangxing.web.findings_form import FactOverrideForm, FindingsForm, field_name

SOURCE_LABELS = {"finding": "已填写", "fact": "来自记录", "expression": "按记录计算", "rubric": "无需填写", None: "未填写"}
FACT_SOURCE_LABELS = {"records": "由支部记录计算", "surveys": "由测评结果计算", "manual": "人工填写"}
UNIT_SUFFIX = {"percent": "%", "days": " 天", "count": "", "number": ""}


@dataclass
class FactView:
    name: str
    description: str
    unit: str
    source_label: str
    value: Any
    shown: str
    computed: str
    override: Any = None
    reason: str = ""
    overridden_by: str = ""
    form_id: str = ""
    override_fields: Markup | None = None     # the override form's inputs, when a person may override it here


@dataclass
class RuleView:
    rule: RuleBase
    state: dict[str, Any]
    editable: bool
    widget: str = "none"
    parts: dict[str, Any] = field(default_factory=dict)
    reason: Any = None
    revert: Any = None
    errors: list[str] = field(default_factory=list)
    facts: list[FactView] = field(default_factory=list)
    compare: dict[str, Any] | None = None        # the earlier stage's state, on the review and inspection pages

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.state.get("source"), "")

    @property
    def shown(self) -> str:
        return describe(self.rule, self.state.get("input"), self.state.get("source"))

    @property
    def compare_shown(self) -> str:
        if self.compare is None:
            return ""
        return describe(self.rule, self.compare.get("input"), self.compare.get("source"))


@dataclass
class NodeView:
    node: Any
    level: str
    score: Decimal | None
    rules: list[RuleView] = field(default_factory=list)
    children: list[NodeView] = field(default_factory=list)
    evidence: list[dict] = field(default_factory=list)
    compare: dict[str, Any] | None = None        # review_view's row: self and review points, gap, fraud

    @property
    def all_rules(self) -> list[RuleView]:
        return self.rules + [r for child in self.children for r in child.all_rules]


def describe(rule: RuleBase, value: Any, source: str | None) -> str:
    """An input in words: ``True`` → 有此情形, ``["has_flag"]`` → 未达到：有党旗, ``"absent"`` → 缺考."""
    if source is None:
        return "尚未填写"
    if rule.kind == "veto":
        return f"有此情形：{value}" if value else "无此情形"
    if isinstance(value, bool):
        if rule.effect == "award" and rule.kind != "zero_if":
            return "已做到" if value else "未做到"
        return "有此情形" if value else "无此情形"
    if value is None:
        return "—"
    if rule.kind == "checklist":
        labels = {item.id: item.label for item in rule.items}
        return "全部达到" if not value else "未达到：" + "、".join(labels.get(v, v) for v in value)
    if rule.kind == "banded" and value == "absent":
        return "缺考/未参加"
    if rule.kind == "range":
        return "；".join(f"{fmt(Decimal(c['points']))} 分" + (f"（{c['reason']}）" if c.get("reason") else "")
                        for c in value) or "无"
    if rule.kind == "events":
        return f"{len(value)} 项" if value else "无"
    unit = getattr(rule, "unit", "")
    return f"{value}{unit}" if rule.kind in ("threshold", "banded") else str(value)


def fact_shown(value: Any, unit: str, labels: dict[str, str] | None = None) -> str:
    if value is None:
        return "（无记录）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join((labels or {}).get(str(v), str(v)) for v in value) or "（无）"
    return f"{value}{UNIT_SUFFIX.get(unit, '')}"


def scores_of(sheet: ScoreSheet) -> dict[str, Decimal]:
    """Each node's score and each adjustment's signed points, by id."""
    scores = {node.id: node.score for node in sheet.nodes()}
    for adjustment in sheet.adjustments:
        scores[adjustment.id] = adjustment.points if adjustment.type == "bonus" else -adjustment.points
    return scores


def rule_points(sheet: ScoreSheet) -> dict[str, Decimal]:
    """What each rule gave or took, summed over its trace entries."""
    points: dict[str, Decimal] = {}
    entries = [e for node in sheet.nodes() for e in node.entries] + [e for a in sheet.adjustments for e in a.entries]
    for entry in entries:
        if entry.rule:
            points[entry.rule] = points.get(entry.rule, Decimal(0)) + entry.points
    return points


class Page:
    """The tree of one assessment at one stage. ``form``: the findings form of the editable rules (or None);
    ``stored_errors``: rule id → what is wrong with its stored input (``sheets.readable``), shown when no form was posted."""

    def __init__(self, rubric: Rubric, *, stage: str, states: dict[str, dict], scores: dict[str, Decimal],
                 evidence: dict[str, list[dict]], facts: dict[str, dict], form: FindingsForm | None,
                 version: int, people: dict[int, str] | None = None, compare_rows: dict[str, dict] | None = None,
                 compare_states: dict[str, dict] | None = None, fact_forms: bool = False,
                 stored_errors: dict[str, list[str]] | None = None):
        self.rubric, self.stage, self.states, self.scores = rubric, stage, states, scores
        self.evidence, self.facts, self.form, self.version = evidence, facts, form, version
        self.people = people or {}
        self.compare_rows = compare_rows or {}
        self.compare_states = compare_states or {}
        self.fact_forms = fact_forms
        self.units = {name: decl.unit for name, decl in rubric.facts.items()}
        self.errors = form.rule_errors() if form is not None and form.is_bound else dict(stored_errors or {})
        self.fact_views: list[FactView] = []        # those with an override form, for the page's hidden forms
        self.categories = [self._node(category, "category") for category in rubric.categories]
        self.adjustments = [NodeView(a, "adjustment", scores.get(a.id), rules=self._rules(a.rules),
                                     compare=self.compare_rows.get(a.id)) for a in rubric.adjustments]
        self.vetoes = self._rules(rubric.vetoes)
        self.indicators = [indicator for category in self.categories for indicator in category.children]

    def _node(self, node: Any, level: str) -> NodeView:
        child_level = {"category": "indicator", "indicator": "item"}.get(level)
        children = [self._node(child, child_level) for child in node.children()] if child_level else []
        view = NodeView(node, level, self.scores.get(node.id), rules=self._rules(node.rules), children=children,
                        compare=self.compare_rows.get(node.id))
        if level == "indicator":
            view.evidence = [e for part in [node.id, *(i.id for i in node.items)] for e in self.evidence.get(part, [])]
        return view

    def _rules(self, rules: list[RuleBase]) -> list[RuleView]:
        return [self._rule(rule) for rule in rules if rule.enabled]

    def _rule(self, rule: RuleBase) -> RuleView:
        state = self.states.get(rule.id, {})
        form = self.form
        editable = form is not None and rule.id in form.inputs
        view = RuleView(rule, state, editable, compare=self.compare_states.get(rule.id),
                        errors=self.errors.get(rule.id, []))
        if editable:
            view.widget = form.inputs[rule.id].template
            view.parts = form.parts_of(rule.id)
            view.reason = form[field_name(rule.id, "reason")]
            revert = field_name(rule.id, "revert")
            view.revert = form[revert] if revert in form.fields else None
        view.facts = [self._fact(name, rule) for name in state.get("facts", [])]
        return view

    def _fact(self, name: str, rule: RuleBase) -> FactView:
        row = self.facts.get(name) or {}
        catalogued = FACTS.get(name)
        declared = self.rubric.facts.get(name)
        unit = self.units.get(name) or (catalogued.unit if catalogued else "text")
        description = catalogued.description if catalogued else (declared.description if declared else name)
        source = FACT_SOURCE_LABELS.get(catalogued.source if catalogued else "manual", "")
        labels = {i.id: i.label for i in rule.items} if rule.kind == "checklist" else {}
        view = FactView(name=name, description=description, unit=unit, source_label=source, value=row.get("value"),
                        shown=fact_shown(row.get("value"), unit, labels),
                        computed=fact_shown(row.get("computed"), unit, labels),
                        override=row.get("override"), reason=row.get("reason") or "",
                        overridden_by=self.people.get(row.get("overridden_by"), ""))
        if self.fact_forms:
            view.form_id = f"fact-{rule.id}-{name}"
            items = tuple((i.id, i.label) for i in rule.items) if rule.kind == "checklist" and rule.fact == name else None
            view.override_fields = override_fields(unit, items, row.get("value"), form_id=view.form_id,
                                                   version=self.version)
            self.fact_views.append(view)
        return view


# -- a fact's override form, drawn once per unit, checklist and value ----------------------------------
_FORM_ID, _VERSION = "\ue000", "\ue001"      # stand-ins (private-use characters) filled in per fact


def override_fields(unit: str, items: tuple[tuple[str, str], ...] | None, value: Any, *, form_id: str,
                    version: int) -> Markup:
    """The inputs of fact override form ``form_id`` (``FactOverrideForm``, unbound, showing ``value``).

    A page draws about thirty (one per fact a rule reads); a Django form each, with its three widgets,
    was a tenth of the review page's CPU. The form is drawn once per unit, checklist and value (a process
    keeps the last thousands), with stand-ins for its id and the version, which are filled in here. Values
    are told apart as the engine's memo tells them (``frozen``): 1 and 1.0 are equal, but drawn differently.
    """
    initial = _fact_initial(value, unit)
    key = (unit, items, frozen(initial))
    drawn = _DRAWN.get(key)
    if drawn is None:
        if len(_DRAWN) >= _DRAWN_MAX:       # a process sees few distinct values: starting afresh is enough
            _DRAWN.clear()
        drawn = _DRAWN[key] = _draw_override_fields(unit, items, initial)
    return Markup(drawn.replace(_FORM_ID, escape(form_id)).replace(_VERSION, str(int(version))))


_DRAWN: dict[tuple, str] = {}
_DRAWN_MAX = 4096


def _draw_override_fields(unit: str, items: tuple[tuple[str, str], ...] | None, initial: Any) -> str:
    from django.template.loader import render_to_string

    form = FactOverrideForm(unit=unit, items=list(items) if items else None, form_id=_FORM_ID,
                            initial={"version": _VERSION, "value": initial})
    return render_to_string("assessments/fact_override.html", {"form": form, "form_id": _FORM_ID}, using="jinja2")


def _fact_initial(value: Any, unit: str) -> Any:
    if unit == "bool" and isinstance(value, bool):
        return "yes" if value else "no"
    return value


# -- what each stage shows at each rule ------------------------------------------------------------
def fact_rows(assessment) -> dict[str, dict]:
    """The assessment's facts by name: the value in force, the computed one, an override with its reason and who."""
    return {fv.name: {"value": fv.value, "computed": fv.computed, "override": fv.override,
                      "reason": fv.override_reason, "overridden_by": fv.overridden_by_id}
            for fv in assessment.facts.all()}


def known_facts(rubric: Rubric) -> set[str]:
    return set(FACTS) | set(rubric.facts)


def self_states(data: dict) -> dict[str, dict]:
    """``sheets.prefill``'s rules by id; ``own``: a self-assessment finding is in force."""
    return {row["rule"]: {**row, "own": row["source"] == "finding"} for row in data["rules"]}


def review_states(rubric: Rubric, rows: list[dict]) -> tuple[dict[str, dict], dict[str, dict], dict[str, dict]]:
    """``sheets.review_view``'s rows → (the review stage by rule, the self stage by rule, the rows by node id)."""
    from chuangxing.assessments.sheets import facts_of

    known = known_facts(rubric)
    states, earlier, by_node = {}, {}, {}
    for row in rows:
        by_node[row["id"]] = row
        for r in row["rules"]:
            rule = rubric.rule(r["rule"])
            names = facts_of(rule, known) if rule is not None else []
            states[r["rule"]] = {**r["review"], "reason": r["reason"], "own": r["adjusted"], "facts": names}
            earlier[r["rule"]] = {**r["self"], "facts": names}
    return states, earlier, by_node


def inspection_states(assessment, rubric: Rubric, review: dict[str, dict]) -> tuple[dict[str, dict], ScoreSheet]:
    """The inspection stage (the inspector's findings over the review's) by rule, and its sheet."""
    from chuangxing.assessments.sheets import _Stage

    stage = _Stage(rubric, assessment, "inspection")
    own = {f.rule_id: f for f in assessment.findings.filter(stage="inspection")}
    states = {}
    for rule, _ in rubric.rules():
        if rule.enabled:
            finding = own.get(rule.id)
            states[rule.id] = {**stage.rule(rule), "reason": finding.reason if finding else "", "own": finding is not None,
                               "facts": review.get(rule.id, {}).get("facts", [])}
    return states, stage.sheet


def people(ids) -> dict[int, str]:
    """User ids → the names pages show."""
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(pk__in={i for i in ids if i})
    return {u.pk: u.get_full_name() or u.get_username() for u in users}


# Inputs that follow the records at the self stage: changed only by overriding the fact, with a reason.
FROM_RECORDS = ("fact", "expression")


def editable_rules(rubric: Rubric, states: dict[str, dict], *, stage: str = "self") -> list[tuple]:
    """(rule, state) of the rules a person types in at ``stage``: at the self stage, those the records do not
    answer; at review and inspection, every rule (each change with a reason)."""
    return [(rule, states[rule.id]) for rule, _ in rubric.rules()
            if rule.enabled and rule.id in states and (stage != "self" or states[rule.id].get("source") not in FROM_RECORDS)]
