"""A whole cycle put into the *reviewed* state at once, with generated findings: for benchmarks, tests
and demo data. (A real cycle gets there branch by branch: self-assessment, submission, review.)

>>> review_all(cycle=cycle, seed=7)
30000

What is generated, per assessment of the cycle:

- **self-assessment findings** (stage ``self``): every rule that neither a computed fact nor an
  expression covers gets the input a compliant branch reports (``rule.ideal_input()``);
- **review findings** (stage ``review``, with a reason): with probability ``defect_rate`` per rule,
  the reviewer finds a deduction the branch did not report (a fixed deduction holds, one to three
  occurrences); a veto is found in one branch out of ``20 / defect_rate``;
- **survey facts**: a fact the rubric reads as a percentage that the records do not give (the
  satisfaction rates of 党员群众测评) gets a rate, mostly between 80% and 100%;
- **process flags**, where the rubric has them: ``four_star_confirmed`` for every branch,
  ``five_star_preregistered`` for ``five_star_share`` of them, ``recommended`` for
  ``recommended_share`` of them;

then every assessment moves to ``reviewed`` with its ``reviewed_total`` (scored in batch). The same
seed gives the same findings.
"""

from __future__ import annotations

import re
from collections import defaultdict
from decimal import Decimal
from random import Random

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chuangxing.assessments.bulk import rubric_of_snapshot, score_assessments
from chuangxing.assessments.models import Assessment, AuditEntry, Cycle, FactValue, Finding, Stage, State
from chuangxing.assessments.services import to_stored
from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring.kinds import RuleBase

BATCH = 5000
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@transaction.atomic
def review_all(*, cycle: Cycle, seed: int = 2026, defect_rate: Decimal = Decimal("0.06"),
               five_star_share: Decimal = Decimal("0.03"), recommended_share: Decimal = Decimal("0.3")) -> int:
    """Generate findings for every assessment of ``cycle`` and move them all to ``reviewed``."""
    rng = Random(seed)
    known = set(FactValue.objects.filter(assessment__cycle=cycle).values_list("name", flat=True).distinct())
    groups: dict[int, list[int]] = defaultdict(list)
    for pk, snapshot_id in cycle.assessments.order_by("pk").values_list("id", "snapshot_id"):
        groups[snapshot_id].append(pk)
    now = timezone.now()
    for snapshot in cycle.snapshots.filter(pk__in=list(groups)):
        rubric = rubric_of_snapshot(snapshot, cycle)
        _generate(rubric, groups[snapshot.pk], known, rng, defect_rate, now)
        _flags(rubric, groups[snapshot.pk], rng, five_star_share, recommended_share)
    cycle.assessments.update(state=State.REVIEWED, version=F("version") + 1, updated_at=now)
    Cycle.data_changed(cycle.pk)
    by_total: dict[Decimal, list[int]] = defaultdict(list)
    for pk, scored in score_assessments(cycle=cycle, stage="review").items():
        by_total[scored.total].append(pk)
    for total, ids in by_total.items():
        for start in range(0, len(ids), 500):
            Assessment.objects.filter(pk__in=ids[start:start + 500]).update(reviewed_total=total)
    count = sum(len(ids) for ids in groups.values())
    AuditEntry.objects.create(action="demo_review_all", target=f"cycle:{cycle.pk}",
                              new={"assessments": count, "seed": seed}, reason="演示数据：批量生成审核结果")
    return count


def _generate(rubric: Rubric, ids: list[int], known: set[str], rng: Random, defect_rate: Decimal, now) -> None:
    units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
    read = {r.fact for r, _ in rubric.rules() if r.fact} | {w for r, _ in rubric.rules() if r.when
                                                              for w in _WORD.findall(r.when) if w in units}
    surveyed = sorted(name for name in read if name not in known and units.get(name) == "percent")
    rules = [r for r, _ in rubric.rules() if r.enabled and _typed_in(r, known, surveyed)]
    ideal = {r.id: to_stored(r.ideal_input()) for r in rules}
    rate = float(defect_rate)
    facts, findings = [], []
    for pk in ids:
        facts += [FactValue(assessment_id=pk, name=name, computed=_rate(rng)) for name in surveyed]
        findings += [Finding(assessment_id=pk, stage=Stage.SELF, rule_id=rule_id, value=value, updated_at=now)
                     for rule_id, value in ideal.items()]
        for rule in rules:
            found = _defect(rule, rng, rate)
            if found is not None:
                findings.append(Finding(assessment_id=pk, stage=Stage.REVIEW, rule_id=rule.id, value=found,
                                        reason="审核发现：与自评不符", updated_at=now))
        if len(findings) > 20 * BATCH:
            Finding.objects.bulk_create(findings, batch_size=BATCH)
            findings = []
    Finding.objects.bulk_create(findings, batch_size=BATCH)
    FactValue.objects.bulk_create(facts, batch_size=BATCH)


def _typed_in(rule: RuleBase, known: set[str], surveyed: list[str]) -> bool:
    """Does a person type this rule's input in? (No computed or generated fact, no expression gives it.)"""
    if rule.kind in ("all_or_nothing",) or rule.ideal_input() is None:
        return False
    if rule.fact:
        return rule.fact not in known and rule.fact not in surveyed
    return not rule.when


def _defect(rule: RuleBase, rng: Random, rate: float):
    if rule.kind == "veto":
        return True if rng.random() < rate / 20 else None
    if rule.effect != "deduct" or rng.random() >= rate:
        return None
    if rule.kind == "fixed":
        return True
    if rule.kind == "per_occurrence":
        return rng.randint(1, 3)
    return None


def _rate(rng: Random) -> str:
    value = Decimal(rng.choices([rng.randint(8000, 10000), rng.randint(5500, 8000)], [92, 8])[0]) / 100
    return to_stored(value)


def _flags(rubric: Rubric, ids: list[int], rng: Random, five_star_share: Decimal, recommended_share: Decimal) -> None:
    chosen = {
        "four_star_confirmed": ids,
        "five_star_preregistered": [pk for pk in ids if rng.random() < float(five_star_share)],
        "recommended": [pk for pk in ids if rng.random() < float(recommended_share)],
    }
    process: dict[int, dict[str, bool]] = defaultdict(dict)
    for flag, pks in chosen.items():
        if flag in rubric.process_flags:
            for pk in pks:
                process[pk][flag] = True
    by_value: dict[tuple, list[int]] = defaultdict(list)
    for pk, flags in process.items():
        by_value[tuple(sorted(flags))].append(pk)
    for flags, pks in by_value.items():
        for start in range(0, len(pks), 500):
            Assessment.objects.filter(pk__in=pks[start:start + 500]).update(process={f: True for f in flags})
