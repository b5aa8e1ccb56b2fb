"""Benchmark: the cycle dashboard (page and JSON endpoints) of a big finalized cycle, cold and cached, on SQLite.

    python bench/dashboard_cycle.py --branches 2000     # builds var/bench/dashboard-2000.sqlite3 once, then reuses it
    python bench/dashboard_cycle.py                     # 30,000 branches (the build takes about an hour here)
    python bench/dashboard_cycle.py --profile           # also cProfile's top functions of one cold request

The database is prepared once with ``finalize_cycle.prepare`` (demo city, cycle opened on jiaozuo-2019,
every assessment reviewed with generated findings), then the sample is drawn, every sampled branch
spot-checked, and the cycle announced and finalized, so every part of the dashboard has something to
show (distribution against the targets, levels, short board, progress). Each run times, in a fresh
process, through the Django test client signed in as the cycle's admin:

- ``cold``: the request with an empty dashboard cache (the first request after a change of the data);
- ``warm``: the same request again (the cache of this process holds the cycle's figures);
- ``after a save``: one review finding saved through ``save_findings`` (rolled back afterwards), then
  the request again (the stamp changed: computed afresh, and the new numbers shown).

Endpoints: the dashboard page, its JSON, a short-board drill-down (page and JSON), one branch's
dashboard JSON. Wall clock and CPU time, median of ``--repeat`` runs for the warm figures.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
sys.path.insert(0, str(ROOT / "bench"))


def prepare(database: Path, branches: int) -> None:
    """``finalize_cycle.prepare``, then draw, spot-check, announce and finalize (into ``database``)."""
    import finalize_cycle

    finalize_cycle.prepare(database, branches)
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from chuangxing.assessments.models import Assessment, Cycle, State
    from chuangxing.assessments.publicity import announce, finalize
    from chuangxing.assessments.sampling import draw_sample

    admin = get_user_model().objects.get(username="bench-admin")
    cycle = Cycle.objects.get()
    draw_sample(cycle=cycle, seed="bench-2026", by=admin)
    Assessment.objects.filter(cycle=cycle, state=State.SAMPLED).update(state=State.SPOT_CHECKED)
    announce(cycle=cycle, title="达标创建结果公示", starts_on=date(2026, 12, 16), ends_on=date(2026, 12, 22), by=admin)
    finalize(cycle=cycle, by=admin, now=timezone.make_aware(datetime(2026, 12, 23, 9)))
    from django.db import connection

    connection.close()


def run(database: Path, repeat: int, profile: bool) -> dict:
    import finalize_cycle

    finalize_cycle.setup(database)
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction

    call_command("migrate", verbosity=0)           # a database prepared by an older checkout

    settings.ALLOWED_HOSTS = ["testserver"]
    with transaction.atomic():
        figures = timed_requests(repeat, profile)
        transaction.set_rollback(True)
    return figures


def timed_requests(repeat: int, profile: bool) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.cache import caches
    from django.test import Client

    from chuangxing.assessments.models import Assessment, Cycle, FinalRating, State
    from chuangxing.web import cycle_stats

    admin = get_user_model().objects.get(username="bench-admin")
    cycle = Cycle.objects.get()
    client = Client()
    client.force_login(admin)
    short_board = cycle_stats.short_board(cycle)
    top = short_board[0]["indicator"]
    branch = Assessment.objects.filter(cycle=cycle).order_by("pk").first()
    urls = {"page": f"/cycles/{cycle.pk}/dashboard/", "json": f"/api/cycles/{cycle.pk}/dashboard/",
            "short_board_page": f"/cycles/{cycle.pk}/dashboard/short-board/{top}/",
            "short_board_json": f"/api/cycles/{cycle.pk}/dashboard/short-board/{top}/",
            "branch_json": f"/api/cycles/{cycle.pk}/dashboard/branches/{branch.pk}/"}
    figures: dict = {"branches": cycle.assessments.count(),
                     "finalized": cycle.assessments.filter(state=State.FINALIZED).count(),
                     "final_ratings": FinalRating.objects.filter(assessment__cycle=cycle).count(), "requests": {}}

    def clear() -> None:
        for alias in settings_aliases():
            caches[alias].clear()

    def get(url: str) -> tuple[float, float]:
        before, cpu = time.perf_counter(), time.process_time()
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        return time.perf_counter() - before, time.process_time() - cpu

    for name, url in urls.items():
        clear()
        cold = get(url)
        warm = [get(url) for _ in range(repeat)]
        entry = {"cold_s": round(cold[0], 3), "cold_cpu_s": round(cold[1], 3),
                 "warm_s": round(statistics.median(w[0] for w in warm), 4),
                 "warm_cpu_s": round(statistics.median(w[1] for w in warm), 4)}
        figures["requests"][name] = entry
        print(f"  {name}: {entry}", flush=True)

    figures["after_save"] = after_save(client, cycle, urls["json"], get)
    if profile:
        clear()
        profiler = cProfile.Profile()
        profiler.enable()
        client.get(urls["json"])
        profiler.disable()
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("cumulative").print_stats(35)
        print(out.getvalue(), file=sys.stderr)
    return figures


def after_save(client, cycle, url: str, get) -> dict:
    """A finding saved (a real service call), then the JSON again: recomputed, and the numbers moved."""
    from django.contrib.auth import get_user_model

    from chuangxing.assessments.models import Stage, State
    from chuangxing.assessments.services import save_findings

    admin = get_user_model().objects.get(username="bench-admin")
    before = client.get(url).json()
    # a finalized branch cannot be edited: one is taken back to review (as a re-review would)
    a = cycle.assessments.filter(state=State.FINALIZED, sampled=False).order_by("pk")[1]
    cycle.assessments.filter(pk=a.pk).update(state=State.UNDER_REVIEW)
    a = cycle.assessments.select_related("cycle", "branch", "snapshot").get(pk=a.pk)
    save_findings(assessment=a, stage=Stage.REVIEW, version=a.version, by=admin,
                  values={"zj-func-2-b": {"value": True, "reason": "复查：服务群众没有载体"}})
    seconds, cpu = get(url)
    after = client.get(url).json()
    lost = {r["indicator"]: r["lost"] for r in before["short_board"]}
    moved = [r["indicator"] for r in after["short_board"] if lost.get(r["indicator"]) != r["lost"]]
    entry = {"seconds": round(seconds, 3), "cpu_seconds": round(cpu, 3), "indicators_changed": moved,
             "progress_changed": before["progress"] != after["progress"]}
    print(f"  after a save: {entry}", flush=True)
    return entry


def settings_aliases() -> list[str]:
    from django.conf import settings

    return list(settings.CACHES)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, default=30000)
    parser.add_argument("--repeat", type=int, default=5, help="warm requests per endpoint (median)")
    parser.add_argument("--profile", action="store_true", help="cProfile one cold JSON request (to stderr)")
    parser.add_argument("--run", metavar="DB", help=argparse.SUPPRESS)      # the timing process
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    if args.run:
        print(json.dumps(run(Path(args.run), args.repeat, args.profile), ensure_ascii=False), flush=True)
        return
    CACHE.mkdir(parents=True, exist_ok=True)
    cached = CACHE / f"dashboard-{args.branches}.sqlite3"
    if not cached.exists():
        print(f"preparing {cached.name} (built once, then reused)", flush=True)
        partial = cached.with_suffix(".partial")
        partial.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); "
                        f"import dashboard_cycle as b; from pathlib import Path; "
                        f"b.prepare(Path({str(partial)!r}), {args.branches})"], check=True,
                       env={**os.environ, "CHUANGXING_DEBUG": "0"})
        partial.rename(cached)
    print(f"timing on {cached.name} (rolled back afterwards)", flush=True)
    command = [sys.executable, __file__, "--run", str(cached), "--repeat", str(args.repeat)]
    out = subprocess.run(command + (["--profile"] if args.profile else []), capture_output=True, text=True,
                         env={**os.environ, "CHUANGXING_DEBUG": "0"})
    print(out.stdout, end="")
    sys.stderr.write(out.stderr)
    sys.exit(out.returncode)


if __name__ == "__main__":
    main()
