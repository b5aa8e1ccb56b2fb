"""``chuangxing backup`` / ``restore``: an SQLite database and its evidence files, nothing lost."""

from __future__ import annotations

import io
import json
import sqlite3
import tarfile
from pathlib import Path

import pytest
from django.db import connection

from chuangxing.cli import backup as backup_cli
from chuangxing.cli.main import main
from chuangxing.ops.backup import BackupError, backup_sqlite, restore_sqlite, row_counts
from tests.conftest import database_is_postgres
from tests.web.work_world import PDF, WorkWorld

pytestmark = pytest.mark.django_db(transaction=True)
sqlite_only = pytest.mark.skipif(database_is_postgres(), reason="the SQLite backup; PostgreSQL uses pg_dump (docs/deploy.md)")


@pytest.fixture
def media(tmp_path) -> Path:
    root = tmp_path / "media"
    (root / "evidence" / "2026").mkdir(parents=True)
    (root / "evidence" / "2026" / "三会一课.pdf").write_bytes(PDF)
    return root


@pytest.fixture
def archive(tmp_path, media) -> Path:
    world = WorkWorld()
    world.fill_self(world.a1)
    connection.ensure_connection()
    out = tmp_path / "backup.tar"
    backup_sqlite(source=connection.connection, media_root=media, out=out)
    return out


def rows(db: sqlite3.Connection) -> dict[str, list]:
    return {table: db.execute(f'SELECT * FROM "{table}" ORDER BY rowid').fetchall() for table in row_counts(db)}


@sqlite_only
def test_backup_then_restore_loses_nothing(tmp_path, archive, media):
    restored_db, restored_media = tmp_path / "restored.sqlite3", tmp_path / "restored-media"

    result = restore_sqlite(archive=archive, database=restored_db, media_root=restored_media)

    connection.ensure_connection()
    original = rows(connection.connection)
    copy = sqlite3.connect(restored_db, detect_types=sqlite3.PARSE_DECLTYPES | sqlite3.PARSE_COLNAMES)   # as Django reads
    try:
        assert rows(copy) == original
    finally:
        copy.close()
    assert result.tables["assessments_finding"] > 0 and result.media_files == 1
    assert (restored_media / "evidence" / "2026" / "三会一课.pdf").read_bytes() == PDF


@sqlite_only
def test_the_manifest_lists_every_file_with_its_hash(archive):
    with tarfile.open(archive) as tar:
        manifest = json.load(tar.extractfile("manifest.json"))
        names = set(tar.getnames())
    assert manifest["format"] == "chuangxing-backup" and manifest["engine"] == "sqlite"
    assert names == {"manifest.json", *manifest["files"]}
    assert "media/evidence/2026/三会一课.pdf" in manifest["files"]
    assert manifest["tables"]["orgs_organization"] == 7          # the root, 2 committees, 3 branches, a group


@sqlite_only
def test_restore_refuses_a_database_with_data_unless_forced(tmp_path, archive):
    target = tmp_path / "target.sqlite3"
    restore_sqlite(archive=archive, database=target, media_root=tmp_path / "m")

    with pytest.raises(BackupError) as refused:
        restore_sqlite(archive=archive, database=target, media_root=tmp_path / "m")
    assert refused.value.code == "database_not_empty" and "--force" in refused.value.message_zh
    assert restore_sqlite(archive=archive, database=target, media_root=tmp_path / "m", force=True).media_files == 1


def _rewrite(archive: Path, out: Path, change) -> Path:
    with tarfile.open(archive) as source, tarfile.open(out, "w") as target:
        manifest = json.load(source.extractfile("manifest.json"))
        members = {m.name: source.extractfile(m).read() for m in source.getmembers() if m.name != "manifest.json"}
        change(manifest, members)
        for name, data in {"manifest.json": json.dumps(manifest).encode(), **members}.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            target.addfile(info, io.BytesIO(data))
    return out


@sqlite_only
def test_a_damaged_or_unsafe_archive_restores_nothing(tmp_path, archive):
    def damage(manifest, members):
        members["media/evidence/2026/三会一课.pdf"] = b"changed"

    def escape(manifest, members):
        members["media/../../evil.txt"] = b"x"
        manifest["files"]["media/../../evil.txt"] = {"size": 1, "sha256": ""}

    target = tmp_path / "target.sqlite3"
    for change, code in ((damage, "checksum"), (escape, "unsafe_member")):
        bad = _rewrite(archive, tmp_path / f"{code}.tar", change)
        with pytest.raises(BackupError) as refused:
            restore_sqlite(archive=bad, database=target, media_root=tmp_path / "m")
        assert refused.value.code == code
    assert not target.exists() and not (tmp_path / "evil.txt").exists()
    with pytest.raises(BackupError) as refused:
        restore_sqlite(archive=tmp_path / "missing.tar", database=target, media_root=tmp_path / "m")
    assert refused.value.code == "not_a_backup"


@sqlite_only
def test_the_backup_command(tmp_path, media, settings, capsys):
    settings.MEDIA_ROOT = media
    WorkWorld()
    out = tmp_path / "cli.tar"

    assert main(["backup", str(out)]) == 0
    assert "证据文件 1 个" in capsys.readouterr().out
    assert main(["backup", str(out)]) == 1                     # never overwrites
    assert "文件已存在" in capsys.readouterr().err


def test_postgres_gets_the_instructions(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(backup_cli, "_sqlite_path", lambda: None)

    assert main(["backup", str(tmp_path / "x.tar")]) == 1
    assert main(["restore", str(tmp_path / "x.tar")]) == 1
    printed = capsys.readouterr().err
    assert "pg_dump --format=custom" in printed and "pg_restore" in printed
