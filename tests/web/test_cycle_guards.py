"""The guard rails on the admin's pages: a second cycle of the same year needs a reason, a new cycle warns
about a past deadline or a period without records, a cycle is cancelled after a confirmation."""

from datetime import timedelta

import pytest
from django.utils import timezone

from chuangxing.assessments.models import AuditEntry, Cycle, CycleStatus, State
from chuangxing.records.models import Meeting

from .cycle_world import CycleWorld

pytestmark = pytest.mark.django_db

FORM = {"name": "2026年度达标创星（补）", "rubric_id": "zhenjiang-2018", "period_start": "2025-12-16",
        "period_end": "2026-12-15", "spot_check_share": "0.2", "spot_check_tolerance": "3"}


@pytest.fixture
def world():
    return CycleWorld()


@pytest.fixture
def admin(client, world):
    client.force_login(world.admin)
    return client


def text(response) -> str:
    return response.content.decode()


def test_a_second_cycle_of_the_same_year_needs_a_reason(admin, world):
    world.open()
    refused = admin.post("/cycles/new/", {**FORM, "root": world.root.pk})
    assert refused.status_code == 200 and Cycle.objects.count() == 1
    assert "在同一年度已有考评周期“2026年度达标创星”；如确需再开一个，请写明理由" in text(refused)
    assert "field-error" in text(refused)
    opened = admin.post("/cycles/new/", {**FORM, "root": world.root.pk, "duplicate_reason": "补录两个新建支部"})
    cycle = Cycle.objects.get(name=FORM["name"])
    assert opened.status_code == 302 and opened["Location"] == f"/cycles/{cycle.pk}/"
    assert AuditEntry.objects.get(action="open_cycle", target=f"cycle:{cycle.pk}").reason == "补录两个新建支部"


def test_a_past_deadline_and_a_period_without_meetings_are_warned_about_then_allowed(admin, world):
    past = timezone.localtime() - timedelta(days=2)
    posted = {**FORM, "root": world.root.pk, "self_assessment_due": past.strftime("%Y-%m-%dT%H:%M")}
    warned = text(admin.post("/cycles/new/", posted))
    assert not Cycle.objects.exists()
    assert f"自评截止时间 {past:%Y年%m月%d日 %H:%M} 已经过去" in warned and "仍然开启" in warned
    assert "没有任何会议记录" not in warned                 # the demo city held meetings in the period
    opened = admin.post("/cycles/new/", {**posted, "confirm": "1"})
    assert opened.status_code == 302 and Cycle.objects.count() == 1

    Meeting.objects.all().delete()
    empty = text(admin.post("/cycles/new/", {**FORM, "name": "2027年度", "root": world.root.pk,
                                             "period_start": "2026-12-16", "period_end": "2027-12-15"}))
    assert "下的党支部在考评期（2026年12月16日至2027年12月15日）内没有任何会议记录" in empty
    assert "已经过去" not in empty and Cycle.objects.count() == 1


def test_the_cycle_is_cancelled_after_a_confirmation_and_stays_read_only(admin, world):
    cycle = world.open()
    page = text(admin.get(f"/cycles/{cycle.pk}/"))
    assert "取消本周期…" in page
    missing = text(admin.post(f"/cycles/{cycle.pk}/cancel/", {"reason": ""}))
    assert "请写明取消考评周期的理由" in missing
    asked = text(admin.post(f"/cycles/{cycle.pk}/cancel/", {"reason": "范围选错"}))
    assert "确认取消考评周期？" in asked and "其 12 个党支部的考评" in asked and "此操作不可撤销" in asked
    assert "理由：“范围选错”" in asked
    cycle.refresh_from_db()
    assert cycle.status == CycleStatus.OPEN
    done = text(admin.post(f"/cycles/{cycle.pk}/cancel/", {"reason": "范围选错", "confirm": "1"}, follow=True))
    assert "考评周期“2026年度达标创星”已取消，理由已记录" in done
    assert '<span class="cycle-status">已取消</span>' in done and "本考评周期已取消，只能查看" in done
    assert "取消本周期…" not in done
    assert AuditEntry.objects.get(action="cancel_cycle").reason == "范围选错"
    assert "已取消" in text(admin.get("/cycles/"))
    sample = text(admin.get(f"/cycles/{cycle.pk}/sample/"))
    assert "抽取样本</button>" not in sample
    refused = text(admin.post(f"/cycles/{cycle.pk}/sample/", {"seed": "", "confirm": "1"}, follow=True))
    assert "已取消，不能再修改" in refused and not cycle.draws.exists()
    again = text(admin.post(f"/cycles/{cycle.pk}/cancel/", {"reason": "x", "confirm": "1"}, follow=True))
    assert "考评周期已取消" in again


def test_the_secretary_of_a_cancelled_cycle_sees_no_moves(client, world):
    cycle = world.open()
    a = cycle.assessments.get(branch=world.branch)
    client.force_login(world.secretary)
    assert 'id="moves"' in text(client.get(f"/assessments/{a.pk}/self/"))
    cycle.status = CycleStatus.CANCELLED
    cycle.save(update_fields=["status"])
    assert 'id="moves"' not in text(client.get(f"/assessments/{a.pk}/self/"))
    posted = client.post(f"/assessments/{a.pk}/move/", {"action": "self_assess", "version": a.version, "stage": "self"},
                         follow=True)
    assert "已取消，不能再修改" in text(posted)
    a.refresh_from_db()
    assert a.state == State.DRAFT


def test_publishing_says_who_goes_into_the_notice_and_who_does_not(admin, world):
    world.open(spot_check_share="0.2")
    world.reviewed()
    cycle = world.cycle
    cycle.assessments.filter(pk__in=cycle.assessments.order_by("pk")[:3].values("pk")).update(state=State.SUBMITTED)
    today = timezone.localdate()
    posted = {"title": "结果公示", "starts_on": today, "ends_on": today + timedelta(days=6)}
    asked = text(admin.post(f"/cycles/{cycle.pk}/publicity/", posted))
    assert "将有 9 个党支部进入公示（已审核 9 个、已抽验 0 个）" in asked
    assert "还有 3/12 个党支部尚未完成审核或抽验，不在本次公示之列。" in asked
    assert not cycle.notices.exists() and not cycle.assessments.filter(state=State.ANNOUNCED).exists()
    short = text(admin.post(f"/cycles/{cycle.pk}/publicity/", {**posted, "ends_on": today}, follow=True))
    assert "少于规定的" in short                        # refused at once: nothing to confirm
    admin.post(f"/cycles/{cycle.pk}/publicity/", {**posted, "confirm": "1"})
    assert cycle.assessments.filter(state=State.ANNOUNCED).count() == 9
