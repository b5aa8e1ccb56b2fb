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

``stage`` is the layer of findings scored: ``"self"`` (the self-assessment alone, without fraud flags, as the
branch's own total is scored), ``"review"`` (self, then review), ``"inspection"`` (self,
review, then inspection), or ``"final"``: inspection for a sampled assessment, review for the others
(what :func:`chuangxing.assessments.publicity.finalize` rates).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import Aggregate, F, Func, Q, QuerySet, TextField
from django.db.models.functions import Coalesce

from chuangxing.assessments.models import Assessment, Cycle, Finding, RubricSnapshot
from chuangxing.assessments.services import NUMBER_UNITS, STAGE_ORDER, _rubric_from, fact_from_stored
from chuangxing.assessments.workflow import WorkflowError
from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.schema import RatingScheme, Rubric
from chuangxing.scoring import score
from chuangxing.scoring.batch import NOT_GIVEN, BatchPlan, BatchResult, Columns, compile_rubric, score_batch
from chuangxing.scoring.errors import FindingsInvalid, InputError
from chuangxing.scoring.sheet import ScoreSheet

STAGES = ("self", "review", "inspection", "final")
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
class _Group:
    """One rubric snapshot's assessments, column by column, as :class:`chuangxing.scoring.batch.Columns` takes them."""

    def __init__(self, rubric: Rubric, plan: BatchPlan | None):
        self.rubric, self.plan = rubric, plan
        self.units = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
        self.ids: list[int] = []
        self.stages: list[int] = []            # rank of the layer scored for each: 1 review, 2 inspection
        self.fraud: list[list] = []
        self.process: list[dict] = []
        self.facts: dict[str, list] = {}
        self.inputs: dict[str, list] = {}
        self.notes: dict[int, dict[str, str]] = defaultdict(dict)     # position → veto rule id → its reason

    def add(self, pk: int, rank: int, fraud: list, process: dict) -> None:
        self.ids.append(pk)
        self.stages.append(rank)
        self.fraud.append(fraud)
        self.process.append(process)

    def columns(self) -> Columns:
        n = len(self.ids)
        fraud: dict[str, np.ndarray] = {}
        process: dict[str, np.ndarray] = {}
        for i, flags in enumerate(self.fraud):
            for flag in flags:
                target = flag.get("target") if isinstance(flag, dict) else None
                if target:
                    fraud.setdefault(str(target), np.zeros(n, bool))[i] = True
        for i, flags in enumerate(self.process):
            for flag, value in flags.items():
                if value is True:
                    process.setdefault(flag, np.zeros(n, bool))[i] = True
                elif value is not False:
                    process.setdefault(flag, np.zeros(n, bool))     # not a yes/no: the engine path says so
        return Columns(n, inputs=self.inputs, facts=self.facts, fraud=fraud, process=process)

    def findings(self, i: int) -> dict[str, Any]:
        """Branch ``i`` as a findings dict (for the per-branch engine)."""
        return {"facts": {k: v[i] for k, v in self.facts.items() if v[i] is not NOT_GIVEN},
                "inputs": {k: v[i] for k, v in self.inputs.items() if v[i] is not NOT_GIVEN},
                "fraud": list(self.fraud[i]), "process": dict(self.process[i])}


class _Json:
    """JSON columns read raw (no ORM converters): equal texts parsed once."""

    def __init__(self):
        self.seen: dict[str, Any] = {}

    def __call__(self, raw: Any) -> Any:
        if not isinstance(raw, str):
            return raw                          # a driver that parses JSON itself
        found = self.seen.get(raw, _MISSING)
        if found is _MISSING:
            found = self.seen[raw] = json.loads(raw)
        return found


_MISSING = object()


def _raw(queryset) -> Iterator[tuple]:
    """The rows of a ``values_list`` queryset straight from the cursor: no per-value converters."""
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while rows := cursor.fetchmany(20000):
            yield from rows


def _stage_rank(stage: str, sampled: bool) -> int:
    if stage == "final":
        return _RANK["inspection"] if sampled else _RANK["review"]
    return _RANK[stage]


def load_groups(*, cycle: Cycle, states: Iterable[str] | None = None, ids: Iterable[int] | QuerySet | None = None,
                stage: str = "review") -> list[_Group]:
    """Every selected assessment's facts and findings, layered up to ``stage``, one group per rubric snapshot.

    A handful of queries whatever the number of branches: the assessments, the facts, the findings of
    each layer (self, review, inspection: a later layer overrides), and the reasons of veto findings.
    """
    if stage not in STAGES:
        raise ValueError(f"unknown stage {stage}")
    where: dict[str, Any] = {"cycle": cycle}
    if states is not None:
        where["state__in"] = list(states)
    if ids is not None:
        where["pk__in"] = ids if isinstance(ids, QuerySet) else list(ids)     # a queryset stays a subquery
    parameters = json.dumps(cycle.parameters, sort_keys=True)
    groups: dict[int, _Group] = {}
    for snapshot in cycle.snapshots.all():
        rubric = _rubric_from(snapshot.sha256, snapshot.source, parameters)
        groups[snapshot.pk] = _Group(rubric, _plan_for(snapshot.sha256, snapshot.source, parameters))
    parse = _Json()
    where_is: dict[int, tuple[_Group, int]] = {}
    selected = Assessment.objects.filter(**where).order_by("pk")
    for pk, snapshot_id, sampled, fraud, process in _raw(selected.values_list("id", "snapshot_id", "sampled",
                                                                               "fraud_flags", "process")):
        group = groups[snapshot_id]
        where_is[pk] = (group, len(group.ids))
        fraud = (parse(fraud) or []) if stage != "self" else []       # a fraud flag is a reviewer's, not the branch's
        group.add(pk, _stage_rank(stage, bool(sampled)), fraud, parse(process) or {})
    related = {f"assessment__{key}": value for key, value in where.items()}
    _load_facts(selected, where_is)
    top = _RANK["inspection"] if stage in ("inspection", "final") else _RANK[stage]
    for layer, rank in _RANK.items():         # self, review, inspection: each overrides the one before
        if rank <= top:
            _load_layer(selected, layer, rank, where_is)
    vetoes = sorted({v.id for g in groups.values() for v in g.rubric.vetoes})
    notes = Finding.objects.filter(rule_id__in=vetoes, **related).exclude(reason="")
    for pk, layer, rule_id, reason in sorted(notes.values_list("assessment_id", "stage", "rule_id", "reason"),
                                             key=lambda r: _RANK[r[1]]):
        group, i = where_is[pk]
        if _RANK[layer] <= group.stages[i]:
            group.notes[i][rule_id] = reason
    return [g for g in groups.values() if g.ids]


class _JsonObject(Aggregate):
    """One JSON object per group, built by PostgreSQL (``json_object_agg``)."""

    function = "json_object_agg"
    output_field = TextField()


class _ConcatObject(Aggregate):
    """One JSON object per group, built by SQLite: its JSON columns hold JSON text already, so the pairs
    are joined as text (``json_group_object`` would parse every value again)."""

    function = "group_concat"
    template = "'{' || group_concat(%(expressions)s, ',') || '}'"
    arg_joiner = " || ':' || "
    output_field = TextField()


def _objects(assessments: QuerySet, condition: Q, key: str, value) -> Iterator[tuple[int, dict]]:
    """(assessment id, {key: value}) for each of ``assessments``, over the related rows that meet ``condition``,
    aggregated by the database: one row per assessment, not one per finding. Grouped by the assessment's
    own id, so the database streams them in index order instead of sorting millions of rows."""
    if connection.vendor == "sqlite":
        pairs = _ConcatObject(Func(key, function="json_quote", output_field=TextField()), value)
    else:
        pairs = _JsonObject(key, value)
    grouped = assessments.filter(condition).order_by().values("id").annotate(data=pairs).values_list("id", "data")
    for pk, data in _raw(grouped):
        yield pk, json.loads(data) if isinstance(data, str) else data


def _load_facts(assessments: QuerySet, where_is: dict[int, tuple[_Group, int]]) -> None:
    present = Q(facts__override__isnull=False) | Q(facts__computed__isnull=False)
    for pk, values in _objects(assessments, present, F("facts__name"), Coalesce("facts__override", "facts__computed")):
        group, i = where_is[pk]
        columns = group.facts
        for name, value in values.items():
            if value is not None:
                column = columns.get(name)
                if column is None:
                    column = columns[name] = [NOT_GIVEN] * len(group.ids)
                column[i] = value
    numbers: dict[tuple[str, str], Any] = {}     # (unit, text) → the value the engine compares, once per distinct text
    for group in {id(g): g for g, _ in where_is.values()}.values():
        for name, column in group.facts.items():
            unit = group.units.get(name)
            if unit not in NUMBER_UNITS:
                continue
            for i, value in enumerate(column):
                if type(value) is str:
                    key = (unit, value)
                    found = numbers.get(key, _MISSING)
                    column[i] = numbers[key] = fact_from_stored(value, unit) if found is _MISSING else found


def _load_layer(assessments: QuerySet, layer: str, rank: int, where_is: dict[int, tuple[_Group, int]]) -> None:
    present = Q(findings__stage=layer, findings__value__isnull=False)
    for pk, values in _objects(assessments, present, F("findings__rule_id"), F("findings__value")):
        group, i = where_is[pk]
        if rank > group.stages[i]:
            continue
        columns = group.inputs
        for rule_id, value in values.items():
            column = columns.get(rule_id)
            if column is None:
                column = columns[rule_id] = [NOT_GIVEN] * len(group.ids)
            column[i] = value


# -- scoring ------------------------------------------------------------------------------------
def score_assessments(*, cycle: Cycle, states: Iterable[str] | None = None, ids: Iterable[int] | QuerySet | None = None,
                      stage: str = "review") -> dict[int, Scored]:
    """Score every selected assessment of ``cycle`` at ``stage``; {assessment id: Scored}.

    ``ids``: a list of ids, or a queryset of them (``….values("id")``, kept as a subquery).
    """
    out: dict[int, Scored] = {}
    for group in load_groups(cycle=cycle, states=states, ids=ids, stage=stage):
        out.update(_score_group(group))
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


def _score_group(group: _Group) -> dict[int, Scored]:
    if group.plan is not None:
        try:
            result = score_batch(group.plan, group.columns())
        except FindingsInvalid:
            pass        # one branch's values do not fit the batch: the engine scores them (and names the branch)
        else:
            return _from_batch(group, result)
    return {pk: _from_sheet(group, i) for i, pk in enumerate(group.ids)}


def _from_sheet(group: _Group, i: int) -> Scored:
    pk = group.ids[i]
    stage = next(name for name, rank in _RANK.items() if rank == group.stages[i])
    try:
        sheet = score(group.rubric, group.findings(i))
    except FindingsInvalid as exc:
        from chuangxing.orgs.models import Organization

        name = Organization.objects.filter(assessments__pk=pk).values_list("name", flat=True).first()
        raise ScoringFailed(f"“{name}”的评分数据无法计分：{exc}", f"assessment {pk}: {exc}") from exc
    return scored_from_sheet(group.rubric, sheet, assessment_id=pk, stage=stage, notes=group.notes.get(i))


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

    stage = ("inspection" if assessment.sampled else "review") if stage == "final" else stage
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


def _from_batch(group: _Group, result: BatchResult) -> dict[int, Scored]:
    rubric = group.rubric
    totals = result.totals()
    vetoes = _batch_vetoes(group, result)
    schemes = rubric.ratings
    given = [result.levels[s.id].tolist() for s in schemes]
    eligible = [result.eligible[s.id].tolist() for s in schemes]
    stages = {rank: name for name, rank in _RANK.items()}
    shared: dict[tuple, dict[str, Rated]] = {}     # a city has few distinct rating outcomes: one dict for each
    out = {}
    for i, key in enumerate(zip(*given, *eligible, strict=True)):
        hits = vetoes.get(i)
        if hits:
            ratings = _ratings(schemes, key, hits)
        else:
            ratings = shared.get(key)
            if ratings is None:
                ratings = shared[key] = _ratings(schemes, key, [])
        pk = group.ids[i]
        out[pk] = Scored(pk, stages[group.stages[i]], totals[i], ratings, hits or [])
    return out


def _ratings(schemes: list[RatingScheme], key: tuple, hits: list[VetoReason]) -> dict[str, Rated]:
    n = len(schemes)
    out = {}
    for j, scheme in enumerate(schemes):
        level, reached = key[j], key[n + j]
        blocked = tuple(v.id for v in hits if v.blocks_scheme(scheme.id)) if level < 0 else ()
        out[scheme.id] = _rated(scheme, level, reached, blocked)
    return out


def _rated(scheme: RatingScheme, given: int, eligible: int, blocked: tuple[str, ...]) -> Rated:
    reached = scheme.levels[eligible]
    if given < 0:
        stars = 0 if scheme.levels[0].stars is not None else None
        return Rated(scheme.id, None, scheme.blocked_label, stars, -1, reached.id, blocked)
    level = scheme.levels[given]
    return Rated(scheme.id, level.id, level.label, level.stars, given, reached.id)


def _batch_vetoes(group: _Group, result: BatchResult) -> dict[int, list[VetoReason]]:
    """Branch index → the vetoes that hit it, with the words of the finding that made each one."""
    out: dict[int, list[VetoReason]] = defaultdict(list)
    for veto in group.rubric.vetoes:
        hit = result.vetoes.get(veto.id)
        if hit is None or not hit.any():
            continue
        inputs = group.inputs.get(veto.id)
        facts = group.facts.get(veto.fact) if veto.fact else None
        for i in hit.nonzero()[0].tolist():
            raw = inputs[i] if inputs is not None else NOT_GIVEN
            if raw is NOT_GIVEN and facts is not None:
                raw = facts[i]
            words = _veto_words(veto, None if raw is NOT_GIVEN else raw, group.notes.get(i, {}).get(veto.id))
            out[i].append(VetoReason(veto.id, veto.text, words, tuple(veto.blocks)))
    return out


def _veto_words(veto, raw: Any, note: str | None) -> str:
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


# -- writing ------------------------------------------------------------------------------------
WRITE_CHUNK = 10000


def insert_rows(model, fields: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """INSERT ``rows`` (Python values, in ``fields`` order) with one prepared statement, ``executemany``.

    Values of JSON, date, time and decimal fields are prepared for the database by the field itself
    (``get_db_prep_save``), once per distinct value; the others (ids, text, numbers, yes/no) go as they
    are. No signals, no ``save()``: for append-only rows written by the services of this app.
    """
    meta = model._meta
    model_fields = [meta.get_field(name) for name in fields]
    quote = connection.ops.quote_name
    sql = (f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(f.column) for f in model_fields)}) "
           f"VALUES ({', '.join(['%s'] * len(model_fields))})")
    prepare = [j for j, f in enumerate(model_fields) if f.get_internal_type() in _PREPARED]
    memo: dict[int, dict] = {j: {} for j in prepare}
    count = 0
    with connection.cursor() as cursor:
        chunk = []
        for row in rows:
            row = list(row)
            for j in prepare:
                key = _key(row[j])
                found = memo[j].get(key, _MISSING)
                if found is _MISSING:
                    found = memo[j][key] = model_fields[j].get_db_prep_save(row[j], connection)
                row[j] = found
            chunk.append(row)
            if len(chunk) >= WRITE_CHUNK:
                cursor.executemany(sql, chunk)
                count, chunk = count + len(chunk), []
        if chunk:
            cursor.executemany(sql, chunk)
            count += len(chunk)
    return count


_PREPARED = {"JSONField", "DateTimeField", "DateField", "TimeField", "DecimalField"}


def update_column(model, field: str, values: Mapping[int, Any]) -> None:
    """``UPDATE … SET field = value WHERE id = pk`` for every ``pk: value`` of ``values``, with ``executemany``."""
    meta = model._meta
    model_field = meta.get_field(field)
    quote = connection.ops.quote_name
    sql = f"UPDATE {quote(meta.db_table)} SET {quote(model_field.column)} = %s WHERE {quote(meta.pk.column)} = %s"
    prepared: dict = {}
    rows = []
    for pk, value in values.items():
        key = _key(value)
        found = prepared.get(key, _MISSING)
        if found is _MISSING:
            found = prepared[key] = model_field.get_db_prep_save(value, connection)
        rows.append((found, pk))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), WRITE_CHUNK):
            cursor.executemany(sql, rows[start:start + WRITE_CHUNK])


def _key(value: Any) -> Any:
    """A hashable key that tells apart values ``==`` would mix up (1, True and Decimal('1'); lists)."""
    kind = type(value)
    if kind is list or kind is dict:
        return ("json", json.dumps(value, sort_keys=True, default=str) if value else repr(value))
    return (kind, value)
