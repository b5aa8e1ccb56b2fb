"""The world of the work-page tests: a small city with a user per role and some records in 甲一支部.

::

    市直机关工委 (root)          admin
      甲党委                     reviewer_a
        甲一支部 (a1)            secretary_a1     党小组, 5 members, a 主题党日 with attendance, dues
        甲二支部 (a2)            secretary_a2
      乙党委                     reviewer_b
        乙一支部 (b1)            secretary_b1     1 member, a meeting
    inspector on the root (sees only sampled assessments)

A cycle on 镇江 2018 is open over the root. Users have no password (``client.force_login``);
``with_password`` gives one for the browser.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from chuangxing.assessments.models import Assessment, Role, RoleAssignment, Stage
from chuangxing.assessments.services import findings_data, open_cycle, rubric_of, save_findings, transition
from chuangxing.orgs.models import BranchType, CommitteePost, CommitteeTerm, Duty, Member, MemberCategory, Organization, OrgKind
from chuangxing.records.models import Dues, Meeting, MeetingKind, Presence
from chuangxing.records.services import record_attendance
from chuangxing.scoring import score

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PASSWORD = "correct-horse-battery-staple"


def bearer(user) -> dict:
    """The headers of an API call with a fresh token of ``user``."""
    from chuangxing.apitokens.services import issue_token

    _, secret = issue_token(user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def body(response) -> dict:
    return json.loads(response.content)


def make_user(name: str, full_name: str, *roles: tuple[str, Organization]):
    user = get_user_model().objects.create_user(username=name, first_name=full_name)
    for role, org in roles:
        RoleAssignment.objects.create(user=user, role=role, organization=org)
    return user


def with_password(user):
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


class WorkWorld:
    def __init__(self, rubric_id: str = "zhenjiang-2018", **cycle_settings: Any) -> None:
        org = Organization.objects.create
        self.root = org(code="root", name="市直机关工委", kind=OrgKind.WORK_COMMITTEE)
        self.committee_a = org(code="CA", name="甲党委", kind=OrgKind.PARTY_COMMITTEE, parent=self.root)
        self.committee_b = org(code="CB", name="乙党委", kind=OrgKind.PARTY_COMMITTEE, parent=self.root)
        self.a1 = self.branch("A1", "甲一支部", self.committee_a)
        self.a2 = self.branch("A2", "甲二支部", self.committee_a)
        self.b1 = self.branch("B1", "乙一支部", self.committee_b)
        self.admin = make_user("admin", "工委管理员", (Role.ADMIN, self.root))
        self.reviewer_a = make_user("reviewer_a", "甲党委审核人", (Role.REVIEWER, self.committee_a))
        self.reviewer_b = make_user("reviewer_b", "乙党委审核人", (Role.REVIEWER, self.committee_b))
        self.inspector = make_user("inspector", "抽验组", (Role.INSPECTOR, self.root))
        self.secretary_a1 = make_user("secretary_a1", "甲一书记", (Role.SECRETARY, self.a1))
        self.secretary_a2 = make_user("secretary_a2", "甲二书记", (Role.SECRETARY, self.a2))
        self.secretary_b1 = make_user("secretary_b1", "乙一书记", (Role.SECRETARY, self.b1))
        self.records()
        self.cycle = open_cycle(name="2026年度达标创星", root=self.root, rubric_id=rubric_id,
                                period_start=date(2025, 12, 16), period_end=date(2026, 12, 15), by=self.admin,
                                **cycle_settings)

    @staticmethod
    def branch(code: str, name: str, parent: Organization) -> Organization:
        """A branch with its 书记 in a current term."""
        branch = Organization.objects.create(code=code, name=name, kind=OrgKind.BRANCH, parent=parent,
                                             branch_type=BranchType.ORGAN)
        secretary = Member.objects.create(branch=branch, number=f"{code}-001", name=f"{name}书记")
        term = CommitteeTerm.objects.create(branch=branch, elected_on=date(2025, 3, 1))
        CommitteePost.objects.create(term=term, duty=Duty.SECRETARY, member=secretary, started_on=date(2025, 3, 1))
        return branch

    def records(self) -> None:
        a1 = self.a1
        self.group = Organization.objects.create(code="A1-G1", name="第一党小组", kind=OrgKind.PARTY_GROUP, parent=a1)
        member = Member.objects.create
        self.leader = member(branch=a1, group=self.group, number="A1-002", name="王建国", is_leader=True,
                             joined_party_on=date(2001, 7, 1))
        self.probationary = member(branch=a1, group=self.group, number="A1-003", name="李晓红",
                                   category=MemberCategory.PROBATIONARY, joined_party_on=date(2025, 6, 1))
        self.activist = member(branch=a1, number="A1-004", name="赵小兵", category=MemberCategory.ACTIVIST)
        self.plain = member(branch=a1, number="A1-005", name="陈静", joined_party_on=date(2010, 3, 2))
        self.meeting = Meeting.objects.create(branch=a1, key="A1-2026-03-theme", kind=MeetingKind.THEME_DAY,
                                              held_on=date(2026, 3, 5), topic="学习党章")
        record_attendance(meeting=self.meeting, presence={self.leader: Presence.PRESENT, self.plain: Presence.LEAVE})
        Dues.objects.create(member=self.plain, month=date(2026, 1, 1), amount_due=Decimal("10"),
                            amount_paid=Decimal("10"), paid_on=date(2026, 1, 10))
        Dues.objects.create(member=self.plain, month=date(2026, 2, 1), amount_due=Decimal("10"))
        self.b1_member = Member.objects.get(branch=self.b1)
        self.b1_meeting = Meeting.objects.create(branch=self.b1, key="B1-2026-03-theme", kind=MeetingKind.THEME_DAY,
                                                 held_on=date(2026, 3, 6))

    def assessment(self, branch: Organization) -> Assessment:
        return Assessment.objects.select_related("cycle", "branch", "snapshot").get(cycle=self.cycle, branch=branch)

    def fill_self(self, branch: Organization, extra: dict | None = None) -> Assessment:
        """Every rule that neither a finding nor a fact covers, filled as a compliant branch would."""
        a = self.assessment(branch)
        rubric = rubric_of(a)
        sheet = score(rubric, findings_data(a, stage="self"))
        values = {}
        for rule_id in dict.fromkeys(sheet.unassessed):
            ideal = rubric.rule(rule_id).ideal_input()
            values[rule_id] = {"value": ideal if ideal is not None else False, "reason": ""}
        values.update(extra or {})
        secretary = self.secretary_of(branch)
        return save_findings(assessment=a, stage=Stage.SELF, values=values, version=a.version, by=secretary)

    def secretary_of(self, branch: Organization):
        return {self.a1.pk: self.secretary_a1, self.a2.pk: self.secretary_a2, self.b1.pk: self.secretary_b1}[branch.pk]

    def reviewer_of(self, branch: Organization):
        return self.reviewer_a if branch.path.startswith(self.committee_a.path) else self.reviewer_b

    def submitted(self, branch: Organization) -> Assessment:
        secretary = self.secretary_of(branch)
        a = transition(assessment=self.fill_self(branch), action="self_assess", by=secretary)
        return transition(assessment=a, action="submit", by=secretary)

    def under_review(self, branch: Organization) -> Assessment:
        return transition(assessment=self.submitted(branch), action="start_review", by=self.reviewer_of(branch))


def orm(query):
    """Run ``query()`` in a thread of its own: Playwright's sync API keeps an event loop running in the test's
    thread, where Django refuses database calls. The thread's connection is closed afterwards."""
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connections

    def run():
        try:
            return query()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
