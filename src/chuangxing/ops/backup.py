"""One archive holds everything an SQLite installation has: the database and the media folder.

::

    chuangxing-backup-20261216-0300.tar
      manifest.json          format, when, row count per table, size and SHA-256 of every file
      database.sqlite3       made with SQLite's online backup API (consistent while the app runs)
      media/…                the evidence files (Django's default storage folder, MEDIA_ROOT)

>>> manifest = backup_sqlite(source=django_connection.connection, media_root=MEDIA_ROOT, out=Path("b.tar"))
>>> restore_sqlite(archive=Path("b.tar"), database=Path("var/chuangxing.sqlite3"), media_root=MEDIA_ROOT)

Restoring checks every file against the manifest before anything is written, refuses a database that
holds data unless ``force``, and checks the row counts after. PostgreSQL is backed up with its own
tools (:data:`POSTGRES_INSTRUCTIONS`, docs/deploy.md).
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

FORMAT = "chuangxing-backup"
VERSION = 1
DATABASE_MEMBER = "database.sqlite3"
MEDIA_PREFIX = "media/"
# Tables a freshly migrated database already fills: their rows do not make a database "hold data".
SCHEMA_TABLES = {"django_migrations", "django_content_type", "auth_permission", "sqlite_sequence", "django_site"}

POSTGRES_INSTRUCTIONS = """\
PostgreSQL 数据库请用 PostgreSQL 自带的工具备份和恢复（详见 docs/deploy.md）：

  备份：pg_dump --format=custom --no-owner --file=chuangxing-$(date +%Y%m%d).dump "$DATABASE_URL"
  恢复：pg_restore --clean --if-exists --no-owner --dbname="$DATABASE_URL" chuangxing-YYYYMMDD.dump
  证据文件：同时备份 MEDIA_ROOT 目录（或对象存储的桶），例如
        tar -C "$CHUANGXING_DATA_DIR" -cf media-$(date +%Y%m%d).tar media
"""


class BackupError(Exception):
    """A backup or restore refused; ``message_zh`` says why, ``code`` is stable."""

    def __init__(self, code: str, message_zh: str):
        self.code, self.message_zh = code, message_zh
        super().__init__(f"{code}: {message_zh}")


@dataclass(frozen=True)
class Restored:
    tables: dict[str, int]
    media_files: int


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def row_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: connection.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def holds_data(database: Path) -> bool:
    """Does the SQLite file hold rows beyond what ``migrate`` writes?"""
    if not database.exists() or database.stat().st_size == 0:
        return False
    connection = sqlite3.connect(database)
    try:
        return any(count for name, count in row_counts(connection).items() if name not in SCHEMA_TABLES)
    finally:
        connection.close()


def _media_files(media_root: Path) -> list[Path]:
    if not media_root.is_dir():
        return []
    return sorted(p for p in media_root.rglob("*") if p.is_file() and not p.is_symlink())


def backup_sqlite(*, source: sqlite3.Connection, media_root: Path, out: Path) -> dict:
    """Write the archive ``out`` from the open database ``source`` and ``media_root``; returns the manifest."""
    with tempfile.TemporaryDirectory(prefix="chuangxing-backup-") as work:
        copy_path = Path(work) / DATABASE_MEMBER
        copy = sqlite3.connect(copy_path)
        try:
            source.backup(copy)
            tables = row_counts(copy)
        finally:
            copy.close()
        media = _media_files(media_root)
        manifest = {
            "format": FORMAT, "version": VERSION, "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "engine": "sqlite", "tables": tables,
            "files": {DATABASE_MEMBER: {"size": copy_path.stat().st_size, "sha256": sha256_file(copy_path)}}
            | {MEDIA_PREFIX + p.relative_to(media_root).as_posix(): {"size": p.stat().st_size, "sha256": sha256_file(p)}
               for p in media},
        }
        partial = out.with_name(out.name + ".partial")
        with tarfile.open(partial, "w") as archive:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode("utf-8")
            info = tarfile.TarInfo("manifest.json")
            info.size, info.mtime = len(data), int(datetime.now(UTC).timestamp())
            archive.addfile(info, io.BytesIO(data))
            archive.add(copy_path, arcname=DATABASE_MEMBER)
            for path in media:
                archive.add(path, arcname=MEDIA_PREFIX + path.relative_to(media_root).as_posix())
        partial.replace(out)        # a half-written archive never carries the final name
    return manifest


def _safe_member(name: str) -> bool:
    path = PurePosixPath(name)
    return not path.is_absolute() and ".." not in path.parts and (name == DATABASE_MEMBER or name.startswith(MEDIA_PREFIX))


def read_manifest(archive: tarfile.TarFile) -> dict:
    try:
        manifest = json.load(archive.extractfile("manifest.json"))
    except (KeyError, ValueError, AttributeError):
        raise BackupError("not_a_backup", "这不是创星的备份文件（缺少 manifest.json）") from None
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise BackupError("unknown_format", f"不认识的备份格式：{manifest.get('format')} {manifest.get('version')}")
    if manifest.get("engine") != "sqlite":
        raise BackupError("unknown_engine", "该备份不是 SQLite 数据库的备份")
    return manifest


def _extract_checked(archive: tarfile.TarFile, manifest: dict, work: Path) -> None:
    """Every file of the manifest, extracted under ``work`` and checked; nothing else, no links."""
    files = manifest["files"]
    members = {m.name: m for m in archive.getmembers() if m.name != "manifest.json"}
    if set(members) != set(files) or DATABASE_MEMBER not in files:
        raise BackupError("incomplete", "备份文件与清单不一致（文件缺失或多余），未做任何恢复")
    for name, member in members.items():
        if not member.isfile() or not _safe_member(name):
            raise BackupError("unsafe_member", f"备份中有不安全的条目：{name}")
        target = work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        with archive.extractfile(member) as source, target.open("wb") as handle:
            for block in iter(lambda: source.read(1 << 20), b""):
                handle.write(block)
        if sha256_file(target) != files[name]["sha256"]:
            raise BackupError("checksum", f"文件校验失败：{name}（备份已损坏），未做任何恢复")


def restore_sqlite(*, archive: Path, database: Path, media_root: Path, force: bool = False) -> Restored:
    """Restore ``archive`` into the SQLite file ``database`` and ``media_root``."""
    if holds_data(database) and not force:
        raise BackupError("database_not_empty", f"数据库 {database} 中已有数据；确认要覆盖请加 --force")
    opened = _open_archive(archive)
    with opened, tempfile.TemporaryDirectory(prefix="chuangxing-restore-") as work_dir:
        work = Path(work_dir)
        manifest = read_manifest(opened)
        _extract_checked(opened, manifest, work)
        source = sqlite3.connect(work / DATABASE_MEMBER)
        database.parent.mkdir(parents=True, exist_ok=True)
        target = sqlite3.connect(database)
        try:
            source.backup(target)
            tables = row_counts(target)
        finally:
            source.close()
            target.close()
        if tables != manifest["tables"]:
            raise BackupError("row_counts", "恢复后的行数与备份清单不一致")
        media = sorted(p for p in (work / "media").rglob("*") if p.is_file()) if (work / "media").is_dir() else []
        for path in media:
            destination = media_root / path.relative_to(work / "media")
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(path, destination)
    return Restored(tables=tables, media_files=len(media))


def _open_archive(archive: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive, "r")
    except (OSError, tarfile.TarError):
        raise BackupError("not_a_backup", f"无法读取备份文件：{archive}") from None
