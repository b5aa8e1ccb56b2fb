"""``chuangxing rubric …``: the library, checking a file, a rubric's tree, diffs and export."""

from __future__ import annotations

import argparse
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from chuangxing.cli.common import FAILED, OK, load, log, parse_params, print_problems, problem_line
from chuangxing.cli.output import emit_json, err, out, table
from chuangxing.rubric import Rubric, check_rubric, library
from chuangxing.rubric.diff import SECTION_TITLES, diff_rubrics
from chuangxing.rubric.export import rubric_document, rubric_tree
from chuangxing.rubric.yamlio import YamlSyntaxError, dumps_json, parse_yaml
from chuangxing.scoring.points import fmt

STATUS = {"complete": "完整", "partial": "部分", "process": "仅程序"}
MODE = {"deduct": "扣分", "award": "得分"}


def register(commands: Any) -> None:
    rubric = commands.add_parser("rubric", help="评分标准：列出、检查、查看、比较、导出")
    sub = rubric.add_subparsers(dest="rubric_command", metavar="子命令", parser_class=type(rubric))
    sub.required = True

    listing = sub.add_parser("list", help="列出标准库中的评分标准")
    listing.add_argument("--json", action="store_true", help="输出 JSON")
    listing.set_defaults(handler=list_command)

    check = sub.add_parser("check", help="检查一个标准文件（或标准库中的编号），列出全部问题")
    check.add_argument("ref", metavar="FILE_OR_ID")
    check.add_argument("--json", action="store_true", help="输出 JSON")
    check.add_argument("--no-examples", action="store_true", help="不运行文件中的算例")
    check.add_argument("--param", action="append", metavar="名称=值", help="覆盖参数取值（可多次）")
    check.set_defaults(handler=check_command)

    show = sub.add_parser("show", help="显示一个标准的结构与分值")
    show.add_argument("ref", metavar="ID_OR_FILE")
    show.add_argument("--json", action="store_true", help="输出 JSON（完整的标准树）")
    show.add_argument("--rules", action="store_true", help="同时列出每条评定规则")
    show.add_argument("--param", action="append", metavar="名称=值", help="覆盖参数取值（可多次）")
    show.set_defaults(handler=show_command)

    diff = sub.add_parser("diff", help="比较同一标准的两个版本")
    diff.add_argument("old", metavar="OLD")
    diff.add_argument("new", metavar="NEW")
    diff.add_argument("--json", action="store_true", help="输出 JSON")
    diff.set_defaults(handler=diff_command)

    export = sub.add_parser("export", help="导出标准（参数已代入）为 YAML 或 JSON")
    export.add_argument("ref", metavar="ID_OR_FILE")
    export.add_argument("--format", choices=("yaml", "json"), default="yaml", help="导出格式（默认 yaml）")
    export.add_argument("-o", "--output", metavar="FILE", help="写入文件（默认输出到屏幕）")
    export.add_argument("--param", action="append", metavar="名称=值", help="覆盖参数取值（可多次）")
    export.set_defaults(handler=export_command)


# -- list ---------------------------------------------------------------------------------------
def _entries() -> list[dict[str, Any]]:
    """The library's headers; a file that cannot be read is reported and left out, not fatal."""
    rows = []
    for rubric_id in library.ids():
        path = library.path_of(rubric_id)
        try:
            raw = parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
            variant = raw.get("variant") or {}
            rows.append({"id": raw["id"], "title": raw["title"], "issuer": raw["issuer"], "year": raw["year"],
                         "version": str(raw["version"]), "status": raw.get("status", "complete"),
                         "family": raw.get("family"), "variant": variant.get("title"), "path": str(path)})
        except (YamlSyntaxError, KeyError, TypeError, AttributeError) as exc:
            err(f"警告：标准库文件 {path.name} 无法读取（{getattr(exc, 'message_zh', exc)}），已跳过；"
                f"请运行 chuangxing rubric check {path}")
            log.warning("cannot read library file %s: %s", path, exc)
    return rows


def list_command(args: argparse.Namespace) -> int:
    entries = _entries()
    if args.json:
        emit_json({"rubrics": entries})
        return OK
    if not entries:
        out("标准库中还没有评分标准。")
        return OK
    rows = [(e["id"], e["title"], e["issuer"], e["year"], e["version"], STATUS.get(e["status"], e["status"]),
             e["variant"] or "") for e in entries]
    out(table(("编号", "标题", "发文单位", "年份", "版本", "完整程度", "变体"), rows))
    out(f"\n共 {len(entries)} 个评分标准。")
    return OK


# -- check --------------------------------------------------------------------------------------
def check_command(args: argparse.Namespace) -> int:
    params = parse_params(args.param)
    ref = Path(args.ref) if Path(args.ref).suffix in (".yaml", ".yml", ".json") else args.ref
    report, rubric = check_rubric(ref, parameters=params or None, run_examples=not args.no_examples)
    if args.json:
        emit_json({"source": report.source, "ok": report.ok, "errors": len(report.errors),
                   "warnings": len(report.warnings), "rubric": rubric.id if rubric else None,
                   "problems": [p.to_dict() for p in report.problems]})
    else:
        out(f"检查 {report.source}")
        for problem in report.problems:
            out(problem_line(problem))
        if report.ok:
            examples = f"，{len(rubric.examples)} 个算例全部通过" if rubric.examples and not args.no_examples else ""
            warned = f"，{len(report.warnings)} 个警告" if report.warnings else ""
            out(f"有效：{rubric.id}（{rubric.title}，版本 {rubric.version}）{examples}{warned}。")
        else:
            out(f"无效：{len(report.errors)} 个错误，{len(report.warnings)} 个警告。")
    for problem in report.errors:
        log.warning("%s:%s: %s %s: %s", report.source, problem.line or "-", problem.code, problem.where or "-",
                    problem.message_en)
    return OK if report.ok else FAILED


# -- show ---------------------------------------------------------------------------------------
def show_command(args: argparse.Namespace) -> int:
    rubric = load(args.ref, parse_params(args.param))
    if rubric is None:
        return FAILED
    if args.json:
        emit_json(rubric_tree(rubric))
        return OK
    out(render_rubric(rubric, rules=args.rules))
    return OK


def _rule_line(rule: Any, indent: str) -> str:
    most = rule.max_points()
    worth = f"，至多 {fmt(most)} 分" if most else ""
    verb = "" if rule.kind in ("veto", "all_or_nothing", "zero_if") else f"{MODE[rule.effect]}{worth}，"
    bound = f"，事实 {rule.fact}" if rule.fact else ""
    return f"{indent}· {rule.id}〔{type(rule).label}，{verb}{rule.kind}{bound}〕{rule.text}"


def render_rubric(rubric: Rubric, *, rules: bool = False) -> str:
    lines = [f"{rubric.title}", f"编号 {rubric.id}  版本 {rubric.version}  {rubric.issuer}"
             f"{'  ' + rubric.document_number if rubric.document_number else ''}  {rubric.year} 年  "
             f"{STATUS.get(rubric.status, rubric.status)}  总分 {fmt(rubric.max_total)} 分"]
    if rubric.variant:
        lines.append(f"适用：{rubric.variant.title}")
    if rubric.limitations:
        lines.append(f"局限：{rubric.limitations}")
    rows: list[tuple[str, str, str, str]] = []
    rule_lines: dict[int, list[str]] = {}
    for category in rubric.categories:
        rows.append((category.id, category.title, fmt(category.max), MODE[rubric.mode_of(category)]))
        _rules_at(rule_lines, len(rows) - 1, category.rules, "    ", rules)
        for indicator in category.indicators:
            rows.append((f"  {indicator.id}", f"  {indicator.title}", fmt(indicator.max), MODE[rubric.mode_of(indicator)]))
            _rules_at(rule_lines, len(rows) - 1, indicator.rules, "      ", rules)
            for item in indicator.items:
                rows.append((f"    {item.id}", f"    {item.title}", fmt(item.max), MODE[rubric.mode_of(item)]))
                _rules_at(rule_lines, len(rows) - 1, item.rules, "        ", rules)
    rendered = table(("编号", "项目 / 指标 / 分项", "分值", "计分"), rows, right=(2,)).split("\n")
    lines.append("")
    lines.extend(rendered[:2])
    for i, line in enumerate(rendered[2:]):
        lines.append(line)
        lines.extend(rule_lines.get(i, []))
    lines.append(f"合计 {fmt(sum((c.max for c in rubric.categories), Decimal(0)))} 分")
    lines.extend(_outside(rubric, rules))
    return "\n".join(lines)


def _rules_at(rule_lines: dict[int, list[str]], row: int, node_rules: list, indent: str, wanted: bool) -> None:
    if wanted and node_rules:
        rule_lines[row] = [_rule_line(rule, indent) for rule in node_rules]


def _outside(rubric: Rubric, rules: bool) -> list[str]:
    lines: list[str] = []
    for adjustment in rubric.adjustments:
        cap = f"，上限 {fmt(adjustment.cap)} 分" if adjustment.cap is not None else ""
        lines.append(f"{'加分项' if adjustment.type == 'bonus' else '减分项'} {adjustment.id}：{adjustment.title}{cap}")
        if rules:
            lines.extend(_rule_line(rule, "    ") for rule in adjustment.rules)
    if rubric.vetoes:
        lines.append("否决项：")
        lines.extend(f"  · {veto.id}：{veto.text}" for veto in rubric.vetoes)
    if rubric.fraud:
        lines.append(f"弄虚作假：{rubric.fraud.text}（{fmt(rubric.fraud.factor)} 倍倒扣）")
    for scheme in rubric.ratings:
        if scheme.kind == "per_category":
            stars = "；".join(f"{s.label} {fmt(s.min) + ' 分' if s.min is not None else fmt(s.min_ratio * 100) + '%'}"
                             for s in scheme.stars)
            lines.append(f"评定 {scheme.id}（{scheme.title}）：{stars}")
            continue
        levels = []
        for level in scheme.levels:
            need = [] if level.min is None else [f"{'≥' if level.min_inclusive else '>'}{fmt(level.min)}"]
            need += [rubric.process_flags.get(f, f) for f in level.requires]
            need += [f"且 {level.when}"] if level.when else []
            levels.append(f"{level.label}（{'，'.join(need)}）" if need else level.label)
        lines.append(f"评定 {scheme.id}（{scheme.title}）：{' < '.join(levels)}")
    if rubric.parameters:
        lines.append("参数：")
        lines.extend(f"  · {name} = {_value(p.value)}：{p.description}" for name, p in rubric.parameters.items())
    return ["", *lines] if lines else lines


def _value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return fmt(value) if isinstance(value, Decimal) else str(value)


# -- diff ---------------------------------------------------------------------------------------
def diff_command(args: argparse.Namespace) -> int:
    old = load(args.old)
    new = load(args.new)
    if old is None or new is None:
        return FAILED
    diff = diff_rubrics(old, new)
    if args.json:
        emit_json(diff.to_dict())
        return OK
    out(f"比较 {diff.old['id']}（版本 {diff.old['version']}）→ {diff.new['id']}（版本 {diff.new['version']}）")
    if not diff:
        out("两个版本没有差别。")
        return OK
    names = {"added": "新增", "removed": "删除", "changed": "修改", "reweighted": "分值调整", "retitled": "更名",
             "moved": "移动"}
    for section, changes in diff.by_section():
        out(f"\n【{SECTION_TITLES[section]}】")
        for change in changes:
            out(f"  · {change.message}")
    counts = "，".join(f"{names.get(k, k)} {v} 处" for k, v in diff.counts().items())
    out(f"\n共 {len(diff.changes)} 处变化：{counts}。")
    return OK


# -- export -------------------------------------------------------------------------------------
class _Dumper(yaml.SafeDumper):
    pass


def _represent_decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    text = fmt(value)
    if "." not in text:
        return dumper.represent_int(int(text))
    return dumper.represent_scalar("tag:yaml.org,2002:float", text)


_Dumper.add_representer(Decimal, _represent_decimal)


def dump_yaml(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def export_command(args: argparse.Namespace) -> int:
    rubric = load(args.ref, parse_params(args.param))
    if rubric is None:
        return FAILED
    document = rubric_document(rubric)
    text = dumps_json(document) + "\n" if args.format == "json" else dump_yaml(document)
    if args.output:
        Path(args.output).write_text(text, encoding="utf-8")
        err(f"已导出 {rubric.id} 到 {args.output}")
    else:
        out(text.rstrip("\n"))
    return OK


__all__ = ["dump_yaml", "print_problems", "register", "render_rubric"]
