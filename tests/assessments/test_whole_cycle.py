"""A whole cycle is selected by the cycle, never by a list of every id: a province's 260,000 ids as bound
parameters is a query SQLite refuses ("too many SQL variables") and PostgreSQL's protocol cannot carry (65,535).

Each check runs a path over a city of 12 branches and one of 1,200, and compares the most parameters any one
statement was given: it must not grow with the city. (Writes of many rows are left out, an INSERT and
``bulk_update``'s ``UPDATE … CASE WHEN``: Django splits those into batches sized for the database.)
"""

from __future__ import annotations

from contextlib import contextmanager
from datetime import date

import pytest
from django.db import connection
from django.db.models import CharField, Value
from django.db.models.functions import Cast, Concat, LPad
from django.test.utils import CaptureQueriesContext

from chuangxing.assessments.models import Assessment, FactValue, Finding, Role, Stage, State
from chuangxing.assessments.services import (
    REFRESH_CHUNK,
    open_cycle,
    refresh_branch_facts,
    refresh_facts,
    rubric_of,
    sheet_of,
    to_stored,
)
from chuangxing.orgs.models import BranchType, Organization, OrgKind
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.web import cycle_stats

from .conftest import make_user

pytestmark = pytest.mark.django_db


@contextmanager
def most_parameters():
    """Yields a list that ends up holding the largest number of parameters one statement (or one row of an
    ``executemany``) was given, batched writes aside."""
    seen = [0]

    def count(execute, sql, params, many, context):
        batched = sql.lstrip().upper().startswith("INSERT") or "CASE WHEN (" in sql.upper()
        if not batched:
            rows = params if many else [params]
            seen[0] = max([seen[0], *(len(row or ()) for row in rows)])
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        yield seen


def city(branches: int, code: str) -> tuple[Organization, object]:
    """A 工委 with two 党委 and ``branches`` branches under them, the branches written in one bulk insert."""
    root = Organization.objects.create(code=f"{code}-root", name="市直机关工委", kind=OrgKind.WORK_COMMITTEE)
    committees = [Organization.objects.create(code=f"{code}-c{i}", name=f"第{i}党委", kind=OrgKind.PARTY_COMMITTEE,
                                              parent=root) for i in range(2)]
    Organization.objects.bulk_create(
        [Organization(code=f"{code}-b{i}", name=f"第{i}支部", kind=OrgKind.BRANCH, branch_type=BranchType.ORGAN,
                      parent=committees[i % 2]) for i in range(branches)], batch_size=500)
    for committee in committees:
        Organization.objects.filter(parent=committee).update(
            path=Concat(Value(committee.path), LPad(Cast("id", CharField()), 6, Value("0")), Value("/"),
                        output_field=CharField()),
            depth=committee.depth + 1)
    return root, make_user(f"{code}-admin", (Role.ADMIN, root))


def opened(branches: int, code: str):
    root, admin = city(branches, code)
    with most_parameters() as seen:
        cycle = open_cycle(name=f"{code}年度", root=root, rubric_id="zhenjiang-2018", period_start=date(2026, 1, 1),
                           period_end=date(2026, 12, 31), by=admin)
    assert cycle.assessments.count() == branches
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")       # after a bulk load, as a deployment's autovacuum would: else the planner
    return cycle, seen[0]                   # takes these tables for empty and this test's own updates go quadratic


def test_opening_a_cycle_passes_no_list_of_its_branches():
    _, small = opened(12, "s")
    _, large = opened(1200, "l")
    assert large == small, (small, large)


def test_refreshing_a_whole_cycle_and_its_dashboard_pass_no_list_of_its_assessments():
    figures = {}
    for branches, code in ((12, "s"), (1200, "l")):
        cycle, _ = opened(branches, code)
        Assessment.objects.filter(cycle=cycle).update(self_total=0)      # every total to keep current
        FactValue.objects.filter(assessment__cycle=cycle).update(computed="stale")     # every fact changes
        with most_parameters() as seen:
            refresh_facts(cycle=cycle)
            board = cycle_stats.short_board(cycle)
        assert board and board[0]["branches"] == branches
        assert not Assessment.objects.filter(cycle=cycle, self_total=0).exists()        # re-scored and stored
        figures[branches] = seen[0]
    assert figures[1200] == figures[12], figures


# -- refreshing facts re-scores the changed assessments together ----------------------------------------------
def refreshed(branches: int, code: str) -> tuple[object, int]:
    """A cycle whose every assessment has a self-assessment (some findings, one fraud flag: the branch's own total
    ignores it) and one fact gone stale; refreshed: (the cycle, the queries the refresh took)."""
    cycle, _ = opened(branches, code)
    assessments = list(cycle.assessments.select_related("cycle", "branch", "snapshot").order_by("pk"))
    rubric = rubric_of(assessments[0])
    owned = [(r, owner) for r, owner in rubric.rules() if owner != "vetoes" and r.ideal_input() is not None][:12]
    rules = [r for r, _ in owned]
    Finding.objects.bulk_create([Finding(assessment=a, stage=Stage.SELF, rule_id=rule.id,
                                         value=to_stored(rule.ideal_input()))
                                 for j, a in enumerate(assessments) for rule in rules[:j % len(rules) + 1]])
    Assessment.objects.filter(pk=assessments[-1].pk).update(fraud_flags=[{"target": owned[0][1], "reason": "不实"}])
    Assessment.objects.filter(cycle=cycle).update(self_total=0, state=State.SELF_ASSESSED)
    stale = FactValue.objects.filter(assessment__cycle=cycle).order_by("name").values_list("name", flat=True).first()
    FactValue.objects.filter(assessment__cycle=cycle, name=stale).update(computed="stale")   # one fact per branch
    with CaptureQueriesContext(connection) as queries:
        moved = refresh_facts(cycle=cycle)
    assert len(moved) == branches
    return cycle, len(queries)


def test_refreshed_totals_are_the_engines_in_as_many_queries_for_60_branches_as_for_6():
    _, few = refreshed(6, "s")
    cycle, many = refreshed(60, "l")
    assert many == few, (few, many)
    for a in cycle.assessments.select_related("cycle", "branch", "snapshot"):
        assert a.self_total == sheet_of(a, stage="self").total, a.branch.name
    flagged = cycle.assessments.select_related("cycle", "branch", "snapshot").exclude(fraud_flags=[]).get()
    with pytest.raises(FindingsInvalid):       # read from the review on (and this rubric has no fraud rule): not here
        sheet_of(flagged, stage="review")


def test_records_of_a_whole_city_refresh_in_chunks_of_branches():
    """An import that touches every branch announces every branch: they are refreshed a chunk at a time."""
    figures = {}
    for branches, code in ((12, "s"), (1200, "l")):
        cycle, _ = opened(branches, code)
        FactValue.objects.filter(assessment__cycle=cycle).update(computed="stale")
        ids = list(cycle.assessments.values_list("branch_id", flat=True))
        with most_parameters() as seen:
            moved = refresh_branch_facts(branches=ids)
        assert len(moved) == branches
        assert not FactValue.objects.filter(assessment__cycle=cycle, computed="stale").exists()
        figures[branches] = seen[0]
    assert REFRESH_CHUNK <= 500 and figures[1200] <= 500 + figures[12], figures
