"""Hand-built branches for the fact tests: each test makes its own small world."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from chuangxing.orgs.models import (
    BranchType,
    CommitteePost,
    CommitteeTerm,
    Duty,
    Member,
    Organization,
    OrgKind,
)
from chuangxing.records.models import Meeting, MeetingKind, Presence
from chuangxing.records.services import record_attendance


class World:
    """Builds organizations, members and records with the fewest arguments a test needs."""

    def __init__(self) -> None:
        self.seq = itertools.count(1)
        self.root = Organization.objects.create(code="root", name="市直机关工委", kind=OrgKind.WORK_COMMITTEE)

    def branch(self, name: str = "第一党支部") -> Organization:
        n = next(self.seq)
        return Organization.objects.create(code=f"B{n}", name=f"{name}{n}", kind=OrgKind.BRANCH, parent=self.root,
                                           branch_type=BranchType.ORGAN)

    def group(self, branch: Organization, **extra) -> Organization:
        n = next(self.seq)
        return Organization.objects.create(code=f"G{n}", name=f"第{n}党小组", kind=OrgKind.PARTY_GROUP, parent=branch,
                                           **extra)

    def member(self, branch: Organization, name: str | None = None, **extra) -> Member:
        n = next(self.seq)
        return Member.objects.create(branch=branch, number=f"M{n:05d}", name=name or f"党员{n}", **extra)

    def members(self, branch: Organization, count: int, **extra) -> list[Member]:
        return [self.member(branch, **extra) for _ in range(count)]

    def meeting(self, branch: Organization, kind: str, day: date, *, present: list[Member] = (),
                absent: list[Member] = (), leave: list[Member] = (), **extra) -> Meeting:
        meeting = Meeting.objects.create(branch=branch, key=f"K{next(self.seq)}", kind=kind, held_on=day, **extra)
        presence = {m: Presence.PRESENT for m in present} | {m: Presence.ABSENT for m in absent} | {
            m: Presence.LEAVE for m in leave}
        if presence:
            record_attendance(meeting=meeting, presence=presence)
        return meeting

    def theme_days(self, branch: Organization, year: int, months=range(1, 13), day: int = 10) -> None:
        for month in months:
            self.meeting(branch, MeetingKind.THEME_DAY, date(year, month, day))

    def term(self, branch: Organization, elected_on: date, **extra) -> CommitteeTerm:
        return CommitteeTerm.objects.create(branch=branch, elected_on=elected_on, **extra)

    def post(self, term: CommitteeTerm, started_on: date, *, duty: str = Duty.SECRETARY, member: Member | None = None,
             ended_on: date | None = None) -> CommitteePost:
        return CommitteePost.objects.create(term=term, duty=duty, started_on=started_on, ended_on=ended_on, member=member)


@pytest.fixture
def world(db) -> World:
    return World()

