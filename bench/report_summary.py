"""Benchmark: the committee summary (考评结果汇总表) of a 30,000-branch cycle, as .xlsx and as PDF, on SQLite.

    python bench/report_summary.py                     # 30,000 branches; builds its cycle once (a few minutes), then reuses it
    python bench/report_summary.py --branches 3000     # a smaller cycle, for a quick look
    python bench/report_summary.py --formats xlsx      # one format only
    python bench/report_summary.py --trace             # also the peak of Python allocations (tracemalloc, slower)

The cycle: a work committee over ``branches / 200`` party committees of 200 branches each (inserted
directly, with their tree paths), one cycle on jiaozuo-2019 (stars and grades), every assessment
reviewed with generated findings (``chuangxing.demo.reviewed.review_all``: about 50 findings per
branch, some deductions and vetoes), self totals set a little above the reviewed ones, then
announced and finalized through the publicity services (so the ratings are the final ones of
record). It is cached as ``var/bench/report-summary-<branches>.sqlite3``.

Each format is then timed in a fresh process (so each peak RSS is its own): ``render("committee-summary",
fmt, {"cycle": id})`` from the registry, as the web and the command line call it: choosing the
branches, reading their findings and facts in chunks of 2,000, batch-scoring them for the category
scores, and writing the file. The figures: wall and CPU time of the whole call, the part spent
reading and scoring (``reports.scores.scored_groups``), the process's peak RSS (``ru_maxrss``) and its
RSS before the call (Django, openpyxl, reportlab and numpy imported), the file's size, and the load
average when it ran: on a shared machine the CPU time is the figure that does not depend on the
others' jobs. The last line of the output is the figures as JSON.

Targets (issue 6): .xlsx under 15 s and under 500 MB. The PDF has no target: its time is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
import tracemalloc
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
PER_COMMITTEE = 200
DEPARTMENTS = ("财政局", "教育局", "卫生健康委", "交通运输局", "住房城乡建设局", "自然资源局", "生态环境局", "商务局",
               "农业农村局", "水利局", "文化广电旅游局", "市场监管局", "审计局", "统计局", "医疗保障局")
TARGETS = [{"scheme": "stars", "at_least": "three", "share": "0.75", "text": "“三星”及以上党支部动态占比不低于75%"},
           {"scheme": "grade", "at_least": "pass", "share": "0.8", "text": "达标及以上不低于80%"}]


def setup(database: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{database}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    import django

    django.setup()


# -- the cycle, built once ------------------------------------------------------------------------------
def prepare(database: Path, branches: int) -> None:
    setup(database)
    from django.core.management import call_command
    from django.db.models import F

    from chuangxing.demo.reviewed import review_all

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    root, committees = _tree(branches)
    print(f"  {branches} branches under {len(committees)} committees in {time.perf_counter() - started:.0f} s", flush=True)
    cycle = _cycle(root)
    step = time.perf_counter()
    review_all(cycle=cycle, seed=2026)
    print(f"  every assessment reviewed (findings generated) in {time.perf_counter() - step:.0f} s", flush=True)
    cycle.assessments.update(self_total=F("reviewed_total") + F("id") % 4)    # self-assessed a little higher
    step = time.perf_counter()
    _finalize(cycle)
    print(f"  announced and finalized in {time.perf_counter() - step:.0f} s", flush=True)
    from django.db import connection

    connection.close()


def _tree(branches: int):
    from chuangxing.orgs.models import Organization, OrgKind

    rng = random.Random(2026)
    root = Organization.objects.create(code="root", name="市直机关工委", kind=OrgKind.WORK_COMMITTEE)
    count = max(1, -(-branches // PER_COMMITTEE))
    committees = []
    for i in range(count):
        name = f"市{DEPARTMENTS[i % len(DEPARTMENTS)]}" + (f"第{i // len(DEPARTMENTS) + 1}" if i >= len(DEPARTMENTS) else "")
        committees.append(Organization.objects.create(code=f"C{i:04d}", name=f"{name}机关党委",
                                                      kind=OrgKind.PARTY_COMMITTEE, parent=root))
    first = Organization.objects.order_by("-pk").values_list("pk", flat=True).first() + 1
    types = ("organ", "institution", "soe", "private", "social", "community", "rural", "university")
    rows = []
    for k in range(branches):
        committee, pk = committees[k // PER_COMMITTEE], first + k
        unit = committee.name.removesuffix("机关党委")
        rows.append(Organization(pk=pk, code=f"B{k:06d}", name=f"{unit}第{k % PER_COMMITTEE + 1}党支部",
                                 kind=OrgKind.BRANCH, parent_id=committee.pk, path=f"{committee.path}{pk:06d}/",
                                 depth=committee.depth + 1, branch_type=rng.choice(types),
                                 contact_phone=f"0391-{rng.randint(2000000, 8999999)}"))
    Organization.objects.bulk_create(rows, batch_size=5000)
    return root, committees


def _cycle(root):
    from chuangxing.assessments.models import Assessment, Cycle, CycleStatus, RubricSnapshot
    from chuangxing.assessments.services import snapshot_source
    from chuangxing.orgs.models import Organization, OrgKind
    from chuangxing.rubric import library

    cycle = Cycle.objects.create(name="2026年度标准化规范化达标创建", root=root, rubric_id="jiaozuo-2019",
                                 period_start=date(2025, 12, 16), period_end=date(2026, 12, 15), status=CycleStatus.OPEN,
                                 targets=TARGETS)
    snapshot = RubricSnapshot.objects.create(cycle=cycle, rubric_id="jiaozuo-2019", source=snapshot_source("jiaozuo-2019"),
                                             version=library.load("jiaozuo-2019").version)
    ids = Organization.objects.filter(kind=OrgKind.BRANCH).values_list("pk", flat=True)
    Assessment.objects.bulk_create([Assessment(cycle=cycle, branch_id=pk, snapshot=snapshot) for pk in ids], batch_size=5000)
    return cycle


def _finalize(cycle) -> None:
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chuangxing.assessments.publicity import announce, finalize

    admin = get_user_model().objects.create_superuser("bench-admin")
    announce(cycle=cycle, title="达标创建结果公示", starts_on=date(2026, 12, 16), ends_on=date(2026, 12, 22), by=admin)
    finalize(cycle=cycle, by=admin, now=timezone.make_aware(datetime(2026, 12, 23, 9)))


# -- the timed run, in its own process -----------------------------------------------------------------
def run(database: Path, fmt: str, trace: bool) -> dict:
    setup(database)
    import openpyxl  # noqa: F401 - imported before the clock starts, as a running server has them
    import reportlab.platypus  # noqa: F401

    from chuangxing.assessments.models import Cycle
    from chuangxing.reports import registry, scores

    registry.reports()                                   # the report modules imported, the fonts not yet registered
    cycle = Cycle.objects.get()
    from chuangxing.assessments.lists import main_rubric

    main_rubric(cycle)      # the rubric read and checked once, as in a running server (rule_engine builds its parser)
    spent = {"scoring": 0.0, "scoring_cpu": 0.0}
    original = scores.scored_groups

    def timed_groups(**kwargs):
        before, before_cpu = time.perf_counter(), time.process_time()
        try:
            return original(**kwargs)
        finally:
            spent["scoring"] += time.perf_counter() - before
            spent["scoring_cpu"] += time.process_time() - before_cpu

    scores.scored_groups = timed_groups
    baseline = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    if trace:
        tracemalloc.start()
    started, started_cpu = time.perf_counter(), time.process_time()
    content, filename, _ = registry.render("committee-summary", fmt, {"cycle": cycle.pk})
    seconds, cpu = time.perf_counter() - started, time.process_time() - started_cpu
    figures = {"format": fmt, "branches": cycle.assessments.count(), "seconds": round(seconds, 2),
               "cpu_seconds": round(cpu, 2), "reading_and_scoring_seconds": round(spent["scoring"], 2),
               "reading_and_scoring_cpu_seconds": round(spent["scoring_cpu"], 2), "load_average": os.getloadavg()[0],
               "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
               "rss_before_mb": round(baseline), "file_mb": round(len(content) / 2 ** 20, 2), "file": filename}
    if trace:
        figures["python_peak_mb"] = round(tracemalloc.get_traced_memory()[1] / 2 ** 20, 1)
        tracemalloc.stop()
    out = CACHE / f"report-summary-{figures['branches']}.{fmt}"
    out.write_bytes(content)
    figures["written_to"] = str(out.relative_to(ROOT))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=30000)
    parser.add_argument("--formats", nargs="+", default=["xlsx", "pdf"], choices=["xlsx", "pdf", "csv"])
    parser.add_argument("--trace", action="store_true", help="tracemalloc peak of the call (slows Python down)")
    parser.add_argument("--run", nargs=2, metavar=("DB", "FORMAT"), help=argparse.SUPPRESS)    # the timing process
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.run:
        print(json.dumps(run(Path(args.run[0]), args.run[1], args.trace), ensure_ascii=False), flush=True)
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"report-summary-{args.branches}.sqlite3"
    if not cached.exists():
        print(f"preparing {cached.name} (built once, then reused)", flush=True)
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                        "import report_summary as b; from pathlib import Path; "
                        f"b.prepare(Path({str(partial)!r}), {args.branches})"], check=True)
        partial.rename(cached)
    results = []
    for fmt in args.formats:
        command = [sys.executable, __file__, "--run", str(cached), fmt] + (["--trace"] if args.trace else [])
        out = subprocess.run(command, check=True, capture_output=True, text=True)
        sys.stderr.write(out.stderr)
        figures = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"  {fmt}: {figures}", flush=True)
        results.append(figures)
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
