"""Score a whole city at once: the batch path against the per-branch engine (not a test).

    python bench/score_city.py                       # 30,000 branches of zhenjiang-2018, seed 2018
    python bench/score_city.py --branches 5000 --rubric kinds-or-another-id --seed 7

Generates random-but-valid findings (each rule given an input, or left to its fact or its
expression; facts drawn by unit, mostly good, sometimes not; a few vetoes, events and fraud flags),
then times, on one core:

(a) the batch path: ``compile_rubric`` once, ``columns_from_findings`` (findings dicts → columns),
    ``score_batch`` (columns → every score), the two last also together;
(b) the per-branch engine: ``score`` for every branch, keeping the same results (total, every node,
    rating, vetoes), not the whole sheets.

It checks that both give the same numbers for every branch, and reports the wall time and the peak
memory of each phase (tracemalloc peak of the phase, measured in a second run; and the process's
ru_maxrss) as text and as one JSON line (the last line of the output).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import resource
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric import library
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring import score
from chuangxing.scoring.batch import columns_from_findings, compile_rubric, score_batch
from chuangxing.scoring.kinds import RuleBase

BAD_WORDS = ("missing", "overdue", "vacant", "short", "missed", "below", "not_managed", "lost")


# -- random findings ----------------------------------------------------------------------------


def _count(rng: random.Random) -> int:
    return 0 if rng.random() < 0.75 else rng.randint(1, 3)


def rule_value(rng: random.Random, rule: Any) -> Any:
    """A valid input for one rule, mostly the value of a branch that does its work."""
    kind = rule.kind
    if kind in ("fixed", "zero_if"):
        return rng.random() < 0.12
    if kind == "veto":
        return rng.random() < 0.004
    if kind == "per_occurrence":
        return max(0, rule.required - _count(rng)) if rule.required else _count(rng)
    if kind == "banded":
        if rule.absent_points is not None and rng.random() < 0.03:
            return "absent"
        return rng.randint(45, 100) if rng.random() < 0.8 else Decimal(rng.randint(900, 2000)) / 20
    if kind == "threshold":
        return Decimal(rng.randint(650, 1000) if rng.random() < 0.95 else rng.randint(500, 650)) / 10
    if kind == "checklist":
        return [item.id for item in rule.items if rng.random() < 0.08]
    if kind == "range":
        if rng.random() < 0.8:
            return 0 if rule.allow_zero else {"points": rule.min, "reason": "基本做到"}
        steps = int((rule.max - rule.min) / Decimal("0.5"))
        return {"points": rule.min + Decimal("0.5") * rng.randint(0, steps), "reason": "评分人认定"}
    if kind == "events":
        return [] if rng.random() < 0.85 else [_event(rng, rule) for _ in range(rng.randint(1, 2))]
    raise ValueError(f"no generator for rule kind {kind}")


def _event(rng: random.Random, rule: Any) -> dict:
    etype = rng.choice(rule.types)
    event: dict[str, Any] = {"type": etype.id}
    if etype.per_person and rng.random() < 0.3:
        event["persons"] = rng.randint(2, 3)
    if etype.max is not None:
        event.update(points=etype.max, reason="评分人认定")
    return event


def fact_value(rng: random.Random, name: str, unit: str) -> Any:
    if unit == "bool":
        bad = any(word in name for word in BAD_WORDS)
        return rng.random() < (0.03 if bad else 0.9)
    if unit in ("count", "days"):
        return _count(rng)
    if unit == "percent":
        return Decimal(rng.randint(650, 1000) if rng.random() < 0.97 else rng.randint(500, 650)) / 10
    if unit == "items":
        return []
    return rng.randint(50, 200)


class Generator:
    """Draws one branch's findings for ``rubric``: ``Generator(rubric)(rng)``."""

    def __init__(self, rubric: Rubric):
        self.rubric = rubric
        self.units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
        self.rules = [rule for rule, _ in rubric.rules() if rule.enabled and rule.kind != "all_or_nothing"]
        texts = [rule.when for rule in self.rules if rule.when]
        texts += [level.when for scheme in rubric.ratings for level in scheme.levels if level.when]
        self.read = {w for text in texts for w in _words(text) if w in self.units}
        self.bound: dict[str, RuleBase] = {rule.fact: rule for rule in self.rules if rule.fact}
        self.targets = [node.id for node, level in rubric.nodes() if level != "category"]

    def __call__(self, rng: random.Random) -> dict:
        facts, inputs = {}, {}
        for name, rule in self.bound.items():
            if rng.random() < 0.9:
                facts[name] = rule_value(rng, rule) if rule.kind not in ("veto", "zero_if") else rng.random() < 0.02
        for name in sorted(self.read - set(self.bound)):
            if rng.random() < 0.95:
                facts[name] = fact_value(rng, name, self.units[name])
        for rule in self.rules:
            if (rule.fact or rule.when) and rng.random() < 0.9:
                continue                              # left to the records
            if rng.random() < 0.97:
                inputs[rule.id] = rule_value(rng, rule)
        out: dict[str, Any] = {"facts": facts, "inputs": inputs,
                               "process": {flag: rng.random() < 0.5 for flag in self.rubric.process_flags}}
        if self.rubric.fraud is not None and self.targets and rng.random() < 0.005:
            out["fraud"] = [{"target": rng.choice(self.targets), "reason": "台账造假"}]
        return out


def _words(text: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text))


# -- the two paths ------------------------------------------------------------------------------


def per_branch(rubric: Rubric, findings: list[dict]) -> list[tuple]:
    out = []
    for f in findings:
        sheet = score(rubric, f)
        out.append((sheet.total, tuple(n.score for n in sheet.nodes()),
                    sheet.rating.level if sheet.rating else None, tuple(v.id for v in sheet.vetoes)))
    return out


def timed(fn: Callable[[], Any], repeat: int = 1) -> tuple[float, float, Any]:
    """(wall seconds, CPU seconds) of the fastest of ``repeat`` runs, and the result."""
    best, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeat):
        gc.collect()
        start, start_cpu = time.perf_counter(), time.process_time()
        result = fn()
        wall = time.perf_counter() - start
        if wall < best:
            best, cpu = wall, time.process_time() - start_cpu
    return best, cpu, result


def peak_mb(fn: Callable[[], Any]) -> float:
    gc.collect()
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2 ** 20


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rubric", default="zhenjiang-2018")
    parser.add_argument("--branches", type=int, default=30_000)
    parser.add_argument("--seed", type=int, default=2018)
    parser.add_argument("--engine-branches", type=int, default=None,
                        help="score only this many branches with the per-branch engine (default: all)")
    args = parser.parse_args(argv)
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})       # one core

    rubric = library.load(args.rubric)
    rng = random.Random(args.seed)
    draw = Generator(rubric)
    t_gen, _, findings = timed(lambda: [draw(rng) for _ in range(args.branches)])
    rss_generated = rss_mb()

    t_compile, _, plan = timed(lambda: compile_rubric(rubric), repeat=3)
    t_convert, c_convert, columns = timed(lambda: columns_from_findings(plan, findings), repeat=3)
    t_score, c_score, result = timed(lambda: score_batch(plan, columns), repeat=5)
    t_batch, c_batch, _ = timed(lambda: score_batch(plan, columns_from_findings(plan, findings)), repeat=3)
    mem_score = peak_mb(lambda: score_batch(plan, columns))
    mem_batch = peak_mb(lambda: score_batch(plan, columns_from_findings(plan, findings)))
    rss_batch = rss_mb()

    sample = findings[: args.engine_branches] if args.engine_branches else findings
    t_engine, c_engine, expected = timed(lambda: per_branch(rubric, sample))
    rss_engine = rss_mb()
    mem_engine = peak_mb(lambda: per_branch(rubric, sample[:5000]))
    check(rubric, result, expected)

    scale_up = len(findings) / len(sample)
    report = {
        "rubric": args.rubric, "branches": len(findings), "seed": args.seed, "cores": 1, "scale": plan.scale,
        "load_average": round(os.getloadavg()[0], 2), "generate_s": round(t_gen, 2), "compile_s": round(t_compile, 4),
        "batch_convert_s": round(t_convert, 3), "batch_convert_cpu_s": round(c_convert, 3),
        "batch_score_s": round(t_score, 3), "batch_score_cpu_s": round(c_score, 3),
        "batch_total_s": round(t_batch, 3), "batch_total_cpu_s": round(c_batch, 3),
        "batch_score_peak_mb": round(mem_score, 1), "batch_total_peak_mb": round(mem_batch, 1),
        "engine_branches": len(sample), "engine_s": round(t_engine * scale_up, 1), "engine_cpu_s": round(c_engine * scale_up, 1),
        "engine_peak_mb_5000": round(mem_engine, 1),
        "speedup_cpu_findings_in": round(c_engine * scale_up / c_batch),
        "speedup_cpu_columns_in": round(c_engine * scale_up / c_score),
        "rss_mb_after_generation": round(rss_generated), "rss_mb_after_batch": round(rss_batch),
        "rss_mb_after_engine": round(rss_engine), "same_numbers": True,
        "mean_total": str((sum(result.totals(), Decimal(0)) / len(findings)).quantize(Decimal("0.01"))),
        "levels": Counter(result.rating_ids()) if plan.schemes else {},
    }
    print(f"{args.rubric}: {len(findings):,} branches (seed {args.seed}), one core, fixed point 10^-{plan.scale}, "
          f"load average {report['load_average']}")
    print(f"  generate findings              {t_gen:8.2f} s wall")
    print(f"  (a) batch: compile the rubric  {t_compile * 1000:8.1f} ms")
    print(f"             findings → columns  {t_convert:8.3f} s wall {c_convert:7.3f} s CPU")
    print(f"             columns → scores    {t_score:8.3f} s wall {c_score:7.3f} s CPU   peak {mem_score:6.1f} MB")
    print(f"             together            {t_batch:8.3f} s wall {c_batch:7.3f} s CPU   peak {mem_batch:6.1f} MB")
    print(f"  (b) per-branch engine          {t_engine * scale_up:8.1f} s wall {c_engine * scale_up:7.1f} s CPU   "
          f"peak {mem_engine:6.1f} MB over 5,000 branches" + (f" (measured on {len(sample):,})" if scale_up != 1 else ""))
    print(f"  speed-up (CPU): {report['speedup_cpu_findings_in']}× from findings dicts, "
          f"{report['speedup_cpu_columns_in']}× from columns")
    print(f"  process ru_maxrss: {rss_generated:.0f} MB after generating, {rss_batch:.0f} MB after the batch runs, "
          f"{rss_engine:.0f} MB after the engine")
    print(f"  same numbers for every branch scored both ways: yes; mean total {report['mean_total']}; "
          f"ratings {dict(sorted(report['levels'].items()))}")
    print(json.dumps(report, ensure_ascii=False))
    return 0


def check(rubric: Rubric, result: Any, expected: list[tuple]) -> None:
    """The batch path's numbers are the engine's, branch by branch."""
    rows = [result.node_ids.index(n.id) for n, _ in rubric.nodes()]
    levels = result.rating_ids() if result.levels else [None] * result.n
    for i, (total, nodes, level, vetoes) in enumerate(expected):
        assert Decimal(int(result.total[i])) / Decimal(10 ** result.scale) == total, i
        assert tuple(result.decimals(result.nodes[rows, i])) == nodes, i
        assert (None if levels[i] == "blocked" else levels[i]) == level, i
        assert tuple(v for v, hit in result.vetoes.items() if hit[i]) == vetoes, i


if __name__ == "__main__":
    sys.exit(main())
