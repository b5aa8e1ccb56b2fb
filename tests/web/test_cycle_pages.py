"""The work-committee admin's pages (Django test client): cycles, progress, roles, sample, publicity, lists,
dashboards and their JSON, the public notice; and that nobody else gets in."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from chuangxing.assessments import lists, publicity, sampling
from chuangxing.assessments.models import AuditEntry, Cycle, Objection, Role, RoleAssignment, State

from .cycle_world import CycleWorld

pytestmark = pytest.mark.django_db

PAGES = ["", "roles/", "sample/", "publicity/", "lists/", "dashboard/"]


@pytest.fixture
def world():
    return CycleWorld()


@pytest.fixture
def admin(client, world):
    client.force_login(world.admin)
    return client


def as_user(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def text(response) -> str:
    return response.content.decode()


def announced(world, *, days_ago: int = 0):
    """The world reviewed, sampled, inspected and announced (``CycleWorld.announced``)."""
    return world.announced(days_ago=days_ago)


# -- a new cycle ------------------------------------------------------------------------------------
def test_the_admin_opens_a_cycle_from_the_form(admin, world):
    page = admin.get("/cycles/new/")
    assert page.status_code == 200
    assert "镇江" in text(page) and "考评范围" in text(page)
    response = admin.post("/cycles/new/", {
        "name": "2026年度达标创星", "root": world.root.pk, "rubric_id": "zhenjiang-2018", "period_start": "2025-12-16",
        "period_end": "2026-12-15", "spot_check_share": "0.2", "spot_check_tolerance": "3"})
    cycle = Cycle.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/cycles/{cycle.pk}/"
    assert cycle.assessments.count() == 12 and str(cycle.spot_check_share) == "0.200"
    assert AuditEntry.objects.filter(action="open_cycle", actor=world.admin).exists()
    listing = text(admin.get("/cycles/"))
    assert "2026年度达标创星" in listing


def test_a_bad_form_is_answered_in_chinese_and_opens_nothing(admin, world):
    response = admin.post("/cycles/new/", {
        "name": "x", "root": world.root.pk, "rubric_id": "zhenjiang-2018", "period_start": "2026-12-15",
        "period_end": "2025-12-16", "spot_check_share": "2", "spot_check_tolerance": "3"})
    assert response.status_code == 200
    assert "考评期结束日不能早于开始日" in text(response)
    assert "2" in text(response) and "field-error" in text(response)
    assert not Cycle.objects.exists()


# -- progress -----------------------------------------------------------------------------------------
def test_progress_names_who_has_not_submitted_and_who_waits(admin, world):
    cycle = world.open()
    waiting = cycle.assessments.order_by("pk").first()
    cycle.assessments.filter(pk=waiting.pk).update(state=State.SUBMITTED, submitted_at=timezone.now())
    page = text(admin.get(f"/cycles/{cycle.pk}/"))
    assert "尚未提交（11）" in page and "等待审核（1）" in page
    assert f'href="/assessments/{waiting.pk}/review/"' in page
    other = cycle.assessments.exclude(pk=waiting.pk).first()
    assert f'href="/assessments/{other.pk}/self/"' in page


def test_the_gap_lists_the_over_claims_first(admin, world):
    cycle = world.open()
    world.reviewed()
    first, second = cycle.assessments.order_by("pk")[:2]
    cycle.assessments.filter(pk=first.pk).update(self_total=100, reviewed_total=90)
    cycle.assessments.filter(pk=second.pk).update(self_total=95, reviewed_total=94)
    page = text(admin.get(f"/cycles/{cycle.pk}/"))
    gaps = page[page.index('id="gaps"'):]
    assert gaps.index(first.branch.name) < gaps.index(second.branch.name)


# -- roles ------------------------------------------------------------------------------------------
def test_granting_and_revoking_a_reviewer_is_audited(admin, world):
    cycle = world.open()
    response = admin.post(f"/cycles/{cycle.pk}/roles/", {"user": world.secretary.pk, "role": Role.REVIEWER,
                                                         "organization": world.committee.pk})
    assert response.status_code == 302
    grant = RoleAssignment.objects.get(user=world.secretary, role=Role.REVIEWER)
    assert AuditEntry.objects.filter(action="grant_role", actor=world.admin, target=f"org:{world.committee.pk}").exists()
    again = admin.post(f"/cycles/{cycle.pk}/roles/", {"user": world.secretary.pk, "role": Role.REVIEWER,
                                                      "organization": world.committee.pk}, follow=True)
    assert "已是" in text(again)
    assert admin.post(f"/cycles/{cycle.pk}/roles/{grant.pk}/revoke/").status_code == 302
    assert not RoleAssignment.objects.filter(pk=grant.pk).exists()
    assert AuditEntry.objects.filter(action="revoke_role", actor=world.admin).exists()


# -- the sample -----------------------------------------------------------------------------------
def test_the_sample_shows_its_seed_population_and_verification(admin, world):
    cycle = world.open(spot_check_share="0.25")
    refused = admin.post(f"/cycles/{cycle.pk}/sample/", {"seed": ""}, follow=True)
    assert "没有已审核的党支部，无法抽取抽验样本" in text(refused)
    world.reviewed()
    behind = cycle.assessments.order_by("pk")[:2].values("pk")
    cycle.assessments.filter(pk__in=behind).update(state=State.UNDER_REVIEW)     # two still under review
    asked = text(admin.post(f"/cycles/{cycle.pk}/sample/", {"seed": "2026-seed"}))
    assert "只有 10/12 个党支部已审核；其余 2 个不参加抽样。" in asked
    assert "将抽取 3 个党支部" in asked and "确认抽取 3 个党支部" in asked and 'value="2026-seed"' in asked
    assert not cycle.draws.exists() and not cycle.assessments.filter(state=State.SAMPLED).exists()
    response = admin.post(f"/cycles/{cycle.pk}/sample/", {"seed": "2026-seed", "confirm": "1"}, follow=True)
    page = text(response)
    assert "已抽取 3 个党支部进行抽验" in page
    assert "2026-seed" in page and "复核一致" in page
    draw = cycle.draws.get()
    assert cycle.assessments.filter(state=State.SAMPLED).count() == len(draw.sample) == 3
    for pk in draw.sample:
        assert cycle.assessments.get(pk=pk).branch.name in page


# -- publicity and finalization ------------------------------------------------------------------------
def test_announce_object_answer_and_finalize(admin, world):
    world.open(spot_check_share="0.2")
    world.reviewed()
    cycle = world.cycle
    sampling.draw_sample(cycle=cycle, seed="s", by=world.admin)
    open_checks = admin.post(f"/cycles/{cycle.pk}/publicity/", {"title": "公示", "starts_on": timezone.localdate(),
                                                                "ends_on": timezone.localdate() + timedelta(days=6)},
                             follow=True)
    assert "还有党支部抽验未完成，不能公示" in text(open_checks)
    world.inspected()
    posted = {"title": "2026年度结果公示", "starts_on": timezone.localdate(), "ends_on": timezone.localdate() + timedelta(days=6)}
    asked = text(admin.post(f"/cycles/{cycle.pk}/publicity/", posted))
    assert "将有 12 个党支部进入公示" in asked and "确认发布（12 个党支部）" in asked and not cycle.notices.exists()
    response = admin.post(f"/cycles/{cycle.pk}/publicity/", {**posted, "confirm": "1"})
    assert response.status_code == 302
    notice = cycle.notices.get()
    assert cycle.assessments.filter(state=State.ANNOUNCED).count() == 12

    # anyone objects on the public page
    public = Client(enforce_csrf_checks=True)
    page = public.get(f"/notice/{notice.pk}/")
    assert page.status_code == 200 and "2026年度结果公示" in text(page)
    target = cycle.assessments.order_by("pk").first()
    assert target.branch.name in text(page)
    assert public.post(f"/notice/{notice.pk}/", {"assessment": target.pk, "text": "主题党日没有开展"}).status_code == 403
    token = page.cookies["csrftoken"].value
    posted = public.post(f"/notice/{notice.pk}/", {"assessment": target.pk, "text": "主题党日没有开展",
                                                   "csrfmiddlewaretoken": token})
    assert posted.status_code == 302
    objection = Objection.objects.get()

    # finalization is refused while the notice runs and the objection is open, in the service's words
    refused = text(admin.post(f"/cycles/{cycle.pk}/finalize/", follow=True))
    assert "公示期满后才能评定" in refused
    listed = text(admin.get(f"/cycles/{cycle.pk}/publicity/"))
    assert "主题党日没有开展" in listed and "未答复 1" in listed
    assert admin.post(f"/cycles/{cycle.pk}/objections/{objection.pk}/answer/", {"answer": "经核实已扣分"}).status_code == 302
    objection.refresh_from_db()
    assert objection.answer == "经核实已扣分" and objection.answered_by == world.admin

    cycle.notices.update(starts_on=timezone.localdate() - timedelta(days=10), ends_on=timezone.localdate() - timedelta(days=3))
    asked = text(admin.post(f"/cycles/{cycle.pk}/finalize/"))
    assert "将对公示中的 12 个党支部评定星级（等次）" in asked and "未答复的异议 0 条" in asked
    assert not cycle.assessments.filter(state=State.FINALIZED).exists()
    done = admin.post(f"/cycles/{cycle.pk}/finalize/", {"confirm": "1"}, follow=True)
    assert "评定完成：12 个党支部已评定，考评周期已结束" in text(done)
    assert cycle.assessments.filter(state=State.FINALIZED).count() == 12
    assert '<span class="cycle-status">已结束</span>' in admin.get(f"/cycles/{cycle.pk}/").content.decode()


def test_finalize_names_the_open_objections(admin, world):
    notice = announced(world, days_ago=2)
    target = world.cycle.assessments.order_by("pk").first()
    Objection.objects.create(notice=notice, assessment=target, text="材料不实")
    page = text(admin.post(f"/cycles/{world.cycle.pk}/finalize/", follow=True))
    assert "公示期间的异议尚未全部答复，不能评定" in page and "材料不实" in page


def test_the_notice_refuses_objections_outside_its_period(world):
    notice = announced(world, days_ago=2)
    client = Client()
    page = text(client.get(f"/notice/{notice.pk}/"))
    assert "不在公示期内" in page and "不能提出异议" in page
    target = world.cycle.assessments.first()
    response = client.post(f"/notice/{notice.pk}/", {"assessment": target.pk, "text": "迟到的异议"})
    assert "不在公示期内" in text(response) and not Objection.objects.exists()


@pytest.fixture
def counts():
    cache.clear()
    yield
    cache.clear()


def test_a_flood_on_the_public_notice_is_refused_with_429_beside_the_form(world, counts):
    notice = announced(world)
    target = world.cycle.assessments.order_by("pk").first()
    public = Client(REMOTE_ADDR="203.0.113.9")
    codes = [public.post(f"/notice/{notice.pk}/", {"assessment": target.pk, "text": f"异议{i}"}).status_code
             for i in range(50)]

    assert codes == [302] * 3 + [429] * 47
    assert Objection.objects.count() == 3
    refused = public.post(f"/notice/{notice.pk}/", {"assessment": target.pk, "text": "再来一条"})
    page = text(refused)
    form = page[page.index('<form method="post" class="cx-form">'):page.index("</form>")]
    assert "同一网络地址 10 分钟内对本公示最多提出 3 条异议" in form and 'role="alert"' in form
    assert "再来一条" in form                      # what was typed is kept
    too_long = Client(REMOTE_ADDR="198.51.100.4").post(f"/notice/{notice.pk}/", {"assessment": target.pk,
                                                                                "text": "长" * 2001})
    assert too_long.status_code == 400 and "异议内容不能超过 2000 字（现有 2001 字），请精简后再提交" in text(too_long)
    assert 'maxlength="2000"' in text(too_long) and Objection.objects.count() == 3


def test_the_admin_closes_objections_in_bulk_after_confirming(admin, world, counts):
    notice = announced(world)
    target = world.cycle.assessments.order_by("pk").first()
    flood = [Objection.objects.create(notice=notice, assessment=target, text=f"刷屏内容{i}").pk for i in range(4)]
    real = Objection.objects.create(notice=notice, assessment=target, text="主题党日没有开展")
    url = f"/cycles/{world.cycle.pk}/objections/dismiss/"
    page = text(admin.get(f"/cycles/{world.cycle.pk}/publicity/"))
    assert 'form="dismiss-form"' in page and "所选异议不予受理" in page

    # the first POST only says what will happen
    asked = admin.post(url, {"objections": flood[:3], "kind": "dismissed", "reason": "与公示结果无关"})
    assert asked.status_code == 200
    assert "确认：将关闭所选的 3 条异议，标记为“不予受理”。" in text(asked) and "此操作不可撤销" in text(asked)
    assert not Objection.objects.exclude(status="open").exists()
    missing = admin.post(url, {"objections": flood[:3], "kind": "dismissed", "reason": ""}, follow=True)
    assert "请写明不予受理的理由" in text(missing) and not Objection.objects.exclude(status="open").exists()

    done = admin.post(url, {"objections": flood[:3], "kind": "dismissed", "reason": "与公示结果无关", "confirm": "1"},
                      follow=True)
    assert "已将 3 条异议标记为不予受理" in text(done)
    spam = admin.post(url, {"objections": [flood[3]], "kind": "spam", "reason": "", "confirm": "1"}, follow=True)
    assert "已将 1 条异议标记为恶意或重复提交" in text(spam)
    assert dict(Objection.objects.values_list("pk", "status")) == {
        **{pk: "dismissed" for pk in flood[:3]}, flood[3]: "spam", real.pk: "open"}
    assert AuditEntry.objects.filter(action="dismiss_objection", actor=world.admin).count() == 4
    again = admin.post(url, {"objections": [flood[0]], "kind": "dismissed", "reason": "x", "confirm": "1"}, follow=True)
    assert "所选的异议已处理或不存在" in text(again)

    public = text(Client().get(f"/notice/{notice.pk}/"))
    assert public.count("不予受理：与公示结果无关") == 3 and "不予受理：恶意或重复提交" in public
    assert "待答复" in public and "刷屏内容" not in public and "主题党日没有开展" not in public
    # only the open objection still holds finalization back
    world.cycle.notices.update(starts_on=timezone.localdate() - timedelta(days=10),
                               ends_on=timezone.localdate() - timedelta(days=3))
    refused = text(admin.post(f"/cycles/{world.cycle.pk}/finalize/", follow=True))
    assert "共 1 条" in refused and "主题党日没有开展" in refused


def test_only_the_admin_closes_objections(world):
    notice = announced(world)
    objection = Objection.objects.create(notice=notice, assessment=world.cycle.assessments.first(), text="异议")
    reviewer = as_user(world.reviewer)
    response = reviewer.post(f"/cycles/{world.cycle.pk}/objections/dismiss/",
                             {"objections": [objection.pk], "kind": "spam", "confirm": "1"})
    assert response.status_code in (403, 404)
    assert Objection.objects.get().status == "open"


def test_an_unknown_notice_is_404(client, db):
    assert client.get("/notice/999/").status_code == 404


# -- lists and downloads ------------------------------------------------------------------------------
def test_the_lists_after_finalization_and_their_downloads(admin, world):
    announced(world, days_ago=2)
    cycle = world.cycle
    publicity.finalize(cycle=cycle, by=world.admin)
    page = text(admin.get(f"/cycles/{cycle.pk}/lists/"))
    assert "附件2" in page and "未授星（未达标）党支部名单" in page and "分布与目标" in page
    assert 'id="quota"' in page
    for fmt, magic in (("xlsx", b"PK"), ("pdf", b"%PDF"), ("csv", "\ufeff".encode())):
        assert f'href="/cycles/{cycle.pk}/reports/unstarred.{fmt}"' in page
        response = admin.get(f"/cycles/{cycle.pk}/reports/unstarred.{fmt}")
        assert response.status_code == 200 and response.content.startswith(magic)
        assert "attachment" in response["Content-Disposition"]
    assert admin.get(f"/cycles/{cycle.pk}/reports/nonsense.pdf").status_code == 404
    for row in lists.unrated_rows(cycle=cycle) + lists.recommendation_rows(cycle=cycle):   # each branch: its own sheet
        link = f"/assessments/{row['assessment_id']}/score-sheet.pdf"
        assert f'href="{link}" download title="{row["name"]}的评分表（PDF）"' in page
    first = lists.unrated_rows(cycle=cycle)[0]
    assert admin.get(f"/assessments/{first['assessment_id']}/score-sheet.pdf").content.startswith(b"%PDF")
    assert admin.get(f"/cycles/{cycle.pk}/reports/unstarred.doc").status_code == 404


# -- dashboards ---------------------------------------------------------------------------------------
def test_the_dashboard_json_serves_the_numbers_the_page_shows(admin, world):
    cycle = world.open()
    world.reviewed()
    page = text(admin.get(f"/cycles/{cycle.pk}/dashboard/"))
    data = admin.get(f"/api/cycles/{cycle.pk}/dashboard/").json()
    assert "chart.umd.min" in page and 'id="chart-distribution"' in page
    assert sum(r["count"] for r in data["submissions"]) == 12 == data["submissions"][-1]["cumulative"]
    for row in data["submissions"]:
        assert f'<td>{row["day"]}</td><td class="num">{row["count"]}</td><td class="num">{row["cumulative"]}</td>' in page
    top = data["short_board"][0]
    assert float(top["lost"]) > 0 and top["title"] in page
    assert f'<td class="num">{top["lost"]}</td><td class="num">{top["average"]}</td>' in page
    overall = [r for r in data["distribution"] if r["committee_id"] is None]
    assert overall and all(r["target_text"] in page for r in overall)

    drill = admin.get(f"/cycles/{cycle.pk}/dashboard/short-board/{top['indicator']}/")
    rows = admin.get(f"/api/cycles/{cycle.pk}/dashboard/short-board/{top['indicator']}/").json()["rows"]
    assert len(rows) == top["losing"] and all(r["branch"] in text(drill) for r in rows)
    assert admin.get(f"/cycles/{cycle.pk}/dashboard/short-board/no-such-indicator/").status_code == 404


def test_a_branch_dashboard_shows_its_categories_and_history(admin, world):
    notice = announced(world, days_ago=2)
    publicity.finalize(cycle=notice.cycle, by=world.admin)
    a = world.cycle.assessments.order_by("pk").first()
    page = text(admin.get(f"/cycles/{world.cycle.pk}/dashboard/branches/{a.pk}/"))
    data = admin.get(f"/api/cycles/{world.cycle.pk}/dashboard/branches/{a.pk}/").json()
    assert [c["title"] for c in data["categories"]] == ["基本组织覆盖", "基本队伍建设", "基本制度执行", "基本功能发挥",
                                                       "基本保障落实"]
    assert all(c["title"] in page for c in data["categories"])
    assert len(data["history"]) == 1 and data["history"][0]["cycle"] in page
    a.refresh_from_db()
    assert data["history"][0]["total"] == format(a.final_total.normalize(), "f")


# -- who gets in ------------------------------------------------------------------------------------
@pytest.mark.parametrize("who", ["reviewer", "secretary", "inspector"])
def test_only_the_admin_gets_in(world, who):
    cycle = world.open()
    client = as_user(getattr(world, who))
    a = cycle.assessments.first()
    urls = ["/cycles/", "/cycles/new/", *(f"/cycles/{cycle.pk}/{p}" for p in PAGES),
            f"/api/cycles/{cycle.pk}/dashboard/", f"/cycles/{cycle.pk}/dashboard/branches/{a.pk}/",
            f"/api/cycles/{cycle.pk}/dashboard/branches/{a.pk}/", f"/cycles/{cycle.pk}/reports/unstarred.csv"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 403, url
    assert "没有权限" in text(client.get(f"/cycles/{cycle.pk}/"))
    for url in (f"/cycles/{cycle.pk}/sample/", f"/cycles/{cycle.pk}/finalize/", f"/cycles/{cycle.pk}/roles/"):
        assert client.post(url, {"seed": "x"}).status_code == 403
    assert not cycle.draws.exists()
    assert AuditEntry.objects.filter(actor=getattr(world, who), denied=True).exists()
    assert client.post("/cycles/new/", {"name": "x"}).status_code == 403


NAV_LINK = '<a href="/cycles/">考评周期</a>'


@pytest.mark.parametrize("who", ["admin", "reviewer", "secretary", "inspector", "superuser", "staff"])
def test_the_nav_offers_the_cycles_exactly_to_those_the_cycle_list_admits(world, who):
    from django.contrib.auth import get_user_model

    if who in ("superuser", "staff"):
        user = get_user_model().objects.create_user(username=who, is_staff=True, is_superuser=who == "superuser")
    else:
        user = getattr(world, who)
    client = as_user(user)

    shown = NAV_LINK in text(client.get("/work/"))
    admitted = client.get("/cycles/").status_code

    assert (shown, admitted) == ((True, 200) if who in ("admin", "superuser") else (False, 403))


def test_an_admin_of_another_tree_gets_403_and_unknown_cycles_404(world):
    cycle = world.open()
    from .cycle_world import make_user

    other = make_user("other_admin", "另一工委", (Role.ADMIN, world.committee))
    client = as_user(other)
    assert client.get(f"/cycles/{cycle.pk}/").status_code == 403
    assert client.get("/cycles/999/").status_code == 404
    assert "2026年度达标创星" not in text(client.get("/cycles/"))


def test_signed_out_pages_go_to_login_and_the_api_answers_401(client, world):
    cycle = world.open()
    assert client.get(f"/cycles/{cycle.pk}/")["Location"].startswith("/accounts/login/")
    assert client.get(f"/api/cycles/{cycle.pk}/dashboard/").status_code == 401
