"""Services of the assessment cycle: plain functions with keyword-only arguments.

>>> cycle = open_cycle(name="2026年度达标创星", root=city, rubric_id="zhenjiang-2018",
...                    period_start=date(2025, 12, 16), period_end=date(2026, 12, 15), by=admin)
>>> a = save_findings(assessment=a, stage="self", values={"zj-org-1-a": {"value": 1}}, version=a.version, by=secretary)
>>> a = transition(assessment=a, action="submit", by=secretary)
>>> sheet_of(a, stage="review").total

Every write checks the role (scoped to the organization subtree), the state, the deadline and the
version the caller read (a stale version is an :class:`EditConflict`: nothing is lost silently),
and leaves an :class:`AuditEntry` with the old and new values and the reason.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import transaction
from django.db.models import F
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
from chuangxing.assessments.workflow import EDITABLE, DeadlinePassed, EditConflict, IllegalTransition, move_for
from chuangxing.orgs.models import Organization
from chuangxing.rubric import library, yamlio
from chuangxing.rubric.loader import _apply_extends, check_text
from chuangxing.rubric.problems import Report, RubricInvalid
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring import score
from chuangxing.scoring.findings import parse_findings
from chuangxing.scoring.sheet import ScoreSheet

STAGE_ORDER = {"self": (Stage.SELF,), "review": (Stage.SELF, Stage.REVIEW),
               "inspection": (Stage.SELF, Stage.REVIEW, Stage.INSPECTION)}


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
@transaction.atomic
def open_cycle(*, name: str, root: Organization, rubric_id: str, period_start: date, period_end: date, by,
               variants: Mapping[str, list[str]] | None = None, parameters: Mapping[str, Any] | None = None,
               **settings: Any) -> Cycle:
    """Open a cycle over ``root``'s branches: pin the rubric(s), create the assessments, compute facts.

    ``variants`` maps another rubric id of the same standard to the units it applies to (a branch
    whose ``unit`` or name contains one of them is scored with that variant).
    """
    permissions.require(by, permissions.Role.ADMIN, root)
    if period_end < period_start:
        raise IllegalTransition("考评期结束日早于开始日", "period ends before it starts")
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
    audit(by=by, action="open_cycle", target=f"cycle:{cycle.pk}", new={"branches": len(branches), "rubric": rubric_id})
    return cycle


def _variant_for(branch: Organization, default: str, variants: Mapping[str, list[str]] | None) -> str:
    for rubric_id, units in (variants or {}).items():
        if any(unit and (unit in branch.unit or unit in branch.name) for unit in units):
            return rubric_id
    return default


def refresh_facts(*, cycle: Cycle) -> int:
    """Compute every fact the cycle's rubrics use, for all its branches at once; keep overrides."""
    from chuangxing.facts.binding import rubric_fact_names
    from chuangxing.facts.compute import compute_facts

    names: set[str] = set()
    for snap in cycle.snapshots.all():
        names |= rubric_fact_names(_rubric_from(snap.sha256, snap.source, json.dumps(cycle.parameters, sort_keys=True)))
    assessments = dict(cycle.assessments.values_list("branch_id", "id"))
    values = compute_facts(branches=Organization.objects.filter(pk__in=assessments), start=cycle.period_start,
                           end=cycle.period_end, names=names)
    existing = {(fv.assessment_id, fv.name): fv for fv in FactValue.objects.filter(assessment__cycle=cycle)}
    new, changed = [], []
    for branch_id, facts in values.items():
        for fact, value in facts.items():
            key = (assessments[branch_id], fact)
            stored = to_stored(value)
            if key in existing:
                if existing[key].computed != stored:
                    existing[key].computed = stored
                    changed.append(existing[key])
            else:
                new.append(FactValue(assessment_id=key[0], name=fact, computed=stored))
    FactValue.objects.bulk_create(new, batch_size=5000)
    FactValue.objects.bulk_update(changed, ["computed"], batch_size=5000)
    return len(new) + len(changed)


# -- findings ----------------------------------------------------------------------------------
def findings_data(assessment: Assessment, *, stage: str = "review") -> dict:
    """The findings of ``assessment`` as the engine takes them: facts, then each stage's inputs in order."""
    inputs: dict[str, Any] = {}
    rows = {(f.stage, f.rule_id): f.value for f in assessment.findings.all()}
    for layer in STAGE_ORDER[stage]:
        inputs.update({rule: value for (s, rule), value in rows.items() if s == layer})
    facts = {fv.name: fv.value for fv in assessment.facts.all() if fv.value is not None}
    return {"branch": assessment.branch.name, "facts": facts, "inputs": inputs,
            "fraud": list(assessment.fraud_flags) if stage != "self" else [], "process": dict(assessment.process)}


def sheet_of(assessment: Assessment, *, stage: str = "review") -> ScoreSheet:
    return score(rubric_of(assessment), findings_data(assessment, stage=stage))


@transaction.atomic
def save_findings(*, assessment: Assessment, stage: str, values: Mapping[str, Mapping[str, Any]], version: int,
                  by, now=None) -> Assessment:
    """Save rule inputs at ``stage``: {rule_id: {"value": ..., "reason": "..."}}; a value of None clears one.

    Refused as a whole (nothing written) when the role, the state, the deadline or any value does
    not fit; a stale ``version`` raises :class:`EditConflict`.
    """
    states, roles = EDITABLE[stage]
    permissions.require(by, roles, assessment.branch, assessment=assessment)
    _check_editable(assessment, stage, states, now=now)
    rubric = rubric_of(assessment)
    current = {f.rule_id: f for f in assessment.findings.filter(stage=stage)}
    proposed = {rule: f.value for rule, f in current.items()}
    for rule_id, change in values.items():
        if change.get("value") is None:
            proposed.pop(rule_id, None)
        else:
            proposed[rule_id] = to_stored(change["value"])
        if stage != Stage.SELF and not str(change.get("reason") or "").strip():
            raise IllegalTransition(f"审核或抽验调整规则 {rule_id} 须写明理由", f"{rule_id}: adjustment needs a reason")
    trial = findings_data(assessment, stage=stage)
    trial["inputs"].update(proposed)
    for rule_id in values:
        if rule_id not in proposed:
            trial["inputs"].pop(rule_id, None)
    parse_findings(rubric, trial)       # raises FindingsInvalid naming every bad rule; nothing written yet
    _bump_version(assessment, version)
    for rule_id, change in values.items():
        old = current.get(rule_id)
        new_value = proposed.get(rule_id)
        if old is not None and new_value is None:
            old.delete()
        elif new_value is not None:
            Finding.objects.update_or_create(assessment=assessment, stage=stage, rule_id=rule_id,
                                             defaults={"value": new_value, "reason": change.get("reason") or "",
                                                       "updated_by": by})
        if (old.value if old else None) != new_value:
            audit(by=by, action=f"finding_{stage}", assessment=assessment, target=f"finding:{rule_id}@{stage}",
                  old=old.value if old else None, new=new_value, reason=change.get("reason") or "")
    assessment.refresh_from_db()
    _store_total(assessment, stage)
    return assessment


def _check_editable(assessment: Assessment, stage: str, states: tuple, *, now=None) -> None:
    if assessment.state not in states:
        raise IllegalTransition(f"当前状态为“{State(assessment.state).label}”，不能修改{Stage(stage).label}数据",
                                f"{stage} findings are not editable in {assessment.state}")
    if stage == Stage.SELF:
        _check_deadline(assessment, now=now)


def _check_deadline(assessment: Assessment, *, now=None) -> None:
    due = assessment.cycle.self_assessment_due
    if due is not None and (now or timezone.now()) > due and assessment.reopened_by_id is None:
        raise DeadlinePassed("自评已过截止时间，须由管理员重新开放", "self-assessment deadline passed")


def _bump_version(assessment: Assessment, version: int) -> None:
    updated = Assessment.objects.filter(pk=assessment.pk, version=version).update(version=F("version") + 1)
    if not updated:
        raise EditConflict("其他人已在您打开之后保存了这份考评，请刷新后再修改（您的修改未保存）",
                           f"assessment {assessment.pk} changed since version {version}")


def _store_total(assessment: Assessment, stage: str) -> None:
    field = {"self": "self_total", "review": "reviewed_total", "inspection": "inspected_total"}[stage]
    total = sheet_of(assessment, stage=stage).total
    Assessment.objects.filter(pk=assessment.pk).update(**{field: total})
    setattr(assessment, field, total)


# -- facts overridden by a person --------------------------------------------------------------
@transaction.atomic
def override_fact(*, assessment: Assessment, name: str, value: Any, reason: str, version: int, by) -> FactValue:
    if not reason.strip():
        raise IllegalTransition(f"修改事实 {name} 须写明理由", "a fact override needs a reason")
    stage = Stage.SELF if assessment.state in (State.DRAFT, State.RETURNED) else Stage.REVIEW
    states, roles = EDITABLE[stage]
    permissions.require(by, roles, assessment.branch, assessment=assessment)
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
@transaction.atomic
def transition(*, assessment: Assessment, action: str, by, reason: str = "", version: int | None = None,
               now=None) -> Assessment:
    move = move_for(action, assessment.state)
    permissions.require(by, move.roles, assessment.branch, assessment=assessment)
    if move.needs_reason and not reason.strip():
        raise IllegalTransition(f"“{move.label}”须写明理由", f"{action} needs a reason")
    if action == "submit":
        _check_deadline(assessment, now=now)
        sheet = score(rubric_of(assessment), findings_data(assessment, stage="self"), complete=True)
        assessment.self_total, assessment.submitted_at = sheet.total, now or timezone.now()
    if action == "self_assess":
        score(rubric_of(assessment), findings_data(assessment, stage="self"), complete=True)
    old = assessment.state
    if version is not None:
        _bump_version(assessment, version)
        assessment.version = version + 1
    else:
        Assessment.objects.filter(pk=assessment.pk).update(version=F("version") + 1)
        assessment.version += 1
    assessment.state = move.target
    assessment.save(update_fields=["state", "self_total", "submitted_at", "updated_at"])
    audit(by=by, action=action, assessment=assessment, target="state", old=old, new=move.target, reason=reason)
    return assessment


@transaction.atomic
def reopen(*, assessment: Assessment, by, reason: str) -> Assessment:
    """Let a branch submit after the deadline (an admin's decision, recorded)."""
    permissions.require(by, (permissions.Role.ADMIN,), assessment.branch, assessment=assessment)
    if not reason.strip():
        raise IllegalTransition("重新开放须写明理由", "reopening needs a reason")
    assessment.reopened_by = by
    assessment.save(update_fields=["reopened_by", "updated_at"])
    audit(by=by, action="reopen", assessment=assessment, target="deadline", reason=reason)
    return assessment


def audit(*, by, action: str, target: str = "", assessment: Assessment | None = None, old: Any = None,
          new: Any = None, reason: str = "", denied: bool = False) -> AuditEntry:
    actor = by if getattr(by, "is_authenticated", False) else None
    return AuditEntry.objects.create(actor=actor, action=action, assessment=assessment, target=target,
                                     old=to_stored(old), new=to_stored(new), reason=reason, denied=denied)
