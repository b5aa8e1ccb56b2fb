"""pydantic's validation errors as problems a rubric author can act on, in Chinese.

>>> problems = pydantic_problems(exc, ())        # exc: a ValidationError from Rubric.model_validate
>>> problems[0].message
'“titel” 不是评分标准格式中的字段，最接近的字段是 “title”'

pydantic's English never reaches the message: each error ``type`` has its sentence here, and a type
not listed gets a general one naming the field. The English stays in ``message_en`` for the log.
"""

from __future__ import annotations

import difflib
import re
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from chuangxing.rubric.problems import ERROR, Problem, render_path
from chuangxing.scoring.kinds import RULE_KINDS

_CJK = re.compile(r"[\u4e00-\u9fff]")

_MESSAGES = {
    "missing": "缺少必填字段 “{field}”",
    "string_type": "应为文字",
    "string_too_short": "不能为空",
    "string_too_long": "太长（最多 {max_length} 个字）",
    "string_pattern_mismatch": "格式不符（只能用小写字母、数字和连字符，且以字母或数字开头）",
    "too_short": "至少需要 {min_length} 项",
    "too_long": "最多 {max_length} 项",
    "int_parsing": "应为整数",
    "int_type": "应为整数",
    "int_from_float": "应为整数",
    "float_parsing": "应为数字",
    "float_type": "应为数字",
    "decimal_parsing": "应为数字",
    "decimal_type": "应为数字",
    "decimal_max_digits": "数字位数太多",
    "decimal_max_places": "小数位数太多",
    "decimal_whole_digits": "整数位数太多",
    "finite_number": "应为有限的数字",
    "multiple_of": "应为 {multiple_of} 的倍数",
    "bool_parsing": "应为 true 或 false",
    "bool_type": "应为 true 或 false",
    "list_type": "应为列表",
    "tuple_type": "应为列表",
    "set_type": "应为列表",
    "dict_type": "应为键值映射",
    "model_type": "应为键值映射",
    "model_attributes_type": "应为键值映射",
    "none_required": "应为空（null）",
    "date_parsing": "应为日期（如 2026-12-15）",
    "date_type": "应为日期（如 2026-12-15）",
    "literal_error": "取值不在允许范围内（可用：{expected}）",
    "enum": "取值不在允许范围内（可用：{expected}）",
    "greater_than": "应大于 {gt}",
    "greater_than_equal": "应不小于 {ge}",
    "less_than": "应小于 {lt}",
    "less_than_equal": "应不大于 {le}",
    "union_tag_not_found": "缺少 kind（规则类型）",
}


def pydantic_problems(exc: ValidationError, prefix: tuple, *, root: Any, rule: Any = None) -> list[Problem]:
    """One Problem per pydantic error, its path prefixed; ``root`` is the type that was validated."""
    problems = []
    for error in exc.errors():
        # the discriminated union's tag (a kind name after a list index) is not a path in the file
        loc = tuple(step for i, step in enumerate(error["loc"])
                    if not (step in RULE_KINDS and (i == 0 or isinstance(error["loc"][i - 1], int))))
        path = (*prefix, *loc)
        problems.append(Problem(f"schema_{error['type']}", message(error, path, root=root, rule=rule), path,
                                severity=ERROR, message_en=f"{render_path(path)}: {error['msg']}"))
    return problems


def message(error: dict, path: tuple, *, root: Any, rule: Any = None) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    if kind == "extra_forbidden":
        return unknown_field(str(error["loc"][-1]), _fields_at(root, error["loc"][:-1]))
    if kind == "union_tag_invalid":
        tag = ctx.get("tag") or (rule.get("kind") if isinstance(rule, dict) else "?")
        return f"未知的规则类型 “{tag}”（可用：{'、'.join(RULE_KINDS)}）"
    if kind in ("value_error", "assertion_error"):
        cause = str(ctx.get("error", ""))
        return cause if _CJK.search(cause) else "取值不符合要求"
    template = _MESSAGES.get(kind)
    if template is None:
        return f"{render_path(path) or '文件'} 的取值不符合格式要求"
    values = {k: _plain(v) for k, v in ctx.items()}
    values["field"] = str(error["loc"][-1]) if error["loc"] else ""
    try:
        return template.format(**values)
    except (KeyError, IndexError):
        return re.sub(r"[（(]?[^（(]*\{[a-z_]+\}[^）)]*[）)]?", "", template) or "取值不符合格式要求"


def unknown_field(name: str, fields: list[str]) -> str:
    """An unknown key: say it is not part of the format, and name the documented field it most resembles."""
    text = f"“{name}” 不是评分标准格式中的字段"
    close = difflib.get_close_matches(name, fields, n=1, cutoff=0.6)
    if close:
        return f"{text}，最接近的字段是 “{close[0]}”"
    return f"{text}（这里可用的字段：{'、'.join(fields)}）" if fields else text


def _plain(value: Any) -> str:
    """A ctx value for people: ``'deduct' or 'award'`` → ``deduct、award``."""
    return re.sub(r"'([^']*)'", r"\1", str(value)).replace(" or ", "、").replace(", ", "、")


# -- the model a path stands in, for its field names ------------------------------------------------
def _fields_at(root: Any, loc: tuple) -> list[str]:
    tp = root
    for step in loc:
        tp = _descend(tp, step)
        if tp is None:
            return []
    tp = _unwrap(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return [field.alias or name for name, field in tp.model_fields.items()]
    return []


def _unwrap(tp: Any) -> Any:
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
        elif origin in (Union, types.UnionType) and len(args := [a for a in get_args(tp) if a is not type(None)]) == 1:
            tp = args[0]
        else:
            return tp


def _descend(tp: Any, step: Any) -> Any:
    tp = _unwrap(tp)
    origin = get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, BaseModel):
        field = tp.model_fields.get(step) or next((f for f in tp.model_fields.values() if f.alias == step), None)
        return field.annotation if field is not None else None
    if origin is list and isinstance(step, int):
        return get_args(tp)[0]
    if origin is dict:
        return get_args(tp)[1]
    if origin in (Union, types.UnionType):        # a discriminated union: the step is the rule kind
        return RULE_KINDS.get(step)
    return None
