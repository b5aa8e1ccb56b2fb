"""``chuangxing``: the command line (argparse). ``main(argv)`` returns the exit status.

::

    chuangxing rubric list [--json]
    chuangxing rubric check FILE_OR_ID [--json] [--no-examples] [--param name=value ...]
    chuangxing rubric show ID_OR_FILE [--json] [--rules] [--param name=value ...]
    chuangxing rubric diff OLD NEW [--json]
    chuangxing rubric export ID_OR_FILE [--format yaml|json] [-o FILE]
    chuangxing score ID_OR_FILE FINDINGS_FILE [--json] [--complete] [--param name=value ...]
    chuangxing facts [--json | --markdown]
    chuangxing demo-server [--host 127.0.0.1] [--port 8000]
    chuangxing demo --branches N --seed S [--year Y] [--add]
    chuangxing import KIND FILE
    chuangxing template KIND OUT
    chuangxing report NAME --cycle ID [--branch ID ...] --format xlsx|pdf|csv [-o OUT]   (--list: the reports)
    chuangxing serve [--host H] [--port P] [--threads N] [--trusted-proxy ADDR] [--migrate]
    chuangxing backup OUT | chuangxing restore IN [--force]
    chuangxing token create USER [--name N] | token list [USER] | token revoke ID

Exit status: 0 done (a valid rubric, a scored branch), 1 refused (an invalid rubric, refused
findings, a file not found), 2 the command used wrongly.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence

from django.core.exceptions import ImproperlyConfigured

from chuangxing.cli import backup as backup_commands
from chuangxing.cli import demo as demo_commands
from chuangxing.cli import facts as facts_commands
from chuangxing.cli import records as records_commands
from chuangxing.cli import report as report_commands
from chuangxing.cli import rubric as rubric_commands
from chuangxing.cli import score as score_commands
from chuangxing.cli import serve as serve_commands
from chuangxing.cli import tokens as token_commands
from chuangxing.cli.common import FAILED, USAGE, UsageError, log
from chuangxing.cli.output import err


class _Parser(argparse.ArgumentParser):
    """argparse with its messages in Chinese where they come from us."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        err(f"{self.prog}：用法错误：{message}")
        raise SystemExit(USAGE)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="chuangxing", description="创星：党支部标准化规范化建设达标创星考评系统（命令行）")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="同时在标准错误输出英文日志（-vv 更详细）")
    commands = parser.add_subparsers(dest="command", metavar="命令", parser_class=_Parser)
    commands.required = True
    rubric_commands.register(commands)
    score_commands.register(commands)
    facts_commands.register(commands)
    server = commands.add_parser("demo-server", help="启动演示服务器（SQLite，waitress）")
    server.add_argument("--host", default="127.0.0.1", help="监听地址（默认 127.0.0.1）")
    server.add_argument("--port", type=int, default=8000, help="端口（默认 8000）")
    server.set_defaults(handler=demo_server)
    demo_commands.register(commands)
    records_commands.register(commands)
    report_commands.register(commands)
    serve_commands.register(commands)       # serve, backup, restore, token: running it for real
    backup_commands.register(commands)
    token_commands.register(commands)
    return parser


def demo_server(args: argparse.Namespace) -> int:
    from django.core.exceptions import ImproperlyConfigured

    from chuangxing.web.serve import run_demo_server

    try:
        run_demo_server(args.host, args.port)
    except ImproperlyConfigured as exc:   # e.g. production mode: a known password is never served
        err(str(exc))
        log.warning("demo server refused: %s", exc)
        return FAILED
    return 0


def _configure_logging(verbosity: int) -> None:
    logger = logging.getLogger("chuangxing")
    for handler in list(logger.handlers):
        if getattr(handler, "_chuangxing_cli", False):
            logger.removeHandler(handler)
    if verbosity <= 0:
        logger.setLevel(logging.CRITICAL + 1)
        return
    handler = logging.StreamHandler(sys.stderr)
    handler._chuangxing_cli = True  # type: ignore[attr-defined]
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.WARNING if verbosity == 1 else logging.DEBUG)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:   # --help (0) or a usage error (2): argparse has printed why
        return exc.code if isinstance(exc.code, int) else USAGE
    _configure_logging(args.verbose)
    try:
        return args.handler(args)
    except UsageError as exc:
        err(f"用法错误：{exc}")
        log.warning("usage error: %s", exc)
        return USAGE
    except ImproperlyConfigured as exc:     # the settings refused the environment: they name the variable
        err(f"配置错误：{exc}")
        log.warning("configuration error: %s", exc)
        return USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:     # the reader went away (``chuangxing … | head``): stop quietly
        _silence_stdout()
        return 0
    except Exception as exc:    # a bug: say so in Chinese; the traceback goes to the log with -v
        err(f"内部错误：{type(exc).__name__}: {exc}（加 -v 查看详细信息）")
        log.exception("internal error")
        return FAILED


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError, AttributeError):   # not a real file (tests capture it)
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
