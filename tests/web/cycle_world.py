"""The world of the admin-page tests: a small demo city with a user per role.

::

    中共示范市直属机关工作委员会 (root)     admin, inspector
      党委 …                                reviewer (the first committee)
        党支部 …                            secretary (the first branch)

``open()`` opens a 镇江 2018 cycle over the root as the admin would; ``reviewed()`` puts every branch
in ``reviewed`` with generated findings (``demo.reviewed.review_all``), ``submitted()`` stamps
submission times over a few days, ``inspected()`` completes every sampled branch's spot check.
"""

from __future__ import annotations

from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from chuangxing.assessments.inspection import complete_inspection
from chuangxing.assessments.models import Assessment, Cycle, Role, RoleAssignment, State
from chuangxing.assessments.services import open_cycle
from chuangxing.demo.city import build_demo_city
from chuangxing.demo.reviewed import review_all
from chuangxing.orgs.models import Organization, OrgKind

PASSWORD = "correct-horse-battery-staple"


def make_user(name: str, full_name: str, *roles: tuple[str, Organization], password: bool = False):
    user = get_user_model().objects.create_user(username=name, first_name=full_name,
                                                password=PASSWORD if password else None)
    for role, org in roles:
        RoleAssignment.objects.create(user=user, role=role, organization=org)
    return user


class CycleWorld:
    def __init__(self, branches: int = 12, *, passwords: bool = False) -> None:
        build_demo_city(branches=branches, seed=7, year=2026)
        self.root = Organization.objects.get(depth=0)
        self.committee = Organization.objects.filter(kind=OrgKind.PARTY_COMMITTEE).order_by("path").first()
        self.branch = Organization.objects.branches().filter(path__startswith=self.committee.path).order_by("path").first()
        self.admin = make_user("admin", "工委管理员", (Role.ADMIN, self.root), password=passwords)
        self.inspector = make_user("inspector", "抽验组", (Role.INSPECTOR, self.root))
        self.reviewer = make_user("reviewer", "党委审核人", (Role.REVIEWER, self.committee))
        self.secretary = make_user("secretary", "支部书记", (Role.SECRETARY, self.branch))
        self.cycle: Cycle | None = None

    def open(self, **settings) -> Cycle:
        self.cycle = open_cycle(name="2026年度达标创星", root=self.root, rubric_id="zhenjiang-2018",
                                period_start=date(2025, 12, 16), period_end=date(2026, 12, 15), by=self.admin,
                                **settings)
        return self.cycle

    def submitted(self, days: int = 3) -> None:
        """Submission times over ``days`` days (review_all does not stamp them)."""
        start = timezone.now() - timedelta(days=days)
        for i, pk in enumerate(self.cycle.assessments.order_by("pk").values_list("pk", flat=True)):
            Assessment.objects.filter(pk=pk).update(submitted_at=start + timedelta(days=i % days, hours=1))

    def reviewed(self) -> Cycle:
        review_all(cycle=self.cycle, seed=7)
        self.submitted()
        return self.cycle

    def announced(self, *, days_ago: int = 0):
        """Opened, reviewed, sampled, inspected and announced; the notice ended ``days_ago`` days ago when given."""
        from chuangxing.assessments import publicity, sampling

        self.open(spot_check_share="0.2")
        self.reviewed()
        sampling.draw_sample(cycle=self.cycle, seed="s", by=self.admin)
        self.inspected()
        today = timezone.localdate()
        start = today - timedelta(days=days_ago + 6) if days_ago else today
        return publicity.announce(cycle=self.cycle, title="2026年度结果公示", starts_on=start,
                                  ends_on=start + timedelta(days=6), by=self.admin)

    def inspected(self) -> None:
        for a in self.cycle.assessments.filter(state=State.SAMPLED).select_related("cycle", "branch", "snapshot"):
            complete_inspection(assessment=a, by=self.inspector)
