"""The blank score sheet a reviewer fills offline, and reading it back as findings.

>>> Path("甲一支部-评分表.xlsx").write_bytes(blank_sheet(rubric, branch="甲一支部"))
>>> findings = read_filled_sheet(rubric, uploaded_bytes)        # SheetInvalid listing every problem, or:
{'rubric': 'zhenjiang-2018', 'branch': '甲一支部', 'inputs': {'zj-org-1-a': 1, 'zj-func-1-d': {...}, ...}}
>>> read_filled_values(rubric, uploaded_bytes)                   # the same with each rule's reason, for save_findings
{'zj-org-1-a': {'value': 1, 'reason': '张三组织关系未转'}, ...}

The sheet (``评分表``) has one row per rule that takes an input (a rule of an indicator or item, a
bonus or penalty rule, a veto)::

    A 规则编号 (hidden)  B 项目  C 指标  D 评定标准  E 类型  F 填写要求  G 填写  H 理由/说明

and, in the hidden column A above the header, a marker, the rubric's id and version and the
branch. The sheet is protected with only G and H unlocked (no password: it guards against slips,
and the reading checks everything anyway). An empty G leaves the rule unassessed (a fact from the
records may still answer it). What G takes is described in F, in Chinese, per rule kind; the
reading turns it into the finding the rule kind parses, and every problem is reported with its
cell: another workbook or sheet, another rubric, a rule whose wording was edited, a row added or
removed, a formula, a value the rule refuses (out of range, not a number, a reason missing).
Nothing is returned unless everything checks: a :class:`SheetInvalid` lists all problems at once.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.worksheet.datavalidation import DataValidation

from chuangxing.reports.registry import Param, ReportError, report
from chuangxing.reports.uploads import FORMULA, SheetInvalid, SheetProblem, cell_ref, open_workbook
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring.errors import FindingsInvalid, InputError
from chuangxing.scoring.findings import parse_findings
from chuangxing.scoring.kinds import ABSENT, RuleBase
from chuangxing.scoring.points import fmt

SHEET = "评分表"
MARKER = "chuangxing-fill-sheet/1"
HEADER_ROW = 6
HEADERS = ("规则编号", "项目", "指标", "评定标准", "类型", "填写要求", "填写", "理由/说明")
WIDTHS = (14, 12, 20, 48, 10, 36, 14, 28)
INPUT_COL, REASON_COL, TEXT_COL = 7, 8, 4
MAX_ROWS = 2000
YES = {"是", "yes", "true", "y", "√", "✓", "1"}
NO = {"否", "no", "false", "n", "×", "✗", "0"}
NONE_WORDS = {"无", "没有", "none", "—", "-"}
_SPLIT = re.compile(r"[、，,；;\n]+")
_EVENT_KEYS = {"项目": "project", "人数": "persons", "次数": "count", "修饰": "modifier", "分值": "points",
               "理由": "reason", "备注": "note"}
NO_INPUT = ("all_or_nothing",)

_THIN = Side(style="thin", color="000000")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
_INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
_HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")


# -- which rules, and where they sit ------------------------------------------------------------------
def sheet_rules(rubric: Rubric) -> list[tuple[RuleBase, str, str]]:
    """(rule, 项目, 指标) for every enabled rule that takes an input, in the rubric's order."""
    out: list[tuple[RuleBase, str, str]] = []
    for category in rubric.categories:
        out += [(r, category.title, category.bottom_lines_text or "本项目") for r in category.rules]
        for indicator in category.indicators:
            out += [(r, category.title, indicator.title) for r in indicator.rules]
            for item in indicator.items:
                out += [(r, category.title, f"{indicator.title} / {item.title}") for r in item.rules]
    for adjustment in rubric.adjustments:
        out += [(r, adjustment.title, adjustment.text or adjustment.title) for r in adjustment.rules]
    out += [(v, "否决项", "有下列情形之一的，不予评定") for v in rubric.vetoes]
    return [(r, c, i) for r, c, i in out if r.enabled and r.kind not in NO_INPUT
            and getattr(r, "input_type", None) != "none"]


def describe(rule: RuleBase) -> str:
    """What the 填写 cell takes for ``rule``, in Chinese."""
    return _DESCRIBE.get(rule.kind, _describe_number)(rule, "扣" if rule.effect == "deduct" else "得")


def _describe_fixed(rule, verb: str) -> str:
    when = "出现该情形" if rule.effect == "deduct" else "做到了"
    return f"{when}填“是”，否则填“否”（{verb} {fmt(rule.points)} 分）"


def _describe_count(rule, verb: str) -> str:
    cap = f"，最多 {fmt(rule.max)} 分" if rule.max is not None else ""
    if rule.required is not None:
        return f"填实际完成次数（整数；应完成 {rule.required} 次，每少 1 次{verb} {fmt(rule.points)} 分{cap}）"
    return f"填发生次数（整数，没有填 0；每次{verb} {fmt(rule.points)} 分{cap}）"


def _describe_range(rule, verb: str) -> str:
    text = f"填评定分值：0（不{verb}分）或 {fmt(rule.min)}—{fmt(rule.max)} 分"
    if rule.repeat:
        text = f"每次违反写一行分值（{fmt(rule.min)}—{fmt(rule.max)} 分），理由栏逐行对应；没有填“无”"
    return text + ("；须在理由栏写明理由" if rule.reason_required else "")


def _describe_banded(rule, verb: str) -> str:
    bands = "；".join(f"{b.describe()}{rule.unit}{verb} {fmt(b.points)} 分" for b in rule.bands if b.points)
    absent = "；未参加（没有数值）填“缺考”" if rule.absent_points is not None else ""
    return f"填数值{f'（{rule.unit}）' if rule.unit else ''}：{bands}{absent}"


def _describe_threshold(rule, verb: str) -> str:
    ops = {"lt": "低于", "le": "不高于", "gt": "高于", "ge": "达到"}
    return f"填数值（{rule.unit}）：{ops[rule.op]} {fmt(rule.value)}{rule.unit} 时{verb} {fmt(rule.points)} 分"


def _describe_events(rule, verb: str) -> str:
    def kind(t) -> str:
        if t.points:
            return f"{t.label}（{fmt(t.points)} 分{'/人' if t.per_person else ''}）"
        return f"{t.label}（{fmt(t.min or 0)}—{fmt(t.max)} 分，填分值和理由）"

    mods = f"；修饰：{'、'.join(m.label for m in rule.modifiers)}" if rule.modifiers else ""
    return (f"每个事件一行：类型[；项目=…][；人数=…][；次数=…][；修饰=…][；分值=…][；理由=…]，没有填“无”。"
            f"类型：{'；'.join(kind(t) for t in rule.types)}{mods}")


def _describe_number(rule, verb: str) -> str:
    return "填“是”或“否”" if getattr(rule, "input_type", None) == "bool" else "填数值"


_DESCRIBE = {
    "fixed": _describe_fixed,
    "zero_if": lambda rule, verb: "出现该情形（本项得 0 分）填“是”，否则填“否”",
    "veto": lambda rule, verb: "出现该情形填“是”并在理由栏写明情况，否则填“否”",
    "per_occurrence": _describe_count,
    "range": _describe_range,
    "banded": _describe_banded,
    "threshold": _describe_threshold,
    "checklist": lambda rule, verb: f"填未做到的项目（用顿号分隔），全部做到填“无”。项目：{_labels(rule.items)}",
    "events": _describe_events,
}


# -- the blank sheet ---------------------------------------------------------------------------------
def blank_sheet(rubric: Rubric, *, branch: str | None = None, values: Mapping[str, Any] | None = None,
                reasons: Mapping[str, str] | None = None) -> bytes:
    """The score sheet to fill for ``rubric`` (optionally pre-filled with findings ``values``: rule id → input)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET
    _head(sheet, rubric, branch)
    validations = _rule_rows(sheet, rubric, dict(values or {}), dict(reasons or {}))
    for validation in validations:
        if validation.sqref:
            sheet.add_data_validation(validation)
    sheet.freeze_panes = f"D{HEADER_ROW + 1}"
    sheet.protection.sheet = True
    sheet.protection.formatColumns = False     # widths may be changed; cells stay locked
    sheet.protection.formatRows = False
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _head(sheet, rubric: Rubric, branch: str | None) -> None:
    for i, width in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[chr(64 + i)].width = width
    sheet.column_dimensions["A"].hidden = True
    hidden = (MARKER, rubric.id, rubric.version, branch or "")
    shown = (f"{branch or '党支部'}考评评分表（填写用）", f"考评标准：{rubric.title}　版本 {rubric.version}",
             f"党支部：{branch or '＿＿＿＿＿＿＿＿'}　　评分人：＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日",
             "填写说明：只在黄色的“填写”和“理由/说明”两列填写，按“填写要求”一栏；留空的规则视为未评定。"
             "请勿改动评定标准的文字、增删或调换行，不要使用公式。填好后保存为 .xlsx 上传。")
    for row, (machine, text) in enumerate(zip(hidden, shown, strict=True), start=1):
        sheet.cell(row, 1, machine)
        sheet.cell(row, 2, text).alignment = Alignment(wrap_text=True, vertical="center")
        sheet.merge_cells(start_row=row, start_column=2, end_row=row, end_column=len(HEADERS))
    sheet["B1"].font = Font(bold=True, size=14)
    sheet.row_dimensions[4].height = 32
    for col, header in enumerate(HEADERS, start=1):
        cell = sheet.cell(HEADER_ROW, col, header)
        cell.font, cell.fill, cell.border = Font(bold=True), _HEADER_FILL, _BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _rule_rows(sheet, rubric: Rubric, values: dict[str, Any], reasons: dict[str, str]) -> list[DataValidation]:
    yes_no = DataValidation(type="list", formula1='"是,否"', allow_blank=True, showErrorMessage=True,
                            errorTitle="请填“是”或“否”", error="本规则只接受“是”或“否”")
    counts = DataValidation(type="whole", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                            showErrorMessage=True, errorTitle="请填整数", error="本规则填次数：0 或正整数")
    for row, (rule, category, where) in enumerate(sheet_rules(rubric), start=HEADER_ROW + 1):
        given, reason = to_cells(rule, values[rule.id]) if rule.id in values else (None, None)
        cells = (rule.id, category, where, rule.text, type(rule).label, describe(rule), given,
                 reasons.get(rule.id) or reason)
        for col, value in enumerate(cells, start=1):
            _put(sheet.cell(row, col), value, editable=col in (INPUT_COL, REASON_COL))
        if rule.kind in ("fixed", "zero_if", "veto") or getattr(rule, "input_type", None) == "bool":
            yes_no.add(f"G{row}")
        elif rule.kind == "per_occurrence":
            counts.add(f"G{row}")
    return [yes_no, counts]


def _put(cell, value: Any, *, editable: bool) -> None:
    cell.value = value
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"          # text that looks like a formula stays text
    cell.border = _BORDER
    cell.alignment = Alignment(wrap_text=True, vertical="center")
    if editable:
        cell.protection = Protection(locked=False)
        cell.fill = _INPUT_FILL


def to_cells(rule: RuleBase, raw: Any) -> tuple[Any, str | None]:
    """A finding's value for ``rule`` as the 填写 and 理由 cells (the inverse of :func:`from_cells`)."""
    kind = rule.kind
    if kind in ("fixed", "zero_if") or (kind == "expression" and rule.input_type == "bool"):
        return ("是" if _truthy(raw) else "否"), None
    if kind == "veto":
        if isinstance(raw, Mapping):
            return ("是", raw.get("reason") or None) if _truthy(raw.get("triggered", True)) else ("否", None)
        if isinstance(raw, str) and raw.strip().lower() not in YES | NO:
            return "是", raw.strip()
        return ("是" if _truthy(raw) else "否"), None
    if kind == "range":
        choices = list(raw) if rule.repeat else [raw]
        if rule.repeat and not choices:
            return "无", None
        points = [c.get("points") if isinstance(c, Mapping) else c for c in choices]
        texts = [str(c.get("reason") or "") if isinstance(c, Mapping) else "" for c in choices]
        if rule.repeat:
            return "\n".join(fmt(Decimal(str(p))) for p in points), "\n".join(texts) or None
        return _number_cell(points[0]), texts[0] or None
    if kind == "banded" and (raw is None or raw in (ABSENT, "缺考")):
        return "缺考", None
    if kind == "checklist":
        missing = [k for k, v in raw.items() if not _truthy(v)] if isinstance(raw, Mapping) else list(raw)
        labels = {i.id: i.label for i in rule.items}
        return ("、".join(labels.get(k, k) for k in missing) or "无"), None
    if kind == "events":
        return ("\n".join(_event_line(rule, e) for e in raw) or "无"), None
    return _number_cell(raw), None


def _number_cell(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int | Decimal):
        return value
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return value


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in YES
    return bool(value)


def _event_line(rule: RuleBase, event: Mapping[str, Any]) -> str:
    labels = {t.id: t.label for t in rule.types}
    mods = {m.id: m.label for m in rule.modifiers}
    parts = [labels.get(event["type"], event["type"])]
    for word, key in _EVENT_KEYS.items():
        value = event.get(key)
        if value in (None, "") or (key in ("persons", "count") and int(value) == 1):
            continue
        if key == "modifier":
            value = mods.get(value, value)
        parts.append(f"{word}={fmt(Decimal(str(value))) if key == 'points' else value}")
    return "；".join(str(p) for p in parts)


# -- reading it back -----------------------------------------------------------------------------------
def read_filled_sheet(rubric: Rubric, data: bytes) -> dict[str, Any]:
    """The findings of a filled sheet (rubric, branch, inputs), checked against ``rubric``; SheetInvalid otherwise."""
    reader = _Reader(rubric, data)
    values = reader.values()
    return {"rubric": rubric.id, "branch": reader.branch or None,
            "inputs": {rule_id: v["value"] for rule_id, v in values.items()}}


def read_filled_values(rubric: Rubric, data: bytes) -> dict[str, dict[str, Any]]:
    """Each filled rule's value and the text of its 理由 cell: what ``services.save_findings`` takes."""
    return _Reader(rubric, data).values()


class _Reader:
    def __init__(self, rubric: Rubric, data: bytes):
        self.rubric, self.data = rubric, data
        self.problems: list[SheetProblem] = []
        self.branch: str | None = None
        self.rows_of: dict[str, int] = {}

    def values(self) -> dict[str, dict[str, Any]]:
        with open_workbook(self.data, max_rows=MAX_ROWS) as book:
            if SHEET not in book.sheetnames:
                names = "、".join(book.sheetnames)
                raise SheetInvalid([SheetProblem("wrong_sheet", f"找不到工作表“{SHEET}”（工作簿中有：{names}）"
                                                 "：请上传本系统导出的评分表")])
            rows = dict(book.rows(SHEET, max_columns=len(HEADERS)))
            self.problems += book.problems
        self._check_head(rows)
        out = self._rules(rows)
        self._check_findings(out)
        if self.problems:
            raise SheetInvalid(self.problems)
        return out

    def _problem(self, code: str, message: str, row: int | None = None, column: int | None = None) -> None:
        self.problems.append(SheetProblem(code, message, cell_ref(SHEET, row, column) if row else None))

    def _check_head(self, rows: dict[int, list]) -> None:
        head = [(_at(rows, r, 1)) for r in range(1, 5)]
        if head[0] != MARKER:
            raise SheetInvalid([SheetProblem("not_fill_sheet",
                                             "这不是本系统生成的评分表（标记单元格不符），请先下载空白评分表再填写",
                                             cell_ref(SHEET, 1, 1))])
        if head[1] != self.rubric.id:
            raise SheetInvalid([SheetProblem("wrong_rubric",
                                             f"这份评分表针对的是标准“{head[1]}”，不是本次考评的“{self.rubric.id}”"
                                             f"（{self.rubric.title}）", cell_ref(SHEET, 2, 1))])
        if str(head[2] or "") != self.rubric.version:
            self._problem("wrong_version", f"这份评分表按标准版本“{head[2]}”生成，本次考评用的是版本“{self.rubric.version}”，"
                          "请重新下载评分表", 3, 1)
        self.branch = str(head[3]) if head[3] not in (None, "", FORMULA) else None
        if _at(rows, HEADER_ROW, TEXT_COL) != HEADERS[TEXT_COL - 1]:
            self._problem("header_moved", f"第 {HEADER_ROW} 行应为表头（“{HEADERS[TEXT_COL - 1]}”），表格的行被移动或删除了",
                          HEADER_ROW, TEXT_COL)

    def _rules(self, rows: dict[int, list]) -> dict[str, dict[str, Any]]:
        expected = {rule.id: rule for rule, _, _ in sheet_rules(self.rubric)}
        out: dict[str, dict[str, Any]] = {}
        for number in sorted(r for r in rows if r > HEADER_ROW):
            values = rows[number] + [None] * (len(HEADERS) - len(rows[number]))
            rule_id = values[0]
            if rule_id in (None, ""):
                self._problem("no_rule_id", "这一行没有规则编号：请勿在表中插入行或复制粘贴整行", number, 1)
                continue
            rule = expected.get(str(rule_id))
            if rule is None:
                known = self.rubric.rule(str(rule_id))
                why = "在本标准中不需要填写" if known is not None else "不是本标准的规则"
                self._problem("unknown_rule", f"规则编号“{rule_id}”{why}", number, 1)
                continue
            if rule.id in self.rows_of:
                self._problem("duplicate_rule", f"规则“{rule.id}”出现了两次（另见第 {self.rows_of[rule.id]} 行）", number, 1)
                continue
            self.rows_of[rule.id] = number
            if _norm(values[TEXT_COL - 1]) != _norm(rule.text):
                self._problem("text_changed", f"评定标准的文字被改动了，应为“{rule.text}”", number, TEXT_COL)
                continue
            self._read(rule, values, number, out)
        for rule_id, rule in expected.items():
            if rule_id not in self.rows_of:
                self._problem("missing_rule", f"缺少规则“{rule_id}”（{rule.text[:30]}）所在的行：请勿删除行")
        return out

    def _read(self, rule: RuleBase, values: list, number: int, out: dict) -> None:
        given, reason = values[INPUT_COL - 1], values[REASON_COL - 1]
        if given is FORMULA or reason is FORMULA:
            return
        reason = "" if reason is None else str(reason).replace("\r\n", "\n")
        if given is None or (isinstance(given, str) and not given.strip()):
            return
        try:
            value = from_cells(rule, given, reason)
            rule.parse_input(value)
        except InputError as exc:
            self._problem(exc.code, exc.message_zh, number, INPUT_COL)
            return
        out[rule.id] = {"value": value, "reason": reason.strip()}

    def _check_findings(self, values: dict[str, dict[str, Any]]) -> None:
        """The engine's own check of the whole findings (e.g. a rule switched off by a parameter)."""
        try:
            parse_findings(self.rubric, {"rubric": self.rubric.id, "inputs": {k: v["value"] for k, v in values.items()}})
        except FindingsInvalid as exc:
            for error in exc.errors:
                row = self.rows_of.get(error.rule or "")
                self._problem(error.code, error.message_zh, row, INPUT_COL if row else None)


def from_cells(rule: RuleBase, given: Any, reason: str) -> Any:
    """The finding for ``rule`` from its 填写 cell and its 理由 text (InputError with a Chinese message)."""
    kind = rule.kind
    if kind == "range" and rule.repeat:
        return _repeated(given, reason)
    reason = reason.strip()
    if kind in ("fixed", "zero_if") or (kind == "expression" and rule.input_type == "bool"):
        return _yes_no(given)
    if kind == "veto":
        held = _yes_no(given)
        return (reason or True) if held else False
    if kind == "per_occurrence":
        number = Decimal(_number(given, "次数"))
        if number != number.to_integral_value():
            raise InputError("fractional_count", f"次数应为整数，收到 {fmt(number)}", "count must be whole")
        return int(number)
    if kind == "range":
        return _range(rule, given, reason)
    if kind == "banded" and str(given).strip() in ("缺考", ABSENT, "未参加"):
        return ABSENT
    if kind == "checklist":
        return _checklist(rule, given)
    if kind == "events":
        return _events(rule, given)
    if kind == "threshold" and isinstance(given, str):
        given = given.strip().rstrip("%％")
    return _number(given, "数值")


def _yes_no(given: Any) -> bool:
    if isinstance(given, bool):
        return given
    text = str(given).strip().lower()
    if text in YES:
        return True
    if text in NO:
        return False
    raise InputError("not_yes_no", f"应填“是”或“否”，收到“{given}”", f"must be yes/no, got {given!r}")


def _number(given: Any, what: str) -> Decimal | int:
    if isinstance(given, bool):
        raise InputError("not_a_number", f"{what}应为数字，收到“{given}”", f"{what}: not a number")
    if isinstance(given, int):
        return given
    if isinstance(given, float):
        number = Decimal(repr(given))
    else:
        try:
            number = Decimal(str(given).strip())
        except InvalidOperation:
            raise InputError("not_a_number", f"{what}应为数字，收到“{given}”", f"{what}: {given!r} is not a number") from None
    if not number.is_finite():
        raise InputError("not_a_number", f"{what}应为有限的数字，收到“{given}”", f"{what}: not finite")
    return int(number) if number == number.to_integral_value() and "." not in str(given) else number


def _range(rule: RuleBase, given: Any, reason: str) -> Any:
    return {"points": _number(given, "分值"), "reason": reason}


def _repeated(given: Any, reason: str) -> list[dict[str, Any]]:
    """One judgement per line: the points in 填写, the reasons line by line in 理由 (an empty line for none)."""
    if str(given).strip().lower() in NONE_WORDS:
        return []
    points = [p.strip() for p in str(given).splitlines() if p.strip()]
    reasons = reason.split("\n") if reason.strip() else []
    while len(reasons) > len(points) and not reasons[-1].strip():
        reasons.pop()
    if reasons and len(reasons) != len(points):
        raise InputError("reasons_mismatch", f"填了 {len(points)} 个分值，理由却有 {len(reasons)} 行：请逐行对应",
                         "points and reasons do not pair up")
    return [{"points": _number(p, "分值"), "reason": reasons[i].strip() if reasons else ""} for i, p in enumerate(points)]


def _checklist(rule: RuleBase, given: Any) -> list[str]:
    text = str(given).strip()
    if text.lower() in NONE_WORDS:
        return []
    by_label = {i.label: i.id for i in rule.items} | {i.id: i.id for i in rule.items}
    missing, unknown = [], []
    for token in (t.strip() for t in _SPLIT.split(text) if t.strip()):
        (missing if token in by_label else unknown).append(by_label.get(token, token))
    if unknown:
        raise InputError("unknown_item", f"清单中没有这些项目：{'、'.join(unknown)}（可填：{_labels(rule.items)}）",
                         f"unknown checklist items {unknown}")
    return missing


def _events(rule: RuleBase, given: Any) -> list[dict[str, Any]]:
    text = str(given).strip()
    if text.lower() in NONE_WORDS:
        return []
    types = {t.label: t.id for t in rule.types} | {t.id: t.id for t in rule.types}
    mods = {m.label: m.id for m in rule.modifiers} | {m.id: m.id for m in rule.modifiers}
    events = []
    for n, line in enumerate((x for x in text.splitlines() if x.strip()), start=1):
        parts = [p.strip() for p in re.split(r"[；;]", line) if p.strip()]
        if parts[0] not in types:
            raise InputError("unknown_event_type", f"第 {n} 个事件的类型“{parts[0]}”不存在（可填：{_labels(rule.types)}）",
                             f"event {n}: unknown type {parts[0]}")
        event: dict[str, Any] = {"type": types[parts[0]]}
        for part in parts[1:]:
            word, sep, value = part.partition("=")
            key = _EVENT_KEYS.get(word.strip())
            if not sep or key is None:
                raise InputError("bad_event", f"第 {n} 个事件的“{part}”应写成 项目=…、人数=…、次数=…、修饰=…、分值=… 或 理由=…",
                                 f"event {n}: bad part {part!r}")
            value = value.strip()
            if key in ("persons", "count"):
                event[key] = int(_number(value, "人数" if key == "persons" else "次数"))
            elif key == "points":
                event[key] = _number(value, "分值")
            elif key == "modifier":
                event[key] = mods.get(value, value)
            else:
                event[key] = value
        events.append(event)
    return events


def _labels(choices) -> str:
    return "、".join(c.label for c in choices)


def _at(rows: dict[int, list], row: int, column: int) -> Any:
    values = rows.get(row) or []
    return values[column - 1] if len(values) >= column else None


def _norm(text: Any) -> str:
    return "" if text is None or text is FORMULA else str(text).replace("\r\n", "\n").strip()


def filled_from_findings(rubric: Rubric, findings: Mapping[str, Any], *, branch: str | None = None) -> bytes:
    """A sheet already filled with ``findings['inputs']`` (the self-assessment, for the reviewer to adjust)."""
    return blank_sheet(rubric, branch=branch or findings.get("branch"), values=dict(findings.get("inputs") or {}))


# -- the report ------------------------------------------------------------------------------------------
def _blank_sheet_file(params: dict[str, Any], progress) -> tuple[bytes, str]:
    from chuangxing.assessments.services import findings_data, rubric_of
    from chuangxing.reports.scoresheet import find_assessment

    assessment = find_assessment(params)
    rubric = rubric_of(assessment)
    stage = params.get("stage")
    values = findings_data(assessment, stage=stage)["inputs"] if stage else None
    content = blank_sheet(rubric, branch=assessment.branch.name, values=values)
    progress(1, 1, "评分表")
    return content, f"{assessment.branch.name}-评分表（填写用）"


@report("blank-sheet", title="党支部评分表（填写用，Excel）",
        params=(Param("cycle", "考评周期"), Param("branch", "党支部"),
                Param("stage", "预先填入哪一阶段的评分（可选：self、review、inspection）", str, required=False,
                      choices=("self", "review", "inspection"))),
        formats=("xlsx",), custom={"xlsx": _blank_sheet_file})
def blank_sheet_report(params: dict[str, Any], progress) -> None:   # pragma: no cover - xlsx only, see _blank_sheet_file
    """按本考评所用标准生成的评分表：每条规则一行，脱机填写后上传，读回为评分数据（逐格校验）。"""
    raise ReportError("unknown_format", "空白评分表只能导出为 xlsx", "the blank sheet is xlsx only")
