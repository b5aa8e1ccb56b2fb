"""The score sheets of many assessments at once: what the sample draw, finalization and the lists read.

>>> scored = score_assessments(cycle=cycle, states=[State.REVIEWED], stage="review")
>>> scored[a.pk].total, scored[a.pk].rating("stars").label, scored[a.pk].vetoes
(Decimal('87'), '三星', [])

The facts and findings of the whole selection are read in three queries; every rubric snapshot of
the cycle is then scored with the batch engine (:mod:`chuangxing.scoring.batch`: numpy, exact, the
same numbers as :func:`chuangxing.scoring.score`). A rubric the batch engine cannot compile (a
``per_category`` scheme such as 绍兴's stars per dimension, an ``expression`` rule), or findings it
refuses (more decimal places than its scale), are scored branch by branch with the engine instead:
slower, never different.

``stage`` is the layer of findings scored: ``"review"`` (self, then review), ``"inspection"`` (self,
review, then inspection), or ``"final"``: inspection for a sampled assessment, review for the others
(what :func:`chuangxing.assessments.publicity.finalize` rates).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

from chuangxing.assessments.models import Assessment, Cycle, FactValue, Finding, RubricSnapshot
from chuangxing.assessments.services import NUMBER_UNITS, STAGE_ORDER, _rubric_from, fact_from_stored
from chuangxing.assessments.workflow import WorkflowError
from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.schema import RatingScheme, Rubric
from chuangxing.scoring import score
from chuangxing.scoring.batch import BatchPlan, BatchResult, columns_from_findings, compile_rubric, score_batch
from chuangxing.scoring.errors import FindingsInvalid, InputError
from chuangxing.scoring.sheet import ScoreSheet

STAGES = ("review", "inspection", "final")
_RANK = {"self": 0, "review": 1, "inspection": 2}
_HOLDS = "情形成立"        # what a veto's parse gives when its finding carries no words of its own


class ScoringFailed(WorkflowError):
    """A branch's stored findings do not score (the rubric changed under them, a fact went wrong)."""

    code = "findings_invalid"


@dataclass(frozen=True)
class Rated:
    """One rating scheme's result for one branch."""

    scheme: str
    level: str | None            # None: blocked by a veto
    label: str
    stars: int | None
    rank: int                    # index of ``level`` in the scheme (stars earned for per_category); -1 blocked
    eligible: str | None = None  # the level the score alone reaches, before process steps
    blocked_by: tuple[str, ...] = ()


@dataclass(frozen=True)
class VetoReason:
    id: str
    text: str                    # the standard's wording
    reason: str                  # what the finding said (empty when it only said "yes")
    blocks: tuple[str, ...]      # scheme ids; empty: all

    def blocks_scheme(self, scheme: str) -> bool:
        return not self.blocks or scheme in self.blocks

    def sentence(self) -> str:
        return f"否决项：{self.text}" + (f"（{self.reason}）" if self.reason else "")


@dataclass
class Scored:
    assessment_id: int
    stage: str                   # the layer scored: review or inspection
    total: Decimal
    ratings: dict[str, Rated]    # in the rubric's order: the first is the main rating
    vetoes: list[VetoReason] = field(default_factory=list)

    @property
    def main(self) -> Rated | None:
        return next(iter(self.ratings.values()), None)

    def rating(self, scheme: str) -> Rated | None:
        return self.ratings.get(scheme)


# -- loading ------------------------------------------------------------------------------------
@dataclass
class _Row:
    id: int
    snapshot_id: int
    stage: str
    fraud: list
    process: dict
    facts: dict = field(default_factory=dict)
    layers: dict = field(default_factory=lambda: defaultdict(dict))
    notes: dict = field(default_factory=dict)          # veto rule id → the reason written with its finding

    def findings(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for layer in STAGE_ORDER[self.stage]:
            inputs.update(self.layers.get(str(layer), {}))
        return {"facts": self.facts, "inputs": inputs, "fraud": list(self.fraud), "process": dict(self.process)}


def _stage_of(stage: str, sampled: bool) -> str:
    if stage == "final":
        return "inspection" if sampled else "review"
    return stage


def load_rows(*, cycle: Cycle, states: Iterable[str] | None = None, ids: Iterable[int] | None = None,
              stage: str = "review") -> dict[int, _Row]:
    """Every selected assessment's findings, as the engine takes them, in three queries."""
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage}")
    where: dict[str, Any] = {"cycle": cycle}
    if states is not None:
        where["state__in"] = list(states)
    if ids is not None:
        where["pk__in"] = list(ids)
    selected = Assessment.objects.filter(**where)
    rows = {pk: _Row(pk, snap, _stage_of(stage, sampled), fraud or [], process or {})
            for pk, snap, sampled, fraud, process in
            selected.values_list("id", "snapshot_id", "sampled", "fraud_flags", "process").iterator(chunk_size=5000)}
    related = {f"assessment__{key}": value for key, value in where.items()}
    units = {snap.pk: fact_units({name: decl.unit for name, decl in rubric_of_snapshot(snap, cycle).facts.items()})
             for snap in cycle.snapshots.all()}
    numbers: dict[str, Any] = {}        # text → Decimal, once per distinct value
    facts = FactValue.objects.filter(**related).values_list("assessment_id", "name", "computed", "override")
    for pk, name, computed, override in facts.iterator(chunk_size=20000):
        value = override if override is not None else computed
        if value is None:
            continue
        row = rows[pk]
        if isinstance(value, str) and units[row.snapshot_id].get(name) in NUMBER_UNITS:
            found = numbers.get(value)
            value = numbers[value] = fact_from_stored(value, "number") if found is None else found
        row.facts[name] = value
    top = 2 if stage in ("inspection", "final") else 1
    layers = [s for s, rank in _RANK.items() if rank <= top]
    findings = Finding.objects.filter(stage__in=layers, **related).values_list("assessment_id", "stage", "rule_id",
                                                                               "value")
    for pk, stage_, rule_id, value in findings.iterator(chunk_size=20000):
        row = rows[pk]
        if _RANK[stage_] <= _RANK[row.stage]:
            row.layers[stage_][rule_id] = value
    vetoes = {v.id for snap in cycle.snapshots.all() for v in rubric_of_snapshot(snap, cycle).vetoes}
    notes = Finding.objects.filter(stage__in=layers, rule_id__in=sorted(vetoes), **related).exclude(reason="")
    for pk, stage_, rule_id, reason in sorted(notes.values_list("assessment_id", "stage", "rule_id", "reason"),
                                              key=lambda r: _RANK[r[1]]):
        if _RANK[stage_] <= _RANK[rows[pk].stage]:
            rows[pk].notes[rule_id] = reason
    return rows


# -- scoring ------------------------------------------------------------------------------------
def score_assessments(*, cycle: Cycle, states: Iterable[str] | None = None, ids: Iterable[int] | None = None,
                      stage: str = "review") -> dict[int, Scored]:
    """Score every selected assessment of ``cycle`` at ``stage``; {assessment id: Scored}."""
    rows = load_rows(cycle=cycle, states=states, ids=ids, stage=stage)
    by_snapshot: dict[int, list[_Row]] = defaultdict(list)
    for row in rows.values():
        by_snapshot[row.snapshot_id].append(row)
    out: dict[int, Scored] = {}
    parameters = json.dumps(cycle.parameters, sort_keys=True)
    for snapshot in RubricSnapshot.objects.filter(pk__in=list(by_snapshot)):
        rubric = _rubric_from(snapshot.sha256, snapshot.source, parameters)
        group = by_snapshot[snapshot.pk]
        out.update(_score_group(rubric, _plan_for(snapshot.sha256, snapshot.source, parameters), group))
    return out


def rubric_of_snapshot(snapshot: RubricSnapshot, cycle: Cycle) -> Rubric:
    """The rubric a snapshot pins, read with the cycle's parameters (cached)."""
    return _rubric_from(snapshot.sha256, snapshot.source, json.dumps(cycle.parameters, sort_keys=True))


@lru_cache(maxsize=16)
def _plan_for(sha256: str, source: str, parameters: str) -> BatchPlan | None:
    try:
        return compile_rubric(_rubric_from(sha256, source, parameters))
    except NotImplementedError:
        return None


def _score_group(rubric: Rubric, plan: BatchPlan | None, group: list[_Row]) -> dict[int, Scored]:
    findings = [row.findings() for row in group]
    if plan is not None:
        try:
            result = score_batch(plan, columns_from_findings(plan, findings))
        except FindingsInvalid:
            pass        # one branch's values do not fit the batch: the engine scores them (and names the branch)
        else:
            return _from_batch(rubric, result, group, findings)
    return {row.id: _from_sheet(rubric, row, data) for row, data in zip(group, findings, strict=True)}


def _from_sheet(rubric: Rubric, row: _Row, data: dict) -> Scored:
    try:
        sheet = score(rubric, data)
    except FindingsInvalid as exc:
        from chuangxing.orgs.models import Organization

        name = Organization.objects.filter(assessments__pk=row.id).values_list("name", flat=True).first()
        raise ScoringFailed(f"“{name}”的评分数据无法计分：{exc}", f"assessment {row.id}: {exc}") from exc
    return scored_from_sheet(rubric, sheet, assessment_id=row.id, stage=row.stage, notes=row.notes)


def scored_from_sheet(rubric: Rubric, sheet: ScoreSheet, *, assessment_id: int, stage: str,
                      notes: Mapping[str, str] | None = None) -> Scored:
    """A sheet of the per-branch engine in the shape of :class:`Scored` (``notes``: the veto findings' reasons)."""
    schemes = {s.id: s for s in rubric.ratings}
    ratings = {}
    for r in sheet.ratings:
        scheme = schemes[r.scheme]
        rank = (r.stars or 0) if scheme.kind == "per_category" else _rank(scheme, r.level)
        ratings[r.scheme] = Rated(r.scheme, r.level, r.label, r.stars, rank if r.level is not None else -1,
                                  r.eligible, tuple(r.blocked_by))
    vetoes = [VetoReason(v.id, v.text, _words(v.reason, (notes or {}).get(v.id)), v.blocks) for v in sheet.vetoes]
    return Scored(assessment_id, stage, sheet.total, ratings, vetoes)


def score_one(assessment: Assessment, *, stage: str = "review", sheet: ScoreSheet | None = None) -> Scored:
    """One assessment with the per-branch engine, in the shape of :class:`Scored` (what the batch must equal)."""
    from chuangxing.assessments.services import rubric_of, sheet_of

    stage = _stage_of(stage, assessment.sampled)
    sheet = sheet or sheet_of(assessment, stage=stage)
    rubric = rubric_of(assessment)
    layers = [str(s) for s in STAGE_ORDER[stage]]
    notes = {}
    for layer in layers:
        notes.update(dict(assessment.findings.filter(stage=layer, rule_id__in=[v.id for v in rubric.vetoes])
                          .exclude(reason="").values_list("rule_id", "reason")))
    return scored_from_sheet(rubric, sheet, assessment_id=assessment.pk, stage=stage, notes=notes)


def _rank(scheme: RatingScheme, level: str | None) -> int:
    ids = [lv.id for lv in scheme.levels]
    return ids.index(level) if level in ids else -1


def _from_batch(rubric: Rubric, result: BatchResult, group: list[_Row], findings: list[dict]) -> dict[int, Scored]:
    totals = result.totals()
    vetoes = _batch_vetoes(rubric, result, group, findings)
    made: dict[tuple, Rated] = {}       # equal results share one object: a city has few distinct ratings
    columns = []
    for scheme in rubric.ratings:
        given, eligible = result.levels[scheme.id].tolist(), result.eligible[scheme.id].tolist()
        columns.append((scheme, given, eligible))
    out = {}
    for i, row in enumerate(group):
        hits = vetoes.get(i, [])
        ratings = {}
        for scheme, given, eligible in columns:
            blocked = tuple(v.id for v in hits if v.blocks_scheme(scheme.id)) if given[i] < 0 else ()
            key = (scheme.id, given[i], eligible[i], blocked)
            rated = made.get(key)
            if rated is None:
                rated = made[key] = _rated(scheme, given[i], eligible[i], blocked)
            ratings[scheme.id] = rated
        out[row.id] = Scored(row.id, row.stage, totals[i], ratings, hits)
    return out


def _rated(scheme: RatingScheme, given: int, eligible: int, blocked: tuple[str, ...]) -> Rated:
    reached = scheme.levels[eligible]
    if given < 0:
        stars = 0 if scheme.levels[0].stars is not None else None
        return Rated(scheme.id, None, scheme.blocked_label, stars, -1, reached.id, blocked)
    level = scheme.levels[given]
    return Rated(scheme.id, level.id, level.label, level.stars, given, reached.id)


def _batch_vetoes(rubric: Rubric, result: BatchResult, group: list[_Row], findings: list[dict]
                  ) -> dict[int, list[VetoReason]]:
    """Branch index → the vetoes that hit it, with the words of the finding that made each one."""
    out: dict[int, list[VetoReason]] = defaultdict(list)
    for veto in rubric.vetoes:
        hit = result.vetoes.get(veto.id)
        if hit is None or not hit.any():
            continue
        for i in hit.nonzero()[0].tolist():
            words = _veto_words(veto, findings[i], group[i].notes.get(veto.id))
            out[i].append(VetoReason(veto.id, veto.text, words, tuple(veto.blocks)))
    return out


def _veto_words(veto, data: Mapping[str, Any], note: str | None) -> str:
    raw = data["inputs"].get(veto.id)
    if raw is None and veto.fact:
        raw = data["facts"].get(veto.fact)
    try:
        words = veto.parse_input(raw) if raw is not None else None
    except InputError:
        words = None
    return _words(words, note)


def _words(value: Any, note: str | None) -> str:
    """What a veto says: the words of its finding (a text value), else the reason written with it, else nothing."""
    if isinstance(value, str) and value != _HOLDS:
        return value
    return (note or "").strip()
