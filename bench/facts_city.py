"""Every fact for every branch of a 30,000-branch city: SQLite, PostgreSQL and a DuckDB reference (not a test).

    python bench/facts_city.py                         # the 30,000-branch city, seed 1, year 2026
    python bench/facts_city.py --branches 2000         # a smaller city, cached apart
    python bench/facts_city.py --only sqlite,duckdb    # leave PostgreSQL out
    python bench/facts_city.py --build-only            # build (or check) the cached cities and stop

The city is ``build_demo_city(branches=N, seed=S, year=Y)`` (about 30 members a branch and a year of
meetings with attendance and monthly dues), built once per database and kept:

- SQLite: ``var/bench/facts-city.sqlite3``;
- PostgreSQL: the database ``bench_facts`` on ``--pg`` (``postgres://postgres@127.0.0.1:5432``);
- DuckDB: the SQLite file's tables exported to Parquet (``var/bench/facts-city-parquet/``) through the
  ``sqlite3`` command line tool as CSV, since DuckDB's sqlite extension cannot be downloaded offline.

A manifest beside each (``*.json``) holds the build's parameters and row counts; a cache is reused when
its tables hold exactly those counts, and rebuilt otherwise. After a build the tables are analyzed
(``ANALYZE`` on both), as any bulk load should be.

Then, each database in a process of its own (so its peak memory is its own), it times
``compute_facts(branches=Organization.objects.branches(), start=Y-01-01, end=Y-12-31)`` — every fact the
records provide — best of ``--runs`` (3), and reports the process's peak resident memory
(``resource.getrusage(RUSAGE_SELF).ru_maxrss``, absolute and above the baseline taken after Django's
set-up and the branch list). DuckDB loads the Parquet files into in-memory tables (not timed) and
times one hand-written SQL query per family of facts, the rows fetched into Python.

Checks: the SQLite and PostgreSQL results are identical for every branch and fact, and so are the
DuckDB values for every fact it computes (all of them; see ``DUCKDB_SQL``). The last line is JSON.
"""

from __future__ import annotations

import argparse
import csv
import gc
import json
import os
import pickle
import resource
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var" / "bench"
DEFAULT_BRANCHES, DEFAULT_SEED, DEFAULT_YEAR = 30_000, 1, 2026
PG_SERVER = "postgres://postgres@127.0.0.1:5432"


# -- where each city lives ------------------------------------------------------------------------


def stem(branches: int) -> str:
    return "facts-city" if branches == DEFAULT_BRANCHES else f"facts-city-{branches}"


def sqlite_path(args: argparse.Namespace) -> Path:
    return VAR / f"{stem(args.branches)}.sqlite3"


def pg_database(args: argparse.Namespace) -> str:
    return "bench_facts" if args.branches == DEFAULT_BRANCHES else f"bench_facts_{args.branches}"


def manifest_path(args: argparse.Namespace, db: str) -> Path:
    return VAR / f"{stem(args.branches)}.{db}.json"


def database_url(args: argparse.Namespace, db: str) -> str:
    if db == "sqlite":
        return f"sqlite:///{sqlite_path(args)}"
    return f"{args.pg}/{pg_database(args)}"


def wanted_manifest(args: argparse.Namespace) -> dict[str, Any]:
    return {"branches": args.branches, "seed": args.seed, "year": args.year}


def read_manifest(args: argparse.Namespace, db: str) -> dict[str, Any] | None:
    path = manifest_path(args, db)
    if not path.exists():
        return None
    manifest = json.loads(path.read_text())
    return manifest if {k: manifest.get(k) for k in wanted_manifest(args)} == wanted_manifest(args) else None


# -- the workers (one process each) ---------------------------------------------------------------


def _django(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "chuangxing.settings"
    os.environ["CHUANGXING_DEBUG"] = "0"     # no query log kept in memory
    import django

    django.setup()


def _table_counts() -> dict[str, int]:
    from django.db import connection

    from chuangxing.demo.city import _ORDER

    counts = {}
    with connection.cursor() as cursor:
        for model in _ORDER:
            cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(model._meta.db_table)}")
            counts[model._meta.model_name] = cursor.fetchone()[0]
    return counts


def _cache_holds(args: argparse.Namespace, db: str) -> bool:
    """The database answers and holds exactly the manifest's rows."""
    manifest = read_manifest(args, db)
    if manifest is None:
        return False
    if db == "sqlite" and not sqlite_path(args).exists():
        return False
    if db == "postgres" and not _pg_exists(args):
        return False
    _django(database_url(args, db))
    try:
        return _table_counts() == manifest["rows"]
    except Exception as exc:     # no tables, an older schema: build again
        print(f"  cache of {db} unusable ({exc}); rebuilding", file=sys.stderr)
        return False


def _pg_admin(args: argparse.Namespace, sql: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(f"{args.pg}/postgres", autocommit=True) as conn:
        cursor = conn.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _pg_exists(args: argparse.Namespace) -> bool:
    return bool(_pg_admin(args, f"SELECT 1 FROM pg_database WHERE datname = '{pg_database(args)}'"))


def worker_build(args: argparse.Namespace) -> dict[str, Any]:
    db = args.db
    if _cache_holds(args, db):
        return {"built": False, **json.loads(manifest_path(args, db).read_text())}
    if db == "sqlite":
        target = sqlite_path(args)
        partial = target.with_suffix(".partial")
        for path in (target, partial, Path(f"{partial}-journal")):
            path.unlink(missing_ok=True)
        url = f"sqlite:///{partial}"
    else:
        _pg_admin(args, f'DROP DATABASE IF EXISTS "{pg_database(args)}"')
        _pg_admin(args, f'CREATE DATABASE "{pg_database(args)}"')
        url = database_url(args, db)
    manifest_path(args, db).unlink(missing_ok=True)
    started = time.perf_counter()
    _build(url, args)
    seconds = time.perf_counter() - started
    rows = _table_counts()
    from django.db import connection

    connection.close()
    if db == "sqlite":
        partial.rename(target)
    manifest = {**wanted_manifest(args), "rows": rows, "build_seconds": round(seconds, 1),
                "built_at": time.strftime("%Y-%m-%d %H:%M")}
    manifest_path(args, db).write_text(json.dumps(manifest, indent=1))
    return {"built": True, **manifest}


def _build(url: str, args: argparse.Namespace) -> None:
    _django(url)
    from django.core.management import call_command
    from django.db import connection

    from chuangxing.demo.city import build_demo_city

    call_command("migrate", interactive=False, verbosity=0)

    def progress(done: int, total: int) -> None:
        if done % 5000 == 0 or done == total:
            print(f"  {args.db}: {done}/{total} branches", file=sys.stderr, flush=True)

    build_demo_city(branches=args.branches, seed=args.seed, year=args.year, progress=progress)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    if connection.vendor == "postgresql":
        connection.close()
        import psycopg

        with psycopg.connect(url.replace("postgres://", "postgresql://"), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def _period(args: argparse.Namespace) -> tuple[date, date]:
    return date(args.year, 1, 1), date(args.year, 12, 31)


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024   # Linux: kilobytes


def _timed(runs: int, fn: Callable[[], Any], server_cpu: Callable[[], float | None] = lambda: None,
           ) -> tuple[Any, list[dict[str, float]]]:
    """``fn()`` ``runs`` times: wall, this process's CPU (all its threads) and the database server's CPU."""
    times, result = [], None
    for _ in range(runs):
        result = None
        gc.collect()
        server = server_cpu()             # first: reading it waits 0.2 s for the postmaster, not to be timed
        wall, cpu = time.perf_counter(), time.process_time()
        result = fn()
        times.append({"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu})
        if server is not None:
            times[-1]["server_cpu"] = server_cpu() - server
    return result, times


def _backend_cpu(connection: Any) -> Callable[[], float | None]:
    """CPU seconds of the PostgreSQL server (from /proc): the backend serving ``connection``, plus every
    backend that has exited since (compute_facts' threads open connections of their own and close them;
    parallel query workers too), counted in the postmaster's children's time. So it includes whatever
    other clients of the server did meanwhile: run it on a quiet server."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        backend = Path(f"/proc/{cursor.fetchone()[0]}/stat")
    ticks = os.sysconf("SC_CLK_TCK")

    def fields(stat: Path) -> list[str]:
        return stat.read_text().rsplit(")", 1)[1].split()    # from the state (field 3) on

    try:
        postmaster = Path(f"/proc/{fields(backend)[1]}/stat")
    except OSError:          # another machine's server
        return lambda: None

    def read() -> float | None:
        time.sleep(0.2)      # let the postmaster reap the backends that just closed
        try:
            own, children = fields(backend), fields(postmaster)
        except OSError:
            return None
        return (int(own[11]) + int(own[12]) + int(children[13]) + int(children[14])) / ticks

    return read


def worker_compute(args: argparse.Namespace) -> dict[str, Any]:
    """compute_facts for every branch, best of ``runs``; peak RSS; the facts pickled for the checks."""
    _django(database_url(args, args.db))
    from django.db import connection

    from chuangxing.facts.compute import compute_facts
    from chuangxing.orgs.models import Organization

    start, end = _period(args)
    branches = Organization.objects.branches()
    count = branches.count()          # connects, and warms the catalogue
    baseline = _maxrss_mb()
    server_cpu = _backend_cpu(connection) if connection.vendor == "postgresql" else lambda: None
    facts, times = _timed(args.runs, lambda: compute_facts(branches=branches, start=start, end=end), server_cpu)
    peak = _maxrss_mb()
    heap = None
    if args.tracemalloc:              # the Python heap's own peak, in a run of its own (tracing slows it)
        del facts
        gc.collect()
        tracemalloc.start()
        facts = compute_facts(branches=branches, start=start, end=end)
        heap = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    with open(args.out + ".pickle", "wb") as out:
        pickle.dump(facts, out, protocol=pickle.HIGHEST_PROTOCOL)
    families = _by_family(branches, start, end) if args.by_family else None
    return {"db": args.db, "branches": count, "facts": len(next(iter(facts.values()))), "times": times,
            "baseline_mb": baseline, "peak_mb": peak, "tracemalloc_peak_mb": heap, "server": connection.vendor,
            "families": families}


def _by_family(branches: Any, start: date, end: date) -> dict[str, float]:
    """Wall time of each family's one query (and its rows made into values), as compute_facts runs them."""
    from chuangxing.facts import compute

    cycle = compute.Cycle(start, end)
    ids, scope = compute._scope(branches)
    by_family: dict[Any, list] = {}
    for name in compute._with_needs(compute._wanted(None)):
        computation = compute.COMPUTATIONS[name]
        if computation.family is not None:
            by_family.setdefault(computation.family, []).append(computation)
    seconds = {}
    for family, facts in by_family.items():
        started = time.perf_counter()
        family.fetch(cycle, scope, ids, facts)
        seconds[family.name] = round(time.perf_counter() - started, 3)
    return seconds


def worker_export(args: argparse.Namespace) -> dict[str, Any]:
    """The SQLite city's tables as Parquet for DuckDB (CSV written by Python, typed and converted by DuckDB)."""
    import duckdb

    folder = VAR / f"{stem(args.branches)}-parquet"
    source = read_manifest(args, "sqlite")
    manifest = folder / "manifest.json"
    if manifest.exists() and json.loads(manifest.read_text()) == source:
        return {"exported": False}
    _django(database_url(args, "sqlite"))
    from django.db import connection

    from chuangxing.demo.city import _ORDER

    folder.mkdir(parents=True, exist_ok=True)
    manifest.unlink(missing_ok=True)
    started = time.perf_counter()
    duck = duckdb.connect()
    connection.ensure_connection()
    for model in _ORDER:
        table = model._meta.db_table
        columns = {field.column: _duck_type(field) for field in model._meta.concrete_fields}
        csv_path = folder / f"{table}.csv"
        with open(csv_path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out)
            writer.writerow(columns)
            cursor = connection.connection.execute(f"SELECT {', '.join(columns)} FROM {table}")
            while rows := cursor.fetchmany(100_000):
                writer.writerows([NULL if value is None else value for value in row] for row in rows)
        spec = ", ".join(f"'{name}': '{kind}'" for name, kind in columns.items())
        duck.execute(f"COPY (SELECT * FROM read_csv('{csv_path}', header = true, nullstr = '{NULL}', columns = {{{spec}}})) "
                     f"TO '{folder / f'{table}.parquet'}' (FORMAT parquet)")
        csv_path.unlink()
    manifest.write_text(json.dumps(source))
    return {"exported": True, "seconds": time.perf_counter() - started}


NULL = "\\N"
_DUCK_TYPES = {"DateField": "DATE", "BooleanField": "BOOLEAN", "CharField": "VARCHAR", "TextField": "VARCHAR",
               "PositiveSmallIntegerField": "INTEGER", "PositiveIntegerField": "INTEGER", "IntegerField": "INTEGER",
               "SmallIntegerField": "INTEGER", "BigAutoField": "BIGINT", "AutoField": "BIGINT", "ForeignKey": "BIGINT"}


def _duck_type(field: Any) -> str:
    kind = field.get_internal_type()
    if kind == "DecimalField":
        return f"DECIMAL({field.max_digits}, {field.decimal_places})"
    return _DUCK_TYPES[kind]


def worker_duckdb(args: argparse.Namespace) -> dict[str, Any]:
    """Load the Parquet files into in-memory tables (not timed), then time the hand-written query."""
    import duckdb

    _django(database_url(args, "sqlite"))     # the requirements and the months come from facts.compute
    params = duckdb_params(*_period(args))
    folder = VAR / f"{stem(args.branches)}-parquet"
    duck = duckdb.connect()
    baseline = _maxrss_mb()
    started = time.perf_counter()
    for path in sorted(folder.glob("*.parquet")):
        duck.execute(f"CREATE TABLE {path.stem} AS SELECT * FROM read_parquet('{path}')")
    load = time.perf_counter() - started
    loaded = _maxrss_mb()
    rows, times = _timed(args.runs, lambda: duck.execute(DUCKDB_SQL, params).fetchall())
    names = [column[0] for column in duck.description]
    with open(args.out + ".pickle", "wb") as out:
        pickle.dump({row[0]: dict(zip(names[1:], row[1:], strict=True)) for row in rows}, out,
                    protocol=pickle.HIGHEST_PROTOCOL)
    threads = duck.execute("SELECT current_setting('threads')").fetchone()[0]
    return {"db": "duckdb", "branches": len(rows), "facts": len(names) - 1, "times": times, "load_seconds": load,
            "baseline_mb": baseline, "loaded_mb": loaded, "peak_mb": _maxrss_mb(), "threads": threads,
            "version": duckdb.__version__}


def run_worker(args: argparse.Namespace) -> None:
    result = {"build": worker_build, "compute": worker_compute, "export": worker_export,
              "duckdb": worker_duckdb}[args.worker](args)
    result["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(args.out).write_text(json.dumps(result, default=str))


# -- the DuckDB reference ---------------------------------------------------------------------------

#: Every fact of ``compute_facts`` for a cycle of whole calendar months, one row per branch. Percents and
#: numbers come as integer hundredths (rounded half up, as ``compute_facts`` quantizes), so the
#: comparison is exact. Each CTE is one of compute_facts' families, with the same definitions.
DUCKDB_SQL = """
WITH
branches AS (SELECT id AS branch FROM orgs_organization WHERE kind = 'branch'),
party AS (
    SELECT * FROM orgs_member
    WHERE category <> 'activist'
      AND (joined_branch_on IS NULL OR joined_branch_on <= $end) AND (left_branch_on IS NULL OR left_branch_on > $end)
      AND (joined_party_on IS NULL OR joined_party_on <= $end)),
hours AS (
    SELECT member_id, sum(hours) FILTER (WHERE studied_on BETWEEN $start AND $end) AS hours
    FROM records_study GROUP BY member_id),
members AS (
    SELECT p.branch_id AS branch,
           count(*) AS party_members,
           count(*) FILTER (WHERE category = 'full' AND (full_member_on IS NULL OR full_member_on <= $end)) AS full_members,
           count(*) FILTER (WHERE NOT under_management) AS members_not_managed,
           count(*) FILTER (WHERE lost_contact_since <= $end) AS lost_contact_members,
           count(*) FILTER (WHERE lost_contact_since <= $lost_3_months) AS members_out_of_contact_3_months,
           count(*) FILTER (WHERE coalesce(h.hours, 0) < CASE WHEN is_leader THEN $leader_hours ELSE $member_hours END)
               AS study_hours_below_required
    FROM party p LEFT JOIN hours h ON h.member_id = p.id
    GROUP BY p.branch_id),
meetings AS (
    SELECT branch_id AS branch,
           count(*) FILTER (WHERE kind = 'general') AS general_meetings_held,
           count(*) FILTER (WHERE kind = 'committee') AS committee_meetings_held,
           count(*) FILTER (WHERE kind = 'group') AS group_meetings_held,
           count(*) FILTER (WHERE kind = 'lecture') AS party_lectures_held,
           count(*) FILTER (WHERE kind = 'org_life') > 0 AS org_life_meeting_held,
           count(*) FILTER (WHERE kind = 'review') > 0 AS democratic_review_held,
           count(*) FILTER (WHERE kind = 'talk') > 0 AS heart_talks_held,
           sum(present) FILTER (WHERE expected > 0) AS present_all,
           sum(expected) FILTER (WHERE expected > 0) AS expected_all,
           min(present * 100000 // expected) FILTER (WHERE expected > 0) AS rate_min_scaled,
           count(*) FILTER (WHERE expected > 0 AND expected * 4 > present * 5) AS meetings_below_80pct,
           sum(present) FILTER (WHERE expected > 0 AND kind IN ('lecture', 'theme_day')) AS present_study,
           sum(expected) FILTER (WHERE expected > 0 AND kind IN ('lecture', 'theme_day')) AS expected_study
    FROM records_meeting WHERE held_on BETWEEN $start AND $end
    GROUP BY branch_id),
theme_days AS (
    -- Months, not meetings. A separate DISTINCT, not count(DISTINCT ...) FILTER among the meetings'
    -- aggregates: DuckDB 1.4.3 sometimes fails that combination with an internal error on two threads.
    SELECT branch_id AS branch, count(*) AS theme_days_held
    FROM (SELECT DISTINCT branch_id, date_trunc('month', held_on) AS month FROM records_meeting
          WHERE kind = 'theme_day' AND held_on BETWEEN $start AND $end)
    GROUP BY branch_id),
leaders AS (
    SELECT g.branch_id AS branch,
           count(DISTINCT a.member_id) - count(DISTINCT a.member_id) FILTER (WHERE a.presence = 'present')
               AS leaders_absent_from_org_life
    FROM records_attendance a JOIN records_meeting g ON g.id = a.meeting_id JOIN orgs_member m ON m.id = a.member_id
    WHERE g.kind = 'org_life' AND g.held_on BETWEEN $start AND $end AND m.is_leader
    GROUP BY g.branch_id),
group_held AS (
    SELECT group_id, count(*) AS held FROM records_meeting
    WHERE kind = 'group' AND held_on BETWEEN $start AND $end AND group_id IS NOT NULL GROUP BY group_id),
groups AS (
    SELECT o.parent_id AS branch, count(*) AS party_groups,
           sum(greatest($group_required - coalesce(h.held, 0), 0)) AS group_short
    FROM orgs_organization o LEFT JOIN group_held h ON h.group_id = o.id
    WHERE o.kind = 'party_group' AND (o.established_on IS NULL OR o.established_on <= $end)
      AND (o.dissolved_on IS NULL OR o.dissolved_on > $end)
    GROUP BY o.parent_id),
transfers AS (
    SELECT m.branch_id AS branch, count(DISTINCT t.member_id) AS transfers_overdue
    FROM orgs_transfer t JOIN orgs_member m ON m.id = t.member_id
    WHERE t.due_on <= $transfer_due_by AND (t.done_on IS NULL OR (t.done_on >= $start AND t.done_on - t.due_on > $grace_days))
    GROUP BY m.branch_id),
dues AS (
    SELECT m.branch_id AS branch,
           count(*) FILTER (WHERE d.paid_on IS NULL OR d.amount_paid < d.amount_due) AS dues_months_missed,
           count(*) FILTER (WHERE d.paid_on IS NOT NULL AND d.amount_paid < d.amount_due) > 0 AS dues_short_paid
    FROM records_dues d JOIN orgs_member m ON m.id = d.member_id
    WHERE d.month BETWEEN $first_month AND $last_month
      AND (m.joined_branch_on IS NULL OR date_trunc('month', m.joined_branch_on) <= d.month)
      AND (m.left_branch_on IS NULL OR m.left_branch_on > d.month)
    GROUP BY m.branch_id),
tests AS (
    SELECT m.branch_id AS branch, sum(r.wrong_answers) AS theory_test_wrong_answers
    FROM records_testresult r JOIN orgs_member m ON m.id = r.member_id
    WHERE r.kind = 'theory' AND r.taken_on BETWEEN $start AND $end
      AND (m.joined_branch_on IS NULL OR m.joined_branch_on <= r.taken_on)
      AND (m.left_branch_on IS NULL OR m.left_branch_on > r.taken_on)
    GROUP BY m.branch_id),
terms AS (
    SELECT *, lead(elected_on) OVER (PARTITION BY branch_id ORDER BY elected_on) AS next_election
    FROM orgs_committeeterm),
posts AS (
    SELECT t.branch_id AS branch, p.duty, p.member_id, p.started_on,
           least(coalesce(p.ended_on, DATE '9999-12-31'), coalesce(t.next_election, DATE '9999-12-31')) AS until
    FROM orgs_committeepost p JOIN terms t ON t.id = p.term_id
    WHERE p.duty IN ('secretary', 'discipline')),
posts_in AS (SELECT * FROM posts WHERE started_on <= $end AND until > $start),
secretary_runs AS (
    SELECT branch, started_on, until,
           greatest($start, coalesce(max(until) OVER (PARTITION BY branch ORDER BY started_on, until
                                                      ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), $start)) AS cursor
    FROM posts_in WHERE duty = 'secretary'),
vacancy AS (
    SELECT branch,
           greatest(max(CASE WHEN started_on > cursor THEN least(started_on, $day_after) - cursor ELSE 0 END),
                    $day_after - greatest($start, max(until))) AS secretary_vacancy_days
    FROM secretary_runs GROUP BY branch),
post_facts AS (
    SELECT branch,
           bool_or(duty = 'secretary' AND started_on <= $end AND $end < until) AS secretary_covered,
           bool_or(duty = 'discipline' AND started_on <= $end AND $end < until) AS has_discipline_member
    FROM posts_in GROUP BY branch),
lectured AS (
    SELECT DISTINCT p.branch
    FROM posts_in p JOIN orgs_member m ON m.id = p.member_id
    JOIN records_meeting g ON g.branch_id = p.branch AND g.kind = 'lecture' AND g.held_on BETWEEN $start AND $end
                           AND g.held_on >= p.started_on AND g.held_on < p.until AND g.speaker = m.name
    WHERE p.duty = 'secretary'),
secretary_scores AS (
    SELECT m.branch_id AS branch, r.score
    FROM records_testresult r JOIN orgs_member m ON m.id = r.member_id
    WHERE r.kind = 'secretary' AND r.taken_on BETWEEN $start AND $end
      AND EXISTS (SELECT 1 FROM posts_in p WHERE p.duty = 'secretary' AND p.branch = m.branch_id AND p.member_id = r.member_id)
    QUALIFY row_number() OVER (PARTITION BY m.branch_id ORDER BY r.taken_on DESC, r.id DESC) = 1),
latest_term AS (
    SELECT branch_id AS branch, has_committee,
           coalesce(extended_until, CAST(elected_on + to_years(years) AS DATE)) AS expiry
    FROM orgs_committeeterm WHERE elected_on <= $end
    QUALIFY row_number() OVER (PARTITION BY branch_id ORDER BY elected_on DESC, id DESC) = 1),
site AS (
    SELECT * FROM records_sitecheck WHERE checked_on <= $end
    QUALIFY row_number() OVER (PARTITION BY branch_id ORDER BY checked_on DESC, id DESC) = 1),
archive AS (
    SELECT * FROM records_archivecheck WHERE checked_on <= $end
    QUALIFY row_number() OVER (PARTITION BY branch_id ORDER BY checked_on DESC, id DESC) = 1),
funds AS (SELECT branch_id AS branch, min(amount) AS amount FROM records_fund WHERE year = $year GROUP BY branch_id),
filed AS (
    SELECT branch_id AS branch, count(*) AS filed FROM records_monthlyrecord
    WHERE month BETWEEN $first_month AND $last_month GROUP BY branch_id)
SELECT b.branch,
       coalesce(mb.party_members, 0) AS party_members,
       coalesce(mb.full_members, 0) AS full_members,
       coalesce(lt.has_committee, false) AS has_committee,
       coalesce(mb.party_members, 0) >= 7 AND NOT coalesce(lt.has_committee, false) AS committee_required_missing,
       coalesce(pf.has_discipline_member, false) AS has_discipline_member,
       coalesce(gr.party_groups, 0) AS party_groups,
       coalesce(mb.party_members, 0) >= 15 AND coalesce(gr.party_groups, 0) < 2 AS groups_required_missing,
       coalesce(mb.members_not_managed, 0) AS members_not_managed,
       coalesce(tr.transfers_overdue, 0) AS transfers_overdue,
       coalesce(mb.lost_contact_members, 0) AS lost_contact_members,
       coalesce(mb.members_out_of_contact_3_months, 0) AS members_out_of_contact_3_months,
       coalesce(lt.expiry < $end, false) AS term_overdue,
       coalesce(greatest($end - lt.expiry, 0), 0) AS term_overdue_days,
       coalesce(va.secretary_vacancy_days, $day_after - $start) AS secretary_vacancy_days,
       NOT coalesce(pf.secretary_covered, false) AS secretary_vacant,
       CAST(ss.score * 100 AS BIGINT) AS secretary_test_score,
       le.branch IS NOT NULL AS secretary_gave_lecture,
       coalesce(mt.general_meetings_held, 0) AS general_meetings_held,
       coalesce(mt.committee_meetings_held, 0) AS committee_meetings_held,
       coalesce(mt.group_meetings_held, 0) AS group_meetings_held,
       coalesce(mt.party_lectures_held, 0) AS party_lectures_held,
       coalesce(td.theme_days_held, 0) AS theme_days_held,
       $months - coalesce(td.theme_days_held, 0) AS months_without_theme_day,
       greatest($general_required - coalesce(mt.general_meetings_held, 0), 0)
         + greatest(CASE WHEN coalesce(lt.has_committee, false) THEN $committee_required ELSE 0 END
                    - coalesce(mt.committee_meetings_held, 0), 0)
         + greatest($lecture_required - coalesce(mt.party_lectures_held, 0), 0)
         + greatest($theme_day_required - coalesce(td.theme_days_held, 0), 0)
         + coalesce(gr.group_short, 0) AS three_meetings_shortfall,
       coalesce(mt.org_life_meeting_held, false) AS org_life_meeting_held,
       coalesce(ld.leaders_absent_from_org_life, 0) AS leaders_absent_from_org_life,
       coalesce(mt.democratic_review_held, false) AS democratic_review_held,
       coalesce(mt.heart_talks_held, false) AS heart_talks_held,
       (2 * 10000 * mt.present_all + mt.expected_all) // (2 * mt.expected_all) AS participation_rate_avg,
       (mt.rate_min_scaled + 5) // 10 AS participation_rate_min,
       coalesce(mt.meetings_below_80pct, 0) AS meetings_below_80pct,
       (2 * 10000 * mt.present_study + mt.expected_study) // (2 * mt.expected_study) AS study_participation_rate,
       coalesce(mb.study_hours_below_required, 0) AS study_hours_below_required,
       coalesce(te.theory_test_wrong_answers, 0) AS theory_test_wrong_answers,
       coalesce(du.dues_months_missed, 0) AS dues_months_missed,
       EXISTS (SELECT 1 FROM records_duesreview r WHERE r.branch_id = b.branch AND r.year = $year
                                                   AND r.reviewed_on <= $march_31) AS dues_reassessed_by_march,
       coalesce(du.dues_short_paid, false) AS dues_short_paid,
       EXISTS (SELECT 1 FROM records_duespublication p WHERE p.branch_id = b.branch
                                                        AND p.published_on BETWEEN $start AND $end) AS dues_use_published,
       CASE WHEN coalesce(mb.party_members, 0) > 0
            THEN (2 * CAST(coalesce(fu.amount, 0) * 100 AS BIGINT) + mb.party_members) // (2 * mb.party_members)
       END AS funds_per_member,
       coalesce(fu.amount, 0) > 0 AS funds_guaranteed,
       list_sort(list_filter([CASE WHEN NOT coalesce(si.has_site, false) THEN 'place' END,
                              CASE WHEN NOT coalesce(si.has_flag, false) THEN 'flag' END,
                              CASE WHEN NOT coalesce(si.has_oath, false) THEN 'oath' END,
                              CASE WHEN NOT coalesce(si.has_duties, false) THEN 'duty' END,
                              CASE WHEN NOT coalesce(si.has_plan, false) THEN 'plan' END,
                              CASE WHEN NOT coalesce(si.has_board, false) THEN 'board' END], item -> item IS NOT NULL))
           AS six_musts_missing,
       coalesce(ar.member_roster AND ar.dues_roster AND ar.life_record_book, false) AS archive_complete,
       coalesce(ar.electronic, false) AS electronic_archive_filed,
       EXISTS (SELECT 1 FROM records_workplan w WHERE w.branch_id = b.branch AND w.year = $year AND w.made_on <= $end)
           AS work_plan_made,
       $months - coalesce(fi.filed, 0) AS monthly_records_missing
FROM branches b
LEFT JOIN members mb ON mb.branch = b.branch
LEFT JOIN meetings mt ON mt.branch = b.branch
LEFT JOIN theme_days td ON td.branch = b.branch
LEFT JOIN leaders ld ON ld.branch = b.branch
LEFT JOIN groups gr ON gr.branch = b.branch
LEFT JOIN transfers tr ON tr.branch = b.branch
LEFT JOIN dues du ON du.branch = b.branch
LEFT JOIN tests te ON te.branch = b.branch
LEFT JOIN vacancy va ON va.branch = b.branch
LEFT JOIN post_facts pf ON pf.branch = b.branch
LEFT JOIN lectured le ON le.branch = b.branch
LEFT JOIN secretary_scores ss ON ss.branch = b.branch
LEFT JOIN latest_term lt ON lt.branch = b.branch
LEFT JOIN site si ON si.branch_id = b.branch
LEFT JOIN archive ar ON ar.branch_id = b.branch
LEFT JOIN funds fu ON fu.branch = b.branch
LEFT JOIN filed fi ON fi.branch = b.branch
"""

#: Facts given by DuckDB in integer hundredths (compute_facts: Decimal to two places).
HUNDREDTHS = {"secretary_test_score", "participation_rate_avg", "participation_rate_min", "study_participation_rate",
              "funds_per_member"}


def duckdb_params(start: date, end: date) -> dict[str, Any]:
    """The cycle's dates and requirements as the query's parameters (whole calendar months only)."""
    from chuangxing.facts.compute import REQUIREMENTS, TRANSFER_GRACE_DAYS, Cycle, _add_months

    cycle = Cycle(start, end)
    if cycle.split_month:
        raise SystemExit("the DuckDB reference takes cycles of whole calendar months")
    day_after = end + timedelta(days=1)
    months = len(cycle.months)
    return {"start": start, "end": end, "day_after": day_after, "lost_3_months": _add_months(day_after, -3),
            "year": end.year,
            "march_31": date(end.year, 3, 31), "first_month": cycle.months[0], "last_month": cycle.months[-1],
            "months": months, "grace_days": TRANSFER_GRACE_DAYS,
            "transfer_due_by": end - timedelta(days=TRANSFER_GRACE_DAYS + 1),
            "member_hours": Decimal(REQUIREMENTS["study_hours"]) * months / 12,
            "leader_hours": Decimal(REQUIREMENTS["leader_study_hours"]) * months / 12,
            **{f"{kind}_required": cycle.required(kind) for kind in ("general", "committee", "group", "lecture", "theme_day")}}


def normalized(value: Any, name: str) -> Any:
    """A compute_facts value in the DuckDB query's terms: Decimals in hundredths."""
    if name in HUNDREDTHS and value is not None:
        return int(value * 100)
    return value


def differences(expected: dict[int, dict[str, Any]], got: dict[int, dict[str, Any]], *, label: str,
                names: list[str] | None = None, normalize: bool = False) -> list[str]:
    """Every (branch, fact) where ``got`` differs from ``expected``, as lines (the first 20)."""
    problems = []
    if set(expected) != set(got):
        problems.append(f"{label}: branches differ: {len(set(expected) ^ set(got))} not in both")
    for branch in sorted(set(expected) & set(got)):
        for name in names or list(expected[branch]):
            want = normalized(expected[branch][name], name) if normalize else expected[branch][name]
            have = got[branch].get(name, "<missing>")
            if want != have or type(want) is not type(have):
                problems.append(f"{label}: branch {branch} {name}: {want!r} != {have!r}")
    return problems[:20] + ([f"... {len(problems) - 20} more"] if len(problems) > 20 else [])


# -- the driver ------------------------------------------------------------------------------------


def spawn(args: argparse.Namespace, worker: str, db: str) -> dict[str, Any]:
    out = VAR / f".{stem(args.branches)}.{worker}.{db}.json"
    out.unlink(missing_ok=True)
    command = [sys.executable, __file__, "--worker", worker, "--db", db, "--out", str(out),
               "--branches", str(args.branches), "--seed", str(args.seed), "--year", str(args.year),
               "--runs", str(args.runs), "--pg", args.pg]
    command += [flag for flag, on in (("--tracemalloc", args.tracemalloc), ("--by-family", args.by_family)) if on]
    load = os.getloadavg()[0]
    subprocess.run(command, check=True)
    result = json.loads(out.read_text())
    out.unlink()
    result["load"] = [round(load, 2), round(os.getloadavg()[0], 2)]
    pickled = Path(f"{out}.pickle")
    if pickled.exists():
        with open(pickled, "rb") as file:
            result["values"] = pickle.load(file)
        pickled.unlink()
    return result


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--branches", type=int, default=DEFAULT_BRANCHES)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--year", type=int, default=DEFAULT_YEAR)
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each; the best is reported")
    parser.add_argument("--only", default="sqlite,postgres,duckdb", help="which of sqlite, postgres, duckdb")
    parser.add_argument("--pg", default=PG_SERVER, help="the PostgreSQL server (the database name is added)")
    parser.add_argument("--tracemalloc", action="store_true", help="also the Python heap's peak, in an extra run")
    parser.add_argument("--by-family", action="store_true", help="also time each family of facts once")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def best(result: dict[str, Any]) -> dict[str, float]:
    return min(result["times"], key=lambda t: t["wall"])


def cpu(run: dict[str, float]) -> float:
    return run["cpu"] + run.get("server_cpu", 0.0)


def report(args: argparse.Namespace, built: dict[str, Any], results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = next(iter(built.values()))["rows"]
    print(f"\nCity: {args.branches:,} branches, seed {args.seed}, {args.year}; {rows['member']:,} members, "
          f"{rows['meeting']:,} meetings, {rows['attendance']:,} attendance rows, {rows['dues']:,} dues rows")
    print(f"Facts for {args.year}-01-01..{args.year}-12-31, every branch; best of {args.runs}; "
          f"{os.cpu_count()} cores, load average before/after each in brackets\n")
    print(f"{'':10} {'wall (best)':>12} {'CPU':>10} {'all runs (wall)':>24} {'peak RSS':>10} {'over base':>10}  load")
    for name, result in results.items():
        fastest = best(result)
        runs = ", ".join(f"{t['wall']:.2f}" for t in result["times"])
        over = result["peak_mb"] - result.get("loaded_mb", result["baseline_mb"])
        print(f"{name:10} {fastest['wall']:>10.2f} s {cpu(fastest):>8.2f} s {runs:>24} {result['peak_mb']:>7.0f} MB "
              f"{over:>7.0f} MB  {result['load']}")
    print("CPU: the process's own (SQLite and DuckDB work in it), plus the server backend's for PostgreSQL")
    summary: dict[str, Any] = {"branches": args.branches, "seed": args.seed, "year": args.year, "rows": rows,
                               "cores": os.cpu_count()}
    for name, result in results.items():
        summary[name] = {key: value for key, value in result.items() if key != "values"}
    if "duckdb" in results:
        duck = best(results["duckdb"])["wall"]
        for name, target in (("postgres", 3), ("sqlite", 6)):
            if name in results:
                ratio = best(results[name])["wall"] / duck
                cpu_ratio = cpu(best(results[name])) / cpu(best(results["duckdb"]))
                summary[f"{name}_over_duckdb"] = round(ratio, 2)
                summary[f"{name}_over_duckdb_cpu"] = round(cpu_ratio, 2)
                print(f"{name} / duckdb = {ratio:.1f}x wall (target <= {target}x), {cpu_ratio:.1f}x CPU")
        print(f"duckdb: {results['duckdb']['threads']} threads, data loaded in {results['duckdb']['load_seconds']:.1f} s "
              f"(not timed), RSS {results['duckdb']['loaded_mb']:.0f} MB with the tables in memory")
    for name in ("sqlite", "postgres"):
        if name in results and results[name].get("tracemalloc_peak_mb") is not None:
            print(f"{name}: tracemalloc peak {results[name]['tracemalloc_peak_mb']:.0f} MB (Python heap, extra run)")
        if name in results and results[name].get("families"):
            print(f"{name} by family (s): " + ", ".join(f"{k} {v:.2f}" for k, v in results[name]["families"].items()))
    return summary


def check(results: dict[str, dict[str, Any]]) -> list[str]:
    problems = []
    if "sqlite" in results and "postgres" in results:
        problems += differences(results["sqlite"]["values"], results["postgres"]["values"], label="sqlite vs postgres")
    if "duckdb" in results:
        for name in ("sqlite", "postgres"):
            if name in results:
                names = list(next(iter(results["duckdb"]["values"].values())))
                problems += differences(results[name]["values"], results["duckdb"]["values"], label=f"{name} vs duckdb",
                                        names=names, normalize=True)
    return problems


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    VAR.mkdir(parents=True, exist_ok=True)
    if args.worker:
        run_worker(args)
        return
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    built = {}
    for db in [db for db in ("sqlite", "postgres") if db in only or (db == "sqlite" and "duckdb" in only)]:
        built[db] = spawn(args, "build", db)
        state = f"built in {built[db]['build_seconds']} s" if built[db]["built"] else "cached"
        rows = built[db]["rows"]
        print(f"{db}: {state}; {rows['organization']:,} organizations, {rows['member']:,} members, "
              f"{rows['meeting']:,} meetings, {rows['attendance']:,} attendance, {rows['dues']:,} dues", flush=True)
    if "duckdb" in only:
        exported = spawn(args, "export", "sqlite")
        print("parquet: " + (f"exported in {exported['seconds']:.0f} s" if exported["exported"] else "cached"), flush=True)
    if args.build_only:
        return
    results = {}
    for db in ("sqlite", "postgres", "duckdb"):
        if db in only:
            results[db] = spawn(args, "duckdb" if db == "duckdb" else "compute", db)
            print(f"{db}: best {best(results[db])['wall']:.2f} s", flush=True)
    summary = report(args, built, results)
    problems = check(results)
    summary["same_values"] = not problems
    checked = [name for name in ("sqlite vs postgres", "sqlite vs duckdb", "postgres vs duckdb")
               if all(part in results for part in name.split(" vs "))]
    print("\n" + ("\n".join(problems) if problems else f"Same values, every branch and fact: {', '.join(checked)}"))
    print(json.dumps(summary, default=str))
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
