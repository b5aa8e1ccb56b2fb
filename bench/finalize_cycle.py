"""Benchmark: draw the spot-check sample of a 30,000-branch cycle, finalize it and build its lists, on SQLite.

    python bench/finalize_cycle.py                    # 30,000 branches; builds the city once (long), then reuses it
    python bench/finalize_cycle.py --branches 2000    # a smaller city, for a quick look
    python bench/finalize_cycle.py --trace            # also the peak of Python allocations per step (tracemalloc, slower)

The prepared database (demo city built, cycle opened on jiaozuo-2019, every assessment reviewed with
generated findings: ``chuangxing.demo.reviewed.review_all``) is cached as
``var/bench/finalize-<branches>.sqlite3``; each run times the steps on it in a fresh process, inside
one transaction that is rolled back at the end, so the cache stays as it was (no multi-gigabyte copy
whose write-back would compete with the timed reads). Steps timed (wall clock and CPU time; peak RSS
of the timing process from ``ru_maxrss``):

1. ``draw_sample`` (5% of the reviewed, by committee, five-star candidates first: scores every reviewed
   branch in batch), and ``verify_draw``;
2. (not timed) the inspections: 20 sampled branches inspected for real through the services (a few
   downgraded), the rest moved to ``spot_checked`` in one update;
3. ``announce`` (every branch), ``finalize`` (every branch: final sheets in batch, FinalRating rows,
   totals, states, audit entries);
4. the lists: ``recommendation_rows`` + ``recommendation_quota``, ``unrated_rows``, ``distribution``.

Target (issue 4): drawing and finalizing under 10 s. Figures go to ``bench/README.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
TARGETS = [{"scheme": "stars", "at_least": "three", "share": "0.75", "text": "“三星”及以上党支部动态占比不低于75%"},
           {"scheme": "stars", "at_least": "four", "share": "0.25", "text": "“四星”和“五星”党支部动态占比不低于25%"},
           {"scheme": "grade", "at_least": "pass", "share": "0.8", "text": "达标及以上不低于80%"}]


def setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    import django

    django.setup()


def prepare(database: Path, branches: int) -> None:
    """Build the city, open the cycle, review everything (into ``database``)."""
    setup(database)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from chuangxing.assessments.services import open_cycle
    from chuangxing.demo.city import build_demo_city
    from chuangxing.demo.reviewed import review_all
    from chuangxing.orgs.models import Organization, OrgKind

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    build_demo_city(branches=branches, seed=2026, year=2026,
                    progress=lambda done, total: print(f"  city: {done}/{total} branches", flush=True)
                    if done % 5000 == 0 or done == total else None)
    print(f"  city built in {time.perf_counter() - started:.0f} s", flush=True)
    admin = get_user_model().objects.create_superuser("bench-admin")
    root = Organization.objects.get(kind=OrgKind.WORK_COMMITTEE)
    step = time.perf_counter()
    cycle = open_cycle(name="2026年度标准化规范化达标创建", root=root, rubric_id="jiaozuo-2019",
                       period_start=date(2025, 12, 16), period_end=date(2026, 12, 15), by=admin,
                       spot_check_share=Decimal("0.05"), targets=TARGETS)
    print(f"  cycle opened (facts computed) in {time.perf_counter() - step:.0f} s", flush=True)
    step = time.perf_counter()
    review_all(cycle=cycle, seed=2026)
    print(f"  every assessment reviewed in {time.perf_counter() - step:.0f} s", flush=True)
    from django.db import connection

    connection.close()


def run(database: Path, trace: bool) -> dict:
    """The timed steps, in this (fresh) process, rolled back at the end."""
    setup(database)
    from django.db import transaction

    with transaction.atomic():
        figures = timed_steps(trace)
        transaction.set_rollback(True)
    return figures


def timed_steps(trace: bool) -> dict:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chuangxing.assessments import lists
    from chuangxing.assessments.bulk import _plan_for
    from chuangxing.assessments.inspection import complete_inspection
    from chuangxing.assessments.models import Assessment, Cycle, FinalRating, Stage, State
    from chuangxing.assessments.publicity import announce, finalize
    from chuangxing.assessments.sampling import draw_sample, verify_draw
    from chuangxing.assessments.services import save_findings

    admin = get_user_model().objects.get(username="bench-admin")
    cycle = Cycle.objects.get()
    figures: dict = {"branches": cycle.assessments.count(), "steps": {}}

    def timed(name, call):
        if trace:
            tracemalloc.start()
        before, cpu = time.perf_counter(), time.process_time()
        result = call()
        seconds = time.perf_counter() - before
        entry = {"seconds": round(seconds, 2), "cpu_seconds": round(time.process_time() - cpu, 2),
                 "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
        if trace:
            entry["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2 ** 20, 1)
            tracemalloc.stop()
        figures["steps"][name] = entry
        print(f"  {name}: {entry}", flush=True)
        return result

    figures["calibration_cpu_seconds"] = calibration()
    timed("rubric", lambda: [_plan_for(s.sha256, s.source, json.dumps(cycle.parameters, sort_keys=True))
                             for s in cycle.snapshots.all()])          # parsed and compiled once per process
    draw = timed("draw_sample", lambda: draw_sample(cycle=cycle, seed="bench-2026", by=admin))
    timed("verify_draw", lambda: verify_draw(draw))
    figures["sample"] = len(draw.sample)
    figures["candidates"] = sum(1 for _, _, priority in draw.population if priority)

    inspected = list(Assessment.objects.filter(cycle=cycle, state=State.SAMPLED).select_related(
        "cycle", "branch", "snapshot").order_by("pk")[:20])
    for i, a in enumerate(inspected):
        if i % 4 == 0:
            a = save_findings(assessment=a, stage=Stage.INSPECTION, version=a.version, by=admin,
                              values={"zj-func-2-b": {"value": True, "reason": "抽验：服务群众没有载体"}})
        complete_inspection(assessment=a, by=admin)
    rest = list(cycle.assessments.filter(state=State.SAMPLED))
    for a in rest:                                   # the other inspections passed: 五星 inspected where pre-registered
        a.state, a.process = State.SPOT_CHECKED, {**a.process, "five_star_inspected": True}
    Assessment.objects.bulk_update(rest, ["state", "process"], batch_size=500)

    now = timezone.make_aware(datetime(2026, 12, 23, 9))
    timed("announce", lambda: announce(cycle=cycle, title="达标创建结果公示", starts_on=date(2026, 12, 16),
                                       ends_on=date(2026, 12, 22), by=admin))
    summary = timed("finalize", lambda: finalize(cycle=cycle, by=admin, now=now))
    figures["ratings"] = summary["ratings"]
    rows = timed("recommendation_list", lambda: lists.recommendation_rows(cycle=cycle))
    quota = timed("recommendation_quota", lambda: lists.recommendation_quota(cycle=cycle, rows=rows))
    unrated = timed("unrated_list", lambda: lists.unrated_rows(cycle=cycle))
    timed("distribution", lambda: lists.distribution(cycle=cycle))
    figures["recommended"], figures["quota"], figures["unrated"] = len(rows), quota["message"], len(unrated)
    figures["final_ratings"] = FinalRating.objects.filter(assessment__cycle=cycle).count()
    figures["downgraded"] = cycle.assessments.filter(downgraded=True).count()
    figures["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    steps = figures["steps"]
    figures["draw_and_finalize_seconds"] = round(steps["draw_sample"]["seconds"] + steps["finalize"]["seconds"], 2)
    figures["draw_and_finalize_cpu_seconds"] = round(steps["draw_sample"]["cpu_seconds"]
                                                     + steps["finalize"]["cpu_seconds"], 2)
    return figures


def calibration() -> float:
    """CPU seconds of a fixed pure-Python loop: compares machines (about 1 s on a 2023 laptop core)."""
    cpu = time.process_time()
    sum(range(50_000_000))
    return round(time.process_time() - cpu, 2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=30000)
    parser.add_argument("--trace", action="store_true", help="tracemalloc peaks per step (slows Python down)")
    parser.add_argument("--run", metavar="DB", help=argparse.SUPPRESS)      # the timing process
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.run:
        print(json.dumps(run(Path(args.run), args.trace), ensure_ascii=False), flush=True)
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"finalize-{args.branches}.sqlite3"
    if not cached.exists():
        print(f"preparing {cached.name} (built once, then reused)", flush=True)
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                        f"import finalize_cycle as b; from pathlib import Path; "
                        f"b.prepare(Path({str(partial)!r}), {args.branches})"], check=True)
        partial.rename(cached)
    print(f"timing on {cached.name} (rolled back afterwards)", flush=True)
    command = [sys.executable, __file__, "--run", str(cached)] + (["--trace"] if args.trace else [])
    out = subprocess.run(command, check=True, capture_output=True, text=True)
    print(out.stdout, end="")
    sys.stderr.write(out.stderr)


if __name__ == "__main__":
    main()
