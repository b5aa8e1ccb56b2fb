"""``chuangxing facts``: the catalogue of named facts a rule may bind to; ``--markdown`` writes docs/facts.md."""

from __future__ import annotations

import argparse
from typing import Any

from chuangxing.cli.common import OK
from chuangxing.cli.output import emit_json, out, table
from chuangxing.facts.catalogue import AT_END, CYCLE, FACTS

UNITS = {"count": "计数（次、人、月）", "percent": "百分比（0–100）", "number": "数值", "days": "天数",
         "bool": "是/否", "items": "项目清单（缺少的项目编号）", "text": "文字"}
PERIODS = {CYCLE: "考核期内", AT_END: "期末"}


def kinds_for_unit(unit: str) -> str:
    """The rule kinds a fact of this unit may feed (the validator's table, so the docs cannot drift)."""
    from chuangxing.rubric.validator import _FACT_UNITS_FOR_KIND

    return "、".join(f"`{kind}`" for kind, units in _FACT_UNITS_FOR_KIND.items() if unit in units)


def register(commands: Any) -> None:
    facts = commands.add_parser("facts", help="列出事实目录（规则可用 fact: 绑定的事实）")
    shape = facts.add_mutually_exclusive_group()
    shape.add_argument("--json", action="store_true", help="输出 JSON")
    shape.add_argument("--markdown", action="store_true", help="输出 docs/facts.md 的内容")
    facts.set_defaults(handler=facts_command)


def markdown() -> str:
    """docs/facts.md, generated from the catalogue (``chuangxing facts --markdown > docs/facts.md``)."""
    lines = [
        "# 事实目录（facts）",
        "",
        "<!-- 本文件由 `chuangxing facts --markdown > docs/facts.md` 从 `chuangxing.facts.catalogue` 生成，请勿手改。 -->",
        "",
        "规则可以用 `fact: 名称` 绑定下列事实：评分数据（findings）的 `facts:` 中给出该事实时，规则就以它为输入，",
        "不必再在 `inputs:` 中填写（`inputs:` 中填写的值优先）。事实由支部的台账记录按考核周期一次算出，",
        "也可以在评分数据中直接填写。标准文件还可以在 `facts:` 中声明自己的事实",
        "（见 [rubric-format.md](rubric-format.md#事实)）。",
        "",
        "## 何时计算",
        "",
        "- 开启考评周期时，对范围内全部党支部一次算出。",
        "- 此后台账每次修改（党员、组织生活与出勤、党费；网页填写或 Excel/CSV 导入），在写入台账的同一事务中",
        "  重算该党支部在各“进行中”周期的事实：台账与事实一起保存，或都不保存。",
        "- 只重算自评仍由支部掌握的考评：未自评、已自评、退回修改。提交之后，事实保持提交时的值，",
        "  审核人依据的是支部提交的内容；需要更正的，由审核人修改事实并写明理由。退回修改后，事实重新随台账更新。",
        "- 人工修改（写明理由）的事实值始终保留，重算只更新“由台账算出”的值。",
        "- 自评页面的“从台账刷新”按钮立即重算本支部的事实（用于台账以其他方式改动之后）。",
        "- 重算不改变考评的版本号：事实不属于自评表单，打开表单后台账被修改，保存自评时不会冲突，也不会丢失内容；",
        "  页面上的得分按新的事实计算。",
        "",
        "事实的单位决定它能作为哪类规则的输入（校验器检查，问题代码 `fact_unit`）：",
        "",
        "| 单位 | 含义 | 可绑定的规则类型 |",
        "|---|---|---|",
    ]
    lines += [f"| `{unit}` | {label} | {kinds_for_unit(unit)} |" for unit, label in UNITS.items()]
    lines += ["", "期间：“考核期内”为整个考核周期的累计，“期末”为周期最后一天的状态。", "",
              "| 名称 | 单位 | 期间 | 说明 |", "|---|---|---|---|"]
    lines += [f"| `{f.name}` | `{f.unit}` | {PERIODS.get(f.period, f.period)} | {f.description} |" for f in FACTS.values()]
    return "\n".join(lines) + "\n"


def facts_command(args: argparse.Namespace) -> int:
    if args.json:
        emit_json({"facts": [{"name": f.name, "unit": f.unit, "period": f.period, "description": f.description}
                             for f in FACTS.values()]})
    elif args.markdown:
        out(markdown().rstrip("\n"))
    else:
        out(table(("名称", "单位", "期间", "说明"),
                  [(f.name, f.unit, PERIODS.get(f.period, f.period), f.description) for f in FACTS.values()]))
    return OK
