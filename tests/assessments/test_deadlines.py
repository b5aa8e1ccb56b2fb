"""Deadlines: late submission is refused unless an admin reopened the assessment (recorded)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from chuangxing.assessments.models import AuditEntry, Stage, State
from chuangxing.assessments.services import reopen, save_findings, transition
from chuangxing.assessments.workflow import DeadlinePassed, IllegalTransition, NotAllowed

from .conftest import World, fill_self

pytestmark = pytest.mark.django_db
DUE = datetime(2026, 12, 20, 18, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
LATE = DUE + timedelta(hours=1)


@pytest.fixture
def world(db) -> World:
    return World(self_assessment_due=DUE)


def test_a_late_submission_is_refused_until_an_admin_reopens(world):
    secretary = world.secretary_a1
    a = transition(assessment=fill_self(world.assessment(world.a1), secretary), action="self_assess", by=secretary)
    with pytest.raises(DeadlinePassed) as late:
        transition(assessment=a, action="submit", by=secretary, now=LATE)
    assert late.value.code == "deadline_passed"
    assert late.value.message_zh == "自评已于2026年12月20日 18:00截止，须由管理员重新开放"
    a.refresh_from_db()
    assert a.state == State.SELF_ASSESSED

    with pytest.raises(NotAllowed):
        reopen(assessment=a, by=world.reviewer_a, reason="情况特殊")
    with pytest.raises(IllegalTransition):
        reopen(assessment=a, by=world.admin, reason="  ")
    a = reopen(assessment=a, by=world.admin, reason="书记住院，延期三天")
    entry = AuditEntry.objects.get(action="reopen", assessment=a)
    assert entry.actor == world.admin and entry.reason == "书记住院，延期三天"
    a = transition(assessment=a, action="submit", by=secretary, now=LATE)
    assert a.state == State.SUBMITTED and a.reopened_by == world.admin


def test_self_findings_are_locked_after_the_deadline_too(world):
    a = world.assessment(world.a2)
    with pytest.raises(DeadlinePassed):
        save_findings(assessment=a, stage=Stage.SELF, values={"zj-org-1-c": {"value": False}}, version=a.version,
                      by=world.secretary_a2, now=LATE)


def test_a_branch_returned_after_the_deadline_may_resubmit(world):
    a = world.submitted(world.a1)                   # on time (the test clock is before the deadline)
    a = transition(assessment=a, action="start_review", by=world.reviewer_a)
    a = transition(assessment=a, action="return", by=world.reviewer_a, reason="党费收缴材料不全，请补充")
    assert a.state == State.RETURNED
    a = save_findings(assessment=a, stage=Stage.SELF, values={"zj-sys-3-c": {"value": True, "reason": "补充说明"}},
                      version=a.version, by=world.secretary_a1, now=LATE)
    a = transition(assessment=a, action="self_assess", by=world.secretary_a1, now=LATE)
    assert transition(assessment=a, action="submit", by=world.secretary_a1, now=LATE).state == State.SUBMITTED


def test_submission_locks_the_self_assessment(world):
    a = world.submitted(world.a1)
    with pytest.raises(IllegalTransition) as locked:
        save_findings(assessment=a, stage=Stage.SELF, values={"zj-org-1-c": {"value": True}}, version=a.version,
                      by=world.secretary_a1)
    assert locked.value.message_zh == "当前状态为“已提交”，不能修改自评数据"
