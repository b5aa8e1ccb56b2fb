"""docs/fact-definitions.md: how each fact of the catalogue is computed, from its one definition.

    python -m chuangxing.facts.definitions > docs/fact-definitions.md

``docs/facts.md`` lists the names, units and meanings (from the catalogue); this page adds, for every
fact, where its value comes from and the docstring of its computation in :mod:`chuangxing.facts.compute`.
A test fails when the page and the code drift apart.
"""

from __future__ import annotations

import inspect
import os

from chuangxing.facts.catalogue import AT_END, FACTS, MANUAL, RECORDS, SURVEYS

SOURCES = {RECORDS: "台账记录（按考核周期一次算出）", SURVEYS: "党员群众测评（满意度测评结果）",
           MANUAL: "评分人填写（台账中没有对应记录）"}
PERIODS = {AT_END: "期末（周期最后一天的状态）"}


def markdown() -> str:
    from chuangxing.facts import compute

    lines = [
        "# 事实的计算方法（fact definitions）",
        "",
        "<!-- 本文件由 `python -m chuangxing.facts.definitions > docs/fact-definitions.md` 生成，请勿手改。 -->",
        "",
        "[facts.md](facts.md) 列出事实目录（名称、单位、含义）；本页给出每个事实的来源和计算方法，",
        "即 `chuangxing.facts.compute` 中该事实唯一定义的说明（英文）。事实按考核周期对全部党支部一次算出，",
        "查询次数与党支部数量无关。",
        "",
        "## 周期与月份",
        "",
        "考核期内的事实覆盖周期起止两天在内的全部日期；期末事实为周期最后一天的状态。",
        "",
        "```text",
        inspect.getdoc(compute.cycle_months),
        "```",
        "",
        "## 规定次数（可按调用覆盖）",
        "",
        "```text",
        _comment_block(compute, "REQUIREMENTS"),
        "```",
        "",
        "| 项目 | 每年 |",
        "|---|---|",
        *[f"| `{key}` | {value} |" for key, value in compute.REQUIREMENTS.items()],
        "",
        "## 各事实",
        "",
    ]
    for name, fact in FACTS.items():
        period = PERIODS.get(fact.period, "考核期内")
        lines += [f"### `{name}`", "", f"{fact.description}。单位 `{fact.unit}`，{period}；来源：{SOURCES[fact.source]}。"]
        if fact.empty:
            lines += ["", f"空值表示：{fact.empty}。"]
        computation = compute.COMPUTATIONS.get(name)
        if computation is not None:
            lines += ["", "```text", computation.doc, "```"]
            for need in computation.needs:
                if need.startswith("_"):
                    lines += ["", f"`{need}`：", "", "```text", compute.COMPUTATIONS[need].doc, "```"]
        lines.append("")
    return "\n".join(lines)


def _comment_block(module: object, name: str) -> str:
    """The ``#:`` comment lines just above ``name = ...`` in the module's source."""
    source = inspect.getsource(module).splitlines()
    at = next(i for i, line in enumerate(source) if line.startswith(f"{name}:") or line.startswith(f"{name} ="))
    block = []
    for line in reversed(source[:at]):
        if not line.startswith("#:"):
            break
        block.append(line[2:].strip())
    return "\n".join(reversed(block))


if __name__ == "__main__":  # pragma: no cover
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    django.setup()
    print(markdown(), end="")
