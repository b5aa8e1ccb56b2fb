"""Ratings: a scored sheet → stars, grades or stars per dimension, under the rubric's schemes.

A ``levels`` scheme gives the highest level whose conditions hold: a minimum on its value (the
total, a category, or an expression), an optional extra condition, and process steps (``requires``:
审核认定, 年初预报, 随机抽查). The level the score alone reaches is ``eligible``; the steps still
missing are ``pending``. A ``per_category`` scheme gives one star per category that reaches its
threshold (绍兴's 学习星, 规范星 ...). Vetoes block the schemes they name (all when none).
Constraints between schemes ("三星级及以上……应为达标支部") are checked last and broken ones become
warnings on the sheet.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from chuangxing.rubric.schema import Level, RatingScheme, Rubric
from chuangxing.scoring import expressions
from chuangxing.scoring.points import ZERO
from chuangxing.scoring.sheet import RatingResult, ScoreSheet


def rate(rubric: Rubric, sheet: ScoreSheet, *, facts: dict[str, Any], flags: dict[str, bool]
         ) -> tuple[list[RatingResult], list[str]]:
    context: dict[str, Any] = {
        **facts,
        "total": sheet.total,
        "subtotal": sheet.subtotal,
        "category": {c.id: c.score for c in sheet.categories},
        "flag": {name: bool(flags.get(name)) for name in rubric.process_flags},
        "level": {}, "rank": {}, "stars": {},
    }
    results = []
    for scheme in rubric.ratings:
        blocked = [v.id for v in sheet.vetoes if v.blocks_scheme(scheme.id)]
        if scheme.kind == "per_category":
            result = _per_category(scheme, sheet, blocked)
        else:
            result = _levels(rubric, scheme, context, flags, blocked)
        results.append(result)
        context["level"][scheme.id] = result.level or "blocked"
        context["stars"][scheme.id] = Decimal(result.stars or 0)
        context["rank"][scheme.id] = Decimal(_rank(scheme, result.level))
    return results, _constraints(rubric, context)


def _rank(scheme: RatingScheme, level_id: str | None) -> int:
    if scheme.kind == "per_category":
        return int(level_id or 0)
    ids = [level.id for level in scheme.levels]
    return ids.index(level_id) if level_id in ids else -1


def _value(scheme: RatingScheme, context: dict[str, Any]) -> Decimal | None:
    if scheme.value == "total":
        return context["total"]
    if scheme.value.startswith("category:"):
        return context["category"].get(scheme.value.split(":", 1)[1])
    try:
        return expressions.evaluate_points(scheme.value, context)
    except expressions.MissingSymbol:
        return None


def _at_least(value: Decimal | None, bound: Decimal, *, inclusive: bool) -> bool:
    return value is not None and (value >= bound if inclusive else value > bound)


def _reaches(level: Level, value: Decimal | None, context: dict[str, Any]) -> bool:
    if level.min is not None and not _at_least(value, level.min, inclusive=level.min_inclusive):
        return False
    if level.when:
        try:
            return expressions.evaluate_bool(level.when, context)
        except expressions.MissingSymbol:
            return False
    return True


def _levels(rubric: Rubric, scheme: RatingScheme, context: dict[str, Any], flags: dict[str, bool],
            blocked: list[str]) -> RatingResult:
    value = _value(scheme, context)
    reached = [level for level in scheme.levels if _reaches(level, value, context)]
    eligible = reached[-1] if reached else scheme.levels[0]
    given = next((lv for lv in reversed(reached) if all(flags.get(f) for f in lv.requires)), scheme.levels[0])
    pending = [rubric.process_flags.get(f, f) for f in eligible.requires if not flags.get(f)]
    if blocked:
        return RatingResult(scheme.id, scheme.title, None, scheme.blocked_label, stars=0 if given.stars is not None
                            else None, eligible=eligible.id, eligible_label=eligible.label, blocked_by=blocked,
                            value=value)
    return RatingResult(scheme.id, scheme.title, given.id, given.label, stars=given.stars, eligible=eligible.id,
                        eligible_label=eligible.label, pending=pending, value=value)


def _per_category(scheme: RatingScheme, sheet: ScoreSheet, blocked: list[str]) -> RatingResult:
    scores = {c.id: c for c in sheet.categories}
    earned = []
    for star in scheme.stars:
        category = scores.get(star.category)
        if category is None:
            continue
        threshold = star.min if star.min is not None else star.min_ratio * category.max
        if category.score >= threshold:
            earned.append(star.label)
    if blocked:
        return RatingResult(scheme.id, scheme.title, None, scheme.blocked_label, stars=0, blocked_by=blocked)
    label = "、".join(earned) if earned else "未获星"
    return RatingResult(scheme.id, scheme.title, str(len(earned)), label, stars=len(earned), earned=earned,
                        value=sum((scores[s.category].score for s in scheme.stars if s.category in scores), ZERO))


def _constraints(rubric: Rubric, context: dict[str, Any]) -> list[str]:
    warnings = []
    for constraint in rubric.constraints:
        try:
            broken = expressions.evaluate_bool(constraint.when, context) and not expressions.evaluate_bool(
                constraint.then, context)
        except expressions.MissingSymbol:
            continue
        if broken:
            warnings.append(f"{constraint.text}（{constraint.id}）")
    return warnings
