"""``chuangxing import`` and ``chuangxing template``: the record files (Excel or CSV) in and their blanks out.

::

    chuangxing template members 党员.xlsx     # the blank to fill in (.xlsx, or .csv for the header line)
    chuangxing import members 党员.xlsx       # all or nothing; every problem named by sheet, row and column

Kinds: organizations, members, meetings, attendance, dues (see :mod:`chuangxing.records.imports`).
"""

from __future__ import annotations

import argparse
from typing import Any

from chuangxing.cli.django_setup import setup_django

KINDS = ("organizations", "members", "meetings", "attendance", "dues")
KIND_HELP = "organizations（党组织）、members（党员）、meetings（组织生活与出勤）、attendance（出勤）、dues（党费）"


def register(commands: Any) -> None:
    imports = commands.add_parser("import", help="从 Excel 或 CSV 文件导入台账（有任何问题则不导入）")
    imports.add_argument("kind", choices=KINDS, metavar="KIND", help=KIND_HELP)
    imports.add_argument("file", metavar="FILE", help=".xlsx 或 .csv 文件")
    imports.set_defaults(handler=import_command)
    template = commands.add_parser("template", help="生成导入模板（.xlsx 或 .csv）")
    template.add_argument("kind", choices=KINDS, metavar="KIND", help=KIND_HELP)
    template.add_argument("out", metavar="OUT", help="模板文件名，以 .xlsx 或 .csv 结尾")
    template.set_defaults(handler=template_command)


def import_command(args: argparse.Namespace) -> int:
    setup_django()
    from chuangxing.records.imports import run_import

    return run_import(args.file, args.kind)


def template_command(args: argparse.Namespace) -> int:
    setup_django()
    from chuangxing.records.imports import run_template

    return run_template(args.kind, args.out)
