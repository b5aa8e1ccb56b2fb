"""compute_facts on hand-built branches with known answers; the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from chuangxing.facts.catalogue import FACTS, RECORDS
from chuangxing.facts.compute import COMPUTATIONS, REQUIREMENTS, compute_facts, cycle_months
from chuangxing.orgs.models import Duty, MemberCategory, Organization, OrgKind, Transfer
from chuangxing.records.models import (
    ArchiveCheck,
    Dues,
    DuesPublication,
    DuesReview,
    Fund,
    MeetingKind,
    MonthlyRecord,
    SiteCheck,
    Study,
    WorkPlan,
)

# Renamed so pytest does not try to collect them as test classes.
from chuangxing.records.models import TestKind as ExamKind
from chuangxing.records.models import TestResult as ExamResult

START, END = date(2024, 1, 1), date(2024, 12, 31)   # a leap year: 366 days


def facts_of(branch: Organization, *, start: date = START, end: date = END, **kwargs) -> dict:
    return compute_facts(branches=[branch], start=start, end=end, **kwargs)[branch.pk]


# -- the catalogue and the definitions --------------------------------------------------------


def test_every_catalogue_fact_is_computed_here_or_provided_elsewhere():
    for name, fact in FACTS.items():
        if fact.source == RECORDS:
            assert name in COMPUTATIONS, f"{name} comes from the records but has no computation"
        else:
            assert name not in COMPUTATIONS, f"{name} is provided by {fact.source}, yet computed too"
    internal = {name for name in COMPUTATIONS if name not in FACTS}
    assert all(name.startswith("_") for name in internal), f"computations not in the catalogue: {internal}"


def test_every_definition_says_how_it_is_computed():
    for name, computation in COMPUTATIONS.items():
        assert len(computation.doc) > 30, f"{name} needs a docstring stating how it is computed"
        for need in computation.needs:
            assert need in COMPUTATIONS, f"{name} is derived from unknown {need}"


def test_cycle_months():
    assert cycle_months(START, END) == tuple(date(2024, m, 1) for m in range(1, 13))
    # 绍兴's window: December is split by the cycle's edges and counts once, as the last month.
    assert cycle_months(date(2023, 12, 16), date(2024, 12, 15)) == tuple(date(2024, m, 1) for m in range(1, 13))
    assert cycle_months(date(2024, 3, 10), date(2024, 8, 20)) == tuple(date(2024, m, 1) for m in range(3, 9))
    assert len(cycle_months(date(2023, 1, 1), date(2024, 12, 31))) == 24
    with pytest.raises(ValueError):
        cycle_months(END, START)


# -- a branch with no records at all ------------------------------------------------------------


@pytest.mark.django_db
def test_a_branch_with_no_records(world):
    branch = world.branch()
    facts = facts_of(branch)
    assert set(facts) == {name for name, fact in FACTS.items() if fact.source == RECORDS}
    assert facts == {
        "party_members": 0, "full_members": 0, "has_committee": False, "committee_required_missing": False,
        "has_discipline_member": False, "party_groups": 0, "groups_required_missing": False,
        "members_not_managed": 0, "transfers_overdue": 0, "lost_contact_members": 0,
        "members_out_of_contact_3_months": 0, "term_overdue": False, "term_overdue_days": 0,
        "secretary_vacancy_days": 366, "secretary_vacant": True, "secretary_test_score": None,
        "secretary_gave_lecture": False, "general_meetings_held": 0, "committee_meetings_held": 0,
        "group_meetings_held": 0, "party_lectures_held": 0, "theme_days_held": 0, "months_without_theme_day": 12,
        "three_meetings_shortfall": 4 + 4 + 12, "org_life_meeting_held": False, "leaders_absent_from_org_life": 0,
        "democratic_review_held": False, "heart_talks_held": False, "participation_rate_avg": None,
        "participation_rate_min": None, "meetings_below_80pct": 0, "study_participation_rate": None,
        "study_hours_below_required": 0, "theory_test_wrong_answers": 0, "dues_months_missed": 0,
        "dues_reassessed_by_march": False, "dues_short_paid": False, "dues_use_published": False,
        "funds_per_member": None, "funds_guaranteed": False,
        "six_musts_missing": ["board", "duty", "flag", "oath", "place", "plan"], "archive_complete": False,
        "electronic_archive_filed": False, "work_plan_made": False, "monthly_records_missing": 12,
    }


@pytest.mark.django_db
def test_value_types(world):
    branch = world.branch()
    members = world.members(branch, 3)
    world.meeting(branch, MeetingKind.THEME_DAY, date(2024, 5, 9), present=members[:2], absent=members[2:])
    Fund.objects.create(branch=branch, year=2024, amount=Decimal("100.00"))
    facts = facts_of(branch)
    for name, value in facts.items():
        unit = FACTS[name].unit
        if value is None:
            continue
        expected = {"count": int, "days": int, "bool": bool, "percent": Decimal, "number": Decimal, "items": list}[unit]
        assert type(value) is expected, f"{name} is {type(value).__name__}, not {expected.__name__}"
    assert facts["participation_rate_avg"] == Decimal("66.67")
    assert facts["funds_per_member"] == Decimal("33.33")


# -- members ------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_members_on_the_last_day(world):
    branch = world.branch()
    world.members(branch, 3)
    world.member(branch, category=MemberCategory.PROBATIONARY)
    world.member(branch, category=MemberCategory.ACTIVIST)                               # not a Party member
    world.member(branch, full_member_on=date(2025, 3, 1))                                # full only after the cycle
    world.member(branch, joined_party_on=date(2025, 1, 5), category=MemberCategory.PROBATIONARY)   # joined after
    world.member(branch, joined_branch_on=date(2024, 6, 1))                              # transferred in mid-year
    world.member(branch, left_branch_on=date(2024, 7, 1))                                # transferred out mid-year
    world.member(branch, left_branch_on=date(2025, 1, 1))                                # leaves the day after
    world.member(branch, joined_branch_on=date(2025, 1, 1))                              # arrives the day after
    world.member(branch, under_management=False)
    world.member(branch, lost_contact_since=date(2024, 10, 1))                           # out of contact 3 months
    world.member(branch, lost_contact_since=date(2024, 10, 2))                           # one day short of that
    facts = facts_of(branch)
    # 3, the probationary one, the one full after the cycle, the one arrived, the one leaving after, 3 below
    assert facts["party_members"] == 3 + 1 + 1 + 1 + 1 + 3
    assert facts["full_members"] == 3 + 1 + 1 + 3
    assert facts["members_not_managed"] == 1
    assert facts["lost_contact_members"] == 2
    assert facts["members_out_of_contact_3_months"] == 1


@pytest.mark.django_db
def test_committee_and_groups_required(world):
    small, seven, large = world.branch(), world.branch(), world.branch()
    world.members(small, 6)
    world.members(seven, 7)
    world.members(large, 15)
    world.term(seven, date(2023, 1, 1), has_committee=False)
    world.term(large, date(2023, 1, 1))
    world.group(large)
    world.group(large, dissolved_on=date(2024, 12, 31))            # gone on the last day
    world.group(large, established_on=date(2025, 1, 1))            # not yet
    facts = compute_facts(branches=[small, seven, large], start=START, end=END)
    assert [facts[b.pk]["committee_required_missing"] for b in (small, seven, large)] == [False, True, False]
    assert [facts[b.pk]["has_committee"] for b in (small, seven, large)] == [False, False, True]
    assert facts[large.pk]["party_groups"] == 1
    assert facts[large.pk]["groups_required_missing"] is True
    world.group(large)
    assert facts_of(large)["groups_required_missing"] is False


# -- committee terms and posts ------------------------------------------------------------------


@pytest.mark.django_db
def test_term_ending_on_the_cycles_last_day_is_not_overdue(world):
    on_time, overdue, extended, renewed, renewed_late = (world.branch() for _ in range(5))
    world.term(on_time, date(2021, 12, 31))                                 # ends 2024-12-31, the last day
    world.term(overdue, date(2021, 12, 30))                                 # ends 2024-12-30
    world.term(extended, date(2021, 6, 1), extended_until=date(2025, 3, 1))
    world.term(renewed, date(2020, 1, 1))
    world.term(renewed, date(2023, 1, 1))                                   # the newer election counts
    world.term(renewed_late, date(2020, 1, 1))
    world.term(renewed_late, date(2025, 1, 2))                              # after the cycle: not yet
    facts = compute_facts(branches=[on_time, overdue, extended, renewed, renewed_late], start=START, end=END)
    assert [facts[b.pk]["term_overdue"] for b in (on_time, overdue, extended, renewed, renewed_late)] == [
        False, True, False, False, True]
    assert [facts[b.pk]["term_overdue_days"] for b in (on_time, overdue, extended, renewed, renewed_late)] == [
        0, 1, 0, 0, 730]


@pytest.mark.django_db
def test_term_elected_on_29_february(world):
    branch = world.branch()
    world.term(branch, date(2020, 2, 29), years=3)                          # ends 2023-02-28
    assert facts_of(branch, start=date(2023, 1, 1), end=date(2023, 2, 28))["term_overdue"] is False
    assert facts_of(branch, start=date(2023, 1, 1), end=date(2023, 3, 1))["term_overdue_days"] == 1


@pytest.mark.django_db
def test_secretary_vacancy(world):
    branch = world.branch()
    term = world.term(branch, date(2023, 5, 1))
    world.post(term, date(2023, 5, 1), ended_on=date(2024, 3, 1))           # covers up to 29 February
    world.post(term, date(2024, 3, 11), ended_on=date(2024, 3, 20))         # a gap of 10 days before it
    world.post(term, date(2024, 3, 15), ended_on=date(2024, 9, 1))          # overlapping posts merge
    world.post(term, date(2024, 10, 1))                                     # a gap of 30 days (September)
    world.post(term, date(2024, 1, 1), duty=Duty.DISCIPLINE, ended_on=date(2024, 12, 31))
    facts = facts_of(branch)
    assert facts["secretary_vacancy_days"] == 30
    assert facts["secretary_vacant"] is False
    assert facts["has_discipline_member"] is False                          # left on the last day
    assert facts_of(branch, end=date(2024, 12, 30))["has_discipline_member"] is True


@pytest.mark.django_db
def test_a_new_election_ends_the_old_terms_posts(world):
    branch = world.branch()
    old = world.term(branch, date(2021, 1, 1))
    world.post(old, date(2021, 1, 1))                                       # never closed
    world.term(branch, date(2024, 7, 1))                                    # nobody holds the new post
    facts = facts_of(branch)
    assert facts["secretary_vacancy_days"] == 184                           # 1 July to 31 December
    assert facts["secretary_vacant"] is True


@pytest.mark.django_db
def test_vacancy_at_the_edges_of_the_cycle(world):
    branch = world.branch()
    term = world.term(branch, date(2024, 2, 1))
    world.post(term, date(2024, 2, 1), ended_on=date(2024, 12, 1))
    assert facts_of(branch)["secretary_vacancy_days"] == 31                 # January, and December
    assert facts_of(branch, start=date(2024, 2, 1), end=date(2024, 11, 30))["secretary_vacancy_days"] == 0


# -- meetings -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_month_with_two_theme_days_counts_once(world):
    branch = world.branch()
    world.theme_days(branch, 2024, months=range(1, 11))                     # January to October
    world.meeting(branch, MeetingKind.THEME_DAY, date(2024, 10, 25))        # October again
    world.meeting(branch, MeetingKind.THEME_DAY, date(2023, 12, 20))        # before the cycle
    world.meeting(branch, MeetingKind.THEME_DAY, date(2025, 1, 1))          # after it
    facts = facts_of(branch)
    assert facts["theme_days_held"] == 10
    assert facts["months_without_theme_day"] == 2


@pytest.mark.django_db
def test_theme_days_in_a_cycle_from_16_december(world):
    branch = world.branch()
    world.meeting(branch, MeetingKind.THEME_DAY, date(2023, 12, 20))        # the first half of December
    world.theme_days(branch, 2024, months=range(1, 12))
    world.meeting(branch, MeetingKind.THEME_DAY, date(2024, 12, 10))        # the second half: the same month
    facts = facts_of(branch, start=date(2023, 12, 16), end=date(2024, 12, 15))
    assert facts["theme_days_held"] == 12
    assert facts["months_without_theme_day"] == 0
    other = world.branch()
    world.theme_days(other, 2024, months=range(1, 12), day=20)              # held on the 20th: none in December
    assert facts_of(other, start=date(2023, 12, 16), end=date(2024, 12, 15))["months_without_theme_day"] == 1


@pytest.mark.django_db
def test_meetings_held_and_three_meetings_shortfall(world):
    branch = world.branch()
    world.members(branch, 16)
    world.term(branch, date(2023, 1, 1))
    first, second = world.group(branch), world.group(branch)
    for quarter in (1, 4, 7):
        world.meeting(branch, MeetingKind.GENERAL, date(2024, quarter, 5))
        world.meeting(branch, MeetingKind.LECTURE, date(2024, quarter, 6))
    for month in range(1, 11):
        world.meeting(branch, MeetingKind.COMMITTEE, date(2024, month, 2))
    for month in range(1, 13):
        world.meeting(branch, MeetingKind.GROUP, date(2024, month, 3), group=first)
        world.meeting(branch, MeetingKind.GROUP, date(2024, month, 4), group=first)   # twice: no help to the other
    for month in range(1, 10):
        world.meeting(branch, MeetingKind.GROUP, date(2024, month, 3), group=second)
    world.theme_days(branch, 2024, months=range(1, 12))
    world.meeting(branch, MeetingKind.ORG_LIFE, date(2024, 1, 20))
    world.meeting(branch, MeetingKind.TALK, date(2024, 2, 20))
    facts = facts_of(branch)
    assert (facts["general_meetings_held"], facts["committee_meetings_held"], facts["group_meetings_held"],
            facts["party_lectures_held"]) == (3, 10, 33, 3)
    assert (facts["org_life_meeting_held"], facts["democratic_review_held"], facts["heart_talks_held"]) == (True, False, True)
    # 支部党员大会 1 + 支委会 2 + 党课 1 + 主题党日 1 + 党小组会 (0 for the first group, 3 for the second)
    assert facts["three_meetings_shortfall"] == 1 + 2 + 1 + 1 + 3
    assert facts_of(branch, requirements={"committee": 10, "group": 9})["three_meetings_shortfall"] == 1 + 0 + 1 + 1 + 0
    # Half a year needs half the monthly meetings and the whole quarters.
    half = facts_of(branch, start=date(2024, 1, 1), end=date(2024, 6, 30))
    assert half["three_meetings_shortfall"] == 0 + 0 + 0 + 0 + 0
    with pytest.raises(ValueError, match="unknown requirements"):
        facts_of(branch, requirements={"meetings": 3})
    assert REQUIREMENTS["committee"] == 12                                  # an override does not leak


@pytest.mark.django_db
def test_no_committee_owes_no_committee_meetings(world):
    branch = world.branch()
    world.term(branch, date(2023, 1, 1), has_committee=False)
    world.theme_days(branch, 2024)
    assert facts_of(branch)["three_meetings_shortfall"] == 4 + 4


@pytest.mark.django_db
def test_participation(world):
    branch = world.branch()
    a, b, c, d, e = world.members(branch, 5)
    world.meeting(branch, MeetingKind.GENERAL, date(2024, 3, 1), present=[a, b, c, d], absent=[e])      # 80%: not below
    world.meeting(branch, MeetingKind.THEME_DAY, date(2024, 4, 1), present=[a, b], absent=[c])          # 66.67%
    world.meeting(branch, MeetingKind.LECTURE, date(2024, 5, 1), present=[a, b, c], leave=[d, e])       # 60%: leave is absence
    world.meeting(branch, MeetingKind.COMMITTEE, date(2024, 6, 1))                                       # nobody expected
    facts = facts_of(branch)
    assert facts["participation_rate_avg"] == Decimal("69.23")             # 9 of 13
    assert facts["participation_rate_min"] == Decimal("60.00")
    assert facts["meetings_below_80pct"] == 2
    assert facts["study_participation_rate"] == Decimal("62.50")           # 党课 and 主题党日: 5 of 8


@pytest.mark.django_db
def test_participation_rounds_exactly(world):
    branch = world.branch()
    members = world.members(branch, 8)
    world.meeting(branch, MeetingKind.GENERAL, date(2024, 3, 1), present=members[:1], absent=members[1:])   # 12.5%
    world.meeting(branch, MeetingKind.GENERAL, date(2024, 6, 1), present=members[:2], absent=members[2:3])  # 66.666…
    facts = facts_of(branch)
    assert facts["participation_rate_min"] == Decimal("12.50")
    assert facts["participation_rate_avg"] == Decimal("27.27")             # 3 of 11 = 27.2727…


@pytest.mark.django_db
def test_a_member_who_transferred_mid_year_counts_for_the_meetings_they_were_expected_at(world):
    branch = world.branch()
    stays = world.members(branch, 3)
    leaves = world.member(branch, left_branch_on=date(2024, 7, 1))
    arrives = world.member(branch, joined_branch_on=date(2024, 7, 1))
    world.meeting(branch, MeetingKind.GENERAL, date(2024, 3, 1), present=stays, absent=[leaves])         # 75%
    world.meeting(branch, MeetingKind.GENERAL, date(2024, 9, 1), present=[*stays, arrives])              # 100%
    facts = facts_of(branch)
    assert facts["participation_rate_avg"] == Decimal("87.50")             # 7 of 8
    assert facts["meetings_below_80pct"] == 1
    assert facts["party_members"] == 4


@pytest.mark.django_db
def test_leaders_absent_from_org_life(world):
    branch = world.branch()
    present, absent_once, absent = (world.member(branch, is_leader=True) for _ in range(3))
    ordinary = world.member(branch)
    world.meeting(branch, MeetingKind.ORG_LIFE, date(2024, 1, 20), present=[present], absent=[absent_once, absent, ordinary])
    world.meeting(branch, MeetingKind.ORG_LIFE, date(2024, 7, 20), present=[present, absent_once], leave=[absent])
    assert facts_of(branch)["leaders_absent_from_org_life"] == 1


@pytest.mark.django_db
def test_secretary_lecture_and_test(world):
    branch = world.branch()
    old, new = world.member(branch, "张三"), world.member(branch, "李四")
    term = world.term(branch, date(2023, 1, 1))
    world.post(term, date(2023, 1, 1), member=old, ended_on=date(2024, 6, 1))
    world.post(term, date(2024, 6, 1), member=new)
    world.meeting(branch, MeetingKind.LECTURE, date(2024, 8, 1), speaker="张三")     # no longer the secretary
    ExamResult.objects.create(member=old, kind=ExamKind.SECRETARY, taken_on=date(2024, 3, 1), score=Decimal("88"))
    facts = facts_of(branch)
    assert facts["secretary_gave_lecture"] is False
    assert facts["secretary_test_score"] == Decimal("88.00")
    world.meeting(branch, MeetingKind.LECTURE, date(2024, 9, 1), speaker="李四")
    ExamResult.objects.create(member=new, kind=ExamKind.SECRETARY, taken_on=date(2024, 10, 1), score=None)   # 缺考
    ExamResult.objects.create(member=new, kind=ExamKind.THEORY, taken_on=date(2024, 11, 1), score=Decimal("99"))
    facts = facts_of(branch)
    assert facts["secretary_gave_lecture"] is True
    assert facts["secretary_test_score"] is None


@pytest.mark.django_db
def test_study_hours_and_theory_tests(world):
    branch = world.branch()
    enough, short, leader, leader_short = world.members(branch, 2) + [world.member(branch, is_leader=True) for _ in range(2)]
    for member, hours in ((enough, "24"), (short, "23.5"), (leader, "40"), (leader_short, "30")):
        Study.objects.create(member=member, studied_on=date(2024, 5, 1), hours=Decimal(hours))
    Study.objects.create(member=short, studied_on=date(2023, 12, 31), hours=Decimal("10"))     # another cycle
    world.member(branch)                                                                        # no study at all
    ExamResult.objects.create(member=enough, kind=ExamKind.THEORY, taken_on=date(2024, 6, 1), wrong_answers=2)
    ExamResult.objects.create(member=short, kind=ExamKind.THEORY, taken_on=date(2024, 6, 1), wrong_answers=1)
    ExamResult.objects.create(member=leader, kind=ExamKind.THEORY, taken_on=date(2024, 6, 1))
    facts = facts_of(branch)
    assert facts["study_hours_below_required"] == 3
    assert facts["theory_test_wrong_answers"] == 3


# -- transfers, dues, funds ---------------------------------------------------------------------


@pytest.mark.django_db
def test_transfers_overdue(world):
    branch = world.branch()

    def transfer(due_on: date, done_on: date | None = None) -> None:
        Transfer.objects.create(member=world.member(branch), due_on=due_on, done_on=done_on)

    transfer(date(2024, 3, 1))                                    # never done: counts
    transfer(date(2024, 3, 1), date(2024, 3, 31))                 # done after 30 days: in time
    transfer(date(2024, 3, 1), date(2024, 4, 1))                  # done after 31 days: late, counts
    transfer(date(2024, 12, 1))                                   # 30 days by 31 December: not yet overdue
    transfer(date(2024, 11, 30))                                  # 31 days by 31 December: counts
    transfer(date(2023, 6, 1), date(2023, 9, 1))                  # late, but in an earlier cycle
    transfer(date(2023, 12, 15), date(2024, 1, 20))               # overdue into this cycle, done late in it: counts
    twice = world.member(branch)
    Transfer.objects.create(member=twice, due_on=date(2024, 2, 1))
    Transfer.objects.create(member=twice, due_on=date(2024, 5, 1))   # one member, once
    assert facts_of(branch)["transfers_overdue"] == 5


@pytest.mark.django_db
def test_dues(world):
    branch = world.branch()
    paid, short = world.member(branch), world.member(branch)
    late_joiner = world.member(branch, joined_branch_on=date(2024, 7, 15))
    for month in range(1, 13):
        day = date(2024, month, 1)
        Dues.objects.create(member=paid, month=day, amount_due=Decimal("10"), amount_paid=Decimal("10"), paid_on=day)
        # Before joining this branch the member's dues were the old branch's business: only July on count here.
        Dues.objects.create(member=late_joiner, month=day, amount_due=Decimal("10"),
                            amount_paid=Decimal("10") if month != 9 else Decimal("0"), paid_on=day if month != 9 else None)
    Dues.objects.create(member=short, month=date(2024, 2, 1), amount_due=Decimal("10"), amount_paid=Decimal("9.99"),
                        paid_on=date(2024, 2, 3))
    Dues.objects.create(member=short, month=date(2025, 1, 1), amount_due=Decimal("10"))     # the next cycle
    DuesReview.objects.create(branch=branch, year=2024, reviewed_on=date(2024, 3, 31))
    facts = facts_of(branch)
    assert facts["dues_months_missed"] == 2                       # September (unpaid) and February (short)
    assert facts["dues_short_paid"] is True
    assert facts["dues_reassessed_by_march"] is True
    DuesReview.objects.filter(branch=branch).update(reviewed_on=date(2024, 4, 1))
    assert facts_of(branch)["dues_reassessed_by_march"] is False


@pytest.mark.django_db
def test_funds_and_publication(world):
    branch = world.branch()
    world.members(branch, 3)
    Fund.objects.create(branch=branch, year=2024, amount=Decimal("250"))
    Fund.objects.create(branch=branch, year=2023, amount=Decimal("9999"))
    DuesPublication.objects.create(branch=branch, published_on=date(2024, 12, 31))
    facts = facts_of(branch)
    assert facts["funds_per_member"] == Decimal("83.33")
    assert facts["funds_guaranteed"] is True
    assert facts["dues_use_published"] is True
    assert facts_of(branch, end=date(2024, 12, 30))["dues_use_published"] is False


# -- checks, plans and monthly records ----------------------------------------------------------


@pytest.mark.django_db
def test_the_latest_checks_on_or_before_the_last_day(world):
    branch = world.branch()
    SiteCheck.objects.create(branch=branch, checked_on=date(2024, 3, 1), has_site=True)
    SiteCheck.objects.create(branch=branch, checked_on=date(2024, 11, 1), has_site=True, has_flag=True, has_oath=True,
                             has_duties=True)
    SiteCheck.objects.create(branch=branch, checked_on=date(2025, 1, 10), has_site=True, has_flag=True, has_oath=True,
                             has_duties=True, has_plan=True, has_board=True)
    ArchiveCheck.objects.create(branch=branch, checked_on=date(2024, 2, 1), member_roster=True, dues_roster=True,
                                life_record_book=True, electronic=True)
    ArchiveCheck.objects.create(branch=branch, checked_on=date(2024, 9, 1), member_roster=True, dues_roster=True,
                                life_record_book=True)
    WorkPlan.objects.create(branch=branch, year=2024, made_on=date(2024, 1, 15))
    for month in (1, 2, 3, 5, 8, 9, 10, 11, 12):
        MonthlyRecord.objects.create(branch=branch, month=date(2024, month, 1), filed_on=date(2024, month, 28))
    MonthlyRecord.objects.create(branch=branch, month=date(2023, 12, 1), filed_on=date(2023, 12, 28))
    facts = facts_of(branch)
    assert facts["six_musts_missing"] == ["board", "plan"]
    assert facts["archive_complete"] is True
    assert facts["electronic_archive_filed"] is False
    assert facts["work_plan_made"] is True
    assert facts["monthly_records_missing"] == 3
    early = facts_of(branch, start=date(2023, 12, 16), end=date(2024, 2, 15))
    assert early["six_musts_missing"] == ["board", "duty", "flag", "oath", "place", "plan"]
    assert early["electronic_archive_filed"] is True
    assert early["monthly_records_missing"] == 0                  # January and February
    assert facts_of(branch, start=date(2025, 1, 1), end=date(2025, 12, 31))["work_plan_made"] is False


# -- the shape of a call ------------------------------------------------------------------------


@pytest.mark.django_db
def test_only_the_facts_asked_for(world):
    branch = world.branch()
    world.members(branch, 8)
    with CaptureQueriesContext(connection) as queries:
        facts = facts_of(branch, names=["committee_required_missing", "member_satisfaction_rate"])
    assert facts == {"committee_required_missing": True}          # survey facts are left out; needs are not returned
    assert len(queries) == 2                                      # the members, and the latest term
    with pytest.raises(ValueError, match="unknown facts: no_such_fact"):
        facts_of(branch, names=["no_such_fact"])
    assert facts_of(branch, names=[]) == {}


@pytest.mark.django_db
def test_a_queryset_or_a_list_of_branches(world):
    branches = [world.branch() for _ in range(3)]
    for i, branch in enumerate(branches):
        world.members(branch, i + 1)
    by_queryset = compute_facts(branches=Organization.objects.filter(kind=OrgKind.BRANCH), start=START, end=END)
    by_list = compute_facts(branches=[b.pk for b in branches], start=START, end=END)
    assert by_queryset == by_list
    assert [by_list[b.pk]["party_members"] for b in branches] == [1, 2, 3]
    assert compute_facts(branches=[], start=START, end=END) == {}


def _busy_branches(world, count: int) -> list[Organization]:
    branches = []
    for i in range(count):
        branch = world.branch()
        members = world.members(branch, 3)
        term = world.term(branch, date(2022, 1, 1))
        world.post(term, date(2022, 1, 1), member=members[0])
        world.group(branch)
        world.meeting(branch, MeetingKind.THEME_DAY, date(2024, 1 + i % 12, 5), present=members[:2], absent=members[2:])
        Dues.objects.create(member=members[1], month=date(2024, 2, 1), amount_due=Decimal("5"))
        Transfer.objects.create(member=members[2], due_on=date(2024, 1, 1))
        SiteCheck.objects.create(branch=branch, checked_on=date(2024, 6, 1), has_site=True)
        Fund.objects.create(branch=branch, year=2024, amount=Decimal(100 * i))
        branches.append(branch)
    return branches


@pytest.mark.django_db
def test_the_number_of_queries_does_not_grow_with_the_branches(world):
    few = _busy_branches(world, 3)
    many = _busy_branches(world, 30)
    counts = []
    for branches in (few, many):
        ids = Organization.objects.filter(pk__in=[b.pk for b in branches])
        with CaptureQueriesContext(connection) as queries:
            facts = compute_facts(branches=ids, start=START, end=END)
        counts.append(len(queries))
        assert len(facts) == len(branches)
    assert counts[0] == counts[1] == 1 + 11                       # the branch ids, then one query per family
    assert facts[many[0].pk]["transfers_overdue"] == 1
    assert facts[many[0].pk]["dues_months_missed"] == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_city_is_fetched_on_several_connections_with_the_same_facts():
    from .conftest import World

    branches = _busy_branches(World(), 5)
    ids = Organization.objects.filter(pk__in=[b.pk for b in branches])
    one_by_one = compute_facts(branches=ids, start=START, end=END, workers=1)
    with CaptureQueriesContext(connection) as queries:
        at_once = compute_facts(branches=ids, start=START, end=END, workers=3)
    assert at_once == one_by_one
    assert len(queries) == 1                          # the branch ids here; the families on the threads' connections
    assert at_once[branches[1].pk]["funds_per_member"] == Decimal("33.33")


@pytest.mark.django_db(transaction=True)
def test_inside_a_transaction_every_family_runs_on_its_connection():
    """Another connection would not see the transaction's own rows (a record edit refreshing its facts)."""
    from django.db import transaction

    from .conftest import World

    with transaction.atomic():
        branches = _busy_branches(World(), 2)
        with CaptureQueriesContext(connection) as queries:
            facts = compute_facts(branches=[b.pk for b in branches], start=START, end=END, workers=3)
        assert len(queries) == 11 and facts[branches[0].pk]["transfers_overdue"] == 1


def test_fact_definitions_page_is_up_to_date():
    from pathlib import Path

    from chuangxing.facts.definitions import markdown

    page = Path(__file__).resolve().parents[2] / "docs" / "fact-definitions.md"
    text = page.read_text(encoding="utf-8")
    assert all(f"### `{name}`" in text for name in FACTS)
    regenerate = "python -m chuangxing.facts.definitions > docs/fact-definitions.md"
    assert text == markdown(), f"docs/fact-definitions.md is out of date: {regenerate}"
