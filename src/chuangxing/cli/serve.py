"""``chuangxing serve``: the application under waitress (a production WSGI server), static files by WhiteNoise.

::

    CHUANGXING_ENV=production CHUANGXING_SECRET_KEY=… CHUANGXING_ALLOWED_HOSTS=dj.example.cn \\
    DATABASE_URL=postgres://… chuangxing serve --host 0.0.0.0 --port 8000 --threads 2

One process uses one core at most (Python's GIL), whatever ``--threads`` says: a deployment runs two
processes per core with two threads each, behind nginx (docs/deploy.md §4; the default of 8 threads
suits a single process that mostly waits, as the demo).
Before serving it collects the static files (production: hashed, compressed copies under
``CHUANGXING_DATA_DIR/static``) and, with ``--migrate``, applies the migrations; it refuses to start
while migrations are pending (several servers behind a load balancer: migrate once, from one of them).
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import Any

from chuangxing.cli.common import FAILED, OK, UsageError
from chuangxing.cli.django_setup import setup_django
from chuangxing.cli.output import err, out


def register(commands: Any) -> None:
    serve = commands.add_parser("serve", help="启动生产服务器（waitress；静态文件由 WhiteNoise 提供）")
    serve.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1；对外服务用 0.0.0.0）")
    serve.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    serve.add_argument("--threads", type=int, default=8, help="工作线程数（默认 8）")
    serve.add_argument("--trusted-proxy", metavar="ADDR", default=None,
                       help="负载均衡（nginx）的地址，或 *：信任它的 X-Forwarded-For/Proto/Host 头（否则这些头被清除）")
    serve.add_argument("--migrate", action="store_true", help="启动前执行数据库迁移")
    serve.add_argument("--no-collectstatic", action="store_true", help="不收集静态文件（已由部署脚本完成）")
    serve.set_defaults(handler=serve_command)


def pending_migrations() -> list[str]:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return [f"{m.app_label}.{m.name}" for m, _ in executor.migration_plan(executor.loader.graph.leaf_nodes())]


def prepare(*, migrate: bool, collectstatic: bool) -> str | None:
    """Migrate and collect static files as asked; the Chinese reason not to serve, or None."""
    from django.conf import settings
    from django.core.management import call_command

    if migrate:
        call_command("migrate", interactive=False, verbosity=0)
    pending = pending_migrations()
    if pending:
        return (f"数据库还有 {len(pending)} 个迁移未执行（如 {pending[0]}）："
                "请先运行 python -m chuangxing.manage migrate，或加 --migrate")
    if collectstatic and settings.STATIC_ROOT:
        call_command("collectstatic", interactive=False, verbosity=0)
    return None


def serve_command(args: argparse.Namespace) -> int:
    if not 0 < args.port < 65536:
        raise UsageError(f"--port 应在 1–65535 之间，收到 {args.port}")
    if not 1 <= args.threads <= 256:
        raise UsageError(f"--threads 应在 1–256 之间，收到 {args.threads}")
    threshold = gc_threshold(os.environ.get("CHUANGXING_GC_THRESHOLD", ""))
    setup_django()
    from django.conf import settings
    from waitress import serve

    refusal = prepare(migrate=args.migrate, collectstatic=not args.no_collectstatic)
    if refusal:
        err(refusal)
        return FAILED
    from chuangxing.wsgi import application  # after collectstatic: WhiteNoise indexes the folder on start

    mode = "生产模式" if getattr(settings, "PRODUCTION", False) else "开发模式（设置 CHUANGXING_ENV=production 用于正式部署）"
    out(f"创星服务器：http://{args.host}:{args.port}/  {mode}，{args.threads} 个线程。按 Ctrl-C 停止")
    sys.stdout.flush()
    if threshold:
        gc.set_threshold(*threshold)
    serve(application, **waitress_options(args))
    return OK


GC_THRESHOLD = (100_000, 50, 100)


def gc_threshold(text: str) -> tuple[int, ...] | None:
    """The garbage collector's thresholds for serving (``CHUANGXING_GC_THRESHOLD``): three counts, or "python".

    A page allocates hundreds of thousands of objects (forms, widgets, the score sheet); with Python's
    default (700, 10, 10) the collector runs through the whole heap every few requests, ~10% of a
    self-assessment page's CPU. The default here collects the young generation every 100,000 new
    objects and the whole heap rarely; request garbage has no cycles to speak of, so memory stays flat.
    """
    text = text.strip()
    if not text:
        return GC_THRESHOLD
    if text.lower() == "python":
        return None
    try:
        counts = tuple(int(part) for part in text.replace("，", ",").split(","))
    except ValueError:
        counts = ()
    if len(counts) != 3 or any(c < 1 for c in counts):
        raise UsageError(f"CHUANGXING_GC_THRESHOLD 应为三个正整数（如 100000,50,100）或 python，收到 {text!r}")
    return counts


def waitress_options(args: argparse.Namespace) -> dict[str, Any]:
    """waitress's settings: behind a trusted proxy the client's address and scheme come from its headers
    (the sign-in throttle and the HTTPS checks need them); from anyone else those headers are dropped."""
    options: dict[str, Any] = {"host": args.host, "port": args.port, "threads": args.threads, "ident": "chuangxing"}
    if args.trusted_proxy:
        options.update(trusted_proxy=args.trusted_proxy, trusted_proxy_count=1,
                       trusted_proxy_headers="x-forwarded-for x-forwarded-proto x-forwarded-host")
    return options
