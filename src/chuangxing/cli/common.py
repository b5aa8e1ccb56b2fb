"""What several commands share: loading a rubric by id or file, ``--param``, reporting problems."""

from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path
from typing import Any

from chuangxing.cli.output import err, out
from chuangxing.rubric import Report, Rubric, check_rubric
from chuangxing.rubric.problems import Problem
from chuangxing.rubric.yamlio import YamlSyntaxError, parse_yaml

log = logging.getLogger("chuangxing.cli")

OK, FAILED, USAGE = 0, 1, 2


class UsageError(Exception):
    """The command was used wrongly (exit status 2); the message is Chinese."""


def parse_params(pairs: list[str] | None) -> dict[str, Any]:
    """``["one_star_at_60=true", "x=0.5"]`` → ``{"one_star_at_60": True, "x": Decimal("0.5")}``.

    Values are read as YAML (true/false, numbers, text); numbers become Decimal, never float.
    """
    params: dict[str, Any] = {}
    for pair in pairs or ():
        name, sep, text = pair.partition("=")
        if not sep or not name.strip():
            raise UsageError(f"--param 应写成 名称=值，收到 {pair!r}")
        try:
            value = parse_yaml(text) if text.strip() else ""
        except YamlSyntaxError as exc:
            raise UsageError(f"--param {name} 的值不是有效的 YAML：{exc.explained}") from None
        if isinstance(value, int) and not isinstance(value, bool):
            value = Decimal(value)
        params[name.strip()] = value
    return params


def problem_line(problem: Problem) -> str:
    """One problem as a line: 错误  第 12 行第 3 列  categories[0].max：……（sum_mismatch）."""
    level = "错误" if problem.severity == "error" else "警告"
    where = []
    if problem.line:
        where.append(f"第 {problem.line} 行" + (f"第 {problem.column} 列" if problem.column else ""))
    if problem.where:
        where.append(problem.where)
    place = "  ".join(where)
    return f"{level}  {place}：{problem.message}（{problem.code}）" if place else f"{level}  {problem.message}（{problem.code}）"


def print_problems(report: Report, *, to_stderr: bool = False) -> None:
    write = err if to_stderr else out
    for problem in report.problems:
        write(problem_line(problem))
        if problem.severity == "error":
            log.warning("%s: %s %s: %s", report.source, problem.code, problem.where or "-", problem.message_en)


def load(ref: str, params: dict[str, Any] | None = None) -> Rubric | None:
    """The rubric ``ref`` (a library id or a file) under ``params``; None (problems printed) when it does not load."""
    report, rubric = check_rubric(_ref(ref), parameters=params or None)
    if rubric is None:
        err(f"无法载入标准 {ref}：")
        print_problems(report, to_stderr=True)
        return None
    return rubric


def _ref(ref: str) -> str | Path:
    return Path(ref) if Path(ref).suffix in (".yaml", ".yml", ".json") else ref
