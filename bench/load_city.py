"""Deadline day on a 30,000-branch city: 100 people at once against the production server (not a test).

    python bench/load_city.py                          # 30,000 branches, SQLite then PostgreSQL, 100 users, 4 x 2
    python bench/load_city.py --branches 300 --warmup 20 --duration 60     # a quick look on a small city
    python bench/load_city.py --only postgres --servers 1 --threads 2,8     # one process's thread count compared
    python bench/load_city.py --servers 2 --threads 4  # two server processes of four threads on the database
    python bench/load_city.py --prepare-only           # prepare (or check) the cached databases and stop
    python bench/load_city.py --w-fill 8 --think-max 5 # anything the driver does not know goes to the locustfile

The city is the one ``bench/facts_city.py --build-only`` builds (``build_demo_city``, seed 1, 2026): this
script copies it and never writes to it (SQLite through the online backup API; PostgreSQL with
``CREATE DATABASE … TEMPLATE bench_facts``). On the copy, once (cached with a manifest beside it, like
facts_city.py: ``var/bench/load-city.sqlite3`` and the database ``bench_load``; ``-<branches>`` for other sizes):

- a cycle over the whole city on ``jiaozuo-2019`` (``services.open_cycle``, as finalize_cycle.py: every
  assessment created and its facts computed from the records), the satisfaction rates of 党员群众测评 as
  facts (what closed surveys give, as ``demo.reviewed`` generates them);
- ``--submitted-share`` (a third) of the assessments submitted: the self-assessment findings a compliant
  branch reports for every rule the records leave unanswered (the rules ``score`` names unassessed, as
  the tests' ``fill_self``), the self total, ``submitted_at``, the version and the audit entries
  (``finding_self`` per rule, ``self_assess``, ``submit``) that ``save_findings`` and two ``transition``
  calls leave, written in bulk; a sample is checked with the service's own completeness check;
- ``--secretaries`` (1,000) secretaries of draft branches (one ``RoleAssignment`` each, as the test worlds
  do) and ``--reviewers`` (100) 党委 reviewers of committees with submitted branches, all with one password;
- the accounts and the plan of what a secretary types per rule (the form's own fields) in
  ``var/bench/load-city.<db>.accounts.json``; the sign-in throttle's cache table (``createcachetable``).

Each run works on a fresh copy of the prepared database (``load-city.run.sqlite3``, ``bench_load_run``),
dropped afterwards. The server is started in its own process as production runs it: ``chuangxing serve``
(waitress, ``--threads``) with ``CHUANGXING_ENV=production`` (a random secret key, ``ALLOWED_HOSTS`` 127.0.0.1,
DEBUG off), ``CHUANGXING_BEHIND_PROXY=1``, ``CHUANGXING_SSL_REDIRECT=0``, ``CHUANGXING_CACHE=database`` and
``--trusted-proxy 127.0.0.1``, as docs/deploy.md sets it up behind nginx; the locust users send what nginx
and the browser would (``X-Forwarded-Proto: https``, ``Origin``). Then locust runs headless from a second
process (``bench/locustfile.py``: who does what, the weights and the think times; with ``--servers N``, N servers
on the one database, each user kept on one as nginx would): ``--users`` (100)
spawned at ``--spawn-rate`` (10/s), statistics reset after ``--warmup`` s (60) and measured for
``--duration`` s (300). The sign-in throttle needs no change: it counts failed sign-ins only.

Reported per request type and overall (locust's stats CSV, kept as ``var/bench/load-city.<db>_stats.csv``):
requests, failures, throughput, p50/p95/p99; the CPU used over the measured window by the server processes,
by the PostgreSQL backends of their connections and by locust (all on the same 2 cores), the load average,
and the server processes' peak memory. Text table, then one JSON line (the last line). Target (issue 5):
no errors; p95 under 200 ms for page views and saves on PostgreSQL with 2 cores.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
BIN = Path(sys.executable).parent
DEFAULT_BRANCHES, CITY_SEED, CITY_YEAR = 30_000, 1, 2026
PG_SERVER = "postgres://postgres@127.0.0.1:5432"
RUBRIC = "jiaozuo-2019"
PASSWORD = "deadline-day-2026"


# -- where everything lives ------------------------------------------------------------------------


def stem(branches: int) -> str:
    return "load-city" if branches == DEFAULT_BRANCHES else f"load-city-{branches}"


def city_stem(branches: int) -> str:
    return "facts-city" if branches == DEFAULT_BRANCHES else f"facts-city-{branches}"


def pg_name(prefix: str, branches: int) -> str:
    return prefix if branches == DEFAULT_BRANCHES else f"{prefix}_{branches}"


def source_url(args: argparse.Namespace, db: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{VAR / f'{city_stem(args.branches)}.sqlite3'}"
    return f"{args.pg}/{pg_name('bench_facts', args.branches)}"


def prepared_url(args: argparse.Namespace, db: str, *, run: bool = False) -> str:
    if db == "sqlite":
        suffix = ".run.sqlite3" if run else ".sqlite3"
        return f"sqlite:///{VAR / (stem(args.branches) + suffix)}"
    return f"{args.pg}/{pg_name('bench_load_run' if run else 'bench_load', args.branches)}"


def manifest_path(args: argparse.Namespace, db: str) -> Path:
    return VAR / f"{stem(args.branches)}.{db}.json"


def accounts_path(args: argparse.Namespace, db: str) -> Path:
    return VAR / f"{stem(args.branches)}.{db}.accounts.json"


def city_manifest(args: argparse.Namespace, db: str) -> dict[str, Any] | None:
    path = VAR / f"{city_stem(args.branches)}.{db}.json"
    return json.loads(path.read_text()) if path.exists() else None


def wanted_manifest(args: argparse.Namespace, db: str) -> dict[str, Any]:
    city = city_manifest(args, db) or {}
    return {"branches": args.branches, "city_built_at": city.get("built_at"), "rubric": RUBRIC, "seed": args.seed,
            "submitted_share": args.submitted_share, "secretaries": args.secretaries, "reviewers": args.reviewers}


def is_prepared(args: argparse.Namespace, db: str) -> bool:
    path = manifest_path(args, db)
    if not path.exists() or not accounts_path(args, db).exists():
        return False
    manifest = json.loads(path.read_text())
    if {k: manifest.get(k) for k in wanted_manifest(args, db)} != wanted_manifest(args, db):
        return False
    return Path(prepared_url(args, db)[len("sqlite:///"):]).exists() if db == "sqlite" \
        else pg_exists(args, pg_name("bench_load", args.branches))


def pg_admin(args: argparse.Namespace, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def pg_exists(args: argparse.Namespace, name: str) -> bool:
    return bool(pg_admin(args, f"SELECT 1 FROM pg_database WHERE datname = '{name}'"))


def copy_database(args: argparse.Namespace, db: str, source: str, target: str) -> None:
    """``source`` → ``target`` (database URLs) without writing to the source."""
    if db == "sqlite":
        import sqlite3

        path = Path(target[len("sqlite:///"):])
        for stale in (path, Path(f"{path}-journal"), Path(f"{path}-wal")):
            stale.unlink(missing_ok=True)
        src = sqlite3.connect(f"file:{source[len('sqlite:///'):]}?mode=ro", uri=True)
        dst = sqlite3.connect(path)
        with dst:
            src.backup(dst)
        src.close()
        dst.close()
        return
    name, template = target.rsplit("/", 1)[1], source.rsplit("/", 1)[1]
    pg_admin(args, f'DROP DATABASE IF EXISTS "{name}"')
    pg_admin(args, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')


def drop_database(args: argparse.Namespace, db: str, url: str) -> None:
    if db == "sqlite":
        Path(url[len("sqlite:///"):]).unlink(missing_ok=True)
    else:
        pg_admin(args, f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')


# -- preparing the copy (a worker process) ----------------------------------------------------------


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "chuangxing.settings"
    os.environ["CHUANGXING_DEBUG"] = "0"
    os.environ["CHUANGXING_CACHE"] = "database"      # createcachetable makes the server's cache table
    import django

    django.setup()


def worker_prepare(args: argparse.Namespace) -> dict[str, Any]:
    db = args.db
    manifest_path(args, db).unlink(missing_ok=True)
    accounts_path(args, db).unlink(missing_ok=True)
    url = prepared_url(args, db)
    partial = url.replace(".sqlite3", ".partial.sqlite3") if db == "sqlite" else url
    started = time.perf_counter()
    copy_database(args, db, source_url(args, db), partial)
    copied = time.perf_counter() - started
    _django(partial)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    figures = prepare_cycle(args)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    connection.close()
    if db == "sqlite":
        Path(partial[len("sqlite:///"):]).rename(url[len("sqlite:///"):])
    else:
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")
    manifest = {**wanted_manifest(args, db), **figures, "copy_seconds": round(copied, 1),
                "prepare_seconds": round(time.perf_counter() - started, 1), "built_at": time.strftime("%Y-%m-%d %H:%M")}
    manifest_path(args, db).write_text(json.dumps(manifest, indent=1))
    return manifest


def _step(name: str, started: float) -> float:
    print(f"  {name}: {time.perf_counter() - started:.1f} s", file=sys.stderr, flush=True)
    return time.perf_counter()


def prepare_cycle(args: argparse.Namespace) -> dict[str, Any]:
    from random import Random

    from django.contrib.auth import get_user_model

    from chuangxing.assessments.models import Assessment, State
    from chuangxing.assessments.services import open_cycle
    from chuangxing.orgs.models import Organization, OrgKind

    rng = Random(args.seed)
    t = time.perf_counter()
    admin = get_user_model().objects.create_superuser("load-admin", first_name="工委管理员")
    root = Organization.objects.get(kind=OrgKind.WORK_COMMITTEE)
    cycle = open_cycle(name=f"{CITY_YEAR}年度标准化规范化达标创建", root=root, rubric_id=RUBRIC,
                       period_start=date(CITY_YEAR, 1, 1), period_end=date(CITY_YEAR, 12, 31), by=admin)
    t = _step("cycle opened (facts computed)", t)
    surveyed = survey_facts(cycle, rng)
    t = _step("survey facts", t)
    ids = list(cycle.assessments.order_by("pk").values_list("pk", flat=True))
    chosen = sorted(rng.sample(ids, round(len(ids) * args.submitted_share)))
    findings = submit_in_bulk(cycle, chosen, rng)
    t = _step(f"{len(chosen)} submitted", t)
    check_submitted(cycle, chosen, rng)
    t = _step("submitted ones checked with the service's completeness check", t)
    drafts = list(cycle.assessments.filter(state=State.DRAFT).order_by("pk").values_list("pk", "branch_id"))
    secretaries = create_secretaries(rng.sample(drafts, min(args.secretaries, len(drafts))))
    reviewers = create_reviewers(cycle, args.reviewers, rng)
    plan = secretary_plan(Assessment.objects.select_related("cycle", "snapshot").get(pk=secretaries[0]["assessment"]))
    _step("users and the plan", t)
    accounts_path(args, args.db).write_text(json.dumps(
        {"password": PASSWORD, "secretaries": secretaries, "reviewers": reviewers, "plan": plan}, ensure_ascii=False))
    return {"cycle": cycle.pk, "assessments": len(ids), "submitted": len(chosen), "self_findings": findings,
            "survey_facts": surveyed, "planned_rules": len(plan)}


def survey_facts(cycle, rng) -> list[str]:
    """The satisfaction rates the rubric reads and the records do not give, as closed surveys would set them."""
    from chuangxing.assessments.models import FactValue
    from chuangxing.assessments.services import rubric_of, to_stored
    from chuangxing.facts.catalogue import fact_units

    rubric = rubric_of(cycle.assessments.select_related("cycle", "snapshot").first())
    units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
    read = {r.fact for r, _ in rubric.rules() if r.fact} | {n for r, _ in rubric.rules() if r.when for n in units
                                                            if n in r.when}
    known = set(FactValue.objects.filter(assessment__cycle=cycle).values_list("name", flat=True).distinct())
    names = sorted(n for n in read if n not in known and units.get(n) == "percent")
    rows = [FactValue(assessment_id=pk, name=name, computed=to_stored(rng.randint(8000, 10000) / 100))
            for pk in cycle.assessments.values_list("pk", flat=True) for name in names]
    FactValue.objects.bulk_create(rows, batch_size=5000)
    return names


def submit_in_bulk(cycle, ids: list[int], rng) -> int:
    """What ``save_findings`` (every unassessed rule, a compliant branch's input) and the moves 完成自评 and 提交
    leave, for ``ids``, in bulk: findings, audit entries, self total, state, ``submitted_at``, version."""
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from django.db.models import F
    from django.utils import timezone

    from chuangxing.assessments.models import Assessment, AuditEntry, FactValue, Finding, Stage, State
    from chuangxing.assessments.services import fact_from_stored, rubric_of, to_stored
    from chuangxing.facts.catalogue import fact_units
    from chuangxing.scoring import score

    first = Assessment.objects.select_related("cycle", "snapshot").get(pk=ids[0])
    rubric = rubric_of(first)
    units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
    facts: dict[int, dict] = {pk: {} for pk in ids}
    chosen = set(ids)
    for pk, name, computed, override in (FactValue.objects.filter(assessment__cycle=cycle)
                                         .values_list("assessment_id", "name", "computed", "override")):
        value = override if override is not None else computed
        if pk in chosen and value is not None:
            facts[pk][name] = fact_from_stored(value, units.get(name))
    names = dict(Assessment.objects.filter(cycle=cycle).values_list("pk", "branch__name"))
    secretary = get_user_model().objects.get(username="load-admin")
    now = timezone.now()
    findings, audit, totals = [], [], {}
    for pk in ids:
        data = {"branch": names[pk], "facts": facts[pk], "inputs": {}, "fraud": [], "process": {}}
        sheet = score(rubric, data)
        for rule_id in dict.fromkeys(sheet.unassessed):
            ideal = rubric.rule(rule_id).ideal_input()
            value = to_stored(ideal if ideal is not None else False)
            data["inputs"][rule_id] = value
            findings.append(Finding(assessment_id=pk, stage=Stage.SELF, rule_id=rule_id, value=value, updated_at=now))
            audit.append(AuditEntry(actor=secretary, action="finding_self", assessment_id=pk,
                                    target=f"finding:{rule_id}@self", old=None, new=value))
        totals[pk] = score(rubric, data, complete=True).total
        audit += [AuditEntry(actor=secretary, action="self_assess", assessment_id=pk, target="state",
                             old=State.DRAFT, new=State.SELF_ASSESSED),
                  AuditEntry(actor=secretary, action="submit", assessment_id=pk, target="state",
                             old=State.SELF_ASSESSED, new=State.SUBMITTED)]
    with transaction.atomic():
        Finding.objects.bulk_create(findings, batch_size=5000)
        AuditEntry.objects.bulk_create(audit, batch_size=5000)
        by_total: dict[Any, list[int]] = {}
        for pk, total in totals.items():
            by_total.setdefault(total, []).append(pk)
        for total, pks in by_total.items():
            for start in range(0, len(pks), 500):
                part = pks[start:start + 500]
                # submitted over the last two weeks, in order; one version per save and per move, as the services do
                Assessment.objects.filter(pk__in=part).update(
                    state=State.SUBMITTED, self_total=total, version=F("version") + 3,
                    submitted_at=now - timedelta(minutes=rng.randint(10, 14 * 24 * 60)))
    return len(findings)


def check_submitted(cycle, ids: list[int], rng) -> None:
    """A sample of the submitted ones passes the submission's own check (a complete self-assessment)."""
    from chuangxing.assessments.models import Assessment
    from chuangxing.assessments.services import findings_data, rubric_of
    from chuangxing.scoring import score

    for pk in rng.sample(ids, min(50, len(ids))):
        a = Assessment.objects.select_related("cycle", "branch", "snapshot").get(pk=pk)
        sheet = score(rubric_of(a), findings_data(a, stage="self"), complete=True)
        if sheet.total != a.self_total:
            raise SystemExit(f"assessment {pk}: self total {a.self_total} stored, {sheet.total} scored")


def _users(rows: list[tuple[str, str]]) -> dict[str, int]:
    """Users (username, full name) with the one password (hashed once: Argon2 is slow on purpose)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    User = get_user_model()
    hashed = make_password(PASSWORD)
    User.objects.bulk_create([User(username=u, first_name=name, password=hashed) for u, name in rows], batch_size=1000)
    return dict(User.objects.filter(username__in=[u for u, _ in rows]).values_list("username", "pk"))


def create_secretaries(drafts: list[tuple[int, int]]) -> list[dict[str, Any]]:
    from chuangxing.assessments.models import Role, RoleAssignment
    from chuangxing.orgs.models import Organization

    names = dict(Organization.objects.filter(pk__in=[b for _, b in drafts]).values_list("pk", "name"))
    rows = [(f"load-sec-{i:05d}", f"{names[branch]}书记") for i, (_, branch) in enumerate(drafts, 1)]
    ids = _users(rows)
    RoleAssignment.objects.bulk_create([RoleAssignment(user_id=ids[u], role=Role.SECRETARY, organization_id=branch)
                                        for (u, _), (_, branch) in zip(rows, drafts, strict=True)], batch_size=1000)
    return [{"username": u, "assessment": pk} for (u, _), (pk, _) in zip(rows, drafts, strict=True)]


def create_reviewers(cycle, count: int, rng) -> list[dict[str, Any]]:
    """Reviewers of ``count`` party committees chosen among those with submitted branches."""
    from chuangxing.assessments.models import Role, RoleAssignment, State
    from chuangxing.orgs.models import Organization, OrgKind

    committees = list(Organization.objects.filter(kind=OrgKind.PARTY_COMMITTEE).order_by("pk")
                      .values_list("pk", "path", "name"))
    submitted = list(cycle.assessments.filter(state=State.SUBMITTED).values_list("branch__path", flat=True))
    with_queue = [c for c in committees if any(path.startswith(c[1]) for path in submitted)]
    chosen = rng.sample(with_queue, min(count, len(with_queue)))
    rows = [(f"load-rev-{i:04d}", f"{name}审核人") for i, (_, _, name) in enumerate(chosen, 1)]
    ids = _users(rows)
    RoleAssignment.objects.bulk_create([RoleAssignment(user_id=ids[u], role=Role.REVIEWER, organization_id=pk)
                                        for (u, _), (pk, _, _) in zip(rows, chosen, strict=True)])
    return [{"username": u, "committee": pk} for (u, _), (pk, _, _) in zip(rows, chosen, strict=True)]


def secretary_plan(assessment) -> dict[str, dict[str, str | None]]:
    """Per rule, what a compliant branch's secretary types into the form's fields (the form's own names)."""
    from chuangxing.assessments.services import rubric_of
    from chuangxing.scoring.errors import InputError
    from chuangxing.web.findings_form import canonical, field_name, input_for

    plan = {}
    for rule, _ in rubric_of(assessment).rules():
        if not rule.enabled:
            continue
        ideal = rule.ideal_input()
        try:
            value = canonical(rule, ideal if ideal is not None else False)
        except (InputError, ValueError, TypeError):
            continue
        widget = input_for(rule, value)
        if not widget.takes_input:
            continue
        initial = widget.initial(value, "finding")
        plan[rule.id] = {field_name(rule.id, part): _form_value(initial.get(part)) for part in widget.fields()}
    return plan


def _form_value(value: Any) -> str | None:
    """A field's initial value as the browser posts it: a ticked box "on", an unticked one nothing."""
    if value is True:
        return "on"
    if value is False:
        return None
    return "" if value is None else str(value)


# -- one run: the server, locust, the figures ----------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) of process ``pid``; 0 when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def backend_pids(args: argparse.Namespace, url: str) -> list[int]:
    name = url.rsplit("/", 1)[1]
    return [row[0] for row in pg_admin(args, f"SELECT pid FROM pg_stat_activity WHERE datname = '{name}'")]


def start_server(args: argparse.Namespace, url: str, threads: int, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": url, "CHUANGXING_ENV": "production",
           "CHUANGXING_SECRET_KEY": secrets.token_urlsafe(50), "CHUANGXING_ALLOWED_HOSTS": "127.0.0.1",
           "CHUANGXING_BEHIND_PROXY": "1", "CHUANGXING_SSL_REDIRECT": "0", "CHUANGXING_CACHE": "database",
           "CHUANGXING_DATA_DIR": str(VAR / "load-serve")}
    env.pop("CHUANGXING_DEBUG", None)
    command = [str(BIN / "chuangxing"), "serve", "--host", "127.0.0.1", "--port", str(port), "--threads", str(threads),
               "--trusted-proxy", "127.0.0.1"]
    server = subprocess.Popen(command, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the server stopped (exit {server.returncode}); see {log}")
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/accounts/login/",
                                             headers={"X-Forwarded-Proto": "https"})
            with urllib.request.urlopen(request, timeout=5) as response:
                if response.status == 200:
                    return server
        except OSError:
            time.sleep(1)
    stop(server)
    raise SystemExit(f"the server did not answer within 180 s; see {log}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_once(args: argparse.Namespace, db: str, threads: int, extra: list[str]) -> dict[str, Any]:
    run_url = prepared_url(args, db, run=True)
    started = time.perf_counter()
    copy_database(args, db, prepared_url(args, db), run_url)
    # as a deployment does before starting its servers: migrations made since the database was prepared
    for command in (["migrate", "--no-input"], ["createcachetable"]):
        subprocess.run([sys.executable, "-m", "chuangxing.manage", *command, "-v", "0"], check=True,
                       env={**os.environ, "DATABASE_URL": run_url, "CHUANGXING_CACHE": "database"})
    print(f"{db}: fresh copy of the prepared database (migrated) in {time.perf_counter() - started:.0f} s", flush=True)
    prefix = VAR / f"{stem(args.branches)}.{db}"
    servers: list[tuple[subprocess.Popen, int]] = []
    try:
        for i in range(args.servers):
            port = free_port()
            servers.append((start_server(args, run_url, threads, port, Path(f"{prefix}.server{i + 1}.log")), port))
        return measure(args, db, threads, extra, servers, run_url, prefix)
    finally:
        for server, _ in servers:
            stop(server)
        drop_database(args, db, run_url)


class CpuWatch:
    """CPU seconds of processes over the measured window, sampled every few seconds: the servers, locust, the
    PostgreSQL backends of the run database (they come and go: a connection lives ``conn_max_age``, 60 s, so each
    is counted from its first sighting to its last), and the whole machine (``/proc/stat``)."""

    def __init__(self, args: argparse.Namespace, db: str, run_url: str, fixed: dict[str, list[int]]):
        self.args, self.db, self.run_url, self.fixed = args, db, run_url, fixed
        self.start = {name: sum(proc_cpu(pid) for pid in pids) for name, pids in fixed.items()}
        self.backends: dict[int, list[float]] = {}     # pid: [first seen, last seen]
        self.machine = machine_busy()
        self.sample()

    def sample(self) -> None:
        if self.db != "postgres":
            return
        for pid in backend_pids(self.args, self.run_url):
            cpu = proc_cpu(pid)
            if cpu:
                self.backends.setdefault(pid, [cpu, cpu])[1] = cpu

    def used(self) -> dict[str, float | None]:
        self.sample()
        used: dict[str, float | None] = {name: sum(proc_cpu(pid) for pid in pids) - self.start[name]
                                         for name, pids in self.fixed.items()}
        used["postgres"] = sum(last - first for first, last in self.backends.values()) if self.db == "postgres" else None
        used["machine"] = machine_busy() - self.machine
        return used


def peak_rss_mb(pid: int) -> int | None:
    """A process's peak resident memory (VmHWM) in MB; None when it is gone."""
    try:
        line = next(x for x in Path(f"/proc/{pid}/status").read_text().splitlines() if x.startswith("VmHWM:"))
    except (OSError, StopIteration):
        return None
    return round(int(line.split()[1]) / 1024)


def machine_busy() -> float:
    """Busy CPU seconds of the whole machine since boot (all cores: /proc/stat less idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def measure(args: argparse.Namespace, db: str, threads: int, extra: list[str],
            servers: list[tuple[subprocess.Popen, int]], run_url: str, prefix: Path) -> dict[str, Any]:
    hosts = [f"http://127.0.0.1:{port}" for _, port in servers]
    command = [str(BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless",
               "-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{args.warmup + args.duration}s",
               "--host", hosts[0], "--hosts", ",".join(hosts), "--csv", str(prefix), "--only-summary",
               "--stop-timeout", "10", "--accounts", str(accounts_path(args, db)), "--warmup", str(args.warmup), *extra]
    print(f"{db}: {args.users} users, {len(servers)} server process(es) of {threads} threads; warm-up {args.warmup} s, "
          f"measured {args.duration} s", flush=True)
    with open(f"{prefix}.locust.log", "w") as log:
        locust = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        time.sleep(args.warmup)
        watch = CpuWatch(args, db, run_url, {"server": [server.pid for server, _ in servers], "locust": [locust.pid]})
        window, loads = time.monotonic(), []
        while locust.poll() is None and time.monotonic() - window < args.duration:
            loads.append(os.getloadavg()[0])
            time.sleep(5)
            watch.sample()
        seconds = time.monotonic() - window
        cpu = watch.used()
        peak_rss = [peak_rss_mb(server.pid) for server, _ in servers]
        locust.wait(timeout=args.duration + 120)
    stats = read_stats(Path(f"{prefix}_stats.csv"))
    failures = read_failures(Path(f"{prefix}_failures.csv"))
    return {"db": db, "servers": len(servers), "threads": threads, "users": args.users,
            "measured_seconds": round(seconds), "requests": stats, "failures": failures,
            "cpu_seconds": {k: round(v, 1) if v is not None else None for k, v in cpu.items()},
            "cores_used": {k: round(v / seconds, 2) if v is not None else None for k, v in cpu.items()},
            "server_peak_rss_mb": peak_rss,
            "load_average": {"mean": round(sum(loads) / len(loads), 2) if loads else None,
                             "max": round(max(loads), 2) if loads else None}}


def read_stats(path: Path) -> dict[str, dict[str, Any]]:
    out = {}
    with path.open(newline="") as file:
        for row in csv.DictReader(file):
            name = "overall" if row["Name"] == "Aggregated" else f"{row['Type']} {row['Name']}"
            out[name] = {"requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                         "rps": round(float(row["Requests/s"]), 2), "p50": _ms(row["50%"]), "p95": _ms(row["95%"]),
                         "p99": _ms(row["99%"]), "mean": round(float(row["Average Response Time"])),
                         "max": round(float(row["Max Response Time"]))}
    return out


def _ms(value: str) -> int | None:
    return None if value in ("", "N/A") else round(float(value))


def read_failures(path: Path) -> list[dict[str, Any]]:
    if not path.exists():
        return []
    with path.open(newline="") as file:
        return [{"name": f"{row['Method']} {row['Name']}", "error": row["Error"][:300], "count": int(row["Occurrences"])}
                for row in csv.DictReader(file)]


# -- the driver ----------------------------------------------------------------------------------------


def spawn_prepare(args: argparse.Namespace, db: str) -> dict[str, Any]:
    out = VAR / f".{stem(args.branches)}.prepare.{db}.json"
    out.unlink(missing_ok=True)
    subprocess.run([sys.executable, __file__, "--worker", "prepare", "--db", db, "--out", str(out),
                    "--branches", str(args.branches), "--seed", str(args.seed), "--pg", args.pg,
                    "--submitted-share", str(args.submitted_share), "--secretaries", str(args.secretaries),
                    "--reviewers", str(args.reviewers)], check=True)
    result = json.loads(out.read_text())
    out.unlink()
    return result


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--branches", type=int, default=DEFAULT_BRANCHES, help="the facts_city.py city to copy")
    parser.add_argument("--only", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--pg", default=PG_SERVER)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--submitted-share", type=float, default=0.33)
    parser.add_argument("--secretaries", type=int, default=1000)
    parser.add_argument("--reviewers", type=int, default=100)
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--warmup", type=int, default=60)
    parser.add_argument("--duration", type=int, default=300)
    parser.add_argument("--threads", default="2", help="each server's threads; several (2,4) run one after another")
    parser.add_argument("--servers", type=int, default=4,    # docs/deploy.md: two processes per core, two threads
                        help="server processes on the one database, each user on one of them (as nginx spreads them)")
    parser.add_argument("--prepare-only", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_known_args(argv)


ORDER = ["GET sign-in page", "POST sign in", "GET my work", "GET self-assessment page", "POST live score",
         "POST save findings", "POST move self_assess", "POST move submit", "POST sign out", "GET my work (queue)",
         "GET review page", "POST move start_review"]


def report(results: list[dict[str, Any]]) -> None:
    for result in results:
        print(f"\n{result['db']}, {result['servers']} server process(es) of {result['threads']} threads, "
              f"{result['users']} users, {result['measured_seconds']} s measured")
        print(f"{'request':28} {'requests':>9} {'failures':>9} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7}")
        stats = result["requests"]
        for name in [n for n in ORDER if n in stats] + sorted(set(stats) - set(ORDER) - {"overall"}) + ["overall"]:
            if name in stats:
                s = stats[name]
                print(f"{name:28} {s['requests']:>9} {s['failures']:>9} {s['rps']:>7.2f} {_num(s['p50'])} "
                      f"{_num(s['p95'])} {_num(s['p99'])}")
        cores = result["cores_used"]
        print(f"CPU in the window (cores used of {os.cpu_count()}): server {cores['server']}, "
              + (f"PostgreSQL backends {cores['postgres']}, " if cores["postgres"] is not None else "")
              + f"locust {cores['locust']}, whole machine {cores['machine']}; "
              f"load average mean {result['load_average']['mean']}, max {result['load_average']['max']}")
        print(f"server processes' peak memory (MB): {result['server_peak_rss_mb']}")
        for failure in result["failures"]:
            print(f"  failure: {failure['count']} × {failure['name']}: {failure['error']}")


def _num(value: int | None) -> str:
    return f"{value:>7}" if value is not None else f"{'-':>7}"


def main(argv: list[str] | None = None) -> None:
    args, extra = parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(ROOT / "src"))
    if args.worker == "prepare":
        Path(args.out).write_text(json.dumps(worker_prepare(args), default=str))
        return
    only = [db.strip() for db in args.only.split(",") if db.strip()]
    for db in only:
        if city_manifest(args, db) is None:
            raise SystemExit(f"no {db} city of {args.branches} branches yet: "
                             f"python bench/facts_city.py --branches {args.branches} --build-only --only {db}")
        if is_prepared(args, db):
            print(f"{db}: prepared database cached", flush=True)
        else:
            manifest = spawn_prepare(args, db)
            print(f"{db}: prepared in {manifest['prepare_seconds']} s: {manifest['assessments']:,} assessments, "
                  f"{manifest['submitted']:,} submitted, {manifest['planned_rules']} rules a secretary types", flush=True)
    if args.prepare_only:
        return
    results = []
    for db in only:
        for threads in [int(t) for t in args.threads.split(",")]:
            results.append(run_once(args, db, threads, extra))
    report(results)
    summary = {"branches": args.branches, "cores": os.cpu_count(), "users": args.users, "warmup": args.warmup,
               "duration": args.duration, "locust_options": extra,
               "prepared": {db: json.loads(manifest_path(args, db).read_text()) for db in only}, "runs": results}
    print(json.dumps(summary, default=str))


if __name__ == "__main__":
    main()
