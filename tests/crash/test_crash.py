"""A process dying mid-write, and two processes writing one version at once, on SQLite and on PostgreSQL alike.

Each test starts real processes (``tests/crash/child.py``) on the test database, each with its own connection:
one stops inside its transaction with its rows written and not committed, then is killed (``SIGKILL``: no
clean-up of its own) or let go. What the database holds afterwards is read from a connection of its own.

On SQLite the test database (in memory) is first copied to a file the processes share; on PostgreSQL they
use the test database itself (``transaction=True``: the world is committed, so they see it).
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from chuangxing.assessments.models import Stage
from tests.conftest import database_is_postgres
from tests.records.test_imports import ORGS, workbook
from tests.web.work_world import WorkWorld

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]
WAIT = 60


class Database:
    """The test database as the child processes reach it, and a reader of its committed rows."""

    def __init__(self, tmp_path: Path):
        if database_is_postgres():
            db = settings.DATABASES["default"]
            auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
            self.url, self.file = f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}", None
        else:
            self.file = tmp_path / "shared.sqlite3"
            connection.ensure_connection()
            with sqlite3.connect(self.file) as target:
                connection.connection.backup(target)
            self.url = f"sqlite:///{self.file}"

    def one(self, sql: str, *params) -> tuple:
        if self.file is None:
            with connection.cursor() as cursor:
                cursor.execute(sql.replace("?", "%s"), params)
                return cursor.fetchone()
        with sqlite3.connect(self.file) as db:           # rolls back what a killed writer left in its journal
            return db.execute(sql, params).fetchone()


class Child:
    def __init__(self, db: Database, action: str, **args):
        env = {"PATH": "/usr/bin:/bin", "DATABASE_URL": db.url, "PYTHONPATH": str(ROOT), "HOME": str(ROOT)}
        self.process = subprocess.Popen([sys.executable, "-m", "tests.crash.child", action, json.dumps(args)], cwd=ROOT,
                                        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        text=True)

    def paused(self) -> None:
        line = self.process.stdout.readline()
        if line.strip() != "PAUSED":
            out, err = self.process.communicate(timeout=WAIT)
            pytest.fail(f"the child did not pause: {line}{out}{err}")

    def go(self) -> None:
        self.process.stdin.write("go\n")
        self.process.stdin.flush()

    def result(self) -> dict:
        out, err = self.process.communicate(timeout=WAIT)
        lines = [line for line in out.splitlines() if line.startswith("RESULT ")]
        assert lines, out + err
        return json.loads(lines[-1][len("RESULT "):])

    def kill(self) -> None:
        self.process.kill()
        self.process.communicate(timeout=WAIT)       # reaps it and closes its pipes


def state(db: Database, pk: int) -> tuple:
    version = db.one("SELECT version FROM assessments_assessment WHERE id = ?", pk)[0]
    findings = db.one("SELECT COUNT(*) FROM assessments_finding WHERE assessment_id = ?", pk)[0]
    audit = db.one("SELECT COUNT(*) FROM assessments_auditentry WHERE assessment_id = ?", pk)[0]
    return version, findings, audit


def save_args(world: WorkWorld, a, value: bool, **extra) -> dict:
    return {"assessment": a.pk, "stage": Stage.SELF, "version": a.version, "user": world.secretary_a1.pk,
            "values": {"zj-org-1-c": {"value": value, "reason": ""}}, **extra}


def test_a_save_killed_inside_its_transaction_leaves_the_assessment_as_it_was(tmp_path):
    world = WorkWorld()
    a = world.assessment(world.a1)
    db = Database(tmp_path)
    before = state(db, a.pk)

    child = Child(db, "save", **save_args(world, a, True, pause=True))
    child.paused()                   # findings and audit written, not committed
    child.kill()

    assert state(db, a.pk) == before
    assert Child(db, "save", **save_args(world, a, True)).result() == {"saved": True}    # nothing left locked
    version, findings, _ = state(db, a.pk)
    assert (version, findings) == (before[0] + 1, before[1] + 1)


def test_an_import_killed_inside_its_transaction_writes_nothing(tmp_path):
    db = Database(tmp_path)
    file = tmp_path / "组织.xlsx"
    file.write_bytes(workbook("organizations", {"组织": ORGS}))
    before = db.one("SELECT COUNT(*) FROM orgs_organization")[0]

    child = Child(db, "import", file=str(file), kind="organizations", pause=True)
    child.paused()                   # every organization written, not committed
    child.kill()

    assert db.one("SELECT COUNT(*) FROM orgs_organization")[0] == before
    assert Child(db, "import", file=str(file), kind="organizations").result() == {"ok": True}
    assert db.one("SELECT COUNT(*) FROM orgs_organization")[0] == before + len(ORGS)


def test_two_processes_saving_the_same_version_one_is_told_and_nothing_is_lost(tmp_path):
    world = WorkWorld()
    a = world.assessment(world.a1)
    db = Database(tmp_path)
    before = state(db, a.pk)

    first = Child(db, "save", **save_args(world, a, True, pause=True))
    first.paused()                   # holds the assessment's row (PostgreSQL) or the write lock (SQLite)
    second = Child(db, "save", **save_args(world, a, False))
    time.sleep(3)                    # the second starts and waits for the first's lock
    first.go()

    assert first.result() == {"saved": True}
    assert second.result() == {"refused": "conflict"}
    assert state(db, a.pk)[0] == before[0] + 1
    value = db.one("SELECT value FROM assessments_finding WHERE assessment_id = ? AND rule_id = ?", a.pk, "zj-org-1-c")[0]
    assert (json.loads(value) if isinstance(value, str) else value) is True          # the first one's, whole
