"""Batch scoring: one rubric, N branches at once, exact, in fixed-point numpy arrays.

For city-wide what-ifs ("change a threshold, see the distribution move"): compile the rubric once,
hand over the findings as columns (one array per rule or fact, one entry per branch), and get every
branch's total, category, indicator and item scores, vetoes and rating levels back as arrays::

    plan = compile_rubric(load_rubric("zhenjiang-2018"))        # once per rubric (and parameters)
    result = score_batch(plan, columns_from_findings(plan, list_of_findings_dicts))
    result.totals()[:2], result.rating_ids()[:2]    # ([Decimal('99'), Decimal('87')], ['three', 'three'])
    result.scores("zj-sys-1"), result.vetoed        # one indicator for every branch; who is vetoed

Design
------
- **Exact.** Every amount of points, and every value a band or a threshold compares, is an int64
  holding ``amount × 10**scale``. ``scale`` covers every decimal place in the rubric (at least 3).
  A finding that does not fit the scale (72.0005 at scale 3) is refused, never rounded; so is one so
  large that a sum could overflow. Results become ``Decimal`` only when materialized.
- **Compiled once.** :func:`compile_rubric` walks the rubric once and keeps, for every enabled rule,
  its scaled constants and the numeric form of its input; scoring is then a fixed sequence of numpy
  operations per rule and per node (a few hundred for a 100-point rubric), none per branch.
- **Expressions once per distinct case.** A ``when:`` expression (on a rule, a veto or a rating level)
  is evaluated by the engine's own evaluator once for each distinct combination of the values it
  reads (a handful of yes/no facts and rates: tens or hundreds of cases for a whole city), and the
  answers are spread back over the branches with numpy.
- **The same numbers as** :func:`chuangxing.scoring.engine.score` (its docstring is the contract):
  deduction items start at their max, awards are capped at the max before deductions, indicators
  and items floor at 0, then the gates (``zero_if``, ``all_or_nothing``), then fraud (void and
  deduct ``factor`` × max or × claimed, never absorbed by a parent's floor); bonus and penalty
  adjustments with their caps; ``total_floor``; vetoes block the schemes they name; a level needs
  its minimum, its condition and its process flags. ``tests/scoring/test_batch.py`` checks this on
  random findings. Constraints between schemes (warnings) are not computed.
- **Not everything.** ``expression`` rules, ``per_category`` schemes and schemes whose value is an
  expression raise :class:`NotImplementedError` naming the rule or scheme at compile time: score
  those branch by branch (or leave the scheme out with ``schemes=``).

Columns
-------
:class:`Columns` holds ``n`` (the number of branches) and four mappings:

- ``inputs``: rule id → one value per branch, in the rule's numeric form:

  =============================  ===========================================================
  fixed, zero_if, veto           yes/no (bool)
  per_occurrence                 the count (with ``required:``, the number done)
  checklist                      the number of items missing
  banded, threshold              the value (test score, rate); banded may be absent
  range                          the chosen points (the sum of the choices with ``repeat``)
  events                         the points of the events that count (highest per project,
                                 modifiers applied), before the rule's own cap
  =============================  ===========================================================

- ``facts``: fact name → one value per branch. A rule bound to a fact (``fact:``) takes it where
  its input is not given, and a rule with ``when:`` computes its input from the facts where neither
  is given, as the engine does;
- ``fraud``: indicator or item id → bool per branch (flagged as 弄虚作假);
- ``process``: process flag → bool per branch (审核认定 ...).

A value is a numpy array (bool; integer for whole numbers; a masked array where masked means "not
given"), a :class:`Column` (exact decimals as scaled integers, with ``given`` and ``absent`` masks),
or a list with one entry per branch written as in a findings file (``"absent"``, ``[flag, sign]``,
``{points: 1, reason: …}``, event lists …) or :data:`NOT_GIVEN`. List entries go through the rule
kind's own parser, so they accept what the engine accepts, plus the numeric forms above (which carry
no reasons: whoever builds columns vouches for them). :func:`columns_from_findings` turns ordinary
findings dicts into columns, refusing what :func:`chuangxing.scoring.findings.parse_findings` refuses.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np

from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.schema import Level, Node, RatingScheme, Rubric
from chuangxing.scoring import expressions
from chuangxing.scoring.errors import FindingError, FindingsInvalid, InputError
from chuangxing.scoring.findings import _KEYS as FINDINGS_KEYS
from chuangxing.scoring.kinds import ABSENT, AllOrNothing, RuleBase, ZeroIf
from chuangxing.scoring.limits import MAX_COUNT, MAX_VALUE, PERCENT_UNITS
from chuangxing.scoring.points import ZERO, fmt

I64 = np.int64
MIN_SCALE = 3
MAX_SCALE = 12
_SHOWN = 5                         # branches named in one error message
_INPUT_FORMS = {"fixed": "bool", "zero_if": "bool", "veto": "bool", "per_occurrence": "count", "checklist": "count",
                "banded": "number", "threshold": "number", "range": "points", "events": "points"}
_CHILD_LEVEL = {"category": "indicator", "indicator": "item"}
_RATING_SYMBOLS = ("total", "subtotal", "category", "flag", "level", "rank", "stars")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class _Unseen:
    pass


_UNSEEN = _Unseen()


class _NotGiven:
    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Any = _NotGiven()
"""In a list column: this branch has no value (the rule falls back to its fact, then is unassessed)."""


class _Absent(Exception):
    pass


class _OffScale(Exception):
    pass


@dataclass(frozen=True)
class Column:
    """One value per branch: ``values / 10**places`` where ``given`` (default: every branch).

    ``absent`` marks branches whose value is absent (a banded rule's "absent": 未参加测试).
    """

    values: np.ndarray
    places: int = 0
    given: np.ndarray | None = None
    absent: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Columns:
    """The findings of ``n`` branches, column by column (see the module docstring)."""

    n: int
    inputs: dict[str, Any] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    fraud: dict[str, Any] = field(default_factory=dict)
    process: dict[str, Any] = field(default_factory=dict)
    resolved: bool = False      # inputs already hold the bound facts (columns_from_findings): skip them


# -- the compiled rubric ------------------------------------------------------------------------


@dataclass
class _Rule:
    rule: RuleBase
    form: str                       # bool, count, number, points ("" for all_or_nothing)
    sign: int                       # +1 award, -1 deduct
    full: int | None                # rule.max_points(), scaled (what "fully earned" means for a gate)
    c: dict[str, Any]               # the kind's constants, scaled
    symbols: tuple[str, ...] = ()   # the facts its ``when`` reads


@dataclass
class _Node:
    id: str
    level: str
    row: int
    max: int
    start: int
    floor: int | None
    double: int | None              # fraud: factor × max, scaled (basis "max")
    children: list[_Node] = field(default_factory=list)
    awards: list[_Rule] = field(default_factory=list)
    deductions: list[_Rule] = field(default_factory=list)
    gates: list[tuple[_Rule, tuple[str, ...]]] = field(default_factory=list)   # all_or_nothing: what it covers


@dataclass
class _Adjustment:
    id: str
    bonus: bool
    cap: int | None
    rules: list[_Rule]


@dataclass
class _Level:
    id: str
    stars: int | None
    min: int | None
    inclusive: bool
    requires: tuple[str, ...]
    when: str | None
    symbols: tuple[str, ...]


@dataclass
class _Scheme:
    id: str
    value: str | None               # None: the total; else a category id
    levels: list[_Level]

    @property
    def level_ids(self) -> list[str]:
        return [level.id for level in self.levels]


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _scaled(value: Decimal | int, scale: int) -> int:
    if type(value) is int:
        return value * 10 ** scale
    q = value.scaleb(scale)
    if q != q.to_integral_value():
        raise _OffScale
    return int(q)


def _words(text: str, known: Mapping[str, Any] | set[str]) -> tuple[str, ...]:
    return tuple(sorted({w for w in _WORD.findall(text) if w in known}))


class BatchPlan:
    """A rubric compiled for batch scoring: scaled constants, the node tree, the rating schemes."""

    def __init__(self, rubric: Rubric, *, scale: int | None = None, schemes: Sequence[str] | None = None):
        self.rubric = rubric
        needed = _rubric_places(rubric)
        self.scale = max(MIN_SCALE, needed) if scale is None else scale
        if self.scale < needed:
            raise ValueError(f"scale {self.scale} is too small for {rubric.id}: its numbers need {needed} decimal places")
        if self.scale > MAX_SCALE:
            raise ValueError(f"{rubric.id} needs {self.scale} decimal places; batch scoring supports {MAX_SCALE}")
        self.one = 10 ** self.scale
        self.fact_units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
        self.rules: dict[str, _Rule] = {}           # every enabled rule that reads an input
        self.rows: list[_Node] = []
        self.categories = [self._node(c, "category") for c in rubric.categories]
        self.adjustments = [_Adjustment(a.id, a.type == "bonus", self.s(a.cap),
                                        [self._rule(r) for r in a.rules if r.enabled]) for a in rubric.adjustments]
        self.vetoes = [self._rule(v) for v in rubric.vetoes if v.enabled]
        self.limit = (2 ** 62) // (len(self.rules) + len(self.rows) + 8)   # the most one column may bring
        self.schemes = [self._scheme(s) for s in rubric.ratings if schemes is None or s.id in schemes]
        self.total_floor = self.s(rubric.total_floor)
        self.rows_by_id = {row.id: row.row for row in self.rows}
        self.fraud_targets = {n.id for n, level in rubric.nodes() if level != "category"} if rubric.fraud else set()
        self.expression_facts = sorted({name for spec in self.rules.values() for name in spec.symbols}
                                       | {name for s in self.schemes for lv in s.levels for name in lv.symbols
                                          if name not in _RATING_SYMBOLS})

    def s(self, value: Decimal | None) -> int | None:
        """Points (or a compared value) → the scaled integer."""
        return None if value is None else _scaled(value, self.scale)

    def _node(self, node: Node, level: str) -> _Node:
        floor = node.floor if node.floor is not None else (ZERO if level != "category" else None)
        deduct_start = self.rubric.mode_of(node) == "deduct" and not node.children()
        policy = self.rubric.fraud
        double = self.s(policy.factor * node.max) if policy is not None and policy.basis == "max" else None
        spec = _Node(node.id, level, len(self.rows), self.s(node.max), self.s(node.max) if deduct_start else 0,
                     self.s(floor), double)
        self.rows.append(spec)                     # rows in document order: a node before its children
        spec.children = [self._node(child, _CHILD_LEVEL[level]) for child in node.children()]
        for rule in node.rules:
            if not rule.enabled:
                continue
            if isinstance(rule, AllOrNothing):
                covered = rule.covers or [r.id for r in node.rules if r.effect == "award" and r.kind not in (
                    "all_or_nothing", "zero_if")]
                disabled = {r.id for r in node.rules if not r.enabled}      # not parts to be earned (engine._unmet)
                spec.gates.append((_Rule(rule, "", 1, None, {}), tuple(c for c in covered if c not in disabled)))
            elif isinstance(rule, ZeroIf):
                spec.gates.append((self._rule(rule), ()))
            else:
                compiled = self._rule(rule)
                (spec.awards if compiled.sign > 0 else spec.deductions).append(compiled)
        return spec

    def _rule(self, rule: RuleBase) -> _Rule:
        form = _INPUT_FORMS.get(rule.kind)
        if form is None:
            raise NotImplementedError(f"批量计分不支持规则 {rule.id}（{rule.kind}），请逐支部计分 / "
                                      f"batch scoring does not support rule {rule.id} ({rule.kind}): use the per-branch engine")
        compiled = _Rule(rule, form, 1 if rule.effect == "award" else -1, self.s(rule.max_points()),
                         _CONSTANTS[rule.kind](self, rule), _words(rule.when, self.fact_units) if rule.when else ())
        self.rules[rule.id] = compiled
        return compiled

    def _scheme(self, scheme: RatingScheme) -> _Scheme:
        if scheme.kind != "levels" or not (scheme.value == "total" or scheme.value.startswith("category:")):
            raise NotImplementedError(f"批量计分不支持评定方案 {scheme.id}（{scheme.kind}，{scheme.value}），请逐支部计分 / "
                                      f"batch scoring does not support rating scheme {scheme.id}; pass schemes=[...] "
                                      "to leave it out, or use the per-branch engine")
        value = None if scheme.value == "total" else scheme.value.split(":", 1)[1]
        return _Scheme(scheme.id, value, [self._level(level) for level in scheme.levels])

    def _level(self, level: Level) -> _Level:
        known = set(self.fact_units) | set(_RATING_SYMBOLS)
        symbols = _words(level.when, known) if level.when else ()
        return _Level(level.id, level.stars, self.s(level.min), level.min_inclusive, tuple(level.requires), level.when,
                      symbols)


def compile_rubric(rubric: Rubric, *, scale: int | None = None, schemes: Sequence[str] | None = None) -> BatchPlan:
    """Compile ``rubric`` for :func:`score_batch` (NotImplementedError for what it cannot score)."""
    return BatchPlan(rubric, scale=scale, schemes=schemes)


def _rubric_places(rubric: Rubric) -> int:
    numbers: list[Decimal] = [rubric.max_total]
    if rubric.total_floor is not None:
        numbers.append(rubric.total_floor)
    for node, _ in rubric.nodes():
        numbers += [node.max] + ([node.floor] if node.floor is not None else [])
        if rubric.fraud is not None:
            numbers.append(rubric.fraud.factor * node.max)
    for rule, _ in rubric.rules():
        numbers += _rule_numbers(rule)
    numbers += [a.cap for a in rubric.adjustments if a.cap is not None]
    numbers += [lv.min for s in rubric.ratings for lv in s.levels if lv.min is not None]
    return max((_places(Decimal(x)) for x in numbers), default=0)


def _rule_numbers(rule: RuleBase) -> list[Decimal]:
    out = [v for v in (getattr(rule, name, None) for name in ("points", "max", "min", "value", "absent_points"))
           if isinstance(v, Decimal)]
    most = rule.max_points() if rule.kind in _INPUT_FORMS else None
    if most is not None:
        out.append(most)
    for band in getattr(rule, "bands", ()):
        out += [x for x in (band.from_, band.to, band.points) if x is not None]
    for etype in getattr(rule, "types", ()):   # events: each type's points, also under each modifier
        for x in (etype.points, etype.min, etype.max):
            if x is not None:
                out += [x] + [x * m.factor for m in rule.modifiers]
    return out


# -- each kind: its constants, its magnitude ---------------------------------------------------


def _c_fixed(plan: BatchPlan, rule: Any) -> dict:
    return {"points": plan.s(rule.points)}


def _c_per_occurrence(plan: BatchPlan, rule: Any) -> dict:
    c = {"points": plan.s(rule.points), "max": plan.s(rule.max), "required": rule.required}
    if rule.max is not None:   # occurrences beyond the cap change nothing: clip before multiplying
        c["most"] = -(-c["max"] // c["points"])
    return c


def _c_range(plan: BatchPlan, rule: Any) -> dict:
    return {"min": plan.s(rule.min), "max": plan.s(rule.max)}


def _c_banded(plan: BatchPlan, rule: Any) -> dict:
    bands = [(plan.s(b.from_), plan.s(b.to), plan.s(b.points)) for b in rule.bands if b.points]
    return {"bands": bands, "absent": plan.s(rule.absent_points)}


def _c_threshold(plan: BatchPlan, rule: Any) -> dict:
    return {"op": {"lt": np.less, "le": np.less_equal, "gt": np.greater, "ge": np.greater_equal}[rule.op],
            "value": plan.s(rule.value), "points": plan.s(rule.points)}


def _c_checklist(plan: BatchPlan, rule: Any) -> dict:
    return {"points": plan.s(rule.points), "max": plan.s(rule.max), "items": len(rule.items)}


def _c_events(plan: BatchPlan, rule: Any) -> dict:
    return {"max": plan.s(rule.max)}


def _c_none(plan: BatchPlan, rule: Any) -> dict:
    return {}


_CONSTANTS: dict[str, Callable[[BatchPlan, Any], dict]] = {
    "fixed": _c_fixed, "per_occurrence": _c_per_occurrence, "range": _c_range, "banded": _c_banded,
    "threshold": _c_threshold, "checklist": _c_checklist, "events": _c_events, "zero_if": _c_none, "veto": _c_none,
}


def _m_fixed(c: dict, v: np.ndarray, absent: np.ndarray | None) -> np.ndarray:
    return v * c["points"]


def _m_per_occurrence(c: dict, v: np.ndarray, absent: np.ndarray | None) -> np.ndarray:
    n = np.maximum(c["required"] - v, 0) if c["required"] is not None else v
    if c["max"] is None:
        return n * c["points"]
    return np.minimum(np.minimum(n, c["most"]) * c["points"], c["max"])


def _m_range(c: dict, v: np.ndarray, absent: np.ndarray | None) -> np.ndarray:
    return v


def _m_events(c: dict, v: np.ndarray, absent: np.ndarray | None) -> np.ndarray:
    return v if c["max"] is None else np.minimum(v, c["max"])


def _m_banded(c: dict, v: np.ndarray, absent: np.ndarray | None) -> np.ndarray:
    out = np.zeros(len(v), I64)
    for low, high, points in c["bands"]:
        inside = v >= low if low is not None else np.ones(len(v), bool)
        if high is not None:
            inside &= v < high
        out[inside] = points
    if absent is not None and c["absent"] is not None:
        out[absent] = c["absent"]
    return out


def _m_threshold(c: dict, v: np.ndarray, absent: np.ndarray | None) -> np.ndarray:
    return c["op"](v, c["value"]) * c["points"]


def _m_checklist(c: dict, v: np.ndarray, absent: np.ndarray | None) -> np.ndarray:
    raw = v * c["points"]
    return raw if c["max"] is None else np.minimum(raw, c["max"])


_MAGNITUDE: dict[str, Callable[[dict, np.ndarray, np.ndarray | None], np.ndarray]] = {
    "fixed": _m_fixed, "per_occurrence": _m_per_occurrence, "range": _m_range, "banded": _m_banded,
    "threshold": _m_threshold, "checklist": _m_checklist, "events": _m_events,
}


# -- one entry of a list column ----------------------------------------------------------------


def _converter(spec: _Rule | None, scale: int, strict: bool) -> Callable[[Any], int]:
    """The function that turns one list entry into the column's integer (InputError as the engine would).

    ``strict``: exactly what the engine accepts (findings dicts); else also the numeric forms.
    """
    if spec is None or spec.form == "bool":
        return _bool_converter(spec.rule if spec else None)
    rule = spec.rule
    if rule.kind == "per_occurrence":
        def count(x: Any) -> int:
            return x if type(x) is int and 0 <= x <= MAX_COUNT else rule.parse_input(x)
        return count
    if rule.kind == "checklist":
        def missing(x: Any) -> int:
            return x if not strict and type(x) is int else len(rule.parse_input(x))
        return missing
    if spec.form == "number":
        def number(x: Any) -> int:
            if type(x) is int:
                return x * 10 ** scale
            value = rule.parse_input(x)
            if value == ABSENT:
                raise _Absent
            return _scaled(value, scale)
        return number
    return _points_converter(rule, scale, strict)


def _bool_converter(rule: RuleBase | None) -> Callable[[Any], int]:
    def yes_no(x: Any) -> int:
        if x is True or x is False:
            return int(x)
        if rule is None:
            raise InputError("not_yes_no", f"应为 true 或 false，收到 {x!r}", f"must be a boolean, got {x!r}")
        return 1 if rule.parse_input(x) else 0
    return yes_no


def _points_converter(rule: Any, scale: int, strict: bool) -> Callable[[Any], int]:
    def points(x: Any) -> int:
        if not strict and (type(x) is int or isinstance(x, Decimal)):
            return _scaled(x, scale)
        parsed = rule.parse_input(x)
        if rule.kind == "range":
            return _scaled(sum((choice.points for choice in parsed), ZERO), scale)
        counted = rule._counted(parsed)
        return _scaled(sum((rule.event_points(e) for i, e in enumerate(parsed) if i in counted), ZERO), scale)
    return points


_SCALARS = frozenset((int, bool, str, type(None)))


def _key(x: Any) -> Any:
    """A cheap hashable key for a list entry (None: do not cache)."""
    if type(x) is list and not x:
        return ("l", ())
    try:
        return _freeze(x)
    except TypeError:
        return None


def _freeze(x: Any) -> Any:
    """A hashable key for a list entry (types kept apart: True is not 1), or TypeError."""
    if type(x) in _SCALARS:
        return (type(x), x)
    if type(x) is list or type(x) is tuple:
        return ("l", tuple(_freeze(v) for v in x))
    if type(x) is dict:
        return ("m", tuple(sorted((str(k), _freeze(v)) for k, v in x.items())))
    if isinstance(x, list | tuple):
        return ("l", tuple(_freeze(v) for v in x))
    if isinstance(x, Mapping):
        return ("m", tuple(sorted((str(k), _freeze(v)) for k, v in x.items())))
    hash(x)
    return (type(x).__name__, x)


_OK, _MISSING, _ABSENT_VALUE, _FAILED = 0, 1, 2, 3
_INT64_SAFE = 2 ** 62


def _convert_one(convert: Callable[[Any], int], x: Any) -> tuple[int, Any]:
    """(status, the integer or the problem) for one entry."""
    try:
        value = convert(x)
    except _Absent:
        return _ABSENT_VALUE, None
    except InputError as exc:
        return _FAILED, exc
    except (_OffScale, OverflowError):
        return _FAILED, InputError("off_scale", "小数位超过批量计分的精度或数值过大，请逐支部计分",
                                   "more decimal places than the batch scale, or too large")
    if not -_INT64_SAFE <= value <= _INT64_SAFE:           # never handed to numpy: it would overflow int64
        return _FAILED, InputError("too_large", "数值过大，无法计分", "value too large for the batch")
    return _OK, value


# -- columns → arrays --------------------------------------------------------------------------


@dataclass
class _Input:
    values: np.ndarray               # int64: 0/1, counts, or scaled numbers/points
    given: np.ndarray | None         # None: every branch
    absent: np.ndarray | None = None


@dataclass
class _Symbol:
    """One symbol of an expression in every branch: codes (equal value, equal code; -1: not given)."""

    name: str
    codes: np.ndarray
    card: int
    decode: Callable[[int], Any]     # branch index → the value the engine's context holds


def _codes(values: np.ndarray) -> tuple[np.ndarray, int]:
    unique, inverse = np.unique(values, return_inverse=True)
    return inverse.astype(I64).reshape(-1), len(unique)


def _combine(parts: Sequence[tuple[np.ndarray, int]], n: int) -> np.ndarray:
    key, stride = np.zeros(n, I64), 1
    for codes, card in parts:
        key += (codes + 1) * stride          # -1 (not given) is a value of its own
        stride *= card + 1
        if stride > 2 ** 31:
            key, stride = _codes(key)
    return key


def _per_distinct(symbols: Sequence[_Symbol], need: np.ndarray | None, n: int,
                  compute: Callable[[int, dict[str, Any]], Any]) -> tuple[np.ndarray, np.ndarray, list]:
    """``compute(branch, context)`` once per distinct combination of the symbols among the needed branches.

    Returns (the needed branches, the combination of each, the result of each combination).
    """
    key = _combine([(s.codes, s.card) for s in symbols], n)
    rows = np.arange(n) if need is None else np.flatnonzero(need)
    _, first, inverse = np.unique(key[rows], return_index=True, return_inverse=True)
    results = []
    for i in rows[first].tolist():
        context = {s.name: s.decode(i) for s in symbols if s.codes[i] >= 0}
        results.append(compute(i, context))
    return rows, inverse.reshape(-1), results


class _Reader:
    """Turns one column (an array, a :class:`Column` or a list) into an :class:`_Input`, collecting problems."""

    def __init__(self, plan: BatchPlan, n: int, index: np.ndarray | None = None):
        self.plan, self.n = plan, n
        self.index = index                   # the branch of each position, when the column is a sparse part
        self.errors: list[FindingError] = []

    def branch(self, i: int) -> int:
        return int(self.index[i]) if self.index is not None else i

    def error(self, code: str, zh: str, en: str, path: str, rule: str | None = None) -> None:
        self.errors.append(FindingError(code, zh, en, rule=rule, path=path))

    def branch_error(self, i: int, exc: InputError, path: str, rule: str | None) -> None:
        i = self.branch(i)
        self.error(exc.code, f"第 {i} 个支部 {path}：{exc.message_zh}", f"branch {i} {path}: {exc.message_en}",
                   f"branches[{i}].{path}", rule)

    def column(self, spec: _Rule | None, raw: Any, path: str, *, strict: bool = False) -> _Input | None:
        """``spec`` None: a yes/no column (fraud, process)."""
        if isinstance(raw, Column | np.ndarray):
            return self._from_column(spec, raw if isinstance(raw, Column) else _from_array(raw), path)
        if isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
            if len(raw) != self.n:
                self.error("wrong_length", f"{path} 有 {len(raw)} 个值，应为 {self.n} 个",
                           f"{path}: {len(raw)} values, expected {self.n}", path)
                return None
            found = _fast_list(spec, raw, self.plan)
            if found is None:
                found = self._from_list(spec, raw, path, strict=strict)
            return None if found is None else self._check(spec, found, path)
        self.error("not_a_column", f"{path} 应为数组或逐支部列出的清单", f"{path} must be an array or a list", path)
        return None

    def _from_column(self, spec: _Rule | None, column: Column, path: str) -> _Input | None:
        form = spec.form if spec else "bool"
        if len(column.values) != self.n:
            self.error("wrong_length", f"{path} 有 {len(column.values)} 个值，应为 {self.n} 个",
                       f"{path}: {len(column.values)} values, expected {self.n}", path)
            return None
        kind = column.values.dtype.kind
        if kind not in "biu" or (kind == "b" and form != "bool"):
            self.error("not_exact", f"{path} 应为整数、是/否或 Column（定点）；不接受浮点数", f"{path}: must be integers, "
                       "booleans or a Column; floating point is refused", path)
            return None
        given = None if column.given is None else np.asarray(column.given, bool)
        target = self.plan.scale if form in ("number", "points") else 0
        values = self._rescale(column.values.astype(I64), column.places, target, given, path)
        if values is None:
            return None
        absent = None if column.absent is None else np.asarray(column.absent, bool)
        if absent is not None and given is not None:
            absent = absent & given
        return self._check(spec, _Input(values, given, absent if absent is not None and absent.any() else None), path)

    def _rescale(self, values: np.ndarray, places: int, target: int, given: np.ndarray | None,
                 path: str) -> np.ndarray | None:
        if places == target:
            return values
        if places < target:
            factor = 10 ** (target - places)
            if np.abs(values).max(initial=0) > self.plan.limit // factor:
                self.error("too_large", f"{path} 的数值过大", f"{path}: values too large", path)
                return None
            return values * factor
        factor = 10 ** (places - target)
        off = values % factor != 0
        if given is not None:
            off &= given
        if off.any():
            shown = ", ".join(str(i) for i in np.flatnonzero(off)[:_SHOWN])
            self.error("off_scale", f"{path}（第 {shown} 个支部）的小数位超过批量计分的精度（{target} 位）；请逐支部计分",
                       f"{path}: branches {shown}: more decimal places than the batch scale {target}", path)
            return None
        return values // factor

    def _from_list(self, spec: _Rule | None, raw: Sequence, path: str, *, strict: bool) -> _Input | None:
        """Entry by entry with the rule kind's parser; equal entries are parsed once."""
        convert = _converter(spec, self.plan.scale, strict)
        out, given, absent = [0] * self.n, np.ones(self.n, bool), np.zeros(self.n, bool)
        seen: dict[Any, tuple[int, Any]] = {}
        failed = 0
        for i, x in enumerate(raw):
            if x is NOT_GIVEN:
                given[i] = False
                continue
            key = _key(x)
            status, value = found = seen.get(key) or _convert_one(convert, x)
            if status == _OK:
                out[i] = value
            elif status == _ABSENT_VALUE:
                absent[i] = True
            else:
                failed += 1
                if failed <= _SHOWN:
                    self.branch_error(i, value, path, spec.rule.id if spec else None)
                continue
            if key is not None:
                seen[key] = found
        if failed:
            return None
        return _Input(np.array(out, I64), None if given.all() else given, absent if absent.any() else None)

    def _check(self, spec: _Rule | None, found: _Input, path: str) -> _Input | None:
        """Vectorized checks of what only a column can get wrong: negative counts, out of range, overflow."""
        if spec is None:
            bad, code, why = (found.values < 0) | (found.values > 1), "not_yes_no", "应为 是/否"
        else:
            bad, code, why = _BOUNDS[spec.form](self.plan, spec, found.values)
        if found.absent is not None:
            bad &= ~found.absent
            if spec is None or spec.rule.kind != "banded" or spec.c["absent"] is None:
                bad, code, why = found.absent, "absent_not_allowed", "本规则没有规定缺少数值时的分值"
        if found.given is not None:
            bad &= found.given
        if not bad.any():
            return found
        shown = ", ".join(str(self.branch(i)) for i in np.flatnonzero(bad)[:_SHOWN])
        self.error(code, f"{path}（第 {shown} 个支部）：{why}", f"{path}: branches {shown}: {code}", path,
                   spec.rule.id if spec else None)
        return None


def _fast_list(spec: _Rule | None, raw: Sequence, plan: BatchPlan) -> _Input | None:
    """Lists of plain booleans or whole numbers, converted by numpy at once (None: go entry by entry)."""
    types = set(map(type, raw))
    form = spec.form if spec else "bool"
    if form == "number" and types <= {int, Decimal} and raw:
        column = _plain_list(raw, plan.scale)             # the engine reads these as Decimal(value) too
        if column is not None and np.abs(column.values).max() <= plan.limit:
            return _Input(column.values, None)
    plain = bool if form == "bool" else int
    if not types <= {plain, _NotGiven} or (form == "count" and spec.rule.kind != "per_occurrence") or form == "points":
        return None
    given = None
    if _NotGiven in types:
        given = np.array([x is not NOT_GIVEN for x in raw], bool)
        raw = [0 if x is NOT_GIVEN else x for x in raw]
    try:
        values = np.array(raw, I64)
    except OverflowError:
        return None
    if form == "number":
        if np.abs(values).max(initial=0) > plan.limit // plan.one:
            return None
        values *= plan.one
    return _Input(values, given)


def _from_array(array: np.ndarray) -> Column:
    if isinstance(array, np.ma.MaskedArray):
        mask = np.ma.getmaskarray(array)
        return Column(np.asarray(array.filled(0)), given=~mask if mask.any() else None)
    return Column(np.asarray(array))


def _bounds_bool(plan: BatchPlan, spec: _Rule, v: np.ndarray) -> tuple[np.ndarray, str, str]:
    return (v < 0) | (v > 1), "not_yes_no", "应为 是/否"


def _bounds_count(plan: BatchPlan, spec: _Rule, v: np.ndarray) -> tuple[np.ndarray, str, str]:
    c = spec.c
    if (v < 0).any():
        return v < 0, "negative_count", "次数不能为负数"
    if spec.rule.kind == "checklist":
        return v > c["items"], "out_of_range", f"清单只有 {c['items']} 项"
    if (v > MAX_COUNT).any():
        return v > MAX_COUNT, "too_large", f"次数过大（最多 {MAX_COUNT:,}）"
    if c["max"] is None and c["required"] is None:
        return v > plan.limit // c["points"], "too_large", "次数过大"
    return np.zeros(len(v), bool), "", ""


def _bounds_number(plan: BatchPlan, spec: _Rule, v: np.ndarray) -> tuple[np.ndarray, str, str]:
    """The engine's bounds (:mod:`chuangxing.scoring.limits`): a percent within 0–100, any value within ``MAX_VALUE``."""
    if getattr(spec.rule, "unit", "") in PERCENT_UNITS:
        return (v < 0) | (v > 100 * plan.one), "out_of_range", "数值应在 0–100（%）之间"
    return np.abs(v) > min(plan.limit, int(MAX_VALUE) * plan.one), "too_large", "数值过大"


def _bounds_points(plan: BatchPlan, spec: _Rule, v: np.ndarray) -> tuple[np.ndarray, str, str]:
    rule, c = spec.rule, spec.c
    if rule.kind == "range" and not rule.repeat:
        inside = (v >= c["min"]) & (v <= c["max"])
        if rule.allow_zero:
            inside |= v == 0
        return ~inside, "out_of_range", f"分值应在 {fmt(rule.min)}–{fmt(rule.max)} 分之间"
    return (v < 0) | (v > plan.limit), "out_of_range", "分值应为非负数"


_BOUNDS = {"bool": _bounds_bool, "count": _bounds_count, "number": _bounds_number, "points": _bounds_points}


class _Prepared(_Reader):
    """The columns as scaled int64 arrays, one per enabled rule that has any value."""

    def __init__(self, plan: BatchPlan, columns: Columns):
        super().__init__(plan, columns.n)
        self.columns = columns
        self.inputs: dict[str, _Input] = {}
        self._facts: dict[str, _Symbol | None] = {}
        self._check_names(columns)
        for rule_id, spec in plan.rules.items():
            prepared = self._resolve(spec, columns)
            if prepared is not None:
                self.inputs[rule_id] = prepared
        self.fraud = {target: self._flags(values, f"fraud.{target}") for target, values in columns.fraud.items()}
        self.process = {flag: self._flags(values, f"process.{flag}") for flag, values in columns.process.items()}
        self.raise_errors()

    def raise_errors(self) -> None:
        if self.errors:
            raise FindingsInvalid(self.errors)

    def _check_names(self, columns: Columns) -> None:
        rubric = self.plan.rubric
        for rule_id in columns.inputs:
            rule = rubric.rule(rule_id)
            if rule is None or not rule.enabled or rule_id not in self.plan.rules:
                code = "unknown_rule" if rule is None else ("rule_disabled" if not rule.enabled else "no_input")
                self.error(code, f"规则 {rule_id} 不能填写（{code}）", f"rule {rule_id}: {code}", f"inputs.{rule_id}", rule_id)
        for name in columns.facts:
            if name not in self.plan.fact_units:
                self.error("unknown_fact", f"未知的事实 {name}", f"unknown fact {name}", f"facts.{name}")
        for target in columns.fraud:
            if target not in self.plan.fraud_targets:
                code = "no_fraud_policy" if rubric.fraud is None else "unknown_target"
                self.error(code, f"弄虚作假所涉项目 {target} 不能计分（{code}）", f"fraud target {target}: {code}",
                           f"fraud.{target}")
        for flag in columns.process:
            if flag not in rubric.process_flags:
                self.error("unknown_process_flag", f"本标准没有程序环节 {flag}", f"unknown process flag {flag}",
                           f"process.{flag}")

    def _flags(self, values: Any, path: str) -> np.ndarray:
        found = self.column(None, values, path)
        if found is None:
            return np.zeros(self.n, bool)
        flags = found.values != 0
        return flags if found.given is None else flags & found.given

    def _resolve(self, spec: _Rule, columns: Columns) -> _Input | None:
        """The rule's own column where given, else its fact's, else its ``when`` (the engine's order)."""
        rule = spec.rule
        found = None
        if rule.id in columns.inputs:
            found = self.column(spec, columns.inputs[rule.id], f"inputs.{rule.id}")
        if rule.fact and rule.fact in columns.facts and not columns.resolved and (found is None or found.given is not None):
            found = _fill(found, self.column(spec, columns.facts[rule.fact], f"facts.{rule.fact}"))
        if rule.when and (found is None or found.given is not None):
            found = _fill(found, self._when(spec, None if found is None else ~found.given))
        return found

    # -- expressions ---------------------------------------------------------------------------
    def fact(self, name: str) -> _Symbol | None:
        """The fact as an expression symbol (None when no column gives it)."""
        if name not in self._facts:
            raw = self.columns.facts.get(name)
            self._facts[name] = None if raw is None else _fact_symbol(name, raw, self.n, self)
        return self._facts[name]

    def _when(self, spec: _Rule, need: np.ndarray | None) -> _Input | None:
        rule = spec.rule
        symbols = [s for s in (self.fact(name) for name in spec.symbols) if s is not None]
        convert = _converter(spec, self.plan.scale, True)
        path = f"rules.{rule.id}.when"

        def compute(i: int, context: dict[str, Any]) -> tuple[int, Any]:
            try:
                raw = expressions.evaluate(rule.when, context)
            except expressions.MissingSymbol:
                return _MISSING, None
            except expressions.ExpressionError as exc:
                return _FAILED, InputError("expression_failed", exc.message_zh, str(exc))
            return _convert_one(convert, raw)

        rows, inverse, results = _per_distinct(symbols, need, self.n, compute)
        status = np.array([s for s, _ in results], np.int8)
        values = np.array([v if s == _OK else 0 for s, v in results], I64)
        for j, (s, problem) in enumerate(results):
            if s == _FAILED:
                self.branch_error(int(rows[np.flatnonzero(inverse == j)[0]]), problem, path, rule.id)
        full = np.zeros(self.n, I64)
        full[rows] = values[inverse]
        given = np.zeros(self.n, bool)
        given[rows] = np.isin(status, (_OK, _ABSENT_VALUE))[inverse]
        absent = np.zeros(self.n, bool)
        absent[rows] = (status == _ABSENT_VALUE)[inverse]
        return self._check(spec, _Input(full, given, absent if absent.any() else None), path)


def _fill(found: _Input | None, other: _Input | None) -> _Input | None:
    """``found`` where it is given, else ``other``."""
    if found is None or other is None:
        return found or other
    if found.given is None:
        return found
    pick = found.given
    given = None if other.given is None else pick | other.given
    absent = None
    if found.absent is not None or other.absent is not None:
        a = found.absent if found.absent is not None else np.zeros(len(pick), bool)
        b = other.absent if other.absent is not None else np.zeros(len(pick), bool)
        absent = np.where(pick, a, b)
    return _Input(np.where(pick, found.values, other.values), given, absent)


def _fact_symbol(name: str, raw: Any, n: int, reader: _Reader) -> _Symbol | None:
    """A fact column as an expression symbol: numpy codes, and the engine's value for one branch."""
    if isinstance(raw, Sequence) and not isinstance(raw, str | bytes | np.ndarray):
        column = _plain_list(raw, reader.plan.scale)
        if column is None:
            return _object_symbol(name, raw)
        raw = column
    column = raw if isinstance(raw, Column) else _from_array(np.asarray(raw))
    if len(column.values) != n or column.values.dtype.kind not in "biu":
        reader.error("not_exact", f"事实 {name} 的列应有 {n} 个整数、是/否或定点数", f"fact {name}: bad column", f"facts.{name}")
        return None
    values = column.values
    codes, card = _codes(values)
    if column.given is not None:
        codes = np.where(column.given, codes, -1)
    if values.dtype.kind == "b":
        return _Symbol(name, codes, card, lambda i: bool(values[i]))
    one = Decimal(10 ** column.places)
    return _Symbol(name, codes, card, lambda i: Decimal(int(values[i])) / one)


def _plain_list(raw: Sequence, scale: int) -> Column | None:
    """A list of only booleans, or only numbers (int, Decimal), as a Column; None for anything else.

    A number becomes Decimal again for the expression, as the engine's own context makes it.
    """
    types = set(map(type, raw)) - {_NotGiven}
    given = np.array([x is not NOT_GIVEN for x in raw], bool) if _NotGiven in types or not raw else None
    if types == {bool}:
        return Column(np.array([x is True for x in raw], bool), given=given)
    if not types <= {int, Decimal}:
        return None
    scaled: dict[Any, int] = {}
    out = [0] * len(raw)
    try:
        for i, x in enumerate(raw):
            if x is not NOT_GIVEN:
                value = scaled.get(x)
                out[i] = value if value is not None else scaled.setdefault(x, _scaled(x, scale))
        values = np.array(out, I64)
    except (_OffScale, OverflowError, TypeError):
        return None
    return Column(values, scale, given)


def _object_symbol(name: str, raw: Sequence) -> _Symbol:
    index: dict[Any, int] = {}
    codes = np.empty(len(raw), I64)
    for i, x in enumerate(raw):
        codes[i] = -1 if x is NOT_GIVEN else index.setdefault(_freeze(x), len(index))
    return _Symbol(name, codes, len(index), lambda i: raw[i])


# -- scoring -----------------------------------------------------------------------------------


@dataclass
class BatchResult:
    """Every branch's scores as scaled int64 arrays (``value / 10**scale``); Decimals on demand."""

    rubric: str
    n: int
    scale: int
    node_ids: list[str]
    node_levels: list[str]
    nodes: np.ndarray                       # (nodes, n): each category, then its indicators and their items
    subtotal: np.ndarray
    total: np.ndarray
    bonus: np.ndarray
    penalty: np.ndarray
    adjustments: dict[str, np.ndarray]      # adjustment id → its points after the cap (positive)
    vetoes: dict[str, np.ndarray]           # veto id → hit
    vetoed: np.ndarray                      # any veto hit
    level_ids: dict[str, list[str]]         # scheme id → its level ids, lowest first
    levels: dict[str, np.ndarray]           # scheme id → index of the level given; -1: blocked by a veto
    eligible: dict[str, np.ndarray]         # scheme id → index of the level the score alone reaches
    unassessed: dict[str, np.ndarray]       # rule id → branches where it had neither a value nor a fact

    @property
    def main_scheme(self) -> str | None:
        return next(iter(self.levels), None)

    def decimals(self, array: np.ndarray) -> list[Decimal]:
        one = Decimal(10 ** self.scale)
        return [Decimal(v) / one for v in array.tolist()]

    def node(self, node_id: str) -> np.ndarray:
        return self.nodes[self.node_ids.index(node_id)]

    def scores(self, node_id: str) -> list[Decimal]:
        return self.decimals(self.node(node_id))

    def totals(self) -> list[Decimal]:
        return self.decimals(self.total)

    def rating_ids(self, scheme_id: str | None = None) -> list[str]:
        """Each branch's level id under the scheme (the main one by default); "blocked" when vetoed."""
        ids = [*self.level_ids[scheme_id or self.main_scheme], "blocked"]     # index -1 → "blocked"
        return [ids[i] for i in self.levels[scheme_id or self.main_scheme].tolist()]

    def branch(self, i: int) -> dict[str, Any]:
        """One branch, materialized: total, every node's score, adjustments, vetoes, ratings, unassessed."""
        one = Decimal(10 ** self.scale)
        return {
            "total": Decimal(int(self.total[i])) / one,
            "subtotal": Decimal(int(self.subtotal[i])) / one,
            "bonus": Decimal(int(self.bonus[i])) / one,
            "penalty": Decimal(int(self.penalty[i])) / one,
            "nodes": {node_id: Decimal(int(self.nodes[r, i])) / one for r, node_id in enumerate(self.node_ids)},
            "vetoes": [veto_id for veto_id, hit in self.vetoes.items() if hit[i]],
            "ratings": {s: (self.level_ids[s][lv] if lv >= 0 else "blocked")
                        for s, lv in ((s, int(a[i])) for s, a in self.levels.items())},
            "unassessed": sorted(rule_id for rule_id, mask in self.unassessed.items() if mask[i]),
        }


def score_batch(plan: BatchPlan | Rubric, columns: Columns) -> BatchResult:
    """Score ``columns.n`` branches at once; FindingsInvalid (every problem) for columns that do not fit."""
    if not isinstance(plan, BatchPlan):
        plan = compile_rubric(plan)
    prepared = _Prepared(plan, columns)
    result = _BatchRun(plan, prepared).result()
    prepared.raise_errors()
    return result


class _BatchRun:
    def __init__(self, plan: BatchPlan, prepared: _Prepared):
        self.plan, self.prepared, self.n = plan, prepared, prepared.n
        self.inputs, self.fraud, self.process = prepared.inputs, prepared.fraud, prepared.process
        self.nodes = np.empty((len(plan.rows), self.n), I64)
        self.signed: dict[str, tuple[np.ndarray | None, np.ndarray]] = {}
        self.unassessed: dict[str, np.ndarray] = {}
        self.zero = np.zeros(self.n, I64)

    def magnitude(self, spec: _Rule) -> np.ndarray:
        """What the rule moves (≥ 0) in each branch; 0 where it is unassessed."""
        found = self.inputs.get(spec.rule.id)
        if found is None:
            self.unassessed[spec.rule.id] = np.ones(self.n, bool)
            self.signed[spec.rule.id] = (np.zeros(self.n, bool), self.zero)
            return self.zero
        mag = _MAGNITUDE[spec.rule.kind](spec.c, found.values, found.absent)
        if found.given is not None:
            mag = np.where(found.given, mag, 0)
            self.unassessed[spec.rule.id] = ~found.given
        self.signed[spec.rule.id] = (found.given, mag if spec.sign > 0 else -mag)
        return mag

    def result(self) -> BatchResult:
        plan = self.plan
        subtotal = self.zero.copy()
        for category in plan.categories:
            subtotal += self.node(category)[0]
        adjustments, bonus, penalty = {}, self.zero.copy(), self.zero.copy()
        for adjustment in plan.adjustments:
            signed = self.zero.copy()
            for spec in adjustment.rules:
                signed += spec.sign * self.magnitude(spec)
            points = np.abs(signed)
            if adjustment.cap is not None:
                np.minimum(points, adjustment.cap, out=points)
            adjustments[adjustment.id] = points
            if adjustment.bonus:
                bonus += points
            else:
                penalty += points
        total = subtotal + bonus - penalty
        if plan.total_floor is not None:
            np.maximum(total, plan.total_floor, out=total)
        vetoes = {spec.rule.id: self.hit(spec) for spec in plan.vetoes}
        vetoed = np.zeros(self.n, bool)
        for hit in vetoes.values():
            vetoed |= hit
        rating = _Rating(self, total, subtotal, vetoes)
        levels, eligible = {}, {}
        for scheme in plan.schemes:
            levels[scheme.id], eligible[scheme.id] = rating.rate(scheme)
        return BatchResult(plan.rubric.id, self.n, plan.scale, [r.id for r in plan.rows], [r.level for r in plan.rows],
                           self.nodes, subtotal, total, bonus, penalty, adjustments, vetoes, vetoed,
                           {s.id: s.level_ids for s in plan.schemes}, levels, eligible, self.unassessed)

    def node(self, spec: _Node) -> tuple[np.ndarray, np.ndarray]:
        """(score, fraud double deductions inside it) of one node in every branch."""
        fraud = self.zero.copy()
        running = np.full(self.n, spec.start, I64)
        for child in spec.children:
            score, child_fraud = self.node(child)
            running += score - child_fraud
            fraud += child_fraud
        for rule in spec.awards:
            running += self.magnitude(rule)
        np.minimum(running, spec.max, out=running)
        for rule in spec.deductions:
            running -= self.magnitude(rule)
        if spec.floor is not None:
            np.maximum(running, spec.floor, out=running)
        for gate, covered in spec.gates:
            running = self.gate(gate, covered, running)
        score = running + fraud
        flagged = self.fraud.get(spec.id)
        if flagged is not None and flagged.any():
            own = np.where(flagged, -self.double(spec, running), 0)
            score = np.where(flagged, fraud + own, score)
            fraud = fraud + own
        self.nodes[spec.row] = score
        return score, fraud

    def gate(self, gate: _Rule, covered: tuple[str, ...], running: np.ndarray) -> np.ndarray:
        active = running > 0                  # the engine stops at the first gate that finds 0
        if isinstance(gate.rule, AllOrNothing):
            unmet = np.zeros(self.n, bool)
            for rule_id in covered:
                unmet |= self.unmet(rule_id)
            return np.where(active & unmet, 0, running)
        found = self.inputs.get(gate.rule.id)
        if found is None:
            self.unassessed[gate.rule.id] = active
            return running
        holds = found.values != 0
        if found.given is not None:
            holds &= found.given
            self.unassessed[gate.rule.id] = active & ~found.given
        return np.where(active & holds, 0, running)

    def unmet(self, rule_id: str) -> np.ndarray:
        """Where a rule an all_or_nothing gate covers is not fully earned (or not assessed)."""
        if rule_id not in self.signed:             # disabled, a gate, or not in this item: never earned
            return np.ones(self.n, bool)
        given, got = self.signed[rule_id]
        unmet = got <= 0
        full = self.plan.rules[rule_id].full
        if full is not None:
            unmet |= got < full
        if given is not None:
            unmet |= ~given
        return unmet

    def double(self, spec: _Node, claimed: np.ndarray) -> np.ndarray:
        """The fraud deduction: ``factor`` × the node's max, or × the points it claimed."""
        if spec.double is not None:
            return np.full(self.n, spec.double, I64)
        factor = self.plan.rubric.fraud.factor
        places = _places(factor)
        numerator, denominator = int(factor.scaleb(places)), 10 ** places
        product = claimed * numerator
        if (product % denominator != 0).any():
            raise ValueError(f"fraud factor {factor} × claimed points does not fit the batch scale {self.plan.scale}")
        return product // denominator

    def hit(self, spec: _Rule) -> np.ndarray:
        found = self.inputs.get(spec.rule.id)
        if found is None:
            self.unassessed[spec.rule.id] = np.ones(self.n, bool)
            return np.zeros(self.n, bool)
        hit = found.values != 0
        if found.given is not None:
            hit &= found.given
            self.unassessed[spec.rule.id] = ~found.given
        return hit


class _Rating:
    """The rating schemes, in order (a level's condition may read the schemes before it)."""

    def __init__(self, run: _BatchRun, total: np.ndarray, subtotal: np.ndarray, vetoes: dict[str, np.ndarray]):
        self.run, self.plan, self.n = run, run.plan, run.n
        self.total, self.subtotal, self.vetoes = total, subtotal, vetoes
        self.given: dict[str, tuple[_Scheme, np.ndarray]] = {}
        self.symbols: dict[str, _Symbol] = {}

    def rate(self, scheme: _Scheme) -> tuple[np.ndarray, np.ndarray]:
        value = self.total if scheme.value is None else self.run.nodes[self.plan.rows_by_id[scheme.value]]
        given = np.zeros(self.n, np.int32)
        eligible = np.zeros(self.n, np.int32)
        no = np.zeros(self.n, bool)
        for index, level in enumerate(scheme.levels):
            reached = np.ones(self.n, bool)
            if level.min is not None:
                reached = value >= level.min if level.inclusive else value > level.min
            if level.when:
                reached = reached & self.condition(level, reached)
            eligible[reached] = index
            for flag in level.requires:
                reached = reached & self.run.process.get(flag, no)
            given[reached] = index
        blocked = np.zeros(self.n, bool)
        for veto in self.plan.vetoes:
            if not veto.rule.blocks or scheme.id in veto.rule.blocks:
                blocked |= self.vetoes[veto.rule.id]
        given[blocked] = -1
        self.given[scheme.id] = (scheme, given)
        self.symbols = {}
        return given, eligible

    def condition(self, level: _Level, need: np.ndarray) -> np.ndarray:
        symbols = [s for s in (self.symbol(name) for name in level.symbols) if s is not None]

        def compute(i: int, context: dict[str, Any]) -> bool:
            try:
                return expressions.evaluate_bool(level.when, context)
            except expressions.MissingSymbol:
                return False

        rows, inverse, results = _per_distinct(symbols, need, self.n, compute)
        holds = np.zeros(self.n, bool)
        holds[rows] = np.array(results, bool)[inverse]
        return holds

    def symbol(self, name: str) -> _Symbol | None:
        if name not in _RATING_SYMBOLS:
            return self.run.prepared.fact(name)
        if name not in self.symbols:
            self.symbols[name] = self._rating_symbol(name)
        return self.symbols[name]

    def _rating_symbol(self, name: str) -> _Symbol:
        one = Decimal(self.plan.one)
        if name in ("total", "subtotal"):
            values = self.total if name == "total" else self.subtotal
            return _Symbol(name, *_codes(values), lambda i: Decimal(int(values[i])) / one)
        if name == "category":
            rows = {c.id: self.run.nodes[c.row] for c in self.plan.categories}
            parts = [_codes(v) for v in rows.values()]
            return _Symbol(name, _combine(parts, self.n), 2 ** 31,
                           lambda i: {cid: Decimal(int(v[i])) / one for cid, v in rows.items()})
        if name == "flag":
            no = np.zeros(self.n, bool)
            flags = {f: self.run.process.get(f, no) for f in self.plan.rubric.process_flags}
            return _Symbol(name, _combine([(f.astype(I64), 2) for f in flags.values()], self.n), 2 ** 31,
                           lambda i: {f: bool(v[i]) for f, v in flags.items()})
        done = dict(self.given)
        key = _combine([(g.astype(I64) + 1, len(s.levels) + 1) for s, g in done.values()], self.n)

        def decode(i: int) -> dict[str, Any]:
            out = {}
            for sid, (s, g) in done.items():
                index = int(g[i])
                level = s.levels[index] if index >= 0 else None
                out[sid] = {"level": level.id if level else "blocked", "rank": Decimal(index),
                            "stars": Decimal((level.stars if level else None) or 0)}[name]
            return out

        return _Symbol(name, key, 2 ** 31, decode)


# -- findings dicts → columns ------------------------------------------------------------------


def columns_from_findings(plan: BatchPlan | Rubric, findings: Sequence[Mapping[str, Any]]) -> Columns:
    """Ordinary findings dicts (one per branch, as ``findings.py`` describes) → :class:`Columns`.

    Refuses (FindingsInvalid, every problem with ``branches[i]`` in its path) what ``parse_findings``
    refuses; each rule's input is resolved as the engine does (the finding, else the bound fact, which
    is only read where the finding is missing; the facts a ``when`` reads are passed on for
    :func:`score_batch` to evaluate).
    """
    if not isinstance(plan, BatchPlan):
        plan = compile_rubric(plan)
    n = len(findings)
    gather = _Gatherer(plan, n)
    for i, data in enumerate(findings):
        gather.branch(i, data)
    errors = gather.errors                    # every problem at once, as parse_findings does
    columns = Columns(n, fraud=gather.fraud, process=gather.process, resolved=True)
    for name in plan.expression_facts:
        if name in gather.facts:
            columns.facts[name] = _scatter_fact(gather.facts[name], n, plan.scale)
    for rule_id, spec in plan.rules.items():
        own = gather.inputs.get(rule_id)
        fact = gather.facts.get(spec.rule.fact) if spec.rule.fact else None
        parts = [(own, f"inputs.{rule_id}")] if own else []
        if fact:
            parts.insert(0, (_not_in(fact, own), f"facts.{spec.rule.fact}"))
        found = None
        for (index, values), path in parts:
            reader = _Reader(plan, len(values), np.array(index, np.intp))
            part = reader.column(spec, values, path, strict=True)
            errors += reader.errors
            found = _fill(_scatter(part, reader.index, n), found) if part is not None else found
        if found is not None:
            places = plan.scale if spec.form in ("number", "points") else 0
            columns.inputs[rule_id] = Column(found.values, places, found.given, found.absent)
    if errors:
        raise FindingsInvalid(errors)
    return columns


def _not_in(fact: tuple[list, list], own: tuple[list, list] | None) -> tuple[list, list]:
    """The fact's values for the branches that gave no finding of their own."""
    if not own:
        return fact
    taken = set(own[0])
    keep = [k for k, i in enumerate(fact[0]) if i not in taken]
    return [fact[0][k] for k in keep], [fact[1][k] for k in keep]


def _scatter(part: _Input, index: np.ndarray, n: int) -> _Input:
    """A column over some branches → over all ``n`` (the others not given)."""
    values, given = np.zeros(n, I64), np.zeros(n, bool)
    values[index] = part.values
    given[index] = True if part.given is None else part.given
    absent = None
    if part.absent is not None:
        absent = np.zeros(n, bool)
        absent[index] = part.absent
    return _Input(values, None if given.all() else given, absent)


def _scatter_fact(pairs: tuple[list, list], n: int, scale: int) -> Any:
    """A fact an expression reads: a Column when its values are plain, else a list with NOT_GIVEN."""
    index, values = pairs
    column = _plain_list(values, scale)
    if column is None:
        out = [NOT_GIVEN] * n
        for i, value in zip(index, values, strict=True):
            out[i] = value
        return out
    full, given = np.zeros(n, column.values.dtype), np.zeros(n, bool)
    full[index] = column.values
    given[index] = True
    return Column(full, column.places, None if given.all() else given)


class _Gatherer:
    """One pass over the findings: every value put in its rule's (or fact's) list, problems collected."""

    def __init__(self, plan: BatchPlan, n: int):
        self.plan, self.n = plan, n
        self.rubric = plan.rubric
        self.errors: list[FindingError] = []
        self.inputs: dict[str, tuple[list, list]] = {}      # rule id → (branches, values)
        self.facts: dict[str, tuple[list, list]] = {}
        self.wanted = {spec.rule.fact for spec in plan.rules.values() if spec.rule.fact} | set(plan.expression_facts)
        self.fraud: dict[str, np.ndarray] = {}
        self.process: dict[str, np.ndarray] = {}
        self.routes: dict[str, dict[Any, Any]] = {"inputs": {}, "facts": {}}

    def error(self, i: int, code: str, zh: str, en: str, path: str, rule: str | None = None) -> None:
        self.errors.append(FindingError(code, f"第 {i} 个支部：{zh}", f"branch {i}: {en}", rule=rule,
                                        path=f"branches[{i}].{path}" if path else f"branches[{i}]"))

    def branch(self, i: int, data: Any) -> None:
        if not isinstance(data, Mapping):
            self.error(i, "not_a_mapping", "评分数据应为键值映射", "findings must be a mapping", "")
            return
        for key in data:
            if key not in FINDINGS_KEYS:
                self.error(i, "unknown_field", f"不认识的字段 {key}", f"unknown field {key}", str(key))
        declared = data.get("rubric")
        if declared not in (None, self.rubric.id):
            self.error(i, "wrong_rubric", f"评分数据针对的是 {declared}，不是 {self.rubric.id}",
                       f"findings are for {declared}", "rubric")
        self._values(i, data.get("inputs") or {}, "inputs")
        self._values(i, data.get("facts") or {}, "facts")
        self._fraud(i, data.get("fraud") or [])
        self._process(i, data.get("process") or {})

    def _values(self, i: int, values: Any, section: str) -> None:
        if not isinstance(values, Mapping):
            self.error(i, "not_a_mapping", f"{section} 应为键值映射", f"{section} must be a mapping", section)
            return
        routes = self.routes[section]
        for key, value in values.items():
            column = routes.get(key, _UNSEEN)
            if column is _UNSEEN:
                column = self._route(i, section, key)
                if column is _UNSEEN:          # refused: checked (and reported) again in every branch
                    continue
                routes[key] = column
            if column is not None:
                column[0](i)
                column[1](value)

    def _route(self, i: int, section: str, key: Any) -> Any:
        """Where a key's values go: the appends of its (branches, values), None (a fact no rule reads), or _UNSEEN."""
        if section == "inputs":
            if not self._known_rule(i, str(key)):
                return _UNSEEN
            pairs = self.inputs.setdefault(str(key), ([], []))
        elif key not in self.plan.fact_units:
            self.error(i, "unknown_fact", f"未知的事实 {key}", f"unknown fact {key}", f"facts.{key}")
            return _UNSEEN
        elif key not in self.wanted:
            return None
        else:
            pairs = self.facts.setdefault(key, ([], []))
        return pairs[0].append, pairs[1].append

    def _known_rule(self, i: int, rule_id: str) -> bool:
        rule = self.rubric.rule(rule_id)
        if rule is None:
            self.error(i, "unknown_rule", f"本标准没有编号为 {rule_id} 的规则", f"unknown rule {rule_id}",
                       f"inputs.{rule_id}", rule_id)
        elif not rule.enabled:
            self.error(i, "rule_disabled", f"规则 {rule_id} 在当前参数下不适用，不能填写", f"rule {rule_id} is disabled",
                       f"inputs.{rule_id}", rule_id)
        elif rule_id not in self.plan.rules:
            try:
                rule.parse_input(None)
            except InputError as exc:
                self.error(i, exc.code, exc.message_zh, exc.message_en, f"inputs.{rule_id}", rule_id)
        else:
            return True
        return False

    def _fraud(self, i: int, flags: Any) -> None:
        if not isinstance(flags, list):
            self.error(i, "not_a_list", "fraud 应为清单", "fraud must be a list", "fraud")
            return
        for j, flag in enumerate(flags):
            path = f"fraud[{j}]"
            if not isinstance(flag, Mapping) or not flag.get("target"):
                self.error(i, "bad_fraud", "每条弄虚作假记录须有 target 和 reason", "fraud entries need a target", path)
                continue
            target, reason = str(flag["target"]), str(flag.get("reason") or "").strip()
            if self.rubric.fraud is None:
                self.error(i, "no_fraud_policy", "本标准没有规定弄虚作假的扣分办法", "this rubric has no fraud rule", path)
            elif target not in self.plan.fraud_targets:
                self.error(i, "unknown_target", f"弄虚作假所涉项目 {target} 不是本标准的指标或分项",
                           f"fraud target {target} is not an indicator or item", path)
            elif not reason:
                self.error(i, "reason_required", "认定弄虚作假须写明理由", "fraud needs a reason", path)
            else:
                self.fraud.setdefault(target, np.zeros(self.n, bool))[i] = True

    def _process(self, i: int, process: Any) -> None:
        if not isinstance(process, Mapping):
            self.error(i, "not_a_mapping", "process 应为键值映射", "process must be a mapping", "process")
            return
        for name, value in process.items():
            if (value is True or value is False) and name in self.process:
                self.process[name][i] = value
            elif name not in self.rubric.process_flags:
                self.error(i, "unknown_process_flag", f"本标准没有程序环节 {name}", f"unknown process flag {name}",
                           f"process.{name}")
            elif not isinstance(value, bool):
                self.error(i, "not_yes_no", f"程序环节 {name} 应为 true 或 false", f"{name} must be a boolean",
                           f"process.{name}")
            else:
                self.process.setdefault(name, np.zeros(self.n, bool))[i] = value
