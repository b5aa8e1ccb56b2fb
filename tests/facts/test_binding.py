"""Facts computed from a branch's records become the findings a rubric is scored on."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from chuangxing.facts.binding import findings_from_facts, rubric_fact_names
from chuangxing.facts.catalogue import FACTS
from chuangxing.facts.compute import compute_facts
from chuangxing.orgs.models import Transfer
from chuangxing.records.models import Dues, MeetingKind, SiteCheck
from chuangxing.rubric import load_rubric
from chuangxing.scoring import score

START, END = date(2024, 1, 1), date(2024, 12, 31)


@pytest.fixture(scope="module")
def zhenjiang():
    return load_rubric("zhenjiang-2018")


def test_the_facts_a_rubric_reads(zhenjiang):
    names = rubric_fact_names(zhenjiang)
    # bound with fact:, read in when expressions, and in a veto's parameterized condition (term_veto_when)
    assert {"transfers_overdue", "six_musts_missing", "secretary_test_score", "secretary_vacant"} <= names
    assert {"dues_reassessed_by_march", "funds_per_member", "funds_guaranteed", "public_satisfaction_rate"} <= names
    assert "term_overdue" in names
    assert names <= FACTS.keys()
    assert "party_groups" not in names                   # read by no rule of this rubric


def test_empty_values_are_left_out_unless_empty_means_something(zhenjiang):
    facts = {"funds_per_member": None, "funds_guaranteed": True, "secretary_test_score": None,
             "participation_rate_min": Decimal("50"), "member_satisfaction_rate": None}
    assert findings_from_facts(zhenjiang, facts) == {"facts": {"funds_guaranteed": True, "secretary_test_score": None}}


@pytest.mark.django_db
def test_deductions_come_from_the_branchs_records(world, zhenjiang):
    branch = world.branch()
    members = world.members(branch, 14)
    members.append(world.member(branch, under_management=False))                 # 15 party members, no 党小组
    Transfer.objects.create(member=members[0], due_on=date(2024, 3, 1))          # never done
    world.theme_days(branch, 2024)
    for month in (3, 6, 9):
        world.meeting(branch, MeetingKind.GENERAL, date(2024, month, 5), present=members)
        world.meeting(branch, MeetingKind.LECTURE, date(2024, month, 6))         # three 党课 of four
    world.meeting(branch, MeetingKind.GENERAL, date(2024, 12, 5), present=members[:7], absent=members[7:10])   # 70%
    SiteCheck.objects.create(branch=branch, checked_on=date(2024, 6, 1), has_site=True, has_oath=True, has_duties=True,
                             has_plan=True)
    Dues.objects.create(member=members[1], month=date(2024, 5, 1), amount_due=Decimal("20"), amount_paid=Decimal("10"),
                        paid_on=date(2024, 5, 2))

    names = rubric_fact_names(zhenjiang)
    facts = compute_facts(branches=[branch], start=START, end=END, names=names)[branch.pk]
    assert "public_satisfaction_rate" not in facts       # provided by the surveys
    sheet = score(zhenjiang, findings_from_facts(zhenjiang, facts))

    entries = {e.rule: e for category in sheet.categories for e in category.trace() if e.rule}
    expected = {
        "zj-org-1-a": ("members_not_managed", -1),
        "zj-org-1-b": ("transfers_overdue", -1),
        "zj-org-2-c": ("groups_required_missing", -2),
        "zj-team-1-test": ("secretary_test_score", -4),     # no test taken: 不参加不得分
        "zj-team-2-a": ("committee_required_missing", -1),  # 15 members and no committee term
        "zj-sys-1-a": ("three_meetings_shortfall", -1),     # one 党课 short
        "zj-sys-1-e": ("meetings_below_80pct", -1),
        "zj-sys-3-c": ("dues_short_paid", -1),
        "zj-guar-1-six": ("six_musts_missing", -2),         # no flag, no board
    }
    for rule, (fact, points) in expected.items():
        assert rule in entries, f"{rule} took nothing from {fact}"
        assert (entries[rule].source, entries[rule].points) == (f"fact:{fact}", Decimal(points)), rule
    assert entries["zj-guar-1-six"].input == ["flag", "board"]           # in the checklist's order
    # when expressions over facts: the dues were not reassessed, no plan, no monthly records
    assert entries["zj-sys-3-a"].source == "expression"
    assert entries["zj-sys-4-a"].source == "expression"
    # no rule took points from a fact that is fine
    fine = {e.rule for e in entries.values() if e.source.startswith("fact:")} - set(expected)
    assert not fine, fine
    assert [hit.id for hit in sheet.vetoes] == ["zj-veto-secretary"]      # no 书记; the term is not overdue
    assert "zj-team-1-b" in sheet.unassessed             # needs member_satisfaction_rate, from the surveys
