"""Facts follow a branch's records while the self-assessment is the branch's to edit (draft, self-assessed,
returned): every record write refreshes that branch's facts in the same transaction, overrides stay; a
submitted assessment keeps the facts it was submitted with, and other branches are not touched."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import transaction

from chuangxing.assessments.models import Assessment, CycleStatus, FactValue, State
from chuangxing.assessments.services import override_fact, refresh_branch_facts, refresh_facts, transition
from chuangxing.orgs.models import Member
from chuangxing.records.imports import import_file
from chuangxing.records.models import Dues, Meeting, MeetingKind, Presence
from chuangxing.records.services import record_attendance

from .conftest import fill_self

pytestmark = pytest.mark.django_db


def facts(world, branch) -> dict:
    return dict(FactValue.objects.filter(assessment__cycle=world.cycle, assessment__branch=branch)
                .values_list("name", "computed"))


def hold(branch, kind: str, key: str, *, present: int = 2, expected: int = 2) -> Meeting:
    """A meeting held in the period, its attendance recorded through the service (which announces it)."""
    meeting = Meeting.objects.create(branch=branch, key=key, kind=kind, held_on=date(2026, 3, 5))
    members = [Member.objects.get_or_create(branch=branch, number=f"{branch.code}-{i:03d}",
                                            defaults={"name": f"党员{i}"})[0] for i in range(expected)]
    record_attendance(meeting=meeting, presence={m: Presence.PRESENT if i < present else Presence.ABSENT
                                                 for i, m in enumerate(members)})
    return meeting


def test_recording_a_meeting_refreshes_that_branch_only(world):
    a1, b1 = facts(world, world.a1), facts(world, world.b1)
    assert a1["org_life_meeting_held"] is False and a1["meetings_below_80pct"] == 0

    hold(world.a1, MeetingKind.ORG_LIFE, "A1-org-life", present=1, expected=2)

    after = facts(world, world.a1)
    assert after["org_life_meeting_held"] is True
    assert after["meetings_below_80pct"] == 1           # 1 of 2 present
    changed = {name for name in after if after[name] != a1[name]}
    assert changed == {"org_life_meeting_held", "meetings_below_80pct", "funds_per_member"}   # members now: 0 per head
    assert facts(world, world.b1) == b1


def test_an_override_is_kept_and_still_in_force(world):
    a = world.assessment(world.a1)
    override_fact(assessment=a, name="org_life_meeting_held", value=True, reason="会议记录在纸质台账上",
                  version=a.version, by=world.secretary_a1)

    hold(world.a1, MeetingKind.ORG_LIFE, "A1-org-life", present=0, expected=1)

    fact = FactValue.objects.get(assessment=a, name="org_life_meeting_held")
    assert (fact.computed, fact.override, fact.override_reason) == (True, True, "会议记录在纸质台账上")
    below = FactValue.objects.get(assessment=a, name="meetings_below_80pct")
    assert below.computed == 1 and below.value == 1


def test_a_submitted_assessment_keeps_its_facts_and_a_returned_one_follows(world):
    submitted = world.submitted(world.a2)
    before = facts(world, world.a2)

    hold(world.a2, MeetingKind.ORG_LIFE, "A2-org-life")

    assert facts(world, world.a2) == before and before["org_life_meeting_held"] is False
    returned = transition(assessment=submitted, action="return", reason="请补充组织生活会", by=world.reviewer_a)
    assert returned.state == State.RETURNED
    refresh_branch_facts(branches=[world.a2.pk])
    assert facts(world, world.a2)["org_life_meeting_held"] is True


def test_a_self_assessed_assessment_follows_and_its_stored_total_too(world):
    a = fill_self(world.assessment(world.a1), world.secretary_a1)
    a = transition(assessment=a, action="self_assess", by=world.secretary_a1)
    total = a.self_total
    version = a.version

    Dues.objects.create(member=Member.objects.create(branch=world.a1, number="A1-100", name="欠费党员"),
                        month=date(2026, 2, 1), amount_due=Decimal("10"))
    moved = refresh_branch_facts(branches=[world.a1.pk])

    a.refresh_from_db()
    assert moved == {a.pk} and facts(world, world.a1)["dues_months_missed"] == 1
    assert a.self_total < total                      # the stored total reads the new facts
    assert a.version == version                      # facts are not the findings form: no conflict for its reader
    assert a.state == State.SELF_ASSESSED


def test_an_import_refreshes_the_branches_it_wrote(world, tmp_path):
    Member.objects.create(branch=world.a1, number="A1-001", name="张三")
    Member.objects.create(branch=world.b1, number="B1-001", name="李四")
    b1 = facts(world, world.b1)
    csv = tmp_path / "党费.csv"
    csv.write_text("党员编号,月份,应交金额,实交金额,交纳日期\nA1-001,2026-03,10,0,\nA1-001,2026-04,10,0,\n",
                   encoding="utf-8")

    result = import_file(csv, kind="dues")

    assert result.ok and facts(world, world.a1)["dues_months_missed"] == 2
    assert facts(world, world.b1) == b1


def test_a_refused_write_refreshes_nothing(world):
    before = facts(world, world.a1)
    with pytest.raises(RuntimeError), transaction.atomic():
        hold(world.a1, MeetingKind.ORG_LIFE, "A1-org-life")
        assert facts(world, world.a1)["org_life_meeting_held"] is True     # in the same transaction
        raise RuntimeError("the caller gives up")
    assert facts(world, world.a1) == before


def test_a_closed_cycle_is_not_refreshed(world):
    world.cycle.status = CycleStatus.CLOSED
    world.cycle.save(update_fields=["status"])

    hold(world.a1, MeetingKind.ORG_LIFE, "A1-org-life")

    assert facts(world, world.a1)["org_life_meeting_held"] is False


def test_refresh_facts_for_a_cycle_skips_submitted_assessments(world):
    world.submitted(world.a2)
    Meeting.objects.create(branch=world.a1, key="A1-x", kind=MeetingKind.ORG_LIFE, held_on=date(2026, 3, 5))
    Meeting.objects.create(branch=world.a2, key="A2-x", kind=MeetingKind.ORG_LIFE, held_on=date(2026, 3, 5))

    moved = refresh_facts(cycle=world.cycle)

    assert moved == {world.assessment(world.a1).pk}
    assert facts(world, world.a1)["org_life_meeting_held"] is True
    assert facts(world, world.a2)["org_life_meeting_held"] is False
    assert Assessment.objects.get(cycle=world.cycle, branch=world.a2).state == State.SUBMITTED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_record_edits_at_once_both_reach_the_facts():
    """Two connections add a meeting each to one branch: the second refresh waits for the first to commit and
    counts both (without the lock it would compute before the first commits and write back a stale count)."""
    import threading

    from django.db import connection

    from .conftest import World

    world = World()
    before = facts(world, world.a1)["three_meetings_shortfall"]
    first_wrote, results = threading.Event(), {}

    def add(kind: str, key: str, *, hold: bool) -> None:
        try:
            with transaction.atomic():
                meeting = Meeting.objects.create(branch=world.a1, key=key, kind=kind, held_on=date(2026, 3, 5))
                record_attendance(meeting=meeting, presence={})
                if hold:
                    first_wrote.set()
                    threading.Event().wait(0.5)          # the other connection now waits on the assessment's lock
            results[key] = "saved"
        finally:
            connection.close()

    first = threading.Thread(target=add, args=(MeetingKind.GENERAL, "A1-general"), kwargs={"hold": True})
    first.start()
    first_wrote.wait(timeout=10)
    second = threading.Thread(target=add, args=(MeetingKind.LECTURE, "A1-lecture"), kwargs={"hold": False})
    second.start()
    for thread in (first, second):
        thread.join(timeout=30)

    assert results == {"A1-general": "saved", "A1-lecture": "saved"}
    assert facts(world, world.a1)["three_meetings_shortfall"] == before - 2
