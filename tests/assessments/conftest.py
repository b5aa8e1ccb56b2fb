"""A small world for the assessment tests: two committees, three branches, a user per role.

::

    市直机关工委 (root)                 admin
      甲党委 (committee_a)               reviewer_a
        甲一支部 (a1)                   secretary_a1
        甲二支部 (a2)                   secretary_a2
      乙党委 (committee_b)               reviewer_b
        乙一支部 (b1)                   secretary_b1
    inspector: 抽验组, on the root (sees only sampled assessments)
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.contrib.auth import get_user_model

from chuangxing.assessments.models import Assessment, Cycle, Role, RoleAssignment, Stage
from chuangxing.assessments.services import findings_data, open_cycle, rubric_of, save_findings
from chuangxing.orgs.models import BranchType, Organization, OrgKind
from chuangxing.scoring import score


def make_user(name: str, *roles: tuple[str, Organization]):
    user = get_user_model().objects.create_user(username=name)      # no password: hashing one takes a second
    for role, org in roles:
        RoleAssignment.objects.create(user=user, role=role, organization=org)
    return user


def grant(user, role: str, org: Organization):
    """Give a role later: the user's role cache is dropped so the next check sees it."""
    RoleAssignment.objects.create(user=user, role=role, organization=org)
    user.__dict__.pop("_chuangxing_roles", None)
    return user


def ideal_inputs(assessment: Assessment, stage: str = "self") -> dict[str, dict[str, Any]]:
    """A finding for every rule that neither a finding nor a fact covers yet: what a compliant branch reports."""
    rubric = rubric_of(assessment)
    sheet = score(rubric, findings_data(assessment, stage=stage))
    values = {}
    for rule_id in dict.fromkeys(sheet.unassessed):
        rule = rubric.rule(rule_id)
        ideal = rule.ideal_input()
        values[rule_id] = {"value": ideal if ideal is not None else False, "reason": "自评：已做到"}
    return values


def fill_self(assessment: Assessment, secretary, extra: dict | None = None) -> Assessment:
    values = {**ideal_inputs(assessment), **(extra or {})}
    if values:
        assessment = save_findings(assessment=assessment, stage=Stage.SELF, values=values, version=assessment.version,
                                   by=secretary)
    return assessment


class World:
    def __init__(self, rubric_id: str = "zhenjiang-2018", **cycle_settings: Any) -> None:
        self.root = Organization.objects.create(code="root", name="市直机关工委", kind=OrgKind.WORK_COMMITTEE)
        self.committee_a = Organization.objects.create(code="CA", name="甲党委", kind=OrgKind.PARTY_COMMITTEE,
                                                       parent=self.root)
        self.committee_b = Organization.objects.create(code="CB", name="乙党委", kind=OrgKind.PARTY_COMMITTEE,
                                                       parent=self.root)
        self.a1 = self.branch("A1", "甲一支部", self.committee_a)
        self.a2 = self.branch("A2", "甲二支部", self.committee_a)
        self.b1 = self.branch("B1", "乙一支部", self.committee_b)
        self.admin = make_user("admin", (Role.ADMIN, self.root))
        self.reviewer_a = make_user("reviewer_a", (Role.REVIEWER, self.committee_a))
        self.reviewer_b = make_user("reviewer_b", (Role.REVIEWER, self.committee_b))
        self.inspector = make_user("inspector", (Role.INSPECTOR, self.root))
        self.secretary_a1 = make_user("secretary_a1", (Role.SECRETARY, self.a1))
        self.secretary_a2 = make_user("secretary_a2", (Role.SECRETARY, self.a2))
        self.secretary_b1 = make_user("secretary_b1", (Role.SECRETARY, self.b1))
        self.cycle: Cycle = open_cycle(name="2026年度达标创星", root=self.root, rubric_id=rubric_id,
                                       period_start=date(2025, 12, 16), period_end=date(2026, 12, 15), by=self.admin,
                                       **cycle_settings)

    @staticmethod
    def branch(code: str, name: str, parent: Organization) -> Organization:
        return Organization.objects.create(code=code, name=name, kind=OrgKind.BRANCH, parent=parent,
                                           branch_type=BranchType.ORGAN)

    def assessment(self, branch: Organization) -> Assessment:
        return Assessment.objects.select_related("cycle", "branch", "snapshot").get(cycle=self.cycle, branch=branch)

    def secretary_of(self, branch: Organization):
        return {self.a1.pk: self.secretary_a1, self.a2.pk: self.secretary_a2, self.b1.pk: self.secretary_b1}[branch.pk]

    def reviewer_of(self, branch: Organization):
        return self.reviewer_a if branch.path.startswith(self.committee_a.path) else self.reviewer_b

    def submitted(self, branch: Organization) -> Assessment:
        """Self-assessed with every rule filled, and submitted."""
        from chuangxing.assessments.services import transition

        secretary = self.secretary_of(branch)
        a = fill_self(self.assessment(branch), secretary)
        a = transition(assessment=a, action="self_assess", by=secretary)
        return transition(assessment=a, action="submit", by=secretary)

    def under_review(self, branch: Organization) -> Assessment:
        from chuangxing.assessments.services import transition

        return transition(assessment=self.submitted(branch), action="start_review", by=self.reviewer_of(branch))


@pytest.fixture
def world(db) -> World:
    return World()


@pytest.fixture
def media(settings, tmp_path):
    """Evidence files go to a folder of this test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
