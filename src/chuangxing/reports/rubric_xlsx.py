"""A rubric in Excel, in the official table layout, and back: the round trip gives the identical rubric.

>>> Path("镇江.xlsx").write_bytes(rubric_to_xlsx(load_rubric("zhenjiang-2018")))
>>> raw = rubric_from_xlsx(Path("镇江.xlsx").read_bytes())       # a raw rubric document (dict)
>>> report, rubric = check_rubric_xlsx(data)                     # validated like any rubric file; problems name cells

Sheet ``评分标准`` is the standard's table, one row per rule (评定标准), the visible columns as the
standards print them, merged the same way::

    项目 | 项目分值 | 指标 | 标准及要求 | 指标分值 | 分项 | 分项分值 | 评定标准 | 规则类型 | 规则分值

and beside them the machine columns that make the round trip exact: the row's kind (评分项目,
加分项, 减分项, 否决项), the ids of its category (or bonus/penalty item), indicator, sub-item and
rule, the rule's semantics as YAML (``kind: per_occurrence`` / ``points: 1`` / ``fact: ...``:
everything but its id and wording), and the nodes' other fields as YAML (mode, floor, reading,
note...). Ids are repeated on every row; titles, maxima and YAML attributes are read from the first
row of each node (merged cells keep their value there). A node without rules has one row with an
empty rule id. Sheet ``标准信息`` holds the rest of the file (metadata, facts, parameters, ratings,
process, targets, examples), one YAML cell per field or per list element.

Drafting a rubric in this layout: fill the visible columns and the ids, and for each rule at least
``kind`` and its fields in the YAML cell (or only the 规则类型 label, for the fields to be added
after the first check reports them). The import never evaluates anything: YAML is read with a safe
loader that refuses aliases, the workbook through :mod:`chuangxing.reports.uploads`.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import yaml
from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side

from chuangxing.reports.document import Column, Document, Table
from chuangxing.reports.registry import Param, ReportError, report
from chuangxing.reports.uploads import FORMULA, SheetInvalid, SheetProblem, cell_ref, open_workbook
from chuangxing.rubric import yaml_messages, yamlio
from chuangxing.rubric.export import _document, rubric_document
from chuangxing.rubric.problems import Problem, Report
from chuangxing.rubric.schema import Node, Rubric
from chuangxing.scoring.kinds import RULE_KINDS, RuleBase
from chuangxing.scoring.points import fmt

TABLE = "评分标准"
INFO = "标准信息"
HEADERS = ("项目", "项目分值", "指标", "标准及要求", "指标分值", "分项", "分项分值", "评定标准", "规则类型", "规则分值",
           "行类别", "项目编号", "指标编号", "分项编号", "规则编号", "规则语义（YAML）", "项目属性（YAML）", "指标属性（YAML）",
           "分项属性（YAML）")
(C_CAT, C_CAT_MAX, C_IND, C_STD, C_IND_MAX, C_ITEM, C_ITEM_MAX, C_TEXT, C_KIND, C_POINTS, C_ROW, C_CAT_ID, C_IND_ID,
 C_ITEM_ID, C_RULE_ID, C_RULE, C_CAT_ATTR, C_IND_ATTR, C_ITEM_ATTR) = range(1, 20)
WIDTHS = (12, 6, 16, 36, 6, 12, 6, 48, 12, 6, 8, 14, 14, 14, 16, 40, 24, 24, 24)
HEADER_ROW = 3
ROW_KINDS = {"category": "评分项目", "bonus": "加分项", "penalty": "减分项", "veto": "否决项"}
KIND_OF_ROW = {v: k for k, v in ROW_KINDS.items()}
FIELD_LABELS = {
    "format": "格式版本", "id": "编号", "version": "版本", "title": "名称", "family": "系列", "variant": "变体",
    "issuer": "发布机关", "document_number": "文号", "year": "年份", "applicability": "适用范围", "status": "状态",
    "limitations": "局限", "source": "来源", "extends": "继承", "mode": "计分方式", "max_total": "满分",
    "total_floor": "总分下限", "fraud": "弄虚作假", "facts": "事实", "parameters": "参数", "process_flags": "程序环节",
    "ratings": "评定方案", "constraints": "约束", "process": "程序", "targets": "分布目标", "examples": "示例",
}
TREE_FIELDS = ("categories", "adjustments", "vetoes")
NODE_VISIBLE = {"id", "title", "max", "rules", "indicators", "items"}
MAX_CELL = 32_000
MAX_ROWS = 20_000

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
_MACHINE_FILL = PatternFill("solid", fgColor="EDEDED")


# -- YAML cells -------------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True          # a value shared in the source is written out each time (the reader refuses aliases)


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = format(value.normalize(), "f")
    if "." in text:
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)
    return dumper.represent_scalar("tag:yaml.org,2002:int", text)


_Dumper.add_representer(Decimal, _represent_decimal)


class _SafeLoader(yamlio._DecimalLoader):
    """The rubric loader's YAML (exact decimals), refusing aliases: a cell cannot grow into a billion laughs."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "不接受 YAML 别名（*name）", event.start_mark)
        return super().compose_node(parent, index)


def dump_yaml(value: Any) -> str:
    text = yaml.dump(value, Dumper=_Dumper, allow_unicode=True, sort_keys=False, default_flow_style=False, width=1000)
    text = text.removesuffix("\n...\n").rstrip("\n")
    if len(text) > MAX_CELL:
        raise ValueError(f"a YAML cell of {len(text)} characters does not fit an Excel cell")
    return text


def load_yaml(text: str) -> Any:
    try:
        return yaml.load(text, Loader=_SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行第 {mark.column + 1} 列" if mark is not None else ""
        said = yaml_messages.describe(str(getattr(exc, "problem", None) or exc))
        hint = yaml_messages.hint_for(text, mark.line + 1 if mark is not None else None)
        raise ValueError(f"不是有效的 YAML{where}：{said}" + (f"。{hint}" if hint else "")) from None


# -- writing ------------------------------------------------------------------------------------------------
def rubric_to_xlsx(rubric: Rubric, *, source: dict[str, Any] | None = None) -> bytes:
    """The rubric in the official table layout with its machine columns (see the module docstring).

    The machine columns are written from the rubric's source document when it is known (``source``,
    else the library file of the same id and version, checked to give this very rubric), so that
    ``$parameter`` references survive and the worked examples that change a parameter still run
    after the round trip; otherwise from the rubric as loaded (parameters already applied).
    """
    document = source if source is not None else (source_document(rubric) or rubric_document(rubric))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = TABLE
    _table(sheet, rubric, document)
    _info(workbook.create_sheet(INFO), rubric, document)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def source_document(rubric: Rubric) -> dict[str, Any] | None:
    """The library file of ``rubric`` (``extends`` resolved, ``$name`` kept, the parameter values in effect),
    if building it gives exactly ``rubric``; None otherwise."""
    from chuangxing.rubric import library
    from chuangxing.rubric.loader import _apply_extends, build

    path = library.path_of(rubric.id)
    if path is None:
        return None
    raw = yamlio.parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
    if not isinstance(raw, dict) or str(raw.get("version")) != rubric.version:
        return None
    raw = _apply_extends(raw, Report(rubric.id))
    if raw is None:
        return None
    for name, parameter in (raw.get("parameters") or {}).items():
        if name in rubric.parameters and isinstance(parameter, dict):
            parameter["value"] = rubric.parameters[name].value
    built = build(raw, Report(rubric.id), run_examples=False)
    return raw if built is not None and built.model_dump() == rubric.model_dump() else None


def _table(sheet, rubric: Rubric, document: dict[str, Any]) -> None:
    for i, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[_letter(i)].width = width
    sheet.cell(1, 1, rubric.title).font = Font(bold=True, size=14)
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=C_POINTS)
    meta = "　".join(x for x in (rubric.issuer, rubric.document_number, f"版本 {rubric.version}",
                                f"满分 {fmt(rubric.max_total)} 分") if x)
    sheet.cell(2, 1, meta)
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=C_POINTS)
    for col, header in enumerate(HEADERS, start=1):
        cell = sheet.cell(HEADER_ROW, col, header)
        cell.font, cell.border = Font(bold=True), _BORDER
        cell.fill = _HEADER_FILL if col <= C_POINTS else _MACHINE_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.freeze_panes = f"A{HEADER_ROW + 1}"
    row = HEADER_ROW + 1
    for values in _TableRows(rubric, document).rows():
        for col in range(1, len(HEADERS) + 1):
            value = values.get(col)
            if value is None:
                continue
            cell = sheet.cell(row, col, value)
            if isinstance(value, str) and value.startswith("="):
                cell.data_type = "s"
        row += 1
    _style_and_merge(sheet, HEADER_ROW + 1, row - 1)


class _TableRows:
    """One dict (column → value) per row: visible values from the rubric, machine ones from the document."""

    def __init__(self, rubric: Rubric, document: dict[str, Any]):
        self.rubric, self.document = rubric, document

    def rows(self) -> Iterator[dict[int, Any]]:
        for category, raw in zip(self.rubric.categories, self.document.get("categories") or [], strict=True):
            yield from self._category(category, raw)
        for adjustment, raw in zip(self.rubric.adjustments, self.document.get("adjustments") or [], strict=True):
            base = {C_CAT: adjustment.title, C_CAT_MAX: adjustment.cap, C_STD: adjustment.text,
                    C_ROW: ROW_KINDS[adjustment.type], C_CAT_ID: adjustment.id,
                    C_CAT_ATTR: _attributes(raw, {"id", "title", "type", "rules", "cap", "text"})}
            yield from _rule_rows(adjustment.rules, raw.get("rules") or [], base)
        yield from _rule_rows(self.rubric.vetoes, self.document.get("vetoes") or [],
                              {C_CAT: "否决项", C_ROW: ROW_KINDS["veto"]})

    def _category(self, category, raw: dict) -> Iterator[dict[int, Any]]:
        cat = {C_CAT: category.title, C_CAT_MAX: category.max, C_ROW: ROW_KINDS["category"], C_CAT_ID: category.id,
               C_CAT_ATTR: _attributes(raw, NODE_VISIBLE)}
        for indicator, raw_indicator in zip(category.indicators, raw.get("indicators") or [], strict=True):
            ind = {**cat, C_IND: indicator.title, C_STD: indicator.standard, C_IND_MAX: indicator.max,
                   C_IND_ID: indicator.id, C_IND_ATTR: _attributes(raw_indicator, NODE_VISIBLE | {"standard"})}
            yield from _node_rows(indicator, raw_indicator, ind)
            for item, raw_item in zip(indicator.items, raw_indicator.get("items") or [], strict=True):
                it = {**ind, C_ITEM: item.title, C_ITEM_MAX: item.max, C_ITEM_ID: item.id,
                      C_ITEM_ATTR: _attributes(raw_item, NODE_VISIBLE)}
                yield from _node_rows(item, raw_item, it)
        yield from _rule_rows(category.rules, raw.get("rules") or [], cat)


def _node_rows(node: Node, raw: dict, base: dict[int, Any]) -> Iterator[dict[int, Any]]:
    rows = list(_rule_rows(node.rules, raw.get("rules") or [], base))
    if not rows and not node.children():
        rows = [dict(base)]              # a node without rules still has its row
    yield from rows


def _rule_rows(rules: list[RuleBase], raw_rules: list[dict], base: dict[int, Any]) -> Iterator[dict[int, Any]]:
    for rule, raw in zip(rules, raw_rules, strict=True):
        semantics = {k: v for k, v in raw.items() if k not in ("id", "text")}
        yield {**base, C_TEXT: rule.text, C_KIND: type(rule).label, C_POINTS: rule.max_points(), C_RULE_ID: rule.id,
               C_RULE: dump_yaml(semantics)}


def _attributes(raw: dict, visible: set[str]) -> str | None:
    """A node's fields that have no visible column, and any visible one that is a ``$parameter`` reference."""
    picked = {k: v for k, v in raw.items()
              if k not in visible or (k in ("max", "title", "standard", "cap", "text") and _is_reference(v))}
    picked = {k: v for k, v in picked.items() if k not in ("rules", "indicators", "items", "id")}
    return dump_yaml(picked) if picked else None


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith("$")


def _style_and_merge(sheet, first: int, last: int) -> None:
    """Borders and wrapping; category, indicator and item cells merged over their rows, as printed."""
    for row in sheet.iter_rows(min_row=first, max_row=last, max_col=len(HEADERS)):
        for cell in row:
            cell.border = _BORDER
            cell.alignment = Alignment(wrap_text=True, vertical="center")
            if cell.column > C_POINTS:
                cell.fill = _MACHINE_FILL
    groups = ((C_CAT_ID, (C_CAT, C_CAT_MAX, C_CAT_ATTR)), (C_IND_ID, (C_IND, C_STD, C_IND_MAX, C_IND_ATTR)),
              (C_ITEM_ID, (C_ITEM, C_ITEM_MAX, C_ITEM_ATTR)))
    for key_col, cols in groups:
        for start, end in _runs(sheet, key_col, first, last):
            for col in cols:
                sheet.merge_cells(start_row=start, start_column=col, end_row=end, end_column=col)


def _runs(sheet, key_col: int, first: int, last: int) -> Iterator[tuple[int, int]]:
    keys = [(sheet.cell(r, key_col).value, sheet.cell(r, C_IND_ID).value if key_col == C_ITEM_ID else None,
             sheet.cell(r, C_CAT_ID).value) for r in range(first, last + 1)]
    start = 0
    for i in range(1, len(keys) + 1):
        if i == len(keys) or keys[i] != keys[start]:
            if keys[start][0] is not None and i - 1 > start:
                yield first + start, first + i - 1
            start = i


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


def _info(sheet, rubric: Rubric, document: dict[str, Any]) -> None:
    for col, (header, width) in enumerate((("字段", 18), ("说明", 12), ("内容（YAML）", 120)), start=1):
        cell = sheet.cell(1, col, header)
        cell.font, cell.fill = Font(bold=True), _HEADER_FILL
        sheet.column_dimensions[_letter(col)].width = width
    row = 2
    for name in Rubric.model_fields:
        if name in TREE_FIELDS:
            continue
        # every field, defaults too: an ``extends`` base cannot then fill a section left empty on purpose
        value = document[name] if name in document else _document(getattr(rubric, name))
        for text in _cells_of(value):
            sheet.cell(row, 1, name)
            sheet.cell(row, 2, FIELD_LABELS.get(name, name))
            sheet.cell(row, 3, text).alignment = Alignment(wrap_text=True, vertical="top")
            row += 1


def _cells_of(value: Any) -> list[str]:
    """A field as YAML cells: one per list element or mapping entry (so none outgrows a cell)."""
    if isinstance(value, list) and value:
        return [dump_yaml([element]) for element in value]
    if isinstance(value, dict) and value and all(isinstance(v, dict) for v in value.values()):
        return [dump_yaml({key: v}) for key, v in value.items()]
    return [dump_yaml(value)]


# -- reading ------------------------------------------------------------------------------------------------
def rubric_from_xlsx(data: bytes) -> dict[str, Any]:
    """The raw rubric document of a workbook in this layout; SheetInvalid (every problem, with cells) when
    the workbook cannot be read as one. Validate the result with ``chuangxing.rubric.loader.build``."""
    raw, _ = _Reader(data).read()
    return raw


def check_rubric_xlsx(data: bytes, *, run_examples: bool = True) -> tuple[Report, Rubric | None]:
    """Read and validate like any rubric file: the report's problems say in which cell they are."""
    from chuangxing.rubric.loader import build

    raw, places = _Reader(data).read()
    report = Report("Excel")
    rubric = build(raw, report, run_examples=run_examples)
    report.problems = [_placed(p, places) for p in report.problems]
    return report, rubric if report.ok else None


def _placed(problem: Problem, places: dict[tuple, str]) -> Problem:
    for k in range(len(problem.path), 0, -1):
        cell = places.get(tuple(problem.path[:k]))
        if cell is not None:
            return Problem(problem.code, f"{cell}：{problem.message}", problem.path, problem.severity, problem.line,
                           problem.column, problem.message_en)
    return problem


class _Reader:
    def __init__(self, data: bytes):
        self.data = data
        self.problems: list[SheetProblem] = []
        self.places: dict[tuple, str] = {}

    def read(self) -> tuple[dict[str, Any], dict[tuple, str]]:
        with open_workbook(self.data, max_rows=MAX_ROWS, max_sheet_bytes=16 * 1024 * 1024) as book:
            missing = [name for name in (TABLE, INFO) if name not in book.sheetnames]
            if missing:
                raise SheetInvalid([SheetProblem("wrong_sheet", f"缺少工作表“{name}”（工作簿中有：{'、'.join(book.sheetnames)}）")
                                    for name in missing])
            table = book.rows(TABLE, max_columns=len(HEADERS))
            info = book.rows(INFO, max_columns=3)
            self.problems += book.problems
        raw = self._info(info)
        raw.update(self._tree(table))
        if self.problems:
            raise SheetInvalid(self.problems)
        return raw, self.places

    def _problem(self, code: str, message: str, sheet: str, row: int, col: int) -> None:
        self.problems.append(SheetProblem(code, message, cell_ref(sheet, row, col)))

    def _yaml(self, value: Any, sheet: str, row: int, col: int) -> Any:
        if value is None or value is FORMULA:
            return None
        try:
            return load_yaml(str(value))
        except ValueError as exc:
            self._problem("bad_yaml", str(exc), sheet, row, col)
            return None

    def _info(self, rows: list[tuple[int, list]]) -> dict[str, Any]:
        raw: dict[str, Any] = {}
        for number, values in rows:
            if number == 1:
                continue
            values = values + [None] * (3 - len(values))
            name = str(values[0] or "").strip()
            if not name or name in TREE_FIELDS:
                self._problem("bad_field", "第一列应为字段名（如 id、title、ratings）", INFO, number, 1)
                continue
            value = self._yaml(values[2], INFO, number, 3)
            self.places.setdefault((name,), cell_ref(INFO, number, 3))
            if name not in raw:
                raw[name] = value
            elif isinstance(raw[name], list) and isinstance(value, list):
                self.places[(name, len(raw[name]))] = cell_ref(INFO, number, 3)
                raw[name] = raw[name] + value
            elif isinstance(raw[name], dict) and isinstance(value, dict):
                raw[name] = {**raw[name], **value}
            else:
                self._problem("repeated_field", f"字段“{name}”出现了多次", INFO, number, 1)
        for name, value in list(raw.items()):
            if isinstance(value, list):
                for i in range(len(value)):
                    self.places.setdefault((name, i), self.places[(name,)])
        return raw

    def _tree(self, rows: list[tuple[int, list]]) -> dict[str, Any]:
        tree = _Tree(self)
        for number, values in rows:
            if number <= HEADER_ROW:
                continue
            tree.add(number, values + [None] * (len(HEADERS) - len(values)))
        return tree.result()


class _Tree:
    """The categories, adjustments and vetoes, rebuilt row by row from the ids."""

    def __init__(self, reader: _Reader):
        self.reader = reader
        self.categories: dict[str, dict] = {}
        self.adjustments: dict[str, dict] = {}
        self.vetoes: list[dict] = []

    def result(self) -> dict[str, Any]:
        """The tree as a rubric document: the children kept by id while reading become lists."""
        categories = list(self.categories.values())
        for category in categories:
            category["indicators"] = list(category["indicators"].values())
            for indicator in category["indicators"]:
                indicator["items"] = list(indicator["items"].values())
        return {"categories": categories, "adjustments": list(self.adjustments.values()), "vetoes": self.vetoes}

    def add(self, number: int, v: list[Any]) -> None:
        kind = KIND_OF_ROW.get(str(v[C_ROW - 1] or "").strip())
        if kind is None:
            self.reader._problem("bad_row_kind", f"行类别应为：{'、'.join(ROW_KINDS.values())}", TABLE, number, C_ROW)
            return
        rule = self._rule(number, v)
        if kind == "veto":
            if rule is not None:
                self.reader.places[("vetoes", len(self.vetoes))] = cell_ref(TABLE, number, C_RULE)
                self.vetoes.append(rule)
            return
        owner = self._adjustment(number, v, kind) if kind in ("bonus", "penalty") else self._node(number, v)
        if owner is None:
            return
        node, path = owner
        if rule is not None:
            self.reader.places[(*path, "rules", len(node["rules"]))] = cell_ref(TABLE, number, C_RULE)
            node["rules"].append(rule)

    def _text(self, v: list[Any], col: int) -> str | None:
        value = v[col - 1]
        return None if value in (None, "") or value is FORMULA else str(value)

    def _points(self, number: int, v: list[Any], col: int) -> Any:
        value = v[col - 1]
        if value is None or value is FORMULA:
            return None
        if isinstance(value, bool):
            self.reader._problem("not_a_number", "应为分值（数字）", TABLE, number, col)
            return None
        if isinstance(value, float):
            value = Decimal(repr(value))
            return int(value) if value == value.to_integral_value() else value
        if isinstance(value, int):
            return value
        try:
            return Decimal(str(value).strip().removesuffix("分"))
        except ArithmeticError:
            self.reader._problem("not_a_number", f"应为分值（数字），收到“{value}”", TABLE, number, col)
            return None

    def _attrs(self, number: int, v: list[Any], col: int) -> dict[str, Any]:
        value = self.reader._yaml(v[col - 1], TABLE, number, col)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.reader._problem("bad_yaml", "属性应为 YAML 键值映射（如 reading: …）", TABLE, number, col)
            return {}
        return value

    def _new_node(self, number: int, v: list[Any], ids: tuple[int, int, int, int], children: str | None) -> dict:
        id_col, title_col, max_col, attr_col = ids
        node: dict[str, Any] = {"id": self._text(v, id_col), "title": self._text(v, title_col),
                                "max": self._points(number, v, max_col)}
        if title_col == C_IND and self._text(v, C_STD) is not None:
            node["standard"] = self._text(v, C_STD)
        node.update(self._attrs(number, v, attr_col))
        node["rules"] = []
        if children:
            node[children] = {}
        return node

    def _node(self, number: int, v: list[Any]) -> tuple[dict, tuple] | None:
        cat_id = self._text(v, C_CAT_ID)
        if cat_id is None:
            self.reader._problem("missing_id", "缺少项目编号", TABLE, number, C_CAT_ID)
            return None
        if cat_id not in self.categories:
            self.reader.places[("categories", len(self.categories))] = cell_ref(TABLE, number, C_CAT)
            self.categories[cat_id] = self._new_node(number, v, (C_CAT_ID, C_CAT, C_CAT_MAX, C_CAT_ATTR), "indicators")
        ci = list(self.categories).index(cat_id)
        category = self.categories[cat_id]
        ind_id = self._text(v, C_IND_ID)
        if ind_id is None:
            return category, ("categories", ci)
        indicators = category["indicators"]
        if ind_id not in indicators:
            self.reader.places[("categories", ci, "indicators", len(indicators))] = cell_ref(TABLE, number, C_IND)
            indicators[ind_id] = self._new_node(number, v, (C_IND_ID, C_IND, C_IND_MAX, C_IND_ATTR), "items")
        ii = list(indicators).index(ind_id)
        indicator = indicators[ind_id]
        item_id = self._text(v, C_ITEM_ID)
        if item_id is None:
            return indicator, ("categories", ci, "indicators", ii)
        items = indicator["items"]
        if item_id not in items:
            self.reader.places[("categories", ci, "indicators", ii, "items", len(items))] = cell_ref(TABLE, number, C_ITEM)
            items[item_id] = self._new_node(number, v, (C_ITEM_ID, C_ITEM, C_ITEM_MAX, C_ITEM_ATTR), None)
        return items[item_id], ("categories", ci, "indicators", ii, "items", list(items).index(item_id))

    def _adjustment(self, number: int, v: list[Any], kind: str) -> tuple[dict, tuple] | None:
        adj_id = self._text(v, C_CAT_ID)
        if adj_id is None:
            self.reader._problem("missing_id", "缺少加分项（减分项）编号", TABLE, number, C_CAT_ID)
            return None
        if adj_id not in self.adjustments:
            self.reader.places[("adjustments", len(self.adjustments))] = cell_ref(TABLE, number, C_CAT)
            adjustment = {"id": adj_id, "title": self._text(v, C_CAT), "type": kind}
            cap = self._points(number, v, C_CAT_MAX)
            if cap is not None:
                adjustment["cap"] = cap
            if self._text(v, C_STD) is not None:
                adjustment["text"] = self._text(v, C_STD)
            adjustment.update(self._attrs(number, v, C_CAT_ATTR))
            adjustment["rules"] = []
            self.adjustments[adj_id] = adjustment
        return self.adjustments[adj_id], ("adjustments", list(self.adjustments).index(adj_id))

    def _rule(self, number: int, v: list[Any]) -> dict | None:
        rule_id, text = self._text(v, C_RULE_ID), self._text(v, C_TEXT)
        if rule_id is None:
            if text is not None:
                self.reader._problem("missing_id", "有评定标准的行须填写规则编号", TABLE, number, C_RULE_ID)
            return None
        before = len(self.reader.problems)
        semantics = self.reader._yaml(v[C_RULE - 1], TABLE, number, C_RULE) or {}
        if len(self.reader.problems) > before:
            return None                      # the YAML was reported; nothing more to say about this rule
        if not isinstance(semantics, dict):
            self.reader._problem("bad_yaml", "规则语义应为 YAML 键值映射（kind: …）", TABLE, number, C_RULE)
            return None
        if "kind" not in semantics:
            label = self._text(v, C_KIND)
            kind = next((k for k, cls in RULE_KINDS.items() if cls.label == label or k == label), None)
            if kind is None:
                self.reader._problem("missing_kind", f"规则语义缺少 kind，规则类型“{label or ''}”也无法识别", TABLE, number,
                                     C_KIND)
                return None
            semantics["kind"] = kind
        return {"id": rule_id, "text": text, **semantics}


# -- as a report ---------------------------------------------------------------------------------------------
def _rubric_file(params: dict[str, Any], progress) -> tuple[bytes, str]:
    rubric = _library_rubric(params)
    progress(1, 1, "评分标准")
    return rubric_to_xlsx(rubric), f"{rubric.title}（{rubric.id}）"


def _library_rubric(params: dict[str, Any]) -> Rubric:
    from chuangxing.rubric import library

    try:
        return library.load(params["rubric"])
    except KeyError:
        raise ReportError("not_found", f"标准库中没有编号为“{params['rubric']}”的标准（可用：{'、'.join(library.ids())}）",
                          f"no library rubric {params['rubric']}") from None


@report("rubric", title="评分标准（原表格式）", params=(Param("rubric", "标准编号", str),), needs_database=False,
        custom={"xlsx": _rubric_file})
def rubric_report(params: dict[str, Any], progress) -> Document:
    """标准的原表格式：项目、标准及要求、分值、评定标准；Excel 版另含机器语义列，可修改后再导入。"""
    rubric = _library_rubric(params)
    columns = [Column("category", "项目", 10, merge_on="_cat"), Column("indicator", "标准及要求", 34, merge_on="_ind"),
               Column("max", "分值", 6, "points", merge_on="_ind"), Column("rule", "评定标准", 50)]
    rows = []
    for number, category in enumerate(rubric.categories):
        base = {"category": f"{_numeral(number)}、{category.title}（{fmt(category.max)}分）", "_cat": category.id}
        for indicator in category.indicators:
            where = {**base, "indicator": indicator.title + (f"\n{indicator.standard}" if indicator.standard else ""),
                     "max": indicator.max, "_ind": indicator.id}
            texts = [r.text for r in indicator.rules] + [f"【{i.title}（{fmt(i.max)}分）】{r.text}"
                                                         for i in indicator.items for r in i.rules]
            rows += [{**where, "rule": text} for text in texts or [""]]
        rows += [{**base, "indicator": category.bottom_lines_text or "", "_ind": f"{category.id}:own", "rule": r.text}
                 for r in category.rules]
    for adjustment in rubric.adjustments:
        rows += [{"category": adjustment.title, "_cat": adjustment.id, "indicator": adjustment.text or "",
                  "_ind": adjustment.id, "max": f"上限{fmt(adjustment.cap)}" if adjustment.cap else None, "rule": r.text}
                 for r in adjustment.rules]
    rows += [{"category": "否决项", "_cat": "vetoes", "rule": v.text} for v in rubric.vetoes]
    progress(len(rows), len(rows), "评分标准")
    meta = "　".join(x for x in (rubric.issuer, rubric.document_number, f"版本 {rubric.version}") if x)
    return Document(title=rubric.title, filename=f"{rubric.title}（{rubric.id}）", preamble=[meta],
                    tables=[Table(columns, rows, sheet="评分标准", count=len(rows))])


def _numeral(number: int) -> str:
    numerals = "一二三四五六七八九十"
    return numerals[number] if number < len(numerals) else str(number + 1)

