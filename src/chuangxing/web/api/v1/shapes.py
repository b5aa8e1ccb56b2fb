"""Model rows as the API writes them (dates ISO 8601, exact numbers as strings)."""

from __future__ import annotations

from decimal import Decimal

from chuangxing.assessments.models import Assessment, Cycle, State


def exact(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def cycle_summary(cycle: Cycle) -> dict:
    return {"id": cycle.pk, "name": cycle.name, "root": cycle.root.name, "rubric_id": cycle.rubric_id,
            "period_start": cycle.period_start.isoformat(), "period_end": cycle.period_end.isoformat(),
            "self_assessment_due": cycle.self_assessment_due.isoformat() if cycle.self_assessment_due else None,
            "status": cycle.status}


def assessment_summary(a: Assessment) -> dict:
    parent = a.branch.parent
    return {"id": a.pk, "cycle": a.cycle_id, "branch": a.branch.name, "branch_id": a.branch_id,
            "committee": parent.name if parent else None, "state": a.state, "state_label": State(a.state).label,
            "version": a.version, "self_total": exact(a.self_total), "reviewed_total": exact(a.reviewed_total),
            "inspected_total": exact(a.inspected_total)}
