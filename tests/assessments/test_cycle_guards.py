"""The cycle's guard rails in the services: one cycle per root and year unless a reason is given, and 取消."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from chuangxing.assessments import publicity, sampling
from chuangxing.assessments.models import AuditEntry, Cycle, CycleStatus, State
from chuangxing.assessments.services import (
    allowed_actions,
    cancel_cycle,
    open_cycle,
    reopen,
    save_findings,
    transition,
)
from chuangxing.assessments.workflow import NotAllowed, Refused

from .conftest import fill_self, ideal_inputs

pytestmark = pytest.mark.django_db


def second(world, start: date, end: date, **extra) -> Cycle:
    return open_cycle(name="又一个周期", root=world.root, rubric_id="zhenjiang-2018", period_start=start,
                      period_end=end, by=world.admin, **extra)


@pytest.mark.parametrize(("start", "end"), [
    (date(2025, 12, 16), date(2026, 12, 15)),           # the same period
    (date(2026, 6, 1), date(2027, 5, 31)),              # overlapping
    (date(2026, 1, 1), date(2026, 12, 31)),             # ends in the same year
])
def test_a_second_cycle_for_the_same_root_and_year_is_refused_without_a_reason(world, start, end):
    with pytest.raises(Refused) as refused:
        second(world, start, end)
    assert refused.value.code == "duplicate_cycle"
    assert "“市直机关工委”在同一年度已有考评周期“2026年度达标创星”" in refused.value.message_zh
    assert "请写明理由" in refused.value.message_zh
    assert Cycle.objects.count() == 1
    with pytest.raises(Refused):
        second(world, start, end, duplicate_reason="   ")


def test_with_a_reason_it_opens_and_the_reason_is_audited(world):
    cycle = second(world, date(2025, 12, 16), date(2026, 12, 15), duplicate_reason="试点单位单独考评")
    entry = AuditEntry.objects.get(action="open_cycle", target=f"cycle:{cycle.pk}")
    assert entry.reason == "试点单位单独考评" and entry.new["same_year"] == [world.cycle.pk]
    assert cycle.assessments.count() == 3


def test_another_year_or_a_cancelled_cycle_is_no_duplicate(world):
    nxt = second(world, date(2026, 12, 16), date(2027, 12, 15))
    assert AuditEntry.objects.get(action="open_cycle", target=f"cycle:{nxt.pk}").reason == ""
    cancel_cycle(cycle=world.cycle, reason="范围选错", by=world.admin)
    again = second(world, date(2025, 12, 16), date(2026, 12, 15))
    assert again.status == CycleStatus.OPEN


def test_cancelling_needs_a_reason_and_is_audited(world):
    with pytest.raises(Refused) as empty:
        cancel_cycle(cycle=world.cycle, reason=" ", by=world.admin)
    assert empty.value.message_zh == "取消考评周期须写明理由"
    with pytest.raises(NotAllowed):
        cancel_cycle(cycle=world.cycle, reason="x", by=world.reviewer_a)
    cycle = cancel_cycle(cycle=world.cycle, reason="重复开启", by=world.admin)
    assert cycle.status == CycleStatus.CANCELLED
    world.cycle.refresh_from_db()
    assert world.cycle.status == CycleStatus.CANCELLED and world.cycle.get_status_display() == "已取消"
    entry = AuditEntry.objects.get(action="cancel_cycle", denied=False)
    assert (entry.actor, entry.old, entry.new, entry.reason) == (world.admin, "open", "cancelled", "重复开启")
    with pytest.raises(Refused) as twice:
        cancel_cycle(cycle=world.cycle, reason="再取消", by=world.admin)
    assert twice.value.code == "cycle_cancelled"


def test_a_cycle_with_rated_branches_cannot_be_cancelled(world):
    world.cycle.assessments.filter(branch=world.a1).update(state=State.FINALIZED)
    with pytest.raises(Refused) as refused:
        cancel_cycle(cycle=world.cycle, reason="太晚了", by=world.admin)
    assert refused.value.code == "cycle_finalized" and "不能取消" in refused.value.message_zh
    Cycle.objects.filter(pk=world.cycle.pk).update(status=CycleStatus.CLOSED)
    world.cycle.refresh_from_db()
    with pytest.raises(Refused):
        cancel_cycle(cycle=world.cycle, reason="太晚了", by=world.admin)
    world.cycle.refresh_from_db()
    assert world.cycle.status == CycleStatus.CLOSED


def test_nothing_changes_in_a_cancelled_cycle(world):
    reviewed = transition(assessment=world.under_review(world.a2), action="approve", by=world.reviewer_a)
    a = world.assessment(world.a1)
    cancel_cycle(cycle=world.cycle, reason="重复开启", by=world.admin)
    a = world.assessment(world.a1)
    with pytest.raises(Refused) as saving:
        save_findings(assessment=a, stage="self", values=ideal_inputs(a), version=a.version, by=world.secretary_a1)
    assert saving.value.code == "cycle_cancelled" and "已取消，不能再修改" in saving.value.message_zh
    with pytest.raises(Refused):
        fill_self(a, world.secretary_a1)
    with pytest.raises(Refused):
        transition(assessment=a, action="self_assess", by=world.secretary_a1)
    with pytest.raises(Refused):
        reopen(assessment=a, by=world.admin, reason="x")
    with pytest.raises(Refused):
        sampling.draw_sample(cycle=reviewed.cycle, seed="s", by=world.admin)
    today = timezone.localdate()
    with pytest.raises(Refused):
        publicity.announce(cycle=reviewed.cycle, title="公示", starts_on=today, ends_on=today + timedelta(days=6),
                           by=world.admin)
    with pytest.raises(Refused):
        publicity.finalize(cycle=reviewed.cycle, by=world.admin)
    assert allowed_actions(a, by=world.secretary_a1)["moves"] == []
    assert allowed_actions(a, by=world.secretary_a1)["edits"] == []
    assert world.assessment(world.a2).state == State.REVIEWED and world.assessment(world.a1).state == State.DRAFT
