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
from chuangxing.rubric.problems import ERROR, Problem, Report, RubricInvalid
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring.kinds import RULE_KINDS, Rule, Veto

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
    return Problem("yaml_syntax", f"不是有效的 YAML：{exc.problem}", line=exc.line, column=exc.column,
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
    raw = _apply_parameters(original, parameters or {}, report)
    raw, moved = _isolate_bad_rules(raw, report)
    try:
        rubric = Rubric.model_validate(raw)
    except ValidationError as exc:
        report.problems.extend(_pydantic_problems(exc, ()))
        return None
    from chuangxing.rubric.validator import validate

    # Bad rules were left out above, so the rest of the file is still checked for meaning; the
    # worked examples only run on a rubric with no errors.
    found = validate(rubric, original, run_examples=run_examples and report.ok)
    report.problems.extend(_moved_back(p, moved) for p in found)
    return rubric if report.ok else None


def _apply_extends(raw: dict, report: Report) -> dict:
    base_id = raw.get("extends")
    if not base_id:
        return raw
    path = _library_path(str(base_id))
    if path is None:
        report.problems.append(Problem("unknown_base", f"extends 引用的标准 {base_id} 不在标准库中", ("extends",),
                                       message_en=f"unknown base rubric {base_id}"))
        return raw
    base = yamlio.parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
    base = _apply_extends(base, report) if base.get("extends") else base
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
            owner["rules"] = _keep_valid(rules, path, _RULE_ADAPTER, report, moved)
    if isinstance(raw.get("vetoes"), list):
        raw["vetoes"] = _keep_valid(raw["vetoes"], ("vetoes",), _VETO_ADAPTER, report, moved)
    return raw, moved


def _keep_valid(rules: list, path: tuple, adapter: TypeAdapter, report: Report, moved: dict) -> list:
    kept = []
    for i, rule in enumerate(rules):
        try:
            adapter.validate_python(rule)
        except ValidationError as exc:
            report.problems.extend(_pydantic_problems(exc, (*path, i), rule=rule))
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


_MESSAGES = {
    "missing": "缺少必填字段",
    "extra_forbidden": "不认识的字段（请检查拼写）",
    "string_too_short": "不能为空",
    "too_short": "项目太少：{msg}",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "string_type": "应为文字",
    "list_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "string_pattern_mismatch": "格式不符（只能用小写字母、数字和连字符）",
    "literal_error": "取值不在允许范围内：{expected}",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than_equal": "应不大于 {le}",
    "union_tag_not_found": "缺少 kind（规则类型）",
}


def _pydantic_problems(exc: ValidationError, prefix: tuple, rule: Any = None) -> list[Problem]:
    problems = []
    for error in exc.errors():
        # the discriminated union's tag (a kind name after a list index) is not a path in the file
        loc = tuple(step for i, step in enumerate(error["loc"])
                    if not (step in RULE_KINDS and (i == 0 or isinstance(error["loc"][i - 1], int))))
        path = (*prefix, *loc)
        problems.append(Problem(f"schema_{error['type']}", _message(error, rule), path,
                                severity=ERROR, message_en=f"{'.'.join(map(str, path))}: {error['msg']}"))
    return problems


def _message(error: dict, rule: Any) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "union_tag_invalid":
        tag = ctx.get("tag") or (rule.get("kind") if isinstance(rule, dict) else "?")
        return f"未知的规则类型 “{tag}”（可用：{'、'.join(RULE_KINDS)}）"
    if kind in ("value_error", "assertion_error"):
        cause = ctx.get("error")
        return str(cause) if cause is not None else error["msg"]
    if kind in ("decimal_parsing", "decimal_type"):
        return "应为数字"
    template = _MESSAGES.get(kind)
    if template is None:
        return f"不符合格式：{error['msg']}"
    try:
        return template.format(msg=error["msg"], **{k: v for k, v in ctx.items() if k != "msg"})
    except (KeyError, IndexError):
        return template
