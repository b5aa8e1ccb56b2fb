"""Worked examples inside a rubric file: findings → the sheet the standard's wording gives by hand.

The validator runs them when a rubric is checked, so a rubric whose examples fail does not load;
the test suite runs every library example as its conformance corpus.
"""

from __future__ import annotations

from typing import Any

from chuangxing.rubric.problems import Report
from chuangxing.rubric.schema import Example, Rubric
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.scoring.expressions import ExpressionError
from chuangxing.scoring.points import fmt


def rubric_for(rubric: Rubric, example: Example, raw: dict, cache: dict | None = None) -> Rubric:
    """The rubric under the example's own parameters: the file's defaults and what the example sets.

    Never the caller's overrides: ``load_rubric(ref, parameters={"one_star_at_60": True})`` still
    checks the example written for the default reading against the default reading. ``rubric``
    itself is used when its parameters already are the example's; ``cache`` keeps one rebuilt
    rubric per set of values.
    """
    wanted = {**_defaults(raw), **example.parameters}
    if wanted == {name: p.value for name, p in rubric.parameters.items()}:
        return rubric
    key = repr(sorted(wanted.items()))
    if cache is not None and key in cache:
        return cache[key]
    from chuangxing.rubric.loader import build

    report = Report(f"example {example.id}")
    built = build(raw, report, parameters=example.parameters, run_examples=False)
    if built is None:
        raise ValueError("; ".join(p.message for p in report.errors))
    if cache is not None:
        cache[key] = built
    return built


def _defaults(raw: dict) -> dict[str, Any]:
    declared = raw.get("parameters") or {}
    return {name: spec.get("value") for name, spec in declared.items() if isinstance(spec, dict)}


def check_example(rubric: Rubric, example: Example, raw: dict, cache: dict | None = None) -> list[str]:
    """The differences between what the example expects and what the engine gives (empty: it holds)."""
    from chuangxing.scoring.engine import score

    try:
        target = rubric_for(rubric, example, raw, cache)
    except ValueError as exc:
        return [f"参数无效：{exc}"]
    expect = example.expect
    try:
        sheet = score(target, example.findings)
    except FindingsInvalid as exc:
        if expect.error_codes:
            got = sorted(exc.codes)
            return [] if got == sorted(expect.error_codes) else [f"应拒绝并报 {expect.error_codes}，实际报 {got}"]
        return [f"评分数据被拒绝：{exc.message_zh}"]
    except ExpressionError as exc:   # e.g. a rating condition naming a scheme or flag that is not there
        return [f"计分时表达式出错：{exc.message_zh}"]
    if expect.error_codes:
        return [f"应拒绝并报 {expect.error_codes}，实际却得出 {fmt(sheet.total)} 分"]
    return _compare(expect, sheet)


def _compare(expect: Any, sheet: Any) -> list[str]:
    out = []

    def same(label: str, want: Any, got: Any) -> None:
        if want is not None and want != got:
            out.append(f"{label} 应为 {_show(want)}，实际为 {_show(got)}")

    same("总分", expect.total, sheet.total)
    same("加分", expect.bonus, sheet.bonus)
    same("减分", expect.penalty, sheet.penalty)
    for node_id, want in {**expect.categories, **expect.indicators}.items():
        node = sheet.node(node_id)
        if node is None:
            out.append(f"没有编号为 {node_id} 的项目")
        else:
            same(f"{node_id} 得分", want, node.score)
    for scheme_id, want in expect.ratings.items():
        rating = sheet.rating_of(scheme_id)
        same(f"评定 {scheme_id}", want, (rating.level or "blocked") if rating else None)
    for scheme_id, want in expect.stars_earned.items():
        rating = sheet.rating_of(scheme_id)
        same(f"{scheme_id} 所获星", want, rating.earned if rating else None)
    if expect.vetoes is not None:
        same("否决项", sorted(expect.vetoes), sorted(v.id for v in sheet.vetoes))
    same("警告条数", expect.warnings, len(sheet.warnings) if expect.warnings is not None else None)
    return out


def _show(value: Any) -> str:
    from decimal import Decimal

    return fmt(value) if isinstance(value, Decimal) else str(value)
