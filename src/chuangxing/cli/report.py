"""``chuangxing report``: a report of the registry (:mod:`chuangxing.reports.registry`) to a file.

::

    chuangxing report committee-summary --cycle 3 --format xlsx -o 汇总.xlsx
    chuangxing report score-sheet --cycle 3 --branch 17 --format pdf -o 评分表.pdf
    chuangxing report --list

Only the parameters given are passed on; the report says which it needs and which it does not take.
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
from typing import Any

from chuangxing.cli.common import OK, UsageError
from chuangxing.cli.django_setup import setup_django
from chuangxing.cli.output import out, table

#: Every parameter a report may declare (registry.Param names), as options.
PARAMS = {
    "cycle": "考评周期编号",
    "branch": "党支部编号",
    "committee": "上级党组织编号",
    "stage": "阶段",
    "rubric": "标准编号",
    "unit": "填报单位",
    "scheme": "等次方案",
}


def register(commands: Any) -> None:
    report = commands.add_parser("report", help="生成报表（xlsx、pdf 或 csv）")
    report.add_argument("name", nargs="?", metavar="NAME", help="报表名称（--list 列出全部）")
    report.add_argument("--list", action="store_true", help="列出可用的报表")
    for name, label in PARAMS.items():
        report.add_argument(f"--{name}", metavar=name.upper(), help=label)
    report.add_argument("--format", choices=("xlsx", "pdf", "csv"), default="xlsx", help="格式（默认 xlsx）")
    report.add_argument("-o", "--output", metavar="OUT", help="输出文件（- 为标准输出；默认用报表自己的文件名）")
    report.set_defaults(handler=report_command)


def report_command(args: argparse.Namespace) -> int:
    setup_django()   # the registry imports the reports' modules, which read models
    from chuangxing.reports.registry import reports, run_report_cli

    if args.list:
        out(table(("名称", "标题", "参数", "格式"),
                  [(s.name, s.title, "、".join(p.name for p in s.params), "、".join(s.formats)) for s in reports()]))
        return OK
    if not args.name:
        raise UsageError("请给出报表名称（chuangxing report --list 列出全部）")
    params = {name: getattr(args, name) for name in PARAMS if getattr(args, name) is not None}
    return run_report_cli(args.name, args.format, params, args.output)
