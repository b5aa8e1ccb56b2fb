"""The demo city: deterministic, a consistent tree, records that agree with themselves."""

from __future__ import annotations

import pytest
from django.db.models import Count, F, Q

from chuangxing.demo.city import build_demo_city
from chuangxing.orgs.models import BranchType, Member, Organization, OrgKind
from chuangxing.records.models import Attendance, Dues, Meeting

pytestmark = pytest.mark.django_db


def snapshot() -> list[tuple]:
    return list(Member.objects.order_by("number").values_list("number", "name", "category", "branch__code")[:200])


def test_the_same_seed_builds_the_same_city():
    first = build_demo_city(branches=40, seed=11, year=2026)
    before = snapshot()
    Attendance.objects.all().delete()
    Dues.objects.all().delete()
    Meeting.objects.all().delete()
    Member.objects.all().delete()
    _delete_tree()
    second = build_demo_city(branches=40, seed=11, year=2026)
    assert first.rows == second.rows
    assert [row[:3] for row in snapshot()] == [row[:3] for row in before]


def _delete_tree() -> None:
    from chuangxing.orgs.models import CommitteeTerm

    CommitteeTerm.objects.all().delete()
    for depth in range(5, -1, -1):
        Organization.objects.filter(depth=depth).delete()


def test_the_tree_is_consistent_and_every_branch_type_appears():
    stats = build_demo_city(branches=120, seed=3, year=2026)
    assert stats.branches == Organization.objects.branches().count() == 120
    root = Organization.objects.get(depth=0)
    assert root.kind == OrgKind.WORK_COMMITTEE
    assert Organization.objects.subtree(root).count() == Organization.objects.count()
    for org in Organization.objects.exclude(parent=None).select_related("parent")[:300]:
        assert org.path.startswith(org.parent.path) and org.depth == org.parent.depth + 1
    types = set(Organization.objects.branches().values_list("branch_type", flat=True))
    assert types == {t.value for t in BranchType}


def test_meeting_counts_agree_with_attendance_rows():
    build_demo_city(branches=20, seed=5, year=2026)
    mismatched = Meeting.objects.annotate(
        rows=Count("attendance"), here=Count("attendance", filter=Q(attendance__presence="present"))
    ).exclude(expected=F("rows")).count()
    assert mismatched == 0
    assert not Meeting.objects.annotate(here=Count("attendance", filter=Q(attendance__presence="present"))).exclude(
        present=F("here")).exists()


def test_weak_branches_exist_so_scores_can_spread():
    build_demo_city(branches=150, seed=9, year=2026)
    theme_days = Meeting.objects.filter(kind="theme_day").values("branch").annotate(n=Count("id"))
    counts = [row["n"] for row in theme_days]
    assert max(counts) == 12
    assert min(counts) <= 8          # some branches skip many 主题党日
    unpaid = Dues.objects.filter(paid_on=None).values("member__branch").distinct().count()
    assert 0 < unpaid < 150
