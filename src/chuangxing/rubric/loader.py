"""Load a rubric file: YAML → parameters applied → typed model → checked. A rubric that loads runs.

>>> rubric = load_rubric("zhenjiang-2018")                         # a library id
>>> rubric = load_rubric("my-standard.yaml", parameters={"one_star_at_60": True})
>>> report, rubric = check_rubric("my-standard.yaml")             # every problem, never raises

Steps, each collecting problems instead of stopping at the first:

1. parse YAML (decimals exact; a syntax error gives line and column);
2. ``extends: other-id`` takes the other rubric's sections, the file's own keys win;
3. ``$name`` values are replaced by the rubric's parameters (or the caller's overrides);
4. each rule is validated on its own, so one bad rule does not hide the problems of the others;
5. the whole file is validated against the schema, then checked for meaning (``validator``).
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chuangxing.rubric import yamlio
from chuangxing.rubric.problems import Problem, Report, RubricInvalid
from chuangxing.rubric.schema import Rubric
from chuangxing.rubric.schema_messages import pydantic_problems
from chuangxing.scoring.kinds import Rule, Veto

_LIBRARY_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_PARAM_REF = re.compile(r"^\$([a-z_][a-z0-9_]*)$")
_RULE_ADAPTER = TypeAdapter(Rule)
_VETO_ADAPTER = TypeAdapter(Veto)
# Sections inherited through ``extends`` (metadata such as id, title and version is never inherited).
_INHERITED = ("mode", "max_total", "total_floor", "fraud", "facts", "parameters", "process_flags", "categories",
              "adjustments", "vetoes", "ratings", "constraints", "process", "targets")


def _library_path(ref: str) -> Path | None:
    from chuangxing.rubric import library

    return library.path_of(ref)


def resolve(ref: str | Path) -> Path:
    """A library id or a path → the file's path (KeyError when neither)."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml", ".json") or path.exists():
        if not path.exists():
            raise KeyError(f"no such rubric file: {ref}")
        return path
    found = _library_path(str(ref))
    if found is None:
        raise KeyError(f"no rubric with id {ref!r} in the library")
    return found


def load_rubric(ref: str | Path, *, parameters: dict[str, Any] | None = None) -> Rubric:
    report, rubric = check_rubric(ref, parameters=parameters)
    if rubric is None:
        raise RubricInvalid(report)
    return rubric


def check_rubric(ref: str | Path, *, parameters: dict[str, Any] | None = None,
                 run_examples: bool = True) -> tuple[Report, Rubric | None]:
    try:
        path = resolve(ref)
    except KeyError:
        report = Report(str(ref), [Problem("not_found", f"找不到标准 {ref}（既不是文件，也不是标准库中的编号）",
                                           message_en=f"no rubric file or library id {ref}")])
        return report, None
    try:
        text = yamlio.read_text(path)
    except yamlio.YamlSyntaxError as exc:
        return Report(str(path), [_syntax_problem(exc)]), None
    return check_text(text, source=str(path), parameters=parameters, run_examples=run_examples)


def _syntax_problem(exc: yamlio.YamlSyntaxError) -> Problem:
    return Problem("yaml_syntax", f"不是有效的 YAML：{exc.explained}", line=exc.line, column=exc.column,
                   message_en=str(exc))


def check_text(text: str, *, source: str = "<text>", parameters: dict[str, Any] | None = None,
               run_examples: bool = True) -> tuple[Report, Rubric | None]:
    """Check a rubric given as YAML text: the report, and the rubric when it has no errors."""
    report = Report(source)
    try:
        raw = yamlio.parse_yaml(text, source=source)
    except yamlio.YamlSyntaxError as exc:
        report.problems.append(_syntax_problem(exc))
        return report, None
    rubric = build(raw, report, parameters=parameters, run_examples=run_examples)
    root = yamlio.compose_yaml(text)
    report.problems = [p if p.line else p.with_line(yamlio.line_of(root, p.path)) for p in report.problems]
    return report, (rubric if report.ok else None)


def build(raw: Any, report: Report, *, parameters: dict[str, Any] | None = None,
          run_examples: bool = True) -> Rubric | None:
    """Turn parsed YAML into a checked Rubric, adding every problem found to ``report``."""
    if not isinstance(raw, dict):
        report.problems.append(Problem("not_a_mapping", "标准文件的顶层应为键值映射（id、title、categories……）",
                                       message_en="top level must be a mapping"))
        return None
    original = _apply_extends(raw, report)
    if original is None:      # the base is missing: checking the rest would only list what it should give
        return None
    raw = _apply_parameters(original, parameters or {}, report)
    raw, moved = _isolate_bad_rules(raw, report)
    try:
        rubric = Rubric.model_validate(raw)
    except ValidationError as exc:
        report.problems.extend(pydantic_problems(exc, (), root=Rubric))
        return None
    from chuangxing.rubric.validator import validate

    # Bad rules were left out above, so the rest of the file is still checked for meaning; the
    # worked examples only run on a rubric with no errors.
    found = validate(rubric, original, run_examples=run_examples and report.ok)
    report.problems.extend(_moved_back(p, moved) for p in found)
    return rubric if report.ok else None


def _apply_extends(raw: dict, report: Report) -> dict | None:
    """The file over its base's sections; None (one problem reported) when the base cannot be read."""
    base_id = raw.get("extends")
    if not base_id:
        return raw
    path = _library_path(str(base_id)) if isinstance(base_id, str) and _LIBRARY_ID.match(base_id) else None
    if path is None:
        report.problems.append(Problem(
            "unknown_base", f"extends 引用的标准 {base_id} 不在标准库中，找不到要继承的基础标准"
            "（请写标准库中的标准编号，如 zhenjiang-2018）", ("extends",),
            message_en=f"unknown base rubric {base_id}"))
        return None
    try:
        base = yamlio.parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
    except yamlio.YamlSyntaxError as exc:
        report.problems.append(Problem("unknown_base", f"extends 引用的标准 {base_id} 无法读取：{exc.explained}",
                                       ("extends",), message_en=str(exc)))
        return None
    base = _apply_extends(base, report) if base.get("extends") else base
    if base is None:
        return None
    merged = {k: copy.deepcopy(v) for k, v in base.items() if k in _INHERITED}
    merged["parameters"] = {**base.get("parameters", {}), **raw.get("parameters", {})}
    merged.update({k: v for k, v in raw.items() if k != "parameters"})
    return merged


def _apply_parameters(raw: dict, overrides: dict[str, Any], report: Report) -> dict:
    declared = raw.get("parameters") or {}
    if not isinstance(declared, dict):
        return raw
    values = {name: (spec.get("value") if isinstance(spec, dict) else None) for name, spec in declared.items()}
    for name, value in overrides.items():
        if name not in values:
            report.problems.append(Problem("unknown_parameter", f"本标准没有参数 {name}（可用：{'、'.join(values) or '无'}）",
                                           ("parameters", name), message_en=f"unknown parameter {name}"))
            continue
        values[name] = value
    raw = dict(raw)
    raw["parameters"] = {name: {**spec, "value": values[name]} if isinstance(spec, dict) else spec
                         for name, spec in declared.items()}

    def substitute(node: Any, path: tuple) -> Any:
        if isinstance(node, dict):
            return {k: substitute(v, (*path, k)) for k, v in node.items()}
        if isinstance(node, list):
            return [substitute(v, (*path, i)) for i, v in enumerate(node)]
        if isinstance(node, str) and (match := _PARAM_REF.match(node)):
            if match.group(1) not in values:
                report.problems.append(Problem("unknown_parameter", f"引用了未定义的参数 {node}", path,
                                               message_en=f"unknown parameter {node}"))
                return node
            return copy.deepcopy(values[match.group(1)])
        return node

    return {k: (v if k == "parameters" else substitute(v, (k,))) for k, v in raw.items()}


def _rule_lists(raw: dict):
    """(path, list) of every rules list in the raw document, and the vetoes list."""
    for ci, category in enumerate(_as_list(raw.get("categories"))):
        yield ("categories", ci, "rules"), category
        for ii, indicator in enumerate(_as_list(_get(category, "indicators"))):
            yield ("categories", ci, "indicators", ii, "rules"), indicator
            for ti, item in enumerate(_as_list(_get(indicator, "items"))):
                yield ("categories", ci, "indicators", ii, "items", ti, "rules"), item
    for ai, adjustment in enumerate(_as_list(raw.get("adjustments"))):
        yield ("adjustments", ai, "rules"), adjustment


def _as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _get(node: Any, key: str) -> Any:
    return node.get(key) if isinstance(node, dict) else None


def _isolate_bad_rules(raw: dict, report: Report) -> tuple[dict, dict[tuple, tuple]]:
    """Validate each rule alone; report the bad ones and leave them out, so the rest is still checked.

    Returns the document without the bad rules, and where each kept rule stood in the file (the
    later checks' paths are moved back through it).
    """
    raw, moved = copy.deepcopy(raw), {}
    for path, owner in _rule_lists(raw):
        rules = _get(owner, "rules")
        if isinstance(rules, list):
            owner["rules"] = _keep_valid(rules, path, Rule, report, moved)
    if isinstance(raw.get("vetoes"), list):
        raw["vetoes"] = _keep_valid(raw["vetoes"], ("vetoes",), Veto, report, moved)
    return raw, moved


def _keep_valid(rules: list, path: tuple, root: Any, report: Report, moved: dict) -> list:
    adapter = _RULE_ADAPTER if root is Rule else _VETO_ADAPTER
    kept = []
    for i, rule in enumerate(rules):
        try:
            adapter.validate_python(rule)
        except ValidationError as exc:
            report.problems.extend(pydantic_problems(exc, (*path, i), root=root, rule=rule))
            continue
        if len(kept) != i:
            moved[(*path, len(kept))] = (*path, i)
        kept.append(rule)
    return kept


def _moved_back(problem: Problem, moved: dict[tuple, tuple]) -> Problem:
    for k in range(len(problem.path), 0, -1):
        origin = moved.get(problem.path[:k])
        if origin is not None:
            return Problem(problem.code, problem.message, (*origin, *problem.path[k:]), problem.severity,
                           problem.line, problem.column, problem.message_en)
    return problem
