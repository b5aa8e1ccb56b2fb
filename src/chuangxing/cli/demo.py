"""``chuangxing demo``: migrate the database and build a demo city into it.

::

    chuangxing demo --branches 60 --seed 2026            # an empty database gets 60 branches
    chuangxing demo --branches 30000 --seed 1 --year 2026  # the benchmarks' city (minutes)
    chuangxing demo --branches 10 --seed 7 --add         # beside organizations imported from files

The database is the one ``DATABASE_URL`` names (SQLite under ``var/`` by default).
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import date
from typing import Any

from chuangxing.cli.common import FAILED, OK, UsageError, log
from chuangxing.cli.django_setup import setup_django
from chuangxing.cli.output import err, out


def register(commands: Any) -> None:
    demo = commands.add_parser("demo", help="生成演示城市：党组织、党员和一年的台账（先迁移数据库）")
    demo.add_argument("--branches", type=int, required=True, metavar="N", help="党支部个数")
    demo.add_argument("--seed", type=int, required=True, metavar="S", help="随机种子（相同种子生成相同的城市）")
    demo.add_argument("--year", type=int, default=date.today().year, metavar="Y", help="台账年度（默认今年）")
    demo.add_argument("--add", action="store_true", help="数据库中已有党组织时仍然追加")
    demo.set_defaults(handler=demo_command)


def demo_command(args: argparse.Namespace) -> int:
    if args.branches < 1:
        raise UsageError("--branches 至少为 1")
    if not 1900 < args.year < 10000:
        raise UsageError(f"--year 应为四位年份，收到 {args.year}")
    setup_django()
    from django.core.management import call_command

    from chuangxing.demo.city import build_demo_city
    from chuangxing.orgs.models import Organization

    call_command("migrate", interactive=False, verbosity=0)
    existing = Organization.objects.count()
    if existing and not args.add:
        err(f"数据库中已有 {existing} 个党组织，未生成演示数据；要追加请加 --add")
        return FAILED
    started = time.monotonic()
    try:
        stats = build_demo_city(branches=args.branches, seed=args.seed, year=args.year, progress=_Progress())
    except _integrity_errors() as exc:    # --add: the demo's codes (B000001, M000001000…) are already taken
        err("追加失败：演示数据的组织编码或党员编号与数据库中已有的重复（演示城市按序号编码），未写入任何数据")
        log.warning("demo --add refused: %s", exc)
        return FAILED
    out(f"已生成演示城市（{args.year} 年，种子 {args.seed}，用时 {time.monotonic() - started:.1f} 秒）：")
    out(f"  党组织 {stats.organizations}，其中党支部 {stats.branches}")
    out(f"  党员 {stats.members}")
    out(f"  组织生活 {stats.meetings}，出勤记录 {stats.attendance}")
    out(f"  党费记录 {stats.dues}")
    return OK


def _integrity_errors() -> tuple[type[Exception], ...]:
    """The city is written through the drivers themselves (executemany, COPY): their errors, and Django's."""
    import sqlite3

    from django.db import IntegrityError

    errors: list[type[Exception]] = [IntegrityError, sqlite3.IntegrityError]
    try:
        import psycopg
    except ImportError:   # pragma: no cover - psycopg is a dependency
        pass
    else:
        errors.append(psycopg.IntegrityError)
    return tuple(errors)


class _Progress:
    """One line on stderr, rewritten in place on a terminal, at most every half second."""

    def __init__(self, every: float = 0.5) -> None:
        self.every, self.last = every, 0.0
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.last < self.every:
            return
        self.last = now
        text = f"生成党支部：{done}/{total}（{done * 100 // total}%）"
        if self.tty:
            sys.stderr.write("\r" + text + ("\n" if done >= total else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()
