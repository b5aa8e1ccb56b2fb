"""A whole cycle on a demo city: every state, every role, through the services people will call.

镇江 2018 over a 25-branch demo city: an admin opens the cycle and the facts are computed from the
records; a reviewer runs a 党员群众测评 whose rate becomes a fact; secretaries pre-fill and submit
(one late, reopened by the admin); reviewers review (an adjustment with its reason, one branch
returned and resubmitted, fraud refused: 镇江 has no fraud rule) and approve; the admin draws the
spot-check sample, an inspector downgrades one; the results are announced, an objection is answered,
the cycle is finalized (a veto's reason on a rating), the vetoed branch is listed for rectification,
answers it and is re-inspected. A second, small 绍兴 2018 cycle shows fraud's double deduction.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from chuangxing.assessments import inspection, lists, publicity, sampling, surveys
from chuangxing.assessments.models import (
    Assessment,
    AuditEntry,
    FactValue,
    FinalRating,
    Role,
    Stage,
    State,
)
from chuangxing.assessments.services import (
    flag_fraud,
    open_cycle,
    reopen,
    save_findings,
    sheet_of,
    transition,
)
from chuangxing.assessments.sheets import gap_report, prefill, review_view
from chuangxing.assessments.workflow import DeadlinePassed
from chuangxing.demo.city import build_demo_city
from chuangxing.orgs.models import Organization, OrgKind
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.scoring.trace import FRAUD_DOUBLE

from .conftest import fill_self, make_user

pytestmark = pytest.mark.django_db

YEAR = 2026


class City:
    """The demo city with a user per role: an admin, a reviewer per 党委, an inspector, a secretary per branch."""

    def __init__(self, branches: int = 25, seed: int = 2026) -> None:
        build_demo_city(branches=branches, seed=seed, year=YEAR)
        self.root = Organization.objects.get(depth=0)
        self.admin = make_user("admin", (Role.ADMIN, self.root))
        self.inspector = make_user("inspector", (Role.INSPECTOR, self.root))
        self.reviewers = {c.path: make_user(f"reviewer_{c.code}", (Role.REVIEWER, c))
                          for c in Organization.objects.filter(kind=OrgKind.PARTY_COMMITTEE)}
        self.branches = list(Organization.objects.branches().order_by("path"))
        self.secretaries = {b.pk: make_user(f"secretary_{b.code}", (Role.SECRETARY, b)) for b in self.branches}

    def reviewer(self, a: Assessment):
        return next(user for path, user in self.reviewers.items() if a.branch.path.startswith(path))

    def secretary(self, a: Assessment):
        return self.secretaries[a.branch_id]


def fresh(a: Assessment) -> Assessment:
    return Assessment.objects.select_related("cycle", "branch", "snapshot").get(pk=a.pk)


def fact_deductions(a: Assessment) -> Decimal:
    """The points the branch's records cost it before anybody typed anything (stage self, facts only)."""
    sheet = sheet_of(a, stage="self")
    return sum((e.points for node in sheet.nodes() for e in node.entries
                if e.points < 0 and e.source.startswith(("fact:", "expression"))), Decimal(0))


def states_visited(assessments) -> set[str]:
    moved = AuditEntry.objects.filter(assessment__in=assessments, target="state").values_list("new", flat=True)
    return {State.DRAFT.value} | set(moved)


def test_a_whole_cycle_on_a_demo_city():
    city = City()
    now = timezone.now()
    due = now + timedelta(days=3)
    late = due + timedelta(days=1)

    # -- the admin opens the cycle; facts come from the records ------------------------------
    cycle = open_cycle(name=f"{YEAR}年度达标创星", root=city.root, rubric_id="zhenjiang-2018",
                       period_start=date(YEAR, 1, 1), period_end=date(YEAR, 12, 31), by=city.admin,
                       self_assessment_due=due, spot_check_share=Decimal("0.2"))
    assessments = list(cycle.assessments.select_related("cycle", "branch", "snapshot").order_by("branch__path"))
    assert len(assessments) == len(city.branches) == 25
    assert FactValue.objects.filter(assessment__cycle=cycle, name="three_meetings_shortfall").count() == 25
    assert FactValue.objects.filter(assessment__cycle=cycle, name="six_musts_missing").count() == 25
    losses = {a.pk: fact_deductions(a) for a in assessments}
    weakest = min(assessments, key=lambda a: losses[a.pk])
    assert losses[weakest.pk] <= Decimal(-5)                  # a weak branch's records already cost it points
    assert losses[weakest.pk] < max(losses.values())
    form = prefill(weakest, by=city.secretary(weakest))
    from_facts = [r for r in form["rules"] if r["source"] == "fact" and r["points"] < 0]
    assert from_facts and all(r["fact"] for r in from_facts)

    # -- a reviewer runs the 党员群众测评 of one branch first: its rate becomes a fact ----------
    surveyed = assessments[1]
    survey, tokens = surveys.create_survey(assessment=surveyed, kind="public", tokens=10,
                                           closes_at=now + timedelta(days=2), by=city.reviewer(surveyed))
    for token, choice in zip(tokens, ["satisfied"] * 3 + ["basic"] * 2 + ["unsatisfied"] * 5, strict=True):
        surveys.answer(token=token, answer=choice)
    surveys.close_survey(survey=survey, by=city.reviewer(surveyed))
    surveys.apply_results(survey=survey, by=city.reviewer(surveyed))
    surveyed = fresh(surveyed)
    rows = {r["rule"]: r for r in prefill(surveyed, by=city.secretary(surveyed))["rules"]}
    assert rows["zj-func-2-c"]["source"] == "fact" and rows["zj-func-2-c"]["points"] == Decimal(-4)   # 50% < 80%
    assert rows["zj-veto-satisfaction"]["source"] == "expression" and rows["zj-veto-satisfaction"]["veto"]

    # -- secretaries fill every rule the facts leave open, self-assess and submit ----------------
    late_one = assessments[2]
    for a in assessments:
        secretary = city.secretary(a)
        a = fill_self(fresh(a), secretary)
        a = transition(assessment=a, action="self_assess", by=secretary)
        if a.pk == late_one.pk:
            continue
        transition(assessment=a, action="submit", by=secretary)
    a = fresh(late_one)
    with pytest.raises(DeadlinePassed):
        transition(assessment=a, action="submit", by=city.secretary(a), now=late)
    a = reopen(assessment=a, by=city.admin, reason="书记参加集中培训，延期提交")
    transition(assessment=a, action="submit", by=city.secretary(a), now=late)
    assert AuditEntry.objects.filter(action="reopen", assessment=a, actor=city.admin).exists()

    # -- reviewers review: an adjustment, a return, fraud refused, approvals -------------------
    for a in assessments:
        transition(assessment=fresh(a), action="start_review", by=city.reviewer(a))
    adjusted = assessments[3]
    a = fresh(adjusted)
    a = save_findings(assessment=a, stage=Stage.REVIEW, values={"zj-sys-4-c": {"value": True, "reason": "无上级督查记录"}},
                      version=a.version, by=city.reviewer(a))
    entry = AuditEntry.objects.get(assessment=a, action="finding_review", target="finding:zj-sys-4-c@review")
    assert (entry.old, entry.new, entry.actor, entry.reason) == (False, True, city.reviewer(a), "无上级督查记录")
    row = next(r for r in review_view(a, by=city.reviewer(a)) if r["id"] == "zj-sys-4")
    assert row["gap"] == Decimal(1) and row["rules"][-1]["reason"] == "无上级督查记录"

    returned = assessments[4]
    a = transition(assessment=fresh(returned), action="return", by=city.reviewer(returned), reason="党费公布材料缺失")
    a = save_findings(assessment=a, stage=Stage.SELF, values={"zj-sys-3-d": {"value": True, "reason": "确未公布"}},
                      version=a.version, by=city.secretary(a))
    a = transition(assessment=a, action="self_assess", by=city.secretary(a))
    a = transition(assessment=a, action="submit", by=city.secretary(a), now=late)    # returned: the deadline is past
    transition(assessment=a, action="start_review", by=city.reviewer(a))

    a = fresh(assessments[5])
    with pytest.raises(FindingsInvalid) as refused:
        flag_fraud(assessment=a, target="zj-sys-1", reason="会议记录系补写", version=a.version, by=city.reviewer(a))
    assert refused.value.codes == ["no_fraud_policy"]

    for a in assessments:
        transition(assessment=fresh(a), action="approve", by=city.reviewer(a))
    report = gap_report(cycle, by=city.admin)
    assert report[0]["assessment"] == adjusted.pk and report[0]["gap"] == Decimal(1)
    assert all(r["gap"] == 0 for r in report[1:])

    later_stages(city, cycle, assessments, surveyed=surveyed, downgraded_hint=assessments[6])
    assert states_visited(assessments) == set(State.values)


def later_stages(city: City, cycle, assessments: list[Assessment], *, surveyed: Assessment,
                 downgraded_hint: Assessment) -> None:
    """From ``reviewed``: the sample and a downgrade, publicity with an objection, finalization,
    rectification and re-inspection."""
    draw = sampling.draw_sample(cycle=cycle, seed="e2e-2026", by=city.admin)
    assert sampling.verify_draw(draw) and len(draw.sample) == 5        # ceil(20% × 25)
    sampled = [fresh(a) for a in assessments if a.pk in draw.sample]
    for a in sampled:
        assert prefill(a, by=city.inspector)["assessment"] == a.pk     # the inspector reads the sampled ones now
    first, *others = sampled
    first = save_findings(assessment=first, stage=Stage.INSPECTION,
                          values={"zj-func-2-b": {"value": True, "reason": "现场核查：无服务群众载体"}},
                          version=first.version, by=city.inspector)
    first = inspection.complete_inspection(assessment=first, by=city.inspector)
    assert first.state == State.SPOT_CHECKED and first.downgraded and "超过容差" in first.downgrade_reason
    for a in others:
        assert not inspection.complete_inspection(assessment=a, by=city.inspector).downgraded

    today = timezone.localdate()
    notice = publicity.announce(cycle=cycle, title=f"{YEAR}年度党支部评星定级结果公示", starts_on=today,
                                ends_on=today + timedelta(days=6), by=city.admin)
    objected = fresh(assessments[7])
    objection = publicity.object_to(notice=notice, assessment=objected, text="该支部主题党日多次未开展")
    publicity.answer_objection(objection=objection, answer="经核实，已按规定扣分", by=city.reviewer(objected))
    after = datetime.combine(today + timedelta(days=7), datetime.min.time(), tzinfo=timezone.get_current_timezone())
    summary = publicity.finalize(cycle=cycle, by=city.admin, now=after)
    assert summary["finalized"] == 25

    vetoed = FinalRating.objects.get(assessment=surveyed, scheme="stars")
    assert vetoed.level == "" and any(r["kind"] == "veto" and r["id"] == "zj-veto-satisfaction" for r in vetoed.reasons)
    downgraded = FinalRating.objects.get(assessment=first, scheme="stars")
    assert any(r["kind"] == "downgrade" for r in downgraded.reasons)

    a = fresh(surveyed)
    items = lists.open_rectification(assessment=a, items=None, due_on=today + timedelta(days=90),
                                     by=city.reviewer(a), reason="满意度低于60%，不予评星，列入整改")
    assert items[0].rule_id == "zj-veto-satisfaction"
    for item in items:
        lists.answer_rectification(rectification=item, response="已召开群众座谈会并逐项整改", by=city.secretary(a))
    a = lists.reinspect(assessment=fresh(a), passed=True, by=city.inspector, reason="复检：整改到位")
    assert a.state == State.REINSPECTED


def test_fraud_is_deducted_double_in_a_shaoxing_cycle():
    city = City(branches=6, seed=7)
    committee = Organization.objects.filter(kind=OrgKind.PARTY_COMMITTEE).order_by("path").first()
    cycle = open_cycle(name="绍兴 2018 试点", root=committee, rubric_id="shaoxing-2018",
                       period_start=date(YEAR, 1, 1), period_end=date(YEAR, 12, 31), by=city.admin)
    a = cycle.assessments.select_related("cycle", "branch", "snapshot").order_by("branch__path").first()
    secretary, reviewer = city.secretary(a), city.reviewer(a)
    a = transition(assessment=fill_self(a, secretary), action="self_assess", by=secretary)
    a = transition(assessment=a, action="submit", by=secretary)
    a = transition(assessment=a, action="start_review", by=reviewer)
    before = sheet_of(a, stage="review")
    claimed, top = before.node("sx-study-2").score, before.node("sx-study-2").max
    a = flag_fraud(assessment=a, target="sx-study-2", reason="学习记录系事后补写", version=a.version, by=reviewer)
    after = sheet_of(a, stage="review")
    assert after.total == before.total - claimed - 2 * top
    assert [e.points for e in after.node("sx-study-2").entries if e.kind == FRAUD_DOUBLE] == [-2 * top]
    a = transition(assessment=a, action="approve", by=reviewer)
    assert a.reviewed_total == after.total and a.self_total == before.total
