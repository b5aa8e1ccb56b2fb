"""Hypothesis strategies: random rubrics (built as dicts, loaded through the real loader and validator)
and random valid findings for any rubric.

>>> rubric = data.draw(rubrics())                 # a checked Rubric
>>> findings = data.draw(findings_for(rubric))    # a findings dict the engine accepts
"""

from __future__ import annotations

import itertools
import re
from decimal import Decimal as D
from typing import Any

from hypothesis import strategies as st

from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.loader import build
from chuangxing.rubric.problems import Report
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring.kinds import RuleBase

POINTS = [D("0.1"), D("0.2"), D("0.3"), D("0.5"), D(1), D("1.5"), D(2), D(3)]
MAXES = [D("0.5"), D(1), D("1.5"), D(2), D(3), D(4), D(5)]
CUTS = [D(60), D("69.5"), D(70), D(80), D(90)]
THRESHOLDS = [D(60), D("79.5"), D(80)]
NODE_KINDS = ["fixed", "per_occurrence", "range", "banded", "threshold", "checklist", "events"]
_FACT_UNIT = {"fixed": "bool", "zero_if": "bool", "veto": "bool", "per_occurrence": "count", "checklist": "items",
              "banded": "number", "threshold": "percent"}


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def __call__(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def _upto(draw: Any, cap: D, choices: list[D] = POINTS) -> D:
    return draw(st.sampled_from([p for p in choices if p <= cap]))


# -- rubrics ------------------------------------------------------------------------------------


def _rule(draw: Any, rid: str, cap: D, effect: str, kinds: list[str], ctx: dict) -> dict:
    kind = draw(st.sampled_from(kinds))
    rule: dict[str, Any] = {"id": rid, "kind": kind, "text": f"规则{rid}", "effect": effect}
    rule.update(_KIND_FIELDS[kind](draw, cap))
    unit = _FACT_UNIT.get(kind)
    if unit and draw(st.integers(0, 3)) == 0:
        name = f"{rid}_fact"
        ctx["facts"][name] = {"unit": unit, "description": f"事实{rid}"}
        rule["fact"] = name
    if kind == "fixed" and draw(st.integers(0, 5)) == 0:
        name = f"{rid}_cond"
        ctx["facts"][name] = {"unit": "bool", "description": f"条件{rid}"}
        rule["when"] = f"not {name}"
    if kind == "per_occurrence" and "required" not in rule and draw(st.integers(0, 5)) == 0:
        name = f"{rid}_n"
        ctx["facts"][name] = {"unit": "count", "description": f"次数{rid}"}
        rule["when"] = f"{name} > 1 ? {name} - 1 : 0"
    if ctx["params"] and draw(st.integers(0, 9)) == 0:
        param = f"p_{rid}".replace("-", "_")
        ctx["parameters"][param] = {"value": draw(st.booleans()), "description": "是否适用"}
        rule["enabled"] = f"${param}"
    return rule


def _fixed(draw: Any, cap: D) -> dict:
    return {"points": _upto(draw, cap)}


def _per_occurrence(draw: Any, cap: D) -> dict:
    points = _upto(draw, cap)
    variant = draw(st.sampled_from(["plain", "max", "required"]))
    if variant == "max":
        return {"points": points, "max": _upto(draw, cap, POINTS + MAXES)}
    if variant == "required":
        return {"points": points, "required": draw(st.integers(1, min(12, int(cap / points))))}
    return {"points": points}


def _range(draw: Any, cap: D) -> dict:
    low, high = sorted(draw(st.lists(st.sampled_from([D(0), *[p for p in POINTS if p <= cap]]), min_size=2, max_size=2)))
    if high == 0:
        high = D("0.1")
    return {"min": low, "max": high, "allow_zero": draw(st.booleans()), "repeat": draw(st.integers(0, 4)) == 0}


def _banded(draw: Any, cap: D) -> dict:
    cuts = sorted(draw(st.lists(st.sampled_from(CUTS), min_size=1, max_size=3, unique=True)))
    edges = [None, *cuts, None]
    bands = []
    for low, high in itertools.pairwise(edges):
        band = {"points": draw(st.sampled_from([D(0), *[p for p in POINTS if p <= cap]]))}
        if low is not None:
            band["from"] = low
        if high is not None:
            band["to"] = high
        bands.append(band)
    out: dict[str, Any] = {"bands": bands}
    if draw(st.booleans()):
        out["absent_points"] = _upto(draw, cap)
    return out


def _threshold(draw: Any, cap: D) -> dict:
    return {"op": draw(st.sampled_from(["lt", "le", "gt", "ge"])), "value": draw(st.sampled_from(THRESHOLDS)),
            "points": _upto(draw, cap)}


def _checklist(draw: Any, cap: D) -> dict:
    items = [{"id": f"k{i}", "label": f"项目{i}"} for i in range(draw(st.integers(1, 5)))]
    points = _upto(draw, cap)
    out: dict[str, Any] = {"items": items, "points": points}
    if points * len(items) > cap or draw(st.booleans()):
        out["max"] = _upto(draw, cap, POINTS + MAXES)
    return out


def _events(draw: Any, cap: D) -> dict:
    types = []
    for i in range(draw(st.integers(1, 3))):
        etype: dict[str, Any] = {"id": f"t{i}", "label": f"类型{i}", "per_person": draw(st.booleans())}
        if draw(st.booleans()):
            etype["points"] = draw(st.sampled_from(POINTS))
        else:
            low = draw(st.sampled_from([D(0), D("0.1"), D("0.5")]))
            etype.update({"min": low, "max": draw(st.sampled_from([p for p in POINTS if p >= low]))})
        types.append(etype)
    out: dict[str, Any] = {"types": types, "best_per_project": draw(st.booleans())}
    if draw(st.booleans()):
        out["modifiers"] = [{"id": "half", "label": "减半", "factor": D("0.5")}]
    if draw(st.booleans()):
        out["max"] = _upto(draw, cap, POINTS + MAXES)
    return out


_KIND_FIELDS = {"fixed": _fixed, "per_occurrence": _per_occurrence, "range": _range, "banded": _banded,
                "threshold": _threshold, "checklist": _checklist, "events": _events}


def _leaf_rules(draw: Any, ids: _Ids, cap: D, mode: str, ctx: dict) -> list[dict]:
    main = "award" if mode == "award" else "deduct"
    rules = []
    for _ in range(draw(st.integers(1, 4))):
        effect = main if draw(st.integers(0, 4)) else ("deduct" if main == "award" else "award")
        rules.append(_rule(draw, ids("r"), cap, effect, ctx["kinds"], ctx))
    awards = [r["id"] for r in rules if r["effect"] == "award"]
    if ctx["gates"] and awards and draw(st.integers(0, 3)) == 0:
        gate: dict[str, Any] = {"id": ids("g"), "kind": "all_or_nothing", "text": "否则，不得分"}
        if draw(st.booleans()):
            gate["covers"] = draw(st.lists(st.sampled_from(awards), min_size=1, unique=True))
        rules.append(gate)
    if ctx["gates"] and draw(st.integers(0, 5)) == 0:
        gate = {"id": ids("z"), "kind": "zero_if", "text": "未开展活动得0分"}
        if draw(st.booleans()):
            name = f"{gate['id']}_fact"
            ctx["facts"][name] = {"unit": "bool", "description": "未开展活动"}
            gate["fact"] = name
        rules.append(gate)
    return rules


def _indicator(draw: Any, ids: _Ids, ctx: dict) -> dict:
    node: dict[str, Any] = {"id": ids("i"), "title": "指标"}
    mode = draw(st.sampled_from(["deduct", "deduct", "award"]))
    if mode == "award":
        node["mode"] = "award"
    if draw(st.integers(0, 3)) == 0:                               # sub-items, each with its own max
        items = []
        for _ in range(draw(st.integers(1, 3))):
            item_max = draw(st.sampled_from(MAXES))
            item_mode = draw(st.sampled_from(["deduct", "award"]))
            items.append({"id": ids("t"), "title": "分项", "max": item_max, "mode": item_mode,
                          "rules": _leaf_rules(draw, ids, item_max, item_mode, ctx)})
        node["items"] = items
        node["max"] = sum((i["max"] for i in items), D(0))
        if draw(st.booleans()):
            node["rules"] = [_rule(draw, ids("r"), node["max"], "deduct", ctx["kinds"], ctx)]
    else:
        node["max"] = draw(st.sampled_from(MAXES))
        node["rules"] = _leaf_rules(draw, ids, node["max"], mode, ctx)
    return node


def _adjustments(draw: Any, ids: _Ids) -> list[dict]:
    out = []
    for kind, effect in (("bonus", "award"), ("penalty", "deduct")):
        if draw(st.booleans()):
            continue
        types = [{"id": f"a{i}", "label": f"类型{i}", "points": draw(st.sampled_from(POINTS)),
                  "per_person": kind == "penalty" and draw(st.booleans())} for i in range(draw(st.integers(1, 3)))]
        adjustment: dict[str, Any] = {"id": ids(kind), "title": "加分项" if kind == "bonus" else "减分项", "type": kind,
                                      "rules": [{"id": ids("e"), "kind": "events", "text": "事件", "effect": effect,
                                                 "types": types, "best_per_project": draw(st.booleans())}]}
        if draw(st.booleans()):
            adjustment["cap"] = draw(st.sampled_from([D("0.5"), D(1), D(3), D(10)]))
        out.append(adjustment)
    return out


def _ratings(draw: Any, total: D, categories: list[dict], ctx: dict) -> list[dict]:
    schemes = []
    for sid, value, ceiling in (("s1", "total", total), ("s2", f"category:{categories[0]['id']}", categories[0]["max"])):
        if sid == "s2" and draw(st.booleans()):
            continue
        fractions = sorted(draw(st.lists(st.sampled_from([D("0.3"), D("0.5"), D("0.6"), D("0.75"), D("0.9")]),
                                         min_size=1, max_size=3, unique=True)))
        levels: list[dict[str, Any]] = [{"id": "l0", "label": "无"}]
        for j, fraction in enumerate(fractions, start=1):
            level: dict[str, Any] = {"id": f"l{j}", "label": f"{j}星", "stars": j, "min": (ceiling * fraction).quantize(D("0.1")),
                                     "min_inclusive": draw(st.booleans())}
            if draw(st.integers(0, 3)) == 0:
                level["requires"] = ["ok"]
            if draw(st.integers(0, 4)) == 0:
                level["when"] = draw(st.sampled_from(["star_ok", "flag['ok'] or total > 1", "not star_ok"]))
                ctx["facts"]["star_ok"] = {"unit": "bool", "description": "可评星"}
            levels.append(level)
        schemes.append({"id": sid, "title": "星级", "value": value, "levels": levels})
    return schemes


@st.composite
def rubrics(draw: Any, *, kinds: list[str] | None = None, fraud: bool | None = None, basis: str | None = None,
            gates: bool = True, params: bool = True) -> Rubric:
    """A random rubric, as a dict loaded through ``loader.build`` (so through the real validator)."""
    ids = _Ids()
    ctx: dict[str, Any] = {"facts": {}, "parameters": {}, "kinds": kinds or NODE_KINDS, "gates": gates, "params": params}
    categories = []
    for _ in range(draw(st.integers(1, 3))):
        indicators = [_indicator(draw, ids, ctx) for _ in range(draw(st.integers(1, 3)))]
        category: dict[str, Any] = {"id": ids("c"), "title": "项目", "max": sum((i["max"] for i in indicators), D(0)),
                                    "indicators": indicators}
        if draw(st.integers(0, 3)) == 0:                            # a bottom line on the category itself
            category["rules"] = [_rule(draw, ids("b"), category["max"], "deduct", ["per_occurrence", "range"], ctx)]
        categories.append(category)
    total = sum((c["max"] for c in categories), D(0))
    raw: dict[str, Any] = {"format": 1, "id": "gen", "version": "1", "title": "生成", "issuer": "测试", "year": 2018,
                           "applicability": "测试", "max_total": total, "categories": categories,
                           "process_flags": {"ok": "审核认定"}, "adjustments": _adjustments(draw, ids)}
    with_fraud = draw(st.booleans()) if fraud is None else fraud
    if with_fraud:
        raw["fraud"] = {"text": "弄虚作假的，加倍倒扣", "factor": draw(st.sampled_from([D(2), D(2), D("1.5")])),
                        "basis": basis or draw(st.sampled_from(["max", "claimed"]))}
    raw["vetoes"] = []
    for _ in range(draw(st.integers(0, 2))):
        veto: dict[str, Any] = {"id": ids("v"), "text": "否决", "blocks": draw(st.sampled_from([[], ["s1"]]))}
        if draw(st.booleans()):
            veto["fact"] = f"{veto['id']}_fact"
            ctx["facts"][veto["fact"]] = {"unit": "bool", "description": "否决情形"}
        raw["vetoes"].append(veto)
    raw["ratings"] = _ratings(draw, total, categories, ctx)
    if draw(st.integers(0, 3)) == 0:
        raw["total_floor"] = D(0)
    raw["facts"], raw["parameters"] = ctx["facts"], ctx["parameters"]
    return load(raw)


def load(raw: dict) -> Rubric:
    report = Report("generated")
    rubric = build(raw, report, run_examples=False)
    assert rubric is not None, [str(p) for p in report.problems]
    return rubric


# -- findings -----------------------------------------------------------------------------------


def _grid(low: D, high: D) -> list[D]:
    step, out, x = D("0.1"), [], low
    while x <= high:
        out.append(x)
        x += step
    return out


def _choice(draw: Any, rule: Any) -> Any:
    options = _grid(max(rule.min, D("0.1")), rule.max) if rule.max >= D("0.1") else []
    if rule.allow_zero or rule.min == 0:
        options.append(D(0))
    points = draw(st.sampled_from(options))
    bare = points == 0 and rule.allow_zero and draw(st.booleans())     # "not triggered" needs no reason
    return points if bare else {"points": points, "reason": "理由"}


def _event(draw: Any, rule: Any) -> dict:
    etype = draw(st.sampled_from(rule.types))
    event: dict[str, Any] = {"type": etype.id}
    if draw(st.integers(0, 3)) == 0:
        event["count"] = 2
    if etype.per_person and draw(st.booleans()):
        event["persons"] = draw(st.integers(2, 3))
    if draw(st.booleans()):
        event["project"] = draw(st.sampled_from(["甲", "乙"]))
    if rule.modifiers and draw(st.booleans()):
        event["modifier"] = rule.modifiers[0].id
    if etype.max is not None:
        event["points"] = draw(st.sampled_from(_grid(etype.min or D(0), etype.max)))
        event["reason"] = "理由"
    return event


def candidates(rule: RuleBase) -> list[Any]:
    """Inputs worth trying for a rule of a numeric kind: the boundaries and around them."""
    if rule.kind == "banded":
        cuts = sorted({b for band in rule.bands for b in (band.from_, band.to) if b is not None})
        values = [D(0), D(100), *cuts, *(c - D("0.5") for c in cuts), *(c + D("0.1") for c in cuts)]
        return values + (["absent"] if rule.absent_points is not None else [])
    if rule.kind == "threshold":
        return [rule.value + d for d in (D(-1), D("-0.1"), D(0), D("0.1"), D(1))] + [D(0), D(100)]
    if rule.kind == "per_occurrence":
        return list(range((rule.required or 0) + 6))
    return []


def value_for(draw: Any, rule: RuleBase) -> Any:
    """A valid input for ``rule``, in one of the shapes a findings file may use."""
    kind = rule.kind
    if kind in ("fixed", "zero_if"):
        return draw(st.sampled_from([True, False, True, False, "是", "否"]))
    if kind == "veto":
        return draw(st.sampled_from([True, False, False, False, "情形属实", {"triggered": False}]))
    if kind in ("per_occurrence", "banded", "threshold"):
        value = draw(st.sampled_from(candidates(rule)))
        return int(value) if isinstance(value, D) and value == value.to_integral_value() and draw(st.booleans()) else value
    if kind == "range":
        if rule.repeat:
            return [_choice(draw, rule) for _ in range(draw(st.integers(0, 3)))]
        return _choice(draw, rule)
    if kind == "checklist":
        ids = [i.id for i in rule.items]
        missing = draw(st.lists(st.sampled_from(ids), unique=True))
        return missing if draw(st.booleans()) else {i: i not in missing for i in ids}
    if kind == "events":
        return [_event(draw, rule) for _ in range(draw(st.integers(0, 4)))]
    raise AssertionError(kind)


def fact_for(draw: Any, unit: str, rule: RuleBase | None) -> Any:
    if rule is not None and rule.kind != "zero_if" and rule.kind != "veto":
        if rule.kind == "banded" and rule.absent_points is not None and draw(st.integers(0, 5)) == 0:
            return None
        value = value_for(draw, rule)
        return value if not isinstance(value, dict) else [k for k, ok in value.items() if not ok]
    if unit == "bool":
        return draw(st.booleans())
    if unit == "count":
        return draw(st.integers(0, 4))
    if unit == "items":
        return []
    if unit == "percent":      # a percent is 0–100 (scoring.limits)
        return draw(st.sampled_from([0, 59, D("59.9"), 60, D("79.5"), 80, 99, 100]))
    return draw(st.sampled_from([0, 59, D("59.9"), 60, D("79.5"), 80, 99, 100, D("150.5"), 365, 366]))


def fact_names(rubric: Rubric) -> dict[str, str]:
    """Every fact a rubric reads (bound with ``fact:`` or named in an expression) → its unit."""
    units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
    names = {name: decl.unit for name, decl in rubric.facts.items()}
    texts = [rule.when for rule, _ in rubric.rules() if rule.when]
    texts += [level.when for scheme in rubric.ratings for level in scheme.levels if level.when]
    for rule, _ in rubric.rules():
        if rule.fact:
            names[rule.fact] = units[rule.fact]
    for text in texts:
        names.update({w: units[w] for w in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text) if w in units})
    return names


@st.composite
def findings_for(draw: Any, rubric: Rubric, *, fraud: bool = True) -> dict:
    """Valid findings for one branch: each rule given, left to its fact or expression, or left out."""
    inputs: dict[str, Any] = {}
    facts: dict[str, Any] = {}
    bound = {}
    for rule, _owner in rubric.rules():
        if not rule.enabled or rule.kind == "all_or_nothing":
            continue
        if rule.fact:
            bound[rule.fact] = rule
        how = draw(st.sampled_from(["input", "input", "input", "leave"]))
        if how == "input":
            inputs[rule.id] = value_for(draw, rule)
    for name, unit in fact_names(rubric).items():
        if draw(st.integers(0, 4)):
            rule = bound.get(name) if draw(st.integers(0, 3)) else None
            facts[name] = fact_for(draw, unit, rule)
    out: dict[str, Any] = {"inputs": inputs, "facts": facts}
    if fraud and rubric.fraud is not None and draw(st.integers(0, 2)) == 0:
        targets = [n.id for n, level in rubric.nodes() if level != "category"]
        out["fraud"] = [{"target": t, "reason": "材料造假"} for t in draw(st.lists(st.sampled_from(targets), max_size=2))]
    out["process"] = {flag: draw(st.booleans()) for flag in rubric.process_flags if draw(st.booleans())}
    return out
