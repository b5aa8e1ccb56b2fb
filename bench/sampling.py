"""The 抽验 draw of a synthetic city at growing sizes: ``choose()`` timed, no database (not a test).

    python bench/sampling.py                                 # 30,000, 100,000 and 300,000 branches
    python bench/sampling.py --branches 2000 30000 --share 0.2

The population is what :func:`chuangxing.assessments.sampling.population_of` gives a real cycle, drawn with
``random.Random(--seed)``: one committee (党委/党总支, the stratum) per ``--per-committee`` branches (10), their
sizes skewed (a few large committees, many small ones), and ``--candidates`` (6%) of the branches five-star
candidates. ``--share`` (0.10) is the cycle's ``spot_check_share``. With these, many small committees hold more
candidates than their proportional places, so step 3 of ``stratified-v1`` (candidates first) moves places.

Pinned to one core; for each size the CPU time (``time.process_time``) and wall time of ``choose()`` (best of
``--runs``, 3). ``verify_draw`` runs ``choose()`` once more on the stored population, so it costs the same.
The last line is JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from decimal import Decimal
from random import Random

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
django.setup()          # sampling.py imports the models; choose() itself reads no database

from chuangxing.assessments.sampling import choose  # noqa: E402


def population(branches: int, *, per_committee: int, candidates: float, seed: int) -> list[tuple[int, int, bool]]:
    rng = Random(seed)
    committees = max(1, branches // per_committee)
    return [(pk, int(committees * rng.random() ** 2), rng.random() < candidates) for pk in range(1, branches + 1)]


def timed(rows: list, share: Decimal, runs: int) -> tuple[float, float, int]:
    best_wall = best_cpu = float("inf")
    drawn = 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        drawn = len(choose(rows, share, "bench"))
        best_wall = min(best_wall, time.perf_counter() - wall)
        best_cpu = min(best_cpu, time.process_time() - cpu)
    return best_wall, best_cpu, drawn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--branches", type=int, nargs="+", default=[30000, 100000, 300000])
    parser.add_argument("--per-committee", type=int, default=10)
    parser.add_argument("--candidates", type=float, default=0.06)
    parser.add_argument("--share", type=Decimal, default=Decimal("0.10"))
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})       # one core
    out = []
    for n in args.branches:
        rows = population(n, per_committee=args.per_committee, candidates=args.candidates, seed=args.seed)
        wall, cpu, drawn = timed(rows, args.share, args.runs)
        committees = len({s for _, s, _ in rows})
        print(f"{n:>8,} branches  {committees:>7,} committees  sample {drawn:>6,}  "
              f"choose(): {cpu:8.3f} s CPU  {wall:8.3f} s wall", flush=True)
        out.append({"branches": n, "committees": committees, "sample": drawn, "cpu": round(cpu, 4),
                    "wall": round(wall, 4)})
    print(json.dumps({"share": str(args.share), "candidates": args.candidates, "runs": out}))


if __name__ == "__main__":
    main()
