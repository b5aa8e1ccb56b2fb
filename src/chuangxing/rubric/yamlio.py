"""YAML in and out for rubric and findings files.

Numbers with a fraction are read as ``Decimal`` from their source text, so ``0.3`` stays 0.3.
A malformed file raises :class:`YamlSyntaxError` with the line and column, never a traceback, and
:func:`line_of` finds the line of any path inside a loaded document for error messages.

Every YAML the system reads comes through this loader, and a hostile file is refused within a second
with bounded memory, before anything downstream walks it::

    MAX_BYTES        2 MB of text (the largest library rubric is 76 KB)
    MAX_DEPTH        50 levels of nesting (the rubrics use 8)
    MAX_NODES        200,000 nodes counting every alias as its full expansion: a "billion laughs"
                     stops at its fifth level, while the library's few shared readings cost a handful
    MAX_DIGITS       50 digits in a number, and exponents within ±50 (Python's int() of 100,000
                     digits is refused by the interpreter, or slow below its limit)

The same bounds hold for ``.json`` findings files (size, depth, digits).
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

from chuangxing.rubric import yaml_messages


class YamlSyntaxError(ValueError):
    """A file that cannot be read: ``problem`` and ``hint`` in Chinese (``yaml_messages``), ``str`` in English."""

    def __init__(self, *, source: str, line: int | None, column: int | None, problem: str,
                 problem_en: str = "", hint: str | None = None):
        self.source, self.line, self.column, self.problem, self.hint = source, line, column, problem, hint
        where = f"第 {line} 行第 {column} 列" if line else "文件"
        language = "JSON" if source.lower().endswith(".json") else "YAML"
        self.message_zh = f"{source}：{where}不是有效的 {language}：{self.explained}"
        super().__init__(f"{source}:{line}:{column}: invalid YAML: {problem_en or problem}")

    @property
    def explained(self) -> str:
        """The problem and, when there is one, what to do about it."""
        return f"{self.problem}。{self.hint}" if self.hint else self.problem


MAX_BYTES = 2 * 1024 * 1024
MAX_DEPTH = 50
MAX_NODES = 200_000
MAX_DIGITS = 50


class _DecimalLoader(yaml.SafeLoader):
    """SafeLoader with exact decimals and the bounds of the module docstring, checked while composing."""

    def __init__(self, stream: Any):
        super().__init__(stream)
        self._depth = 0
        self._sizes: dict[int, int] = {}     # id(node) -> nodes in its full expansion

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self._depth >= MAX_DEPTH:
            raise _refused(f"嵌套超过 {MAX_DEPTH} 层，不予读取", self.peek_event().start_mark)
        self._depth += 1
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        self._count(node)
        return node

    def _count(self, node: yaml.Node) -> None:
        if id(node) in self._sizes:          # an alias: the anchored node again, already counted once
            return
        children = node.value if isinstance(node, yaml.SequenceNode) else (
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else ())
        size = 1 + sum(self._sizes.get(id(child), 1) for child in children)
        if size > MAX_NODES:
            raise _refused(f"展开后超过 {MAX_NODES:,} 个值（别名 *name 反复引用），不予读取", node.start_mark)
        self._sizes[id(node)] = size


def _refused(problem: str, mark: Any) -> yaml.YAMLError:
    return yaml.composer.ComposerError(None, None, problem, mark)


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    digits = sum(ch.isalnum() for ch in loader.construct_scalar(node))
    if digits > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"数字超过 {MAX_DIGITS} 位（共 {digits} 位），不予读取", node.start_mark)
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_decimal(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Decimal:
    text = loader.construct_scalar(node).replace("_", "")
    lowered = text.lower()
    if lowered in (".inf", "+.inf", "-.inf", ".nan"):
        raise yaml.constructor.ConstructorError(
            None, None, f"不接受无穷大或非数（{text}）", node.start_mark
        )
    try:
        return bounded_decimal(text)
    except ValueError as exc:
        raise yaml.constructor.ConstructorError(None, None, str(exc), node.start_mark) from None


def bounded_decimal(text: str) -> Decimal:
    """``Decimal(text)`` for at most MAX_DIGITS digits and a magnitude within 10 to the ±MAX_DIGITS."""
    mantissa, _, exponent = text.lower().partition("e")
    digits = sum(ch.isdigit() for ch in mantissa)
    if digits > MAX_DIGITS or len(exponent) > 4:
        raise ValueError(f"数字超过 {MAX_DIGITS} 位（共 {digits} 位），不予读取")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"不是数字：{text[:40]}") from None
    if value.is_finite() and value and abs(value.adjusted()) > MAX_DIGITS:
        raise ValueError(f"数字的数量级超过 10 的 {MAX_DIGITS} 次方，不予读取")
    return value


def bounded_int(text: str) -> int:
    """``int(text)`` for at most MAX_DIGITS digits (JSON's ``parse_int``)."""
    digits = len(text.lstrip("-"))
    if digits > MAX_DIGITS:
        raise ValueError(f"数字超过 {MAX_DIGITS} 位（共 {digits} 位），不予读取")
    return int(text)


_DecimalLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_DecimalLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)


def _mark_error(exc: yaml.YAMLError, source: str, text: str) -> YamlSyntaxError:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    problem = str(getattr(exc, "problem", None) or exc)
    line = mark.line + 1 if mark is not None else None
    column = mark.column + 1 if mark is not None else None
    said = yaml_messages.describe(problem)
    refused = said == problem       # the bounds above, already in Chinese: not the author's syntax
    return YamlSyntaxError(source=source, line=line, column=column, problem=said,
                           problem_en=problem, hint=None if refused else yaml_messages.hint_for(text, line))


def _too_large(text: str, source: str) -> YamlSyntaxError | None:
    if len(text) > MAX_BYTES:       # characters; UTF-8 bytes are checked by read_text before decoding
        return YamlSyntaxError(source=source, line=None, column=None,
                               problem=f"超过 {MAX_BYTES // (1024 * 1024)} MB，不予读取")
    return None


def parse_yaml(text: str, *, source: str = "<text>") -> Any:
    if (error := _too_large(text, source)) is not None:
        raise error
    try:
        return yaml.load(text, Loader=_DecimalLoader)
    except yaml.YAMLError as exc:
        raise _mark_error(exc, source, text) from None


def compose_yaml(text: str) -> yaml.Node | None:
    """The node tree (with line marks) of a document already known to parse."""
    if _too_large(text, "<text>") is not None:
        return None
    try:
        return yaml.compose(text, Loader=_DecimalLoader)
    except yaml.YAMLError:
        return None


def read_text(path: Path) -> str:
    """A rubric or findings file's text, refused (YamlSyntaxError) when larger than MAX_BYTES, unread."""
    if path.stat().st_size > MAX_BYTES:
        raise YamlSyntaxError(source=str(path), line=None, column=None,
                              problem=f"超过 {MAX_BYTES // (1024 * 1024)} MB，不予读取")
    return path.read_text(encoding="utf-8")


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
    text = read_text(path)
    if path.suffix.lower() == ".json":
        return _parse_json(text, source=str(path))
    return parse_yaml(text, source=str(path))


_TOO_DEEP = object()


def _parse_json(text: str, *, source: str) -> Any:
    try:
        data = json.loads(text, parse_float=bounded_decimal, parse_int=bounded_int)
    except json.JSONDecodeError as exc:
        raise YamlSyntaxError(source=source, line=exc.lineno, column=exc.colno,
                              problem=yaml_messages.describe_json(exc.msg), problem_en=exc.msg) from None
    except RecursionError:
        data = _TOO_DEEP
    except ValueError as exc:
        raise YamlSyntaxError(source=source, line=None, column=None, problem=str(exc)) from None
    if data is _TOO_DEEP or _depth(data) > MAX_DEPTH:
        raise YamlSyntaxError(source=source, line=None, column=None, problem=f"嵌套超过 {MAX_DEPTH} 层，不予读取")
    return data


def _depth(data: Any) -> int:
    """How deeply lists and objects nest in ``data`` (iterative: a deep document cannot overflow the stack)."""
    deepest, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth <= MAX_DEPTH and isinstance(value, (list, dict)):
            stack.extend((child, depth + 1) for child in (value.values() if isinstance(value, dict) else value))
    return deepest


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
