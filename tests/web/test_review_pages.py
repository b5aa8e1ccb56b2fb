"""The reviewer's side-by-side page and the inspector's: adjust with a reason, fraud, return, approve, the audit
trail; the spot check of a sampled branch; and who may open them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from chuangxing.assessments.models import AuditEntry, Finding, State
from chuangxing.assessments.sampling import draw_sample
from chuangxing.assessments.services import transition

from .work_world import WorkWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return WorkWorld(spot_check_share=Decimal("1"))


def url(view: str, a, **kwargs) -> str:
    return reverse(f"web:{view}", kwargs={"assessment": a.pk, **kwargs})


def move(client, a, action: str, **extra):
    a.refresh_from_db()
    return client.post(url("assessment_move", a), {"action": action, "version": a.version, "stage": "review", **extra},
                       follow=True)


def test_review_page_shows_self_and_review_side_by_side(client, world):
    a = world.submitted(world.a1)
    client.force_login(world.reviewer_a)

    html = client.get(url("review", a)).content.decode()

    assert "审核：甲一支部" in html and "已提交" in html
    assert "党员纳入党支部管理率达到100%（2分）" in html and "党支部工作未覆盖所在单位扣1分" in html
    assert "自评 <b>" in html and "审核 <b" in html and "自评：" in html
    assert "开始审核" in html and "退回修改" in html
    assert "保存审核调整" not in html                               # not editable before the review starts
    assert "操作记录" in html and "完成自评" in html and "提交" in html   # the audit trail of the moves so far


def test_reviewer_adjusts_with_a_required_reason_and_approves(client, world):
    a = world.submitted(world.a1)
    client.force_login(world.reviewer_a)
    move(client, a, "start_review")
    a.refresh_from_db()
    assert a.state == State.UNDER_REVIEW
    assert "保存审核调整" in client.get(url("review", a)).content.decode()

    no_reason = client.post(url("review", a), {"version": a.version, "zj-team-3-e__value": "1"})
    assert no_reason.status_code == 400 and "审核或抽验调整须写明理由" in no_reason.content.decode()
    assert not Finding.objects.filter(assessment=a, stage="review").exists()

    saved = client.post(url("review", a), {"version": a.version, "zj-team-3-e__value": "1",
                                           "zj-team-3-e__reason": "群众来信一件，经核实"})
    assert saved.status_code == 302
    finding = Finding.objects.get(assessment=a, stage="review")
    assert (finding.rule_id, finding.value, finding.reason, finding.updated_by) == (
        "zj-team-3-e", 1, "群众来信一件，经核实", world.reviewer_a)
    html = client.get(url("review", a)).content.decode()
    assert "群众来信一件，经核实" in html and "审核调整" in html and "甲党委审核人" in html   # the audit trail: who, why
    assert "差 2" in html                                                                # the gap on zj-team-3

    asked = move(client, a, "approve").content.decode()
    a.refresh_from_db()
    assert a.state == State.UNDER_REVIEW and "确认“审核通过”？" in asked and "审核通过后审核得分即确定" in asked
    approved = move(client, a, "approve", confirm="1")
    a.refresh_from_db()
    assert a.state == State.REVIEWED and a.reviewed_total == a.self_total - 2
    assert "已审核通过" in approved.content.decode()


def test_review_preview_layers_the_adjustment_over_the_self_assessment(client, world):
    a = world.under_review(world.a1)
    client.force_login(world.reviewer_a)

    data = client.post(url("assessment_preview", a, stage="review"), {
        "version": a.version, "zj-team-3-e__value": "1", "zj-team-3-e__reason": "经核实"}).json()

    assert data["ok"] and Decimal(data["total"]) == a.self_total - 2


def test_reverting_an_adjustment_falls_back_to_the_self_assessment(client, world):
    a = world.under_review(world.a1)
    client.force_login(world.reviewer_a)
    client.post(url("review", a), {"version": a.version, "zj-team-3-e__value": "1", "zj-team-3-e__reason": "经核实"})
    a.refresh_from_db()
    assert "撤销本人的调整" in client.get(url("review", a)).content.decode()

    client.post(url("review", a), {"version": a.version, "zj-team-3-e__value": "1", "zj-team-3-e__revert": "on",
                                   "zj-team-3-e__reason": "误判"})

    assert not Finding.objects.filter(assessment=a, stage="review").exists()


def test_return_needs_a_reason(client, world):
    a = world.submitted(world.a1)
    client.force_login(world.reviewer_a)

    refused = move(client, a, "return", reason="")
    assert "“退回修改”须写明理由" in refused.content.decode()
    move(client, a, "return", reason="佐证材料不全")

    a.refresh_from_db()
    assert a.state == State.RETURNED
    assert AuditEntry.objects.get(assessment=a, action="return").reason == "佐证材料不全"


def test_a_stale_review_save_is_a_conflict(client, world):
    a = world.under_review(world.a1)
    read = a.version
    client.force_login(world.reviewer_a)
    client.post(url("review", a), {"version": read, "zj-team-3-e__value": "1", "zj-team-3-e__reason": "一"})

    response = client.post(url("review", a), {"version": read, "zj-org-1-c__value": "yes", "zj-org-1-c__reason": "二"})

    assert response.status_code == 409 and "请刷新后再修改" in response.content.decode()
    assert not Finding.objects.filter(assessment=a, stage="review", rule_id="zj-org-1-c").exists()


def test_who_may_open_the_review_page(client, world):
    a = world.submitted(world.a1)
    for user, status in [(world.secretary_a1, 403), (world.reviewer_b, 403), (world.secretary_b1, 403),
                         (world.inspector, 403), (world.reviewer_a, 200), (world.admin, 200)]:
        client.force_login(user)
        assert client.get(url("review", a)).status_code == status, user.username
    assert AuditEntry.objects.filter(actor=world.reviewer_b, denied=True, assessment=a).exists()
    client.force_login(world.secretary_a1)
    assert client.post(url("assessment_preview", a, stage="review"), {"version": a.version}).status_code == 403
    assert client.post(url("assessment_preview", a, stage="inspection"), {"version": a.version}).status_code == 403


def test_fraud_is_flagged_with_a_reason_and_withdrawn(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = WorkWorld(rubric_id="shaoxing-2018")
    a = world.under_review(world.a1)
    client.force_login(world.reviewer_a)
    html = client.get(url("review", a)).content.decode()
    assert "认定弄虚作假" in html
    target = "sx-study-2"

    empty = client.post(url("assessment_fraud", a), {"target": target, "reason": "", "version": a.version,
                                                     "stage": "review"}, follow=True)
    assert "须写明理由" in empty.content.decode()
    client.post(url("assessment_fraud", a), {"target": target, "reason": "学习记录系补写", "version": a.version,
                                             "stage": "review"})
    a.refresh_from_db()
    assert [f["target"] for f in a.fraud_flags] == [target]
    assert "学习记录系补写" in client.get(url("review", a)).content.decode()

    client.post(url("assessment_fraud", a), {"target": target, "reason": "认定有误", "version": a.version,
                                             "withdraw": "1", "stage": "review"})
    a.refresh_from_db()
    assert a.fraud_flags == []


def test_the_inspector_rescores_a_sampled_branch_and_completes_the_spot_check(client, world):
    a = world.under_review(world.a1)
    transition(assessment=a, action="approve", by=world.reviewer_a)
    draw_sample(cycle=world.cycle, seed="web-test", by=world.admin)
    a.refresh_from_db()
    assert a.state == State.SAMPLED
    client.force_login(world.inspector)

    html = client.get(url("inspection", a)).content.decode()
    assert "抽验：甲一支部" in html and "完成抽验" in html and "审核 <b>" in html and "抽验 <b" in html
    client.post(url("inspection", a), {"version": a.version, "zj-team-3-e__value": "3",
                                       "zj-team-3-e__reason": "走访发现三例"})
    a.refresh_from_db()
    done = client.post(url("assessment_move", a), {"action": "spot_check", "version": a.version, "stage": "inspection"},
                       follow=True)

    a.refresh_from_db()
    assert a.state == State.SPOT_CHECKED and a.downgraded
    assert "已完成抽验" in done.content.decode() and "超过容差" in done.content.decode()


def test_the_inspection_page_is_only_for_sampled_branches_and_their_inspectors(client, world):
    a = world.submitted(world.a1)
    client.force_login(world.inspector)
    assert client.get(url("inspection", a)).status_code == 403          # not sampled: not visible to the inspector
    client.force_login(world.admin)
    assert client.get(url("inspection", a)).status_code == 403          # not sampled
    client.force_login(world.reviewer_a)
    assert client.get(url("inspection", a)).status_code == 403
