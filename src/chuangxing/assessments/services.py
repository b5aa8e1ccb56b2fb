"""Services of the assessment cycle: plain functions with keyword-only arguments.

>>> cycle = open_cycle(name="2026年度达标创星", root=city, rubric_id="zhenjiang-2018",
...                    period_start=date(2025, 12, 16), period_end=date(2026, 12, 15), by=admin)
>>> a = save_findings(assessment=a, stage="self", values={"zj-org-1-a": {"value": 1}}, version=a.version, by=secretary)
>>> a = transition(assessment=a, action="submit", by=secretary)
>>> sheet_of(a, stage="review").total

Every service first checks that the user may read the assessment at all (``permissions.ensure_visible``:
a secretary their own branch, a reviewer its subtree, an inspector the sampled ones), then the role
(scoped to the organization subtree; nobody reviews the branch they are secretary of), the state,
the deadline and the version the caller read (a stale version is an :class:`EditConflict`: nothing
is lost silently), and leaves an :class:`AuditEntry` with the old and new values and the reason.
Refusals are audited too (``denied=True``), and that entry outlives the rolled-back transaction
(:func:`service`).

More services: ``evidence`` (files per indicator), ``sheets`` (the self-assessment pre-filled, review
side by side, the gap report).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache, wraps
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from chuangxing.assessments import permissions
from chuangxing.assessments.models import (
    Assessment,
    AuditEntry,
    Cycle,
    CycleStatus,
    FactValue,
    Finding,
    RubricSnapshot,
    Stage,
    State,
)
from chuangxing.assessments.workflow import (
    EDITABLE,
    RATED,
    DeadlinePassed,
    EditConflict,
    IllegalTransition,
    NotAllowed,
    Refused,
    actions_from,
    move_for,
)
from chuangxing.facts.catalogue import fact_units
from chuangxing.orgs.models import Organization
from chuangxing.rubric import library, yamlio
from chuangxing.rubric.loader import _apply_extends, check_text
from chuangxing.rubric.problems import Report, RubricInvalid
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring import score
from chuangxing.scoring.errors import FindingError, FindingsInvalid
from chuangxing.scoring.findings import parse_findings
from chuangxing.scoring.limits import MAX_TOTAL, fits_total
from chuangxing.scoring.points import fmt
from chuangxing.scoring.sheet import ScoreSheet

# The cycles whose data the running service changed (one set per outermost service call, per thread).
_CHANGED: ContextVar[set[int] | None] = ContextVar("chuangxing_changed_cycles", default=None)


def service(func: Callable) -> Callable:
    """``transaction.atomic`` for a service, keeping the audit entry of a refusal.

    A refusal inside the transaction (``permissions.require``) writes its audit entry, then the
    error rolls the transaction back, entry included; this writes it again outside.

    The cycles whose data the service changed (:func:`cycle_changed`) are counted
    (:meth:`Cycle.data_changed`) as the transaction's last writes: every writer of a cycle updates
    its row, which stays locked until the commit, so counting first made every save of the city wait
    for the others' whole transactions (findings, audit, scoring the new total).
    """

    @wraps(func)
    def counted(*args, **kwargs):
        if _CHANGED.get() is not None:          # inside another service: it counts at its end
            return func(*args, **kwargs)
        token = _CHANGED.set(set())
        try:
            result = func(*args, **kwargs)
            for pk in sorted(_CHANGED.get()):
                Cycle.data_changed(pk)
            return result
        finally:
            _CHANGED.reset(token)

    atomic = transaction.atomic(counted)

    @wraps(func)
    def run(*args, **kwargs):
        try:
            return atomic(*args, **kwargs)
        except NotAllowed as exc:
            entry = getattr(exc, "audit_entry", None)
            broken = transaction.get_connection().needs_rollback     # inside a caller's atomic(savepoint=False)
            if entry is not None and not broken and not AuditEntry.objects.filter(pk=entry.pk).exists():
                exc.audit_entry = AuditEntry.objects.create(
                    actor_id=entry.actor_id, action=entry.action, assessment_id=entry.assessment_id, target=entry.target,
                    old=entry.old, new=entry.new, reason=entry.reason, denied=entry.denied)
            raise

    return run


def cycle_changed(cycle_id: int) -> None:
    """Count a change of the cycle's data (``Cycle.data_changed``): at the end of the running service, or now
    outside one. Every service calls this, never ``Cycle.data_changed`` itself."""
    changed = _CHANGED.get()
    if changed is None:
        Cycle.data_changed(cycle_id)
    else:
        changed.add(cycle_id)


STAGE_ORDER = {"self": (Stage.SELF,), "review": (Stage.SELF, Stage.REVIEW),
               "inspection": (Stage.SELF, Stage.REVIEW, Stage.INSPECTION)}
EARLIER_STAGE = {"review": "self", "inspection": "review"}       # what a stage's cleared finding falls back to


# -- values as stored: exact numbers travel as text through JSON ------------------------------
def to_stored(value: Any) -> Any:
    """Decimals (and any float that slipped in) become text, so JSON columns never round points."""
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, Mapping):
        return {str(k): to_stored(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_stored(v) for v in value]
    return value


NUMBER_UNITS = frozenset({"percent", "number"})


def fact_from_stored(value: Any, unit: str | None) -> Any:
    """A fact as stored → as the engine compares it: a percent or number fact stored as text is a Decimal
    again (``funds_per_member < 100`` must not compare text with a number)."""
    if isinstance(value, str) and unit in NUMBER_UNITS:
        try:
            return Decimal(value)
        except InvalidOperation:
            return value
    return value


# -- rubrics pinned by cycles -----------------------------------------------------------------
def snapshot_source(rubric_id: str) -> str:
    """The library rubric with ``extends`` resolved, as one self-contained document (JSON is YAML)."""
    path = library.path_of(rubric_id)
    if path is None:
        raise KeyError(rubric_id)
    raw = _apply_extends(yamlio.parse_yaml(path.read_text(encoding="utf-8"), source=str(path)), Report(rubric_id))
    raw.pop("extends", None)
    return yamlio.dumps_json(raw)


@lru_cache(maxsize=32)
def _rubric_from(sha256: str, source: str, parameters_json: str) -> Rubric:
    report, rubric = check_text(source, source=f"snapshot {sha256[:12]}", parameters=json.loads(parameters_json),
                                run_examples=False)
    if rubric is None:
        raise RubricInvalid(report)
    return rubric


def rubric_of(assessment: Assessment) -> Rubric:
    snap = assessment.snapshot
    return _rubric_from(snap.sha256, snap.source, json.dumps(assessment.cycle.parameters, sort_keys=True))


# -- opening a cycle ---------------------------------------------------------------------------
@service
def open_cycle(*, name: str, root: Organization, rubric_id: str, period_start: date, period_end: date, by,
               variants: Mapping[str, list[str]] | None = None, parameters: Mapping[str, Any] | None = None,
               duplicate_reason: str = "", **settings: Any) -> Cycle:
    """Open a cycle over ``root``'s branches: pin the rubric(s), create the assessments, compute facts.

    ``variants`` maps another rubric id of the same standard to the units it applies to (a branch
    whose ``unit`` or name contains one of them is scored with that variant). A second cycle over the
    same root for the same year (:func:`same_year_cycles`) is refused (``duplicate_cycle``) unless
    ``duplicate_reason`` says why; the reason is kept in the audit entry.
    """
    permissions.require(by, permissions.Role.ADMIN, root)
    if period_end < period_start:
        raise IllegalTransition("考评期结束日早于开始日", "period ends before it starts")
    others = list(same_year_cycles(root, period_start, period_end).values_list("pk", "name"))
    if others and not duplicate_reason.strip():
        names = "、".join(f"“{n}”" for _, n in others[:3])
        raise Refused("duplicate_cycle", f"“{root.name}”在同一年度已有考评周期{names}；如确需再开一个，请写明理由",
                      f"root {root.pk} already has cycles {[pk for pk, _ in others]} for this year")
    cycle = Cycle.objects.create(name=name, root=root, rubric_id=rubric_id, period_start=period_start,
                                 period_end=period_end, parameters=to_stored(dict(parameters or {})),
                                 status=CycleStatus.OPEN, **settings)
    snapshots = {}
    for rid in [rubric_id, *(variants or {})]:
        rubric = library.load(rid)
        snapshots[rid] = RubricSnapshot.objects.create(cycle=cycle, rubric_id=rid, version=rubric.version,
                                                       source=snapshot_source(rid))
    branches = list(Organization.objects.subtree(root).branches().only("id", "name", "unit"))
    assessments = [Assessment(cycle=cycle, branch=b, snapshot=snapshots[_variant_for(b, rubric_id, variants)])
                   for b in branches]
    Assessment.objects.bulk_create(assessments, batch_size=2000)
    refresh_facts(cycle=cycle)
    new = {"branches": len(branches), "rubric": rubric_id, **({"same_year": [pk for pk, _ in others]} if others else {})}
    audit(by=by, action="open_cycle", target=f"cycle:{cycle.pk}", new=new,
          reason=duplicate_reason.strip() if others else "")
    return cycle


def same_year_cycles(root: Organization, period_start: date, period_end: date):
    """The cycles over ``root`` (not cancelled) whose period overlaps this one or ends in the same year."""
    overlap = Q(period_start__lte=period_end, period_end__gte=period_start)
    return (Cycle.objects.filter(root=root).exclude(status=CycleStatus.CANCELLED)
            .filter(overlap | Q(period_end__year=period_end.year)).order_by("period_start", "pk"))


@service
def cancel_cycle(*, cycle: Cycle, reason: str, by) -> Cycle:
    """取消 a cycle opened by mistake (or twice): its assessments stay as they are, read-only, and nothing
    more can be done in it. Needs a reason (audited); a finalized (已结束) cycle cannot be cancelled.

    >>> cancel_cycle(cycle=cycle, reason="重复开启", by=admin).status
    'cancelled'
    """
    permissions.require(by, permissions.Role.ADMIN, cycle.root)
    if not reason.strip():
        raise Refused("empty_reason", "取消考评周期须写明理由", "cancelling a cycle needs a reason")
    old = Cycle.objects.select_for_update().values_list("status", flat=True).get(pk=cycle.pk)
    rated = cycle.assessments.filter(state__in=RATED).exists()
    if old == CycleStatus.CLOSED or rated:
        raise Refused("cycle_finalized", "考评周期已有党支部评定，不能取消", "cycle has rated assessments")
    if old == CycleStatus.CANCELLED:
        raise Refused("cycle_cancelled", "考评周期已取消", "cycle is already cancelled")
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.CANCELLED)
    cycle.status = CycleStatus.CANCELLED
    cycle_changed(cycle.pk)
    audit(by=by, action="cancel_cycle", target=f"cycle:{cycle.pk}", old=old, new=CycleStatus.CANCELLED.value,
          reason=reason.strip())
    return cycle


def check_cycle_live(cycle: Cycle) -> None:
    """Refuse any change in a cancelled cycle (``cycle_cancelled``); read from the database, not the object
    in hand, which may have been read before the cycle was cancelled."""
    if Cycle.objects.filter(pk=cycle.pk, status=CycleStatus.CANCELLED).exists():
        raise Refused("cycle_cancelled", f"考评周期“{cycle.name}”已取消，不能再修改", f"cycle {cycle.pk} is cancelled")


def _variant_for(branch: Organization, default: str, variants: Mapping[str, list[str]] | None) -> str:
    for rubric_id, units in (variants or {}).items():
        if any(unit and (unit in branch.unit or unit in branch.name) for unit in units):
            return rubric_id
    return default


# The states in which an assessment's facts follow its branch's records: the self-assessment is still the
# branch's to edit (or to take back and edit). From submission on, the facts stay as submitted: the reviewer
# judges what the branch put its name to, and corrects a fact by overriding it, with a reason.
FACTS_FOLLOW_RECORDS = (State.DRAFT, State.SELF_ASSESSED, State.RETURNED)


@transaction.atomic
def refresh_facts(*, cycle: Cycle, branches: Any = None) -> set[int]:
    """Compute the facts the cycle's rubrics use from the records, for every branch at once or only ``branches``
    (a queryset of organizations, or ids); store them as ``FactValue.computed`` and keep every override.

    >>> refresh_facts(cycle=cycle)                                  # at opening: the whole cycle, set-based
    >>> refresh_facts(cycle=cycle, branches=[a1.pk])                # a1's records changed
    {1042}

    Only assessments in :data:`FACTS_FOLLOW_RECORDS` (draft, self-assessed, returned) are refreshed; a
    submitted one keeps the facts it was submitted with. Their rows are locked first (``SELECT … FOR
    UPDATE``), so two refreshes of one branch run one after the other and the later one computes from
    both changes: a fact never goes back to a value read before another edit committed. A refreshed
    assessment with a self-assessment total keeps it current (the stored ``self_total`` follows the
    facts). ``Assessment.version`` is not bumped: the facts are not part of the findings form, so a
    secretary saving findings read before the refresh loses nothing (the page scores with the new facts).

    Returns the ids of the assessments whose facts changed (or were computed for the first time).
    """
    from chuangxing.facts.binding import rubric_fact_names
    from chuangxing.facts.compute import compute_facts

    names: set[str] = set()
    for snap in cycle.snapshots.all():
        names |= rubric_fact_names(_rubric_from(snap.sha256, snap.source, json.dumps(cycle.parameters, sort_keys=True)))
    following = Assessment.objects.filter(cycle=cycle, state__in=FACTS_FOLLOW_RECORDS)
    if branches is not None:
        following = following.filter(branch__in=branches)
    assessments = dict(following.select_for_update(of=("self",)).order_by("pk").values_list("branch_id", "id"))
    if not assessments:
        return set()
    values = compute_facts(branches=Organization.objects.filter(pk__in=following.values("branch_id")),
                           start=cycle.period_start,
                           end=cycle.period_end, names=names)
    stored = FactValue.objects.filter(assessment__in=following)
    existing = {(fv.assessment_id, fv.name): fv for fv in stored.only("id", "assessment_id", "name", "computed")}
    new, changed = [], []
    for branch_id, facts in values.items():
        for fact, value in facts.items():
            key = (assessments[branch_id], fact)
            stored_value = to_stored(value)
            if key in existing:
                if existing[key].computed != stored_value:
                    existing[key].computed = stored_value
                    changed.append(existing[key])
            else:
                new.append(FactValue(assessment_id=key[0], name=fact, computed=stored_value))
    FactValue.objects.bulk_create(new, batch_size=5000)
    FactValue.objects.bulk_update(changed, ["computed"], batch_size=5000)
    moved = {fv.assessment_id for fv in new} | {fv.assessment_id for fv in changed}
    if moved:
        cycle_changed(cycle.pk)
        _store_self_totals(cycle, following.filter(self_total__isnull=False), moved)
    return moved


def _store_self_totals(cycle: Cycle, totalled: Any, moved: set[int]) -> None:
    """Keep the self-assessment total of every assessment in ``moved`` that has one current with its new facts.

    ``totalled``: the refreshed assessments that have a total (a queryset, kept as a subquery: a whole cycle's ids
    never travel as parameters). Scored together by the batch engine (:func:`~chuangxing.assessments.bulk.
    score_assessments`, the same numbers as the engine), the totals that changed written with one statement per
    chunk. Findings that do not score, or a total the column cannot hold, are scored one by one as before, so the
    refresh is refused with the same error and nothing of it is written.
    """
    from chuangxing.assessments.bulk import ScoringFailed, score_assessments, update_column

    current = {pk: total for pk, total in totalled.order_by("pk").values_list("id", "self_total").iterator(
        chunk_size=5000) if pk in moved}
    if not current:
        return
    try:
        scored = score_assessments(cycle=cycle, ids=totalled.values("id"), stage="self")
    except ScoringFailed:
        scored = {}
    if set(current) - set(scored) or not all(fits_total(scored[pk].total) for pk in current):
        for assessment in Assessment.objects.filter(pk__in=totalled.values("id")).order_by("pk").select_related(
                "cycle", "branch", "snapshot").iterator(chunk_size=500):
            if assessment.pk in moved:
                _store_total(assessment, Stage.SELF)          # raises, with the engine's words, where one fails
        return
    update_column(Assessment, "self_total", {pk: scored[pk].total for pk, total in current.items()
                                             if scored[pk].total != total})


def refresh_branch_facts(*, branches: Any) -> set[int]:
    """``branches``' records changed: refresh their facts in every open cycle (:func:`refresh_facts`).

    >>> refresh_branch_facts(branches=[meeting.branch_id])

    Called at the end of the transaction that wrote the records (``records.signals.records_changed``),
    so records and facts commit together or not at all.
    """
    ids = list(branches.values_list("pk", flat=True)) if hasattr(branches, "values_list") else list(branches)
    moved: set[int] = set()
    for start in range(0, len(ids), REFRESH_CHUNK):         # an import may touch a whole city: ids go in chunks
        part = ids[start:start + REFRESH_CHUNK]
        cycles = Cycle.objects.filter(status=CycleStatus.OPEN, assessments__branch__in=part,
                                      assessments__state__in=FACTS_FOLLOW_RECORDS).distinct().order_by("pk")
        for cycle in cycles:
            moved |= refresh_facts(cycle=cycle, branches=part)
    return moved


REFRESH_CHUNK = 500     # branch ids per refresh of :func:`refresh_branch_facts`: well under any limit on parameters


@service
def refresh_assessment_facts(*, assessment: Assessment, by) -> bool:
    """从台账刷新: the branch's secretary recomputes this assessment's facts from the records now (after
    records changed some way that does not announce itself, e.g. the organization tree or the admin site).

    >>> refresh_assessment_facts(assessment=a, by=secretary)        # True: some fact changed

    Same rules as the automatic refresh (:func:`refresh_facts`): an open cycle, a state in
    :data:`FACTS_FOLLOW_RECORDS`; overrides stay. Audited.
    """
    _require_role(by, (permissions.Role.SECRETARY,), assessment)
    if assessment.cycle.status != CycleStatus.OPEN:
        raise IllegalTransition(f"考评周期“{assessment.cycle.name}”不在进行中，不能从台账刷新", "the cycle is not open")
    if assessment.state not in FACTS_FOLLOW_RECORDS:
        raise IllegalTransition(f"当前状态为“{State(assessment.state).label}”，事实保持提交时的值，不能从台账刷新",
                                f"facts do not follow the records in {assessment.state}")
    changed = assessment.pk in refresh_facts(cycle=assessment.cycle, branches=[assessment.branch_id])
    audit(by=by, action="refresh_facts", assessment=assessment, target="facts", new={"changed": changed})
    return changed


# -- findings ----------------------------------------------------------------------------------
def findings_data(assessment: Assessment, *, stage: str = "review", findings: list[Finding] | None = None) -> dict:
    """The findings of ``assessment`` as the engine takes them: facts, then each stage's inputs in order.

    ``findings``: the assessment's findings (every stage) already read, e.g. by a save that also needs them."""
    inputs = stage_inputs(assessment.findings.all() if findings is None else findings, stage)
    units = fact_units({name: decl.unit for name, decl in rubric_of(assessment).facts.items()})
    facts = {fv.name: fact_from_stored(fv.value, units.get(fv.name)) for fv in assessment.facts.all()
             if fv.value is not None}
    return {"branch": assessment.branch.name, "facts": facts, "inputs": inputs,
            "fraud": list(assessment.fraud_flags) if stage != "self" else [], "process": dict(assessment.process)}


def stage_inputs(findings: Iterable[Finding], stage: str) -> dict[str, Any]:
    """The inputs in force at ``stage``: each rule's finding of the latest stage up to ``stage`` that has one."""
    inputs: dict[str, Any] = {}
    rows = {(f.stage, f.rule_id): f.value for f in findings}
    for layer in STAGE_ORDER[stage]:
        inputs.update({rule: value for (s, rule), value in rows.items() if s == layer})
    return inputs


def with_changes(data: dict, changes: Mapping[str, Mapping[str, Any]], earlier: Mapping[str, Any]) -> dict:
    """``findings_data``'s ``data`` with ``changes`` made ({rule_id: {"value": ...}}, a copy): a cleared finding falls
    back to ``earlier``, the earlier stages' inputs, else to the rule's fact or nothing."""
    inputs = dict(data["inputs"])
    for rule_id, change in changes.items():
        if change.get("value") is not None:
            inputs[rule_id] = to_stored(change["value"])
        elif rule_id in earlier:
            inputs[rule_id] = earlier[rule_id]
        else:
            inputs.pop(rule_id, None)
    return {**data, "inputs": inputs}


def sheet_of(assessment: Assessment, *, stage: str = "review") -> ScoreSheet:
    return score(rubric_of(assessment), findings_data(assessment, stage=stage))


@service
def save_findings(*, assessment: Assessment, stage: str, values: Mapping[str, Mapping[str, Any]], version: int,
                  by, now=None) -> Assessment:
    """Save rule inputs at ``stage``: {rule_id: {"value": ..., "reason": "..."}}; a value of None clears one.

    Refused as a whole (nothing written) when the role, the state, the deadline or any value does
    not fit; a stale ``version`` raises :class:`EditConflict`.
    """
    if assessment.version != version:       # the caller's copy is not the version it edits: check against the database's
        assessment.refresh_from_db()
    states, roles = EDITABLE[stage]
    _require_role(by, roles, assessment)
    _check_editable(assessment, stage, states, now=now)
    for rule_id, change in values.items():
        if stage != Stage.SELF and not str(change.get("reason") or "").strip():
            raise IllegalTransition(f"审核或抽验调整规则 {rule_id} 须写明理由", f"{rule_id}: adjustment needs a reason")
    _bump_version(assessment, version)      # locks the assessment: what is read below is what the total scores
    rubric = rubric_of(assessment)
    findings = list(assessment.findings.all())
    current = {f.rule_id: f for f in findings if f.stage == stage}
    before = findings_data(assessment, stage=stage, findings=findings)
    in_effect = before["inputs"]        # what each rule read before: this stage's finding, else an earlier stage's
    earlier = stage_inputs(findings, EARLIER_STAGE[stage]) if stage in EARLIER_STAGE else {}
    trial = with_changes(before, values, earlier)
    parsed = parse_findings(rubric, trial)      # raises FindingsInvalid naming every bad rule; rolls the bump back
    sheet = score(rubric, parsed)
    check_total_fits(sheet)                     # before anything is written: a total the column cannot hold is refused
    _write_findings(assessment, stage, values, current, in_effect, by=by)
    assessment.version = version + 1
    _store_total(assessment, stage, total=sheet.total)
    return assessment


def _write_findings(assessment: Assessment, stage: str, values: Mapping[str, Mapping[str, Any]],
                    current: dict[str, Finding], in_effect: dict[str, Any], *, by) -> None:
    """The stage's findings as ``values`` says, in a statement per kind of write, and an audit entry per changed value."""
    now, created, audits = timezone.now(), [], []
    cleared = [current[rule_id].pk for rule_id, change in values.items()
               if change.get("value") is None and rule_id in current]
    if cleared:
        Finding.objects.filter(pk__in=cleared).delete()
    for rule_id, change in values.items():
        old, reason = current.get(rule_id), change.get("reason") or ""
        new_value = None if change.get("value") is None else to_stored(change["value"])
        if old is not None and new_value is not None:
            Finding.objects.filter(pk=old.pk).update(value=new_value, reason=reason, updated_by=by, updated_at=now)
        elif new_value is not None:
            created.append(Finding(assessment=assessment, stage=stage, rule_id=rule_id, value=new_value, reason=reason,
                                   updated_by=by, updated_at=now))
        if (old.value if old else None) != new_value:
            audits.append(_audit_entry(by=by, action=f"finding_{stage}", assessment=assessment,
                                       target=f"finding:{rule_id}@{stage}", old=in_effect.get(rule_id), new=new_value,
                                       reason=reason))
    Finding.objects.bulk_create(created)
    AuditEntry.objects.bulk_create(audits)


def _check_editable(assessment: Assessment, stage: str, states: tuple, *, now=None) -> None:
    if assessment.state not in states:
        raise IllegalTransition(f"当前状态为“{State(assessment.state).label}”，不能修改{Stage(stage).label}数据",
                                f"{stage} findings are not editable in {assessment.state}")
    if stage == Stage.SELF:
        _check_deadline(assessment, now=now)


def _check_deadline(assessment: Assessment, *, now=None) -> None:
    """The deadline binds the first submission: a branch submitted once (and returned) is not late."""
    due = assessment.cycle.self_assessment_due
    if assessment.submitted_at is not None or assessment.reopened_by_id is not None:
        return
    if due is not None and (now or timezone.now()) > due:
        raise DeadlinePassed(f"自评已于{timezone.localtime(due):%Y年%m月%d日 %H:%M}截止，须由管理员重新开放",
                             "self-assessment deadline passed")


def _require_role(by, roles: tuple, assessment: Assessment) -> str:
    """The user may read the assessment, holds one of ``roles`` on its branch, and does not judge their own branch."""
    permissions.ensure_visible(by, assessment)
    role = permissions.require(by, roles, assessment.branch, assessment=assessment)
    if role != permissions.Role.SECRETARY and permissions.is_own_branch(by, assessment.branch):
        raise permissions.refused(by, "不能审核、抽验或评定本人担任书记的党支部",
                                  f"user is the secretary of {assessment.branch_id}", assessment=assessment,
                                  target=f"assessment:{assessment.pk}", needed="independent")
    return role


def _bump_version(assessment: Assessment, version: int) -> None:
    check_cycle_live(assessment.cycle)
    updated = Assessment.objects.filter(pk=assessment.pk, version=version).update(version=F("version") + 1)
    if not updated:
        raise EditConflict("其他人已在您打开之后保存了这份考评，请刷新后再修改（您的修改未保存）",
                           f"assessment {assessment.pk} changed since version {version}")
    cycle_changed(assessment.cycle_id)


def check_total_fits(sheet: ScoreSheet) -> None:
    """Refuse (:class:`FindingsInvalid`, nothing written) a sheet whose total the stored total's column cannot hold
    (``limits.MAX_TOTAL``): stored, it would make every later read of the assessment fail. The message names the
    rule that moved the most points, where the mistake almost always is."""
    if fits_total(sheet.total):
        return
    entries = [e for node in sheet.categories for e in node.trace()] + [e for a in sheet.adjustments for e in a.entries]
    worst = max(entries, key=lambda e: abs(e.points), default=None)
    text = worst.text if worst is None or len(worst.text) <= 30 else worst.text[:30] + "…"
    where = f"；请检查“{text}”：{worst.explanation}" if worst is not None else ""
    raise FindingsInvalid([FindingError(
        "total_out_of_range", f"总分 {fmt(sheet.total)} 超出可保存的范围（绝对值不超过 {fmt(MAX_TOTAL)}）{where}",
        f"total {sheet.total} does not fit the column (|total| <= {MAX_TOTAL})",
        rule=worst.rule if worst is not None else None, path=f"inputs.{worst.rule}" if worst is not None else "")])


def _store_total(assessment: Assessment, stage: str, *, total: Decimal | None = None) -> None:
    """Store the stage's total: ``total`` when the caller scored the findings it wrote, else scored from the database
    (and refused when it does not fit, :func:`check_total_fits`)."""
    field = {"self": "self_total", "review": "reviewed_total", "inspection": "inspected_total"}[stage]
    if total is None:
        sheet = sheet_of(assessment, stage=stage)
        check_total_fits(sheet)
        total = sheet.total
    Assessment.objects.filter(pk=assessment.pk).update(**{field: total})
    setattr(assessment, field, total)


# -- facts overridden by a person --------------------------------------------------------------
@service
def override_fact(*, assessment: Assessment, name: str, value: Any, reason: str, version: int, by) -> FactValue:
    permissions.ensure_visible(by, assessment)
    if not reason.strip():
        raise IllegalTransition(f"修改事实 {name} 须写明理由", "a fact override needs a reason")
    stage = Stage.SELF if assessment.state in (State.DRAFT, State.RETURNED) else Stage.REVIEW
    states, roles = EDITABLE[stage]
    _require_role(by, roles, assessment)
    _check_editable(assessment, stage, states)
    fact, _ = FactValue.objects.get_or_create(assessment=assessment, name=name)
    old = fact.value
    fact.override, fact.override_reason, fact.overridden_by = to_stored(value), reason, by
    trial = findings_data(assessment, stage=stage)
    trial["facts"][name] = fact.override
    parse_findings(rubric_of(assessment), trial)
    _bump_version(assessment, version)
    fact.save()
    audit(by=by, action="override_fact", assessment=assessment, target=f"fact:{name}", old=old, new=fact.override,
          reason=reason)
    _store_total(assessment, stage)
    return fact


# -- moves ---------------------------------------------------------------------------------------
@service
def transition(*, assessment: Assessment, action: str, by, reason: str = "", version: int | None = None,
               now=None) -> Assessment:
    """Make ``action`` (``workflow.MOVES``). Two people moving the same assessment at once: the later
    one gets :class:`EditConflict` (the move is conditional on the state, and the version when given)."""
    permissions.ensure_visible(by, assessment)
    check_cycle_live(assessment.cycle)
    move = move_for(action, assessment.state)
    _require_role(by, move.roles, assessment)
    if move.needs_reason and not reason.strip():
        raise IllegalTransition(f"“{move.label}”须写明理由", f"{action} needs a reason")
    fields = _move_fields(assessment, action, now=now)
    old = assessment.state
    current = Assessment.objects.filter(pk=assessment.pk, state=old)
    if version is not None:
        current = current.filter(version=version)
    if not current.update(version=F("version") + 1, state=move.target, updated_at=timezone.now(), **fields):
        raise EditConflict(f"这份考评已被他人改动（不再是“{State(old).label}”或已保存过），请刷新后再操作",
                           f"assessment {assessment.pk} moved or changed since it was read")
    cycle_changed(assessment.cycle_id)
    assessment.version = Assessment.objects.values_list("version", flat=True).get(pk=assessment.pk)
    assessment.state = move.target
    for name, value in fields.items():
        setattr(assessment, name, value)
    audit(by=by, action=action, assessment=assessment, target="state", old=old, new=move.target, reason=reason)
    return assessment


def _move_fields(assessment: Assessment, action: str, *, now=None) -> dict[str, Any]:
    """What a move writes besides the state: the checks it makes (a complete self-assessment, the
    deadline) and the totals it fixes."""
    if action == "self_assess":
        score(rubric_of(assessment), findings_data(assessment, stage="self"), complete=True)
    if action == "submit":
        _check_deadline(assessment, now=now)
        sheet = score(rubric_of(assessment), findings_data(assessment, stage="self"), complete=True)
        return {"self_total": sheet.total, "submitted_at": now or timezone.now()}
    if action == "approve":
        return {"reviewed_total": sheet_of(assessment, stage="review").total}
    return {}


@service
def reopen(*, assessment: Assessment, by, reason: str) -> Assessment:
    """Let a branch submit after the deadline (an admin's decision, recorded)."""
    _require_role(by, (permissions.Role.ADMIN,), assessment)
    check_cycle_live(assessment.cycle)
    if not reason.strip():
        raise IllegalTransition("重新开放须写明理由", "reopening needs a reason")
    assessment.reopened_by = by
    assessment.save(update_fields=["reopened_by", "updated_at"])
    audit(by=by, action="reopen", assessment=assessment, target="deadline", reason=reason)
    return assessment


# -- reading one assessment, the report, fraud ---------------------------------------------------
def get_assessment(*, pk: Any, by) -> Assessment:
    """The assessment ``pk`` if ``by`` may read it. An unknown id and a forbidden one are the same
    refusal (NotAllowed, audited): guessing ids tells nothing."""
    assessment = Assessment.objects.select_related("cycle", "branch", "snapshot").filter(pk=pk).first() \
        if str(pk).isdigit() else None
    if assessment is None:
        raise permissions.refused(by, "没有权限查看该党支部的考评", f"no assessment {pk!r} for this user",
                                  target=f"assessment:{str(pk)[:40]}", needed="read")
    permissions.ensure_visible(by, assessment)
    return assessment


@service
def save_report(*, assessment: Assessment, text: str, passed_on: date | None, version: int, by) -> Assessment:
    """The self-assessment report (自评报告) and the day the branch committee passed it; locked on submission."""
    states, roles = EDITABLE[Stage.SELF]
    _require_role(by, roles, assessment)
    _check_editable(assessment, Stage.SELF, states)
    _bump_version(assessment, version)
    old = {"text": assessment.self_report, "passed_on": str(assessment.report_passed_on or "") or None}
    Assessment.objects.filter(pk=assessment.pk).update(self_report=text, report_passed_on=passed_on)
    audit(by=by, action="self_report", assessment=assessment, target="self_report", old=old,
          new={"text": text, "passed_on": str(passed_on) if passed_on else None})
    assessment.refresh_from_db()
    return assessment


# Moves made through another service than ``transition`` (the cycle-wide ones, and those with more to do).
MOVE_SERVICES = {"sample": "sampling.draw_sample", "spot_check": "inspection.complete_inspection",
                 "announce": "publicity.announce", "finalize": "publicity.finalize",
                 "rectify": "lists.open_rectification", "reinspect": "lists.reinspect"}


def allowed_actions(assessment: Assessment, *, by) -> dict:
    """What ``by`` may do with ``assessment`` now: the moves (with the service that makes each) and
    the stages of findings they may edit; for the buttons a page shows. NotAllowed when they may not
    read it at all."""
    permissions.ensure_visible(by, assessment)
    held = permissions.roles_on(by, assessment.branch)
    if permissions.is_own_branch(by, assessment.branch):
        held &= {permissions.Role.SECRETARY.value}
    if assessment.cycle.status == CycleStatus.CANCELLED:
        held = set()                         # a cancelled cycle is read-only: no buttons
    moves = [{"action": m.action, "label": m.label, "target": str(m.target), "needs_reason": m.needs_reason,
              "service": MOVE_SERVICES.get(m.action, "services.transition")}
             for m in actions_from(assessment.state) if held & {str(r) for r in m.roles}]
    edits = [str(stage) for stage, (states, roles) in EDITABLE.items()
             if assessment.state in states and held & {str(r) for r in roles}]
    return {"state": assessment.state, "version": assessment.version, "moves": moves, "edits": edits}


# Who flags fraud in which state: the stage whose findings they may edit there.
FRAUD_STAGES = (Stage.REVIEW, Stage.INSPECTION)


@service
def flag_fraud(*, assessment: Assessment, target: str, reason: str, version: int, by) -> Assessment:
    """弄虚作假: the reviewer (under review) or inspector (sampled) flags an indicator or item; the
    rubric's fraud policy then voids it and deducts double. A rubric without a fraud policy refuses
    it (``FindingsInvalid``, code ``no_fraud_policy``), as does an unknown target or an empty reason.
    Flagging a target again replaces its reason.
    """
    stage = _fraud_stage(assessment, by)
    flag = {"target": str(target), "reason": reason.strip(), "stage": str(stage),
            "by": by.pk, "at": timezone.now().isoformat(timespec="seconds")}
    old = next((f for f in assessment.fraud_flags if f.get("target") == flag["target"]), None)
    flags = [f for f in assessment.fraud_flags if f.get("target") != flag["target"]] + [flag]
    trial = findings_data(assessment, stage=stage)
    trial["fraud"] = flags
    parse_findings(rubric_of(assessment), trial)        # the engine's refusals, before anything is written
    _bump_version(assessment, version)
    Assessment.objects.filter(pk=assessment.pk).update(fraud_flags=flags)
    audit(by=by, action="flag_fraud", assessment=assessment, target=f"fraud:{flag['target']}",
          old=old, new=flag, reason=flag["reason"])
    assessment.refresh_from_db()
    _store_total(assessment, stage)
    return assessment


@service
def withdraw_fraud(*, assessment: Assessment, target: str, reason: str, version: int, by) -> Assessment:
    """Take a fraud flag back (a mistaken flag), with a reason; the same people and states as flagging."""
    stage = _fraud_stage(assessment, by)
    if not reason.strip():
        raise IllegalTransition("撤销弄虚作假认定须写明理由", "withdrawing a fraud flag needs a reason")
    old = next((f for f in assessment.fraud_flags if f.get("target") == target), None)
    if old is None:
        raise IllegalTransition(f"{target} 没有弄虚作假认定，无可撤销", f"no fraud flag on {target}")
    _bump_version(assessment, version)
    flags = [f for f in assessment.fraud_flags if f.get("target") != target]
    Assessment.objects.filter(pk=assessment.pk).update(fraud_flags=flags)
    audit(by=by, action="withdraw_fraud", assessment=assessment, target=f"fraud:{target}", old=old, new=None,
          reason=reason)
    assessment.refresh_from_db()
    _store_total(assessment, stage)
    return assessment


def _fraud_stage(assessment: Assessment, by) -> str:
    permissions.ensure_visible(by, assessment)
    for stage in FRAUD_STAGES:
        states, roles = EDITABLE[stage]
        if assessment.state in states:
            _require_role(by, roles, assessment)
            return stage
    raise IllegalTransition(f"当前状态为“{State(assessment.state).label}”，不能认定弄虚作假（只能在审核中或抽验中）",
                            f"fraud cannot be flagged in {assessment.state}")


def audit(*, by, action: str, target: str = "", assessment: Assessment | None = None, old: Any = None,
          new: Any = None, reason: str = "", denied: bool = False) -> AuditEntry:
    entry = _audit_entry(by=by, action=action, target=target, assessment=assessment, old=old, new=new, reason=reason,
                         denied=denied)
    entry.save()
    return entry


def _audit_entry(*, by, action: str, target: str = "", assessment: Assessment | None = None, old: Any = None,
                 new: Any = None, reason: str = "", denied: bool = False) -> AuditEntry:
    """An audit entry not yet written (``audit`` writes one; a save writes its entries together)."""
    actor = by if getattr(by, "is_authenticated", False) else None
    return AuditEntry(actor=actor, action=action, assessment=assessment, target=target, old=to_stored(old),
                      new=to_stored(new), reason=reason, denied=denied)
