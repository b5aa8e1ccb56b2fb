"""公示 and 评定: the notice, objections that block finalization until answered, final ratings with their reasons."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import cache

from chuangxing.assessments import publicity
from chuangxing.assessments.bulk import score_assessments, score_one
from chuangxing.assessments.inspection import complete_inspection
from chuangxing.assessments.models import (
    Assessment,
    AuditEntry,
    FinalRating,
    Notice,
    Objection,
    ObjectionStatus,
    Role,
    State,
)
from chuangxing.assessments.publicity import announce, answer_objection, dismiss_objections, finalize, object_to
from chuangxing.assessments.sampling import draw_sample
from chuangxing.assessments.services import open_cycle, sheet_of
from chuangxing.assessments.workflow import WorkflowError
from chuangxing.demo.city import build_demo_city
from chuangxing.demo.reviewed import review_all
from chuangxing.orgs.models import Organization, OrgKind
from tests.assessments.conftest import World, make_user
from tests.assessments.steps import AFTER, DURING, NO_SERVICE, NOTICE_END, NOTICE_START, inspect, reviewed

VETO_OTHER = {"zj-veto-other": {"value": "支部书记被立案审查", "reason": "审核发现"}}


@pytest.fixture
def world(db):
    """a1 perfect (四星); a2 vetoed at review; b1 sampled, and downgraded by its inspection."""
    w = World(spot_check_share=Decimal("1"))
    reviewed(w, w.b1, process={"four_star_confirmed": True})
    draw_sample(cycle=w.cycle, seed="s", by=w.admin)
    inspect(w, w.b1, NO_SERVICE)
    reviewed(w, w.a1, process={"four_star_confirmed": True})
    reviewed(w, w.a2, review=VETO_OTHER)
    return w


def refusal(call, **kwargs) -> WorkflowError:
    with pytest.raises(WorkflowError) as caught:
        call(**kwargs)
    return caught.value


def notice(w, **kwargs) -> Notice:
    return announce(cycle=w.cycle, title="2026年度党支部评星定级结果公示", starts_on=NOTICE_START, ends_on=NOTICE_END,
                    by=w.admin, **kwargs)


@pytest.mark.django_db
def test_announce_needs_finished_inspections_and_a_long_enough_notice(world):
    w = world
    error = refusal(notice, w=w)
    assert (error.code, error.message_zh) == ("inspections_open", "还有党支部抽验未完成，不能公示：乙一支部")
    complete_inspection(assessment=w.assessment(w.b1), by=w.inspector)
    error = refusal(announce, cycle=w.cycle, title="公示", starts_on=date(2026, 12, 16), ends_on=date(2026, 12, 18),
                    by=w.admin)
    assert (error.code, error.message_zh) == ("notice_too_short", "公示期为 3 天，少于规定的 5 天")
    error = refusal(announce, cycle=w.cycle, title="公示", starts_on=NOTICE_START, ends_on=NOTICE_END,
                    by=w.reviewer_a)
    assert error.code == "forbidden"
    n = notice(w)
    assert n.body == "公示期自2026年12月16日至2026年12月22日，共 3 个党支部。对公示结果有异议的，请在公示期内提出。"
    assert set(Assessment.objects.filter(cycle=w.cycle).values_list("state", flat=True)) == {State.ANNOUNCED}
    assert AuditEntry.objects.filter(action="announce", new=State.ANNOUNCED.value).count() == 3
    error = refusal(notice, w=w)
    assert (error.code, error.message_zh) == ("nothing_to_announce", "没有已审核或已抽验的党支部可以公示")


@pytest.mark.django_db
def test_an_objection_blocks_finalization_until_it_is_answered(world):
    w = world
    complete_inspection(assessment=w.assessment(w.b1), by=w.inspector)
    n = notice(w)
    a2 = w.assessment(w.a2)
    error = refusal(object_to, notice=n, assessment=a2, text="意见", now=AFTER)
    assert (error.code, error.message_zh) == ("notice_closed", "不在公示期内（2026年12月16日至2026年12月22日），不能提出异议")
    assert refusal(object_to, notice=n, assessment=a2, text="  ", now=DURING).code == "empty_objection"
    objection = object_to(notice=n, assessment=a2, text="该支部书记长期不在岗，评星结果应复核", now=DURING)  # no login
    assert AuditEntry.objects.get(action="objection").actor is None

    error = refusal(finalize, cycle=w.cycle, by=w.admin, now=DURING)
    assert (error.code, error.message_zh) == ("notice_period_open",
                                              "公示“2026年度党支部评星定级结果公示”至2026年12月22日结束，公示期满后才能评定")
    error = refusal(finalize, cycle=w.cycle, by=w.admin, now=AFTER)
    assert error.code == "objections_open"
    assert error.message_zh == "公示期间的异议尚未全部答复，不能评定（甲二支部：“该支部书记长期不在岗，评星结果应复核”，共 1 条）"
    assert not FinalRating.objects.exists()

    assert refusal(answer_objection, objection=objection, answer="已核实", by=w.reviewer_b).code == "forbidden"
    assert refusal(answer_objection, objection=objection, answer=" ", by=w.reviewer_a).code == "empty_answer"
    answer_objection(objection=objection, answer="经核实，该支部已因否决项不予评星", by=w.reviewer_a)
    objection = Objection.objects.get(pk=objection.pk)
    assert objection.answered_by == w.reviewer_a and objection.answered_at is not None
    summary = finalize(cycle=w.cycle, by=w.admin, now=AFTER)
    assert summary == {"finalized": 3, "ratings": {"stars": {"四星": 2, "不予评星": 1}}, "closed": True}


@pytest.fixture
def counts():
    """The flood counters live in Django's cache: each test starts and ends with none."""
    cache.clear()
    yield
    cache.clear()


def running_notice(w) -> Notice:
    complete_inspection(assessment=w.assessment(w.b1), by=w.inspector)
    return notice(w)


@pytest.mark.django_db
def test_a_flood_of_objections_from_one_address_is_cut_at_the_limit(world, counts):
    """The issue: 50 anonymous objections in under a second were all stored. Now an address gets 3 per notice
    in 10 minutes; another address still gets through."""
    n, a2 = running_notice(world), world.assessment(world.a2)
    outcomes = []
    for i in range(50):
        try:
            object_to(notice=n, assessment=a2, text=f"异议{i}", source="203.0.113.9", now=DURING)
            outcomes.append("stored")
        except WorkflowError as refusal:
            outcomes.append(refusal.code)
            message = refusal.message_zh

    assert outcomes == ["stored"] * publicity.OBJECTIONS_PER_SOURCE + ["too_many_objections"] * 47
    assert message == "同一网络地址 10 分钟内对本公示最多提出 3 条异议，请稍后再提交（多项意见可写在同一条异议中）"
    assert Objection.objects.count() == 3
    object_to(notice=n, assessment=a2, text="另一位群众的异议", source="198.51.100.4", now=DURING)
    assert Objection.objects.count() == 4


@pytest.mark.django_db
def test_a_notice_takes_a_bounded_number_of_objections_a_minute_from_everyone(world, counts):
    n, a2 = running_notice(world), world.assessment(world.a2)
    stored = 0
    for i in range(50):
        try:
            object_to(notice=n, assessment=a2, text=f"异议{i}", source=f"10.0.{i}.1", now=DURING)
            stored += 1
        except WorkflowError as refusal:
            assert (refusal.code, refusal.message_zh) == ("too_many_objections", "本公示刚刚收到的异议过多，请过几分钟再提交")

    assert stored == Objection.objects.count() == publicity.OBJECTIONS_PER_NOTICE


@pytest.mark.django_db
def test_an_objection_is_at_most_2000_characters(world, counts):
    n, a2 = running_notice(world), world.assessment(world.a2)
    error = refusal(object_to, notice=n, assessment=a2, text="长" * 2001, now=DURING)
    assert (error.code, error.message_zh) == ("objection_too_long", "异议内容不能超过 2000 字（现有 2001 字），请精简后再提交")
    assert refusal(object_to, notice=n, assessment=a2, text="有\x00字", now=DURING).code == "bad_text"
    assert not Objection.objects.exists()
    assert len(object_to(notice=n, assessment=a2, text="长" * 2000, now=DURING).text) == 2000


@pytest.mark.django_db
def test_objections_dismissed_in_bulk_no_longer_block_finalization(world, counts):
    w = world
    n, a2 = running_notice(w), w.assessment(w.a2)
    flood = [object_to(notice=n, assessment=a2, text=f"刷屏{i}", source=f"10.1.{i}.1", now=DURING).pk for i in range(5)]
    real = object_to(notice=n, assessment=a2, text="该支部书记长期不在岗", now=DURING)
    ids = flood[:3]

    assert refusal(dismiss_objections, cycle=w.cycle, objections=ids, reason="重复", by=w.reviewer_a).code == "forbidden"
    assert refusal(dismiss_objections, cycle=w.cycle, objections=[], reason="重复", by=w.admin).code == "nothing_selected"
    error = refusal(dismiss_objections, cycle=w.cycle, objections=ids, reason=" ", by=w.admin)
    assert (error.code, error.message_zh) == ("empty_reason", "请写明不予受理的理由（将在公示页面上显示）")
    assert dismiss_objections(cycle=w.cycle, objections=ids, reason="与本次公示无关的内容", by=w.admin, now=DURING) == 3
    assert dismiss_objections(cycle=w.cycle, objections=flood[3:], reason="", spam=True, by=w.admin) == 2

    statuses = dict(Objection.objects.values_list("pk", "status"))
    assert [statuses[pk] for pk in flood] == ["dismissed"] * 3 + ["spam"] * 2
    assert Objection.objects.get(pk=flood[4]).answer == "恶意或重复提交"
    entries = AuditEntry.objects.filter(action="dismiss_objection")
    assert sorted(e.target for e in entries) == sorted(f"objection:{pk}" for pk in flood)
    assert {(e.actor, e.old, e.reason) for e in entries if e.new == "dismissed"} == {(w.admin, "open", "与本次公示无关的内容")}
    assert AuditEntry.objects.filter(action="dismiss_objections").count() == 2
    # all or nothing: one already closed in the selection, nothing changes
    error = refusal(dismiss_objections, cycle=w.cycle, objections=[flood[0], real.pk], reason="无关", by=w.admin)
    assert error.code == "objections_changed" and Objection.objects.get(pk=real.pk).status == ObjectionStatus.OPEN
    assert refusal(answer_objection, objection=Objection.objects.get(pk=flood[0]), answer="已核实",
                   by=w.admin).code == "objection_closed"

    error = refusal(finalize, cycle=w.cycle, by=w.admin, now=AFTER)
    assert error.message_zh.endswith("（甲二支部：“该支部书记长期不在岗”，共 1 条）")       # only the open one
    answer_objection(objection=real, answer="经核实，已按规定扣分", by=w.reviewer_a)
    assert Objection.objects.get(pk=real.pk).status == ObjectionStatus.ANSWERED
    assert finalize(cycle=w.cycle, by=w.admin, now=AFTER)["finalized"] == 3


@pytest.mark.django_db
def test_final_ratings_carry_veto_and_downgrade_reasons(world):
    w = world
    complete_inspection(assessment=w.assessment(w.b1), by=w.inspector)
    notice(w)
    assert refusal(finalize, cycle=w.cycle, by=w.reviewer_a, now=AFTER).code == "forbidden"
    finalize(cycle=w.cycle, by=w.admin, now=AFTER)

    a1, a2, b1 = (w.assessment(b) for b in (w.a1, w.a2, w.b1))
    assert {a1.state, a2.state, b1.state} == {State.FINALIZED}
    rating = a1.ratings.get()
    assert (rating.scheme, rating.level, rating.label, rating.stars, rating.reasons) == ("stars", "four", "四星", 4, [])
    assert a1.final_total == Decimal("100")

    rating = a2.ratings.get()
    assert (rating.level, rating.label, rating.stars) == ("", "不予评星", 0)
    assert rating.reasons == [{"kind": "veto", "id": "zj-veto-other",
                               "text": "否决项：有其他不符合情形的，不予评星（支部书记被立案审查）"}]

    rating = b1.ratings.get()
    assert b1.final_total == Decimal("94")                           # the inspection stage: it was sampled
    assert (rating.level, rating.label) == ("four", "四星")
    assert rating.reasons == [{"kind": "downgrade",
                               "text": "抽验降级：抽验得分 94 分，审核得分 100 分，相差 6 分，超过容差 3 分"}]
    assert AuditEntry.objects.filter(action="finalize", new=State.FINALIZED.value).count() == 3
    assert AuditEntry.objects.get(action="finalize", assessment=a2).reason == "评定：总分 100 分，不予评星"
    error = refusal(finalize, cycle=w.cycle, by=w.admin, now=AFTER)
    assert (error.code, error.message_zh) == ("nothing_to_finalize", "没有公示中的党支部可以评定")


# -- the batch path gives the engine's numbers --------------------------------------------------
@pytest.mark.django_db
@pytest.mark.parametrize("rubric_id", ["jiaozuo-2019", "shaoxing-2018"])
def test_bulk_scoring_and_finalization_agree_with_the_engine(db, rubric_id):
    """jiaozuo-2019 goes through the batch engine; shaoxing-2018 (stars per dimension) branch by branch."""
    build_demo_city(branches=40, seed=5, year=2026)
    root = Organization.objects.get(kind=OrgKind.WORK_COMMITTEE)
    admin = make_user("admin", (Role.ADMIN, root))
    cycle = open_cycle(name="2026年度", root=root, rubric_id=rubric_id, period_start=date(2026, 1, 1),
                       period_end=date(2026, 12, 31), by=admin)
    review_all(cycle=cycle, seed=9, defect_rate=Decimal("0.15"))
    scored = score_assessments(cycle=cycle, stage="review")
    assessments = Assessment.objects.filter(cycle=cycle).select_related("cycle", "branch", "snapshot")
    vetoed = 0
    for a in assessments:
        expected = score_one(a, stage="review")
        assert scored[a.pk] == expected, a.branch.name
        assert a.reviewed_total == expected.total
        vetoed += bool(expected.vetoes)
    assert vetoed or rubric_id != "jiaozuo-2019", "vetoed branches in the demo city: their reasons are compared too"
    announce(cycle=cycle, title="公示", starts_on=NOTICE_START, ends_on=NOTICE_END, by=admin)
    finalize(cycle=cycle, by=admin, now=AFTER)
    for a in assessments:
        sheet = sheet_of(a, stage="review")
        stored = {r.scheme: (r.level or None, r.label, r.stars) for r in FinalRating.objects.filter(assessment=a)}
        assert stored == {r.scheme: (r.level, r.label, r.stars) for r in sheet.ratings}
        assert Assessment.objects.get(pk=a.pk).final_total == sheet.total


@pytest.mark.django_db
def test_finalizing_every_branch_closes_the_cycle_and_rectification_still_runs(world):
    from chuangxing.assessments.lists import answer_rectification, open_rectification, reinspect
    from chuangxing.assessments.models import Cycle, CycleStatus

    w = world
    complete_inspection(assessment=w.assessment(w.b1), by=w.inspector)
    notice(w)
    assert Cycle.objects.get(pk=w.cycle.pk).status == CycleStatus.OPEN

    finalize(cycle=w.cycle, by=w.admin, now=AFTER)

    assert Cycle.objects.get(pk=w.cycle.pk).get_status_display() == "已结束"
    made = open_rectification(assessment=w.assessment(w.a2), items=["配齐支部书记"], due_on=date(2027, 3, 31),
                              by=w.reviewer_a)
    answer_rectification(rectification=made[0], response="已选举产生新的支部书记", by=w.secretary_a2)
    assert reinspect(assessment=w.assessment(w.a2), passed=True, by=w.reviewer_a).state == State.REINSPECTED
    assert Cycle.objects.get(pk=w.cycle.pk).status == CycleStatus.CLOSED


@pytest.mark.django_db
def test_a_branch_not_yet_announced_keeps_the_cycle_open_until_a_later_finalization_rates_it(db):
    from chuangxing.assessments.models import Cycle, CycleStatus

    w = World()
    reviewed(w, w.a1)
    reviewed(w, w.a2)
    notice(w)                                           # b1 is still a draft: not announced

    summary = finalize(cycle=w.cycle, by=w.admin, now=AFTER)

    assert summary["finalized"] == 2 and summary["closed"] is False
    assert Cycle.objects.get(pk=w.cycle.pk).status == CycleStatus.OPEN
    reviewed(w, w.b1)
    notice(w)
    assert finalize(cycle=w.cycle, by=w.admin, now=AFTER)["closed"] is True
    assert Cycle.objects.get(pk=w.cycle.pk).status == CycleStatus.CLOSED
