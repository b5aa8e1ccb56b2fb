"""我的工作: what each role sees after signing in."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chuangxing.assessments.models import Assessment, State

from .work_world import PASSWORD, WorkWorld, make_user, with_password

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return WorkWorld()


def test_sign_in_lands_on_my_work(client, world):
    with_password(world.secretary_a1)

    response = client.post(reverse("login"), {"username": "secretary_a1", "password": PASSWORD})

    assert response.status_code == 302 and response["Location"] == reverse("web:my_work")


def test_secretary_sees_the_branch_assessment_and_what_to_do(client, world):
    client.force_login(world.secretary_a1)

    html = client.get(reverse("web:my_work")).content.decode()

    a = world.assessment(world.a1)
    assert "甲一支部" in html and "2026年度达标创星" in html and "未自评" in html
    assert "填写自评，填完后点“完成自评”" in html
    assert reverse("web:self_assessment", kwargs={"assessment": a.pk}) in html
    assert reverse("web:member_list", kwargs={"branch": world.a1.pk}) in html
    assert "乙一支部" not in html and "审核队列" not in html


def test_secretary_sees_the_return_reason(client, world):
    from chuangxing.assessments.services import transition

    a = world.submitted(world.a1)
    transition(assessment=a, action="return", reason="三会一课记录不全，请补充佐证", by=world.reviewer_a)
    client.force_login(world.secretary_a1)

    html = client.get(reverse("web:my_work")).content.decode()

    assert "退回修改" in html and "三会一课记录不全，请补充佐证" in html


def test_reviewer_sees_the_queue_of_the_subtree_with_counts(client, world):
    world.submitted(world.a1)
    world.submitted(world.b1)
    client.force_login(world.reviewer_a)

    html = client.get(reverse("web:my_work")).content.decode()

    a1 = world.assessment(world.a1)
    assert "审核队列" in html and "待审核（1）" in html
    assert reverse("web:review", kwargs={"assessment": a1.pk}) in html
    assert "乙一支部" not in html                              # another committee's branch
    assert "已提交" in html and "未自评" in html               # counts by state: a1 submitted, a2 draft


def test_inspector_sees_only_the_sampled_branches(client, world):
    a = world.assessment(world.a2)
    Assessment.objects.filter(pk=a.pk).update(sampled=True, state=State.SAMPLED)
    client.force_login(world.inspector)

    html = client.get(reverse("web:my_work")).content.decode()

    assert "抽验党支部" in html and "甲二支部" in html and "其中 1 个待抽验" in html
    assert reverse("web:inspection", kwargs={"assessment": a.pk}) in html
    assert "甲一支部" not in html


def test_a_user_without_a_role_is_told_so(client, world):
    client.force_login(make_user("nobody", "无角色"))

    html = client.get(reverse("web:my_work")).content.decode()

    assert "尚未分配角色" in html


def test_my_work_needs_sign_in(client):
    response = client.get(reverse("web:my_work"))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_a_closed_cycle_stays_on_my_work_while_a_branch_is_in_rectification(client, world):
    from chuangxing.assessments.models import Cycle, CycleStatus

    Cycle.objects.filter(pk=world.cycle.pk).update(status=CycleStatus.CLOSED)
    Assessment.objects.filter(cycle=world.cycle).update(state=State.FINALIZED)
    client.force_login(world.secretary_a1)
    assert "2026年度达标创星" not in client.get(reverse("web:my_work")).content.decode()

    Assessment.objects.filter(cycle=world.cycle, branch=world.a1).update(state=State.RECTIFICATION)

    html = client.get(reverse("web:my_work")).content.decode()
    assert "2026年度达标创星" in html and "列入整改，请按提示反馈清单整改" in html
