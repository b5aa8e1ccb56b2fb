"""``chuangxing score RUBRIC FINDINGS``: score one branch and explain every point."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chuangxing.cli.common import FAILED, OK, load, log, parse_params
from chuangxing.cli.output import emit_json, err, out, pad, signed, width
from chuangxing.rubric.yamlio import YamlSyntaxError, read_data_file
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.scoring.expressions import ExpressionError
from chuangxing.scoring.points import fmt
from chuangxing.scoring.sheet import NodeScore, RatingResult, ScoreSheet
from chuangxing.scoring.trace import Entry


def register(commands: Any) -> None:
    score = commands.add_parser("score", help="按评分标准给一个支部计分，逐条说明得失分")
    score.add_argument("ref", metavar="ID_OR_FILE", help="标准库中的编号或标准文件")
    score.add_argument("findings", metavar="FINDINGS_FILE", help="评分数据文件（YAML 或 JSON，格式见 docs/findings.md）")
    score.add_argument("--json", action="store_true", help="输出 JSON 评分表")
    score.add_argument("--complete", action="store_true", help="要求每条规则都已评定，否则拒绝")
    score.add_argument("--param", action="append", metavar="名称=值", help="覆盖标准的参数取值（可多次）")
    score.set_defaults(handler=score_command)


def score_command(args: argparse.Namespace) -> int:
    from chuangxing.scoring import score

    rubric = load(args.ref, parse_params(args.param))
    if rubric is None:
        return FAILED
    data = _read(Path(args.findings))
    if data is None:
        return FAILED
    try:
        sheet = score(rubric, data, complete=args.complete)
    except FindingsInvalid as exc:
        return _refused(exc, args)
    except ExpressionError as exc:   # the rubric's own expressions (a rating condition) cannot be computed
        err(f"计分失败：{exc.message_zh}（请用 chuangxing rubric check {args.ref} 检查标准文件）")
        log.warning("scoring failed: %s", exc)
        return FAILED
    if args.json:
        emit_json(sheet.to_dict())
    else:
        out(render_sheet(sheet))
    return OK


def _read(path: Path) -> Any:
    if not path.is_file():
        err(f"找不到评分数据文件 {path}")
        log.warning("no such findings file: %s", path)
        return None
    try:
        return read_data_file(path)
    except YamlSyntaxError as exc:
        err(exc.message_zh)
        log.warning("%s", exc)
        return None
    except UnicodeDecodeError as exc:
        err(f"{path}：不是 UTF-8 编码的文本文件")
        log.warning("%s: %s", path, exc)
        return None


def _refused(exc: FindingsInvalid, args: argparse.Namespace) -> int:
    for error in exc.errors:
        log.warning("findings refused: %s %s: %s", error.code, error.path or "-", error.message_en)
    if args.json:
        emit_json({"error": {"code": exc.code, "message": "评分数据有误", "errors": [e.to_dict() for e in exc.errors]}})
        return FAILED
    err(f"评分数据 {args.findings} 有误，共 {len(exc.errors)} 处，未计分：")
    for error in exc.errors:
        where = f"{error.path}：" if error.path else ""
        err(f"  · {where}{error.message_zh}（{error.code}）")
    return FAILED


# -- the sheet for people -----------------------------------------------------------------------
def _source(entry: Entry) -> str:
    if entry.source.startswith("fact:"):
        return f"（来自记录事实 {entry.source[5:]}）"
    if entry.source == "expression":
        return "（由表达式算出）"
    return ""


def _entry_lines(entries: list[Entry], indent: str) -> list[str]:
    lines = []
    for entry in entries:
        rule = f"[{entry.rule}] " if entry.rule else ""
        quoted = f" ——“{entry.text}”" if entry.rule and entry.text else ""
        lines.append(f"{indent}{pad(signed(entry.points), 7, right=True)}  {rule}{entry.explanation}{_source(entry)}{quoted}")
    return lines


def _node_lines(node: NodeScore, depth: int) -> list[str]:
    indent = "  " * depth
    head = f"{indent}{node.id} {node.title}"
    score = f"{fmt(node.score)} / {fmt(node.max)}"
    lines = [f"{head}{' ' * max(2, 56 - width(head))}{score}"]
    for child in node.children:
        lines.extend(_node_lines(child, depth + 1))
    lines.extend(_entry_lines(node.entries, indent + "  "))
    return lines


def _rating_line(rating: RatingResult) -> str:
    if rating.blocked_by:
        text = f"{rating.label}（否决项：{'、'.join(rating.blocked_by)}"
        if rating.eligible_label:
            text += f"；按分数可达“{rating.eligible_label}”"
        return f"{rating.title}：{text}）"
    text = f"{rating.title}：{rating.label}"
    if rating.earned:
        text += f"（{len(rating.earned)} 颗）"
    if rating.pending and rating.eligible_label and rating.eligible != rating.level:
        text += f"；按分数可达“{rating.eligible_label}”，尚待：{'、'.join(rating.pending)}"
    if rating.value is not None:
        text += f"〔依据 {fmt(rating.value)} 分〕"
    return text


def render_sheet(sheet: ScoreSheet) -> str:
    branch = f"  支部：{sheet.branch}" if sheet.branch else ""
    lines = [f"评分表：{sheet.rubric_title}（{sheet.rubric}，版本 {sheet.rubric_version}）{branch}", ""]
    for category in sheet.categories:
        lines.extend(_node_lines(category, 0))
        lines.append("")
    for adjustment in sheet.adjustments:
        noun = "加分" if adjustment.type == "bonus" else "减分"
        cap = f"（上限 {fmt(adjustment.cap)} 分）" if adjustment.cap is not None else ""
        lines.append(f"{adjustment.title}{cap}：{noun} {fmt(adjustment.points)} 分")
        lines.extend(_entry_lines(adjustment.entries, "  "))
    lines.append(f"项目小计 {fmt(sheet.subtotal)} 分，加分 {fmt(sheet.bonus)} 分，减分 {fmt(sheet.penalty)} 分")
    lines.append(f"总分 {fmt(sheet.total)} / {fmt(sheet.max_total)}")
    if sheet.vetoes:
        lines.append("否决项：")
        lines.extend(f"  · {v.id}：{v.text}（{v.reason}）" for v in sheet.vetoes)
    for rating in sheet.ratings:
        lines.append(_rating_line(rating))
    if sheet.unassessed:
        lines.append(f"尚未评定的规则（既无评分数据也无记录事实，未计入）：{'、'.join(sheet.unassessed)}")
    for warning in sheet.warnings:
        lines.append(f"警告：{warning}")
    return "\n".join(lines)
