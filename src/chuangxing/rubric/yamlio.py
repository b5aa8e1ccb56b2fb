"""YAML in and out for rubric and findings files.

Numbers with a fraction are read as ``Decimal`` from their source text, so ``0.3`` stays 0.3.
A malformed file raises :class:`YamlSyntaxError` with the line and column, never a traceback, and
:func:`line_of` finds the line of any path inside a loaded document for error messages.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml


class YamlSyntaxError(ValueError):
    def __init__(self, *, source: str, line: int | None, column: int | None, problem: str):
        self.source, self.line, self.column, self.problem = source, line, column, problem
        where = f"第 {line} 行第 {column} 列" if line else "文件"
        self.message_zh = f"{source}：{where}不是有效的 YAML：{problem}"
        super().__init__(f"{source}:{line}:{column}: invalid YAML: {problem}")


class _DecimalLoader(yaml.SafeLoader):
    pass


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    lowered = text.lower()
    if lowered in (".inf", "+.inf", "-.inf", ".nan"):
        raise yaml.constructor.ConstructorError(
            None, None, f"infinite or NaN numbers are not allowed: {text}", node.start_mark
        )
    return Decimal(text)


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def _mark_error(exc: yaml.YAMLError, source: str) -> YamlSyntaxError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = getattr(exc, "problem", None) or str(exc)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    return YamlSyntaxError(source=source, line=line, column=column, problem=str(problem))


def parse_yaml(text: str, *, source: str = "<text>") -> Any:
    try:
        return yaml.load(text, Loader=_DecimalLoader)
    except yaml.YAMLError as exc:
        raise _mark_error(exc, source) from None


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree (with line marks) of a document already known to parse."""
    try:
        return yaml.compose(text, Loader=_DecimalLoader)
    except yaml.YAMLError:
        return None


def line_of(root: yaml.Node | None, path: tuple[str | int, ...]) -> int | None:
    """The 1-based line where ``path`` (keys and list indexes) starts, or the nearest parent's."""
    node, line = root, (root.start_mark.line + 1 if root is not None else None)
    for step in path:
        if isinstance(node, yaml.MappingNode):
            found = next((v for k, v in node.value if getattr(k, "value", None) == step), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
            found = node.value[step]
        else:
            found = None
        if found is None:
            break
        node, line = found, found.start_mark.line + 1
    return line


def read_data_file(path: Path) -> Any:
    """Read a findings or rubric file: ``.json`` with exact decimals, anything else as YAML."""
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text, parse_float=Decimal)
        except json.JSONDecodeError as exc:
            raise YamlSyntaxError(source=str(path), line=exc.lineno, column=exc.colno, problem=exc.msg) from None
    return parse_yaml(text, source=str(path))


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        # JSON has one number type. Points carry at most a few decimal places, so the shortest
        # repr of the float is exactly the decimal text ("0.3"); readers that care parse with
        # Decimal (Python: json.loads(..., parse_float=Decimal)).
        text = format(value.normalize(), "f")
        return int(text) if "." not in text else float(text)
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps_json(data: Any, *, indent: int | None = 2) -> str:
    """JSON text where Decimals are written exactly as numbers (0.3, not 0.30000000000000004)."""
    return json.dumps(data, ensure_ascii=False, indent=indent, default=_default)
