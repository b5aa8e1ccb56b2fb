"""``chuangxing backup OUT`` and ``chuangxing restore IN``: the SQLite database and the evidence files in
one archive (:mod:`chuangxing.ops.backup`). For PostgreSQL they print how to use pg_dump / pg_restore.

::

    chuangxing backup /srv/backups/chuangxing-20261216.tar
    chuangxing restore /srv/backups/chuangxing-20261216.tar            # into an empty database
    chuangxing restore /srv/backups/chuangxing-20261216.tar --force    # replacing what is there
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from chuangxing.cli.common import FAILED, OK, log
from chuangxing.cli.django_setup import setup_django
from chuangxing.cli.output import err, out


def register(commands: Any) -> None:
    backup = commands.add_parser("backup", help="备份数据库（SQLite）和证据文件到一个归档文件")
    backup.add_argument("out", metavar="OUT", help="归档文件路径（.tar）")
    backup.set_defaults(handler=backup_command)
    restore = commands.add_parser("restore", help="从备份归档恢复数据库（SQLite）和证据文件")
    restore.add_argument("archive", metavar="IN", help="chuangxing backup 生成的归档文件")
    restore.add_argument("--force", action="store_true", help="数据库中已有数据时仍然覆盖")
    restore.set_defaults(handler=restore_command)


def _sqlite_path() -> Path | None:
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.sqlite3":
        return None
    return Path(database["NAME"])


def backup_command(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings
    from django.db import connection

    from chuangxing.ops.backup import POSTGRES_INSTRUCTIONS, backup_sqlite

    if _sqlite_path() is None:
        err(POSTGRES_INSTRUCTIONS)
        return FAILED
    target = Path(args.out)
    if target.exists():
        err(f"文件已存在：{target}（不会覆盖，请换一个文件名）")
        return FAILED
    connection.ensure_connection()
    manifest = backup_sqlite(source=connection.connection, media_root=Path(settings.MEDIA_ROOT), out=target)
    rows = sum(manifest["tables"].values())
    media = len(manifest["files"]) - 1
    out(f"已备份到 {target}：{len(manifest['tables'])} 张表 {rows} 行，证据文件 {media} 个。")
    log.info("backup written to %s", target)
    return OK


def restore_command(args: argparse.Namespace) -> int:
    setup_django()
    from django.conf import settings
    from django.db import connections

    from chuangxing.ops.backup import POSTGRES_INSTRUCTIONS, BackupError, restore_sqlite

    database = _sqlite_path()
    if database is None:
        err(POSTGRES_INSTRUCTIONS)
        return FAILED
    connections.close_all()
    try:
        restored = restore_sqlite(archive=Path(args.archive), database=database, media_root=Path(settings.MEDIA_ROOT),
                                  force=args.force)
    except BackupError as exc:
        err(f"恢复失败：{exc.message_zh}（{exc.code}）")
        log.warning("restore refused: %s", exc)
        return FAILED
    out(f"已恢复到 {database}：{len(restored.tables)} 张表 {sum(restored.tables.values())} 行，"
        f"证据文件 {restored.media_files} 个。")
    return OK
