"""抽验: the inspector re-scores a sampled branch; a mismatch beyond the tolerance, or a lower rating, downgrades it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from chuangxing.assessments.inspection import complete_inspection
from chuangxing.assessments.models import AuditEntry, State
from chuangxing.assessments.sampling import draw_sample
from chuangxing.assessments.workflow import WorkflowError
from tests.assessments.conftest import World
from tests.assessments.steps import NO_ROSTER, NO_SERVICE, NOT_COVERED, TERM_IRREGULAR, UNWILLING, inspect, reviewed

CONFIRMED = {"four_star_confirmed": True}


@pytest.fixture
def world(db):
    return World(spot_check_share=Decimal("1"))


def sampled(world, branch, **kwargs):
    reviewed(world, branch, **kwargs)
    draw = draw_sample(cycle=world.cycle, seed="抽验", by=world.admin)
    a = world.assessment(branch)
    assert draw.sample == [a.pk] and a.state == State.SAMPLED and a.sampled
    return a


@pytest.mark.django_db
def test_a_total_beyond_the_tolerance_downgrades(world):
    sampled(world, world.a1, process=CONFIRMED)
    inspect(world, world.a1, NO_SERVICE)
    a = complete_inspection(assessment=world.assessment(world.a1), by=world.inspector)
    assert a.state == State.SPOT_CHECKED
    assert a.downgraded and a.inspected_total == Decimal("94") and a.reviewed_total == Decimal("100")
    assert a.downgrade_reason == "抽验得分 94 分，审核得分 100 分，相差 6 分，超过容差 3 分"
    assert a.process["five_star_inspected"] is False          # did not pass: no five stars from this inspection
    entry = AuditEntry.objects.get(action="downgrade", assessment=a)
    assert entry.reason == a.downgrade_reason and entry.actor == world.inspector
    assert entry.old["total"] == "100" and entry.new["total"] == "94"
    assert AuditEntry.objects.filter(action="spot_check", assessment=a, reason=a.downgrade_reason).exists()


@pytest.mark.django_db
def test_a_lower_rating_downgrades_even_within_the_tolerance(world):
    sampled(world, world.a1, process=CONFIRMED, review={**NO_SERVICE, **NO_ROSTER, **NOT_COVERED})     # 91: 四星
    inspect(world, world.a1, {**UNWILLING, **TERM_IRREGULAR})                                        # 88: 三星
    a = complete_inspection(assessment=world.assessment(world.a1), by=world.inspector)
    assert a.downgraded and a.inspected_total == Decimal("88")
    assert a.downgrade_reason == "抽验星级为“三星”，低于审核的“四星”"          # 3 points: not beyond the tolerance


@pytest.mark.django_db
def test_a_matching_inspection_passes_and_sets_five_star_inspected(world):
    sampled(world, world.a1, process=CONFIRMED, review=NOT_COVERED)
    inspect(world, world.a1, {"zj-team-1-a": {"value": True, "reason": "书记党务工作意愿不强"}})     # 1 point: within
    a = complete_inspection(assessment=world.assessment(world.a1), by=world.inspector)
    assert not a.downgraded and a.downgrade_reason == ""
    assert a.inspected_total == Decimal("98") and a.process["five_star_inspected"] is True
    assert not AuditEntry.objects.filter(action="downgrade").exists()
    assert AuditEntry.objects.get(action="spot_check", assessment=a).reason == "抽验结果与审核一致"


@pytest.mark.django_db
def test_only_an_inspector_or_admin_completes_a_spot_check_and_only_of_a_sampled_branch(world):
    sampled(world, world.a1)
    with pytest.raises(WorkflowError) as refused:
        complete_inspection(assessment=world.assessment(world.a1), by=world.reviewer_a)
    assert refused.value.code == "forbidden"
    assert AuditEntry.objects.filter(action="denied", denied=True, actor=world.reviewer_a).exists()
    reviewed(world, world.a2)
    with pytest.raises(WorkflowError) as illegal:
        complete_inspection(assessment=world.assessment(world.a2), by=world.admin)
    assert illegal.value.code == "illegal_transition"
    assert illegal.value.message_zh == "当前状态为“已审核”，不能“完成抽验”（只能从抽验中）"
