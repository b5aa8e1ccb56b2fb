"""Records edited on the branch's pages reach its self-assessment at once: the facts (only that branch's), the
stored self total and the live score; the 从台账刷新 button recomputes them on demand, only while the
self-assessment is the branch's own."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from chuangxing.assessments.models import AuditEntry, FactValue, State
from chuangxing.assessments.services import transition
from chuangxing.records.models import Meeting, MeetingKind

from .work_world import WorkWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return WorkWorld()


def facts(world, branch) -> dict:
    return dict(FactValue.objects.filter(assessment__cycle=world.cycle, assessment__branch=branch)
                .values_list("name", "computed"))


def self_url(a) -> str:
    return reverse("web:self_assessment", kwargs={"assessment": a.pk})


def refresh_url(a) -> str:
    return reverse("web:refresh_facts", kwargs={"assessment": a.pk})


def shown_total(client, a) -> str:
    html = client.get(self_url(a)).content.decode()
    return html.split("data-total>", 1)[1].split("<", 1)[0]


def test_paying_dues_on_the_page_refreshes_the_facts_the_stored_total_and_the_live_score(client, world):
    a = world.fill_self(world.a1)
    client.force_login(world.secretary_a1)
    before, other, total = facts(world, world.a1), facts(world, world.b1), shown_total(client, a)
    assert before["dues_months_missed"] == 1                  # 陈静, February

    response = client.post(reverse("web:dues_edit", kwargs={"branch": world.a1.pk, "member": world.plain.pk,
                                                            "year": 2026, "month": 2}),
                           {"amount_due": "10", "amount_paid": "10", "paid_on": "2026-02-20"})

    assert response.status_code == 302
    assert facts(world, world.a1)["dues_months_missed"] == 0
    assert facts(world, world.b1) == other
    stored = world.assessment(world.a1)
    assert stored.self_total > a.self_total and stored.version == a.version
    assert shown_total(client, a) != total


def test_a_meeting_added_on_the_page_is_a_fact_of_that_branch_only(client, world):
    client.force_login(world.secretary_a1)
    other = facts(world, world.b1)
    assert facts(world, world.a1)["org_life_meeting_held"] is False

    client.post(reverse("web:meeting_new", kwargs={"branch": world.a1.pk}),
                {"kind": "org_life", "held_on": "2026-11-10", "topic": "年度组织生活会"})

    assert facts(world, world.a1)["org_life_meeting_held"] is True
    assert facts(world, world.b1) == other


def test_the_refresh_button_recomputes_the_facts_and_keeps_overrides(client, world):
    a = world.assessment(world.a1)
    FactValue.objects.filter(assessment=a, name="democratic_review_held").update(override=True, override_reason="纸质记录")
    Meeting.objects.create(branch=world.a1, key="A1-review", kind=MeetingKind.REVIEW, held_on=date(2026, 6, 1))
    Meeting.objects.create(branch=world.a1, key="A1-org-life", kind=MeetingKind.ORG_LIFE, held_on=date(2026, 6, 2))
    client.force_login(world.secretary_a1)
    assert "从台账刷新" in client.get(self_url(a)).content.decode()

    response = client.post(refresh_url(a), follow=True)

    assert "已从台账重新计算数据" in response.content.decode()
    after = facts(world, world.a1)
    assert after["org_life_meeting_held"] is True and after["democratic_review_held"] is True
    kept = FactValue.objects.get(assessment=a, name="democratic_review_held")
    assert (kept.override, kept.override_reason) == (True, "纸质记录")
    assert AuditEntry.objects.filter(actor=world.secretary_a1, action="refresh_facts", assessment=a).exists()
    again = client.post(refresh_url(a), follow=True)
    assert "台账数据没有变化" in again.content.decode()


def test_a_submitted_self_assessment_keeps_its_facts_and_others_may_not_refresh(client, world):
    a = world.fill_self(world.a1)
    a = transition(assessment=a, action="self_assess", by=world.secretary_a1)
    a = transition(assessment=a, action="submit", by=world.secretary_a1)
    Meeting.objects.create(branch=world.a1, key="A1-org-life", kind=MeetingKind.ORG_LIFE, held_on=date(2026, 6, 2))
    client.force_login(world.secretary_a1)
    assert "从台账刷新" not in client.get(self_url(a)).content.decode()

    response = client.post(refresh_url(a), follow=True)

    assert "事实保持提交时的值" in response.content.decode()
    assert facts(world, world.a1)["org_life_meeting_held"] is False
    assert world.assessment(world.a1).state == State.SUBMITTED
    client.force_login(world.secretary_b1)
    assert client.post(refresh_url(world.assessment(world.a1))).status_code == 403
    client.force_login(world.reviewer_a)
    assert client.post(refresh_url(world.assessment(world.a2))).status_code == 403
