"""What a rubric means, checked once it has the right shape. Every problem is reported, with its path.

Errors (the rubric does not load): points that do not add up, a rule worth more than its item, an
unknown fact or one of the wrong unit, a bad expression, duplicate ids, a rating level no score can
reach, a reference to an unknown scheme, level, process step or rule, a worked example that the
engine does not reproduce. Warnings (it loads, but a person should know): parts that add up to less
than their item (the source is inconsistent; the file's ``reading`` says how it is read), a source
that is truncated, a rubric that cannot rate on its own.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from typing import Any

from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.problems import ERROR, WARNING, Problem, render_path
from chuangxing.rubric.schema import Node, Rubric
from chuangxing.scoring import expressions
from chuangxing.scoring.kinds import AllOrNothing, RuleBase
from chuangxing.scoring.points import ZERO, fmt

_FACT_UNITS_FOR_KIND = {
    "fixed": {"bool"}, "zero_if": {"bool"}, "veto": {"bool", "text"},
    "per_occurrence": {"count", "days"}, "checklist": {"items"},
    "threshold": {"percent", "number", "count", "days"}, "banded": {"percent", "number", "count", "days"},
    "expression": {"percent", "number", "count", "days", "bool"}, "range": set(), "events": set(),
}


def validate(rubric: Rubric, raw: dict, *, run_examples: bool = True) -> list[Problem]:
    checker = _Checker(rubric, raw)
    checker.ids()
    checker.sums()
    checker.rules()
    checker.adjustment_effects()
    checker.ratings()
    checker.source()
    if run_examples and not checker.errors():
        checker.examples()
    return checker.problems


class _Checker:
    def __init__(self, rubric: Rubric, raw: dict):
        self.rubric, self.raw = rubric, raw
        self.problems: list[Problem] = []
        self.units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
        self.paths: dict[str, tuple] = {}
        for key, path in _paths(rubric):
            self.paths.setdefault(key, path)

    def add(self, code: str, message: str, path: tuple, *, severity: str = ERROR, en: str = "") -> None:
        self.problems.append(Problem(code, message, path, severity, message_en=en or code))

    def errors(self) -> bool:
        return any(p.severity == ERROR for p in self.problems)

    # -- ids -------------------------------------------------------------------------------
    def ids(self) -> None:
        first: dict[str, tuple] = {}
        for key, path in _paths(self.rubric):
            if key in first:
                where = render_path(first[key])
                self.add("duplicate_id", f"编号 {key} 已在 {where} 使用过（指标、分项、规则和否决项的编号须唯一）",
                         path, en=f"duplicate id {key}")
            first.setdefault(key, path)
        for scheme in self.rubric.ratings:
            for level_id, count in Counter(level.id for level in scheme.levels).items():
                if count > 1:
                    self.add("duplicate_id", f"评定方案 {scheme.id} 的等次编号 {level_id} 重复",
                             ("ratings", self.rubric.ratings.index(scheme)), en=f"duplicate level {level_id}")
        for key in ("ratings", "examples", "adjustments"):
            ids = Counter(item.id for item in getattr(self.rubric, key))
            for item_id, count in ids.items():
                if count > 1:
                    self.add("duplicate_id", f"{key} 中编号 {item_id} 重复", (key,), en=f"duplicate {key} id {item_id}")

    # -- points ----------------------------------------------------------------------------
    def sums(self) -> None:
        rubric = self.rubric
        total = sum((c.max for c in rubric.categories), ZERO)
        if total != rubric.max_total:
            self.add("sum_mismatch", f"各项目分值合计 {fmt(total)} 分，与总分 {fmt(rubric.max_total)} 分不符",
                     ("max_total",), en=f"categories add up to {total}, not {rubric.max_total}")
        for node, _level in rubric.nodes():
            children = node.children()
            if children:
                added = sum((c.max for c in children), ZERO)
                if added != node.max:
                    self.add("sum_mismatch", f"“{node.title}”的下级分值合计 {fmt(added)} 分，与本项 {fmt(node.max)} 分不符",
                             (*self.paths[node.id], "max"), en=f"{node.id}: children add up to {added}, not {node.max}")
            self.parts_short(node)

    def parts_short(self, node: Node) -> None:
        """An award item whose parts cannot reach its max: a source inconsistency, surfaced as a warning."""
        if self.rubric.mode_of(node) != "award" or node.children():
            return
        awards = [r for r in node.rules if r.effect == "award" and r.enabled and not isinstance(r, AllOrNothing)]
        if not awards:
            return
        parts = [r.max_points() for r in awards]
        if any(p is None for p in parts):
            return
        reachable = sum(parts, ZERO)
        if reachable < node.max:
            reading = f"本文件的读法：{node.reading}" if node.reading else "文件未说明如何处理，请补充 reading"
            self.add("parts_short", f"“{node.title}”各部分最多合计 {fmt(reachable)} 分，少于本项 {fmt(node.max)} 分；{reading}",
                     (*self.paths[node.id], "max"), severity=WARNING,
                     en=f"{node.id}: parts reach {reachable} of {node.max}")

    # -- rules -----------------------------------------------------------------------------
    def rules(self) -> None:
        for rule, owner in self.rubric.rules():
            path = self.paths[rule.id]
            node = self.rubric.node(owner)
            most = _single_max(rule)
            if node is not None and most is not None and most > node.max:
                self.add("rule_exceeds_item", f"规则 {rule.id} 最多 {fmt(most)} 分，超过所属“{node.title}”的 {fmt(node.max)} 分",
                         path, en=f"rule {rule.id} worth {most} > item {node.max}")
            self.fact_binding(rule, path)
            self.rule_expressions(rule, path)
            if isinstance(rule, AllOrNothing):
                siblings = {r.id for r in (node.rules if node else [])}
                for covered in rule.covers:
                    if covered not in siblings:
                        self.add("unknown_rule", f"“否则不得分”规则 {rule.id} 涵盖的 {covered} 不是同一项中的规则",
                                 (*path, "covers"), en=f"{rule.id} covers unknown {covered}")
        for veto in self.rubric.vetoes:
            for scheme in veto.blocks:
                if self.rubric.scheme(scheme) is None:
                    self.add("unknown_scheme", f"否决项 {veto.id} 否决的评定方案 {scheme} 不存在",
                             (*self.paths[veto.id], "blocks"), en=f"unknown scheme {scheme}")

    def adjustment_effects(self) -> None:
        """A bonus only awards and a penalty only deducts: mixing them would cancel silently."""
        for ai, adjustment in enumerate(self.rubric.adjustments):
            wanted = "award" if adjustment.type == "bonus" else "deduct"
            for ri, rule in enumerate(adjustment.rules):
                if rule.effect != wanted:
                    label = "加分（award）" if wanted == "award" else "扣分（deduct）"
                    self.add("adjustment_effect", f"{adjustment.title}中的规则 {rule.id} 应为{label}",
                             ("adjustments", ai, "rules", ri, "effect"), en=f"{rule.id}: effect must be {wanted}")

    def fact_binding(self, rule: RuleBase, path: tuple) -> None:
        if rule.fact is None:
            return
        unit = self.units.get(rule.fact)
        if unit is None:
            self.add("unknown_fact", f"规则 {rule.id} 引用了未知的事实 {rule.fact}（见事实目录，或在 facts 中声明）",
                     (*path, "fact"), en=f"unknown fact {rule.fact}")
        elif unit not in _FACT_UNITS_FOR_KIND.get(rule.kind, set()):
            self.add("fact_unit", f"事实 {rule.fact} 的单位是 {unit}，不能作为 {rule.kind} 规则的输入",
                     (*path, "fact"), en=f"fact {rule.fact} ({unit}) does not fit a {rule.kind} rule")

    def rule_expressions(self, rule: RuleBase, path: tuple) -> None:
        if rule.when:
            self.expression(rule.when, dict(self.units), (*path, "when"))
        points = getattr(rule, "points", None)
        if rule.kind == "expression" and isinstance(points, str):
            value_type = {"number": "number", "bool": "bool", "none": "text"}[rule.input_type]
            self.expression(points, {**self.units, "value": value_type}, (*path, "points"))

    def expression(self, text: str, symbols: dict[str, str], path: tuple) -> None:
        try:
            expressions.check_expression(text, symbols)
        except expressions.ExpressionError as exc:
            code = "unknown_fact" if "未知" in exc.message_zh else "bad_expression"
            self.add(code, exc.message_zh, path, en=str(exc))

    # -- ratings ---------------------------------------------------------------------------
    def reachable_total(self) -> Decimal | None:
        bonus = ZERO
        for adjustment in self.rubric.adjustments:
            if adjustment.type == "bonus":
                if adjustment.cap is None:
                    return None
                bonus += adjustment.cap
        return self.rubric.max_total + bonus

    def ratings(self) -> None:
        symbols = {**self.units, **expressions.RATING_SYMBOLS}
        categories = {c.id: c for c in self.rubric.categories}
        for si, scheme in enumerate(self.rubric.ratings):
            path = ("ratings", si)
            ceiling = self.scheme_ceiling(scheme, categories, path, symbols)
            for li, level in enumerate(scheme.levels):
                self.level(scheme, level, (*path, "levels", li), ceiling, symbols)
            for ti, star in enumerate(scheme.stars):
                category = categories.get(star.category)
                if category is None:
                    self.add("unknown_category", f"星 {star.label} 对应的项目 {star.category} 不存在",
                             (*path, "stars", ti, "category"), en=f"unknown category {star.category}")
                elif star.min is not None and star.min > category.max:
                    self.add("unreachable_level",
                             f"{star.label}要求 {fmt(star.min)} 分，而“{category.title}”最多 {fmt(category.max)} 分",
                             (*path, "stars", ti, "min"), en=f"star {star.label} unreachable")
        for ci, constraint in enumerate(self.rubric.constraints):
            self.expression(constraint.when, symbols, ("constraints", ci, "when"))
            self.expression(constraint.then, symbols, ("constraints", ci, "then"))
        for ti, target in enumerate(self.rubric.targets):
            scheme = self.rubric.scheme(target.scheme)
            if scheme is None or target.at_least not in {lv.id for lv in scheme.levels}:
                self.add("unknown_level", f"目标引用的评定方案或等次 {target.scheme}/{target.at_least} 不存在",
                         ("targets", ti), en=f"unknown target level {target.scheme}/{target.at_least}")

    def scheme_ceiling(self, scheme: Any, categories: dict, path: tuple, symbols: dict) -> Decimal | None:
        if scheme.value == "total":
            return self.reachable_total()
        if scheme.value.startswith("category:"):
            category = categories.get(scheme.value.split(":", 1)[1])
            if category is None:
                self.add("unknown_category", f"评定方案 {scheme.id} 依据的项目 {scheme.value} 不存在",
                         (*path, "value"), en=f"unknown category {scheme.value}")
                return None
            return category.max
        self.expression(scheme.value, symbols, (*path, "value"))
        return None

    def level(self, scheme: Any, level: Any, path: tuple, ceiling: Decimal | None, symbols: dict) -> None:
        if level.min is not None and ceiling is not None and (
                level.min > ceiling or (level.min == ceiling and not level.min_inclusive)):
            self.add("unreachable_level",
                     f"{scheme.title}“{level.label}”要求{'高于' if not level.min_inclusive else '不低于'} {fmt(level.min)} 分，"
                     f"而最高只能得 {fmt(ceiling)} 分，任何得分都达不到",
                     (*path, "min"), en=f"level {level.id} of {scheme.id} is unreachable")
        for flag in level.requires:
            if flag not in self.rubric.process_flags:
                self.add("unknown_process_flag", f"等次“{level.label}”需要的程序环节 {flag} 未在 process_flags 中声明",
                         (*path, "requires"), en=f"undeclared process flag {flag}")
        if level.when:
            self.expression(level.when, symbols, (*path, "when"))

    # -- the source ------------------------------------------------------------------------
    def source(self) -> None:
        rubric = self.rubric
        if rubric.source.truncated:
            self.add("source_truncated", f"原文不完整（截断）：{rubric.limitations or '见 source.notes'}", ("source",),
                     severity=WARNING, en="the source text is truncated")
        if rubric.status != "complete" and not rubric.limitations:
            self.add("limitations_missing", "不完整或仅含程序的标准须在 limitations 中说明能评什么、不能评什么",
                     ("limitations",), en="a partial rubric must state its limitations")
        if not rubric.ratings and rubric.status == "complete":
            self.add("no_rating", "本标准没有评定方案（ratings），只能计分不能评星定级", ("ratings",),
                     severity=WARNING, en="no rating scheme")

    # -- worked examples -------------------------------------------------------------------
    def examples(self) -> None:
        from chuangxing.rubric.examples import check_example

        cache: dict = {}     # one rubric per set of example parameters
        for i, example in enumerate(self.rubric.examples):
            for message in check_example(self.rubric, example, self.raw, cache):
                self.add("example_failed", f"算例 {example.id}：{message}", ("examples", i),
                         en=f"example {example.id} failed: {message}")


def _single_max(rule: RuleBase) -> Decimal | None:
    """What one application of a rule can move: per occurrence or per checklist item (or the rule's
    own cap). Repeated deductions past an item's max are what "扣完为止" is for, not an error:
    六必有 is 6 × 1 in a 5-point item."""
    if rule.kind in ("per_occurrence", "checklist"):
        cap = getattr(rule, "max", None)
        return cap if cap is not None else rule.points
    return rule.max_points()


def _paths(rubric: Rubric) -> list[tuple[str, tuple]]:
    """(id, path in the file) of every node and rule, in document order (duplicates included)."""
    out: list[tuple[str, tuple]] = []
    for ci, category in enumerate(rubric.categories):
        cpath = ("categories", ci)
        out.append((category.id, cpath))
        out.extend((r.id, (*cpath, "rules", ri)) for ri, r in enumerate(category.rules))
        for ii, indicator in enumerate(category.indicators):
            ipath = (*cpath, "indicators", ii)
            out.append((indicator.id, ipath))
            out.extend((r.id, (*ipath, "rules", ri)) for ri, r in enumerate(indicator.rules))
            for ti, item in enumerate(indicator.items):
                tpath = (*ipath, "items", ti)
                out.append((item.id, tpath))
                out.extend((r.id, (*tpath, "rules", ri)) for ri, r in enumerate(item.rules))
    for ai, adjustment in enumerate(rubric.adjustments):
        out.extend((r.id, ("adjustments", ai, "rules", ri)) for ri, r in enumerate(adjustment.rules))
    out.extend((v.id, ("vetoes", vi)) for vi, v in enumerate(rubric.vetoes))
    return out
