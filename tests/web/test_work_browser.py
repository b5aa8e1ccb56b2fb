"""The secretary's and the reviewer's work in a real browser (Debian's chromium through Playwright).

A secretary signs in, fills the last rules of the self-assessment and watches the live score move
before saving, uploads an evidence file, completes and submits; the reviewer signs in, finds the
branch in the queue, starts the review, adjusts a rule with a reason (the live score moves again) and
approves. Screenshots of each main page go to ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from chuangxing.assessments.models import Assessment, Evidence, Finding, State

from .work_world import PASSWORD, PDF, WorkWorld, orm, with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LEFT_FOR_THE_BROWSER = ("zj-org-1-c", "zj-team-3-e", "zj-sys-2-a")


@pytest.fixture
def world(transactional_db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    world = WorkWorld()
    a = world.fill_self(world.a1)
    Finding.objects.filter(assessment=a, rule_id__in=LEFT_FOR_THE_BROWSER).delete()
    with_password(world.secretary_a1)
    with_password(world.reviewer_a)
    world.evidence_file = tmp_path / "三会一课记录.pdf"
    world.evidence_file.write_bytes(PDF)
    world.a1_assessment = a.pk
    world.attendance_file = tmp_path / "出勤.csv"
    world.attendance_file.write_text("会议编号,党员编号,出勤\r\nB1-2026-03-theme,A1-005,出席\r\nA1-2026-03-theme,A1-005,请假\r\n"
                                     "A1-2026-03-theme,A1-999,出席\r\n", encoding="utf-8-sig")
    return world


def sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/work/")


def total(page) -> Decimal:
    return Decimal(page.locator(".score-panel [data-total]").inner_text())


def test_secretary_submits_and_reviewer_adjusts_and_approves(world, browser_page, live_server, screenshot):
    page, base = browser_page, live_server.url
    a = world.a1_assessment

    # -- the secretary -------------------------------------------------------------------------------
    sign_in(page, base, "secretary_a1")
    expect(page.get_by_role("heading", name="我的工作")).to_be_visible()
    expect(page.locator(".work-branch")).to_contain_text("未自评")
    screenshot(page, "work-secretary")

    page.get_by_role("link", name="填写自评").click()
    expect(page).to_have_url(f"{base}/assessments/{a}/self/")
    expect(page.locator("[data-unassessed]")).to_have_text(str(len(LEFT_FOR_THE_BROWSER)))
    start = total(page)
    screenshot(page, "self-assessment")

    rule = page.locator("#rule-zj-org-1-c")
    rule.get_by_label("有此情形（扣 1 分）").check()
    expect(page.locator(".score-panel [data-total]")).to_have_text(str(start - 1))
    expect(rule.locator("[data-rule]")).to_have_text("−1")
    expect(page.locator("[data-live-status]")).to_contain_text("尚未保存")
    rule.get_by_label("无此情形").check()
    expect(page.locator(".score-panel [data-total]")).to_have_text(str(start))
    page.locator("#rule-zj-team-3-e input[type=number]").fill("1")
    expect(page.locator(".score-panel [data-total]")).to_have_text(str(start - 2))
    page.locator("#rule-zj-sys-2-a input[type=number]").fill("0")
    page.locator("#rule-zj-sys-2-a input[type=number]").blur()
    expect(page.locator("[data-live-status]")).to_contain_text("已改动 3 项")
    page.locator("#node-zj-team-3").scroll_into_view_if_needed()
    screenshot(page, "self-assessment-live", full_page=False)
    assert not orm(Finding.objects.filter(assessment=a, rule_id__in=LEFT_FOR_THE_BROWSER).exists)   # nothing saved yet

    page.get_by_role("button", name="保存自评").click()
    expect(page.locator(".messages")).to_contain_text("已保存 3 项自评内容")
    expect(page.locator("[data-unassessed]")).to_have_text("0")
    expect(page.locator(".score-panel [data-total]")).to_have_text(str(start - 2))

    indicator = page.locator("#node-zj-sys-1")
    indicator.locator("input[type=file]").set_input_files(str(world.evidence_file))
    indicator.get_by_role("button", name="上传").click()
    expect(page.locator(".messages")).to_contain_text("已上传佐证材料“三会一课记录.pdf”")
    expect(page.locator("#node-zj-sys-1 .evidence")).to_contain_text("三会一课记录.pdf")
    assert orm(Evidence.objects.filter(assessment=a, node_id="zj-sys-1").count) == 1

    page.get_by_role("button", name="完成自评").click()
    expect(page.locator("h1 .state")).to_have_text("已自评")
    page.get_by_role("button", name="提交").click()
    expect(page.locator(".move-confirm")).to_contain_text("提交后自评数据和自评报告不能再修改，除非审核人退回")
    expect(page.locator("h1 .state")).to_have_text("已自评")
    screenshot(page, "self-submit-confirm", full_page=False)
    page.get_by_role("button", name="确认提交").click()
    expect(page.locator("h1 .state")).to_have_text("已提交")
    expect(page.get_by_role("button", name="保存自评")).to_have_count(0)
    screenshot(page, "self-assessment-submitted")
    page.get_by_role("button", name="退出").click()

    # -- the reviewer --------------------------------------------------------------------------------
    sign_in(page, base, "reviewer_a")
    expect(page.locator(".work-queue")).to_contain_text("待审核（1）")
    screenshot(page, "work-reviewer")
    page.locator(".work-queue").get_by_role("link", name="审核").click()
    expect(page).to_have_url(f"{base}/assessments/{a}/review/")
    page.get_by_role("button", name="开始审核").click()
    expect(page.locator("h1 .state")).to_have_text("审核中")

    reviewed = Decimal(page.locator("dl.meta [data-total]").inner_text())
    rule = page.locator("#rule-zj-team-3-e")
    expect(rule.locator(".earlier")).to_contain_text("自评")
    rule.locator("input[type=number]").fill("2")
    expect(page.locator("dl.meta [data-total]")).to_have_text(str(reviewed - 2))
    expect(rule.locator(".live-error")).to_contain_text("审核或抽验调整须写明理由")
    rule.get_by_label("调整理由").fill("又核实群众反映一例")
    expect(rule.locator(".live-error")).to_have_text("")
    expect(page.locator("#node-zj-sys-1 .evidence")).to_contain_text("三会一课记录.pdf")
    page.locator("#node-zj-team-3").scroll_into_view_if_needed()
    screenshot(page, "review-adjusting", full_page=False)
    page.get_by_role("button", name="保存审核调整").click()
    expect(page.locator(".messages")).to_contain_text("已保存 1 项审核调整")
    expect(page.locator("#audit")).to_contain_text("又核实群众反映一例")
    expect(page.locator("#node-zj-team-3 .gap")).to_contain_text("差 2")
    screenshot(page, "review")

    page.get_by_role("button", name="审核通过").click()
    expect(page.locator(".move-confirm")).to_contain_text("审核通过后审核得分即确定")
    page.get_by_role("button", name="确认审核通过").click()
    expect(page.locator("h1 .state")).to_have_text("已审核")
    a = orm(lambda: Assessment.objects.get(pk=a))
    assert a.state == State.REVIEWED and a.reviewed_total == a.self_total - 2
    expect(page.locator("#audit")).to_contain_text(re.compile("审核通过"))
    screenshot(page, "review-approved")


def test_records_pages_in_the_browser(world, browser_page, live_server, screenshot):
    page, base = browser_page, live_server.url
    sign_in(page, base, "secretary_a1")

    page.get_by_role("link", name="党员", exact=True).click()
    expect(page.locator("table.records")).to_contain_text("王建国")
    screenshot(page, "records-members")
    page.get_by_role("link", name="组织生活与出勤").first.click()
    page.get_by_label("类型").select_option("theme_day")          # the filter submits itself (static/web/site.js)
    expect(page).to_have_url(re.compile(r"/meetings/\?kind=theme_day$"))
    kinds = page.locator("table.records tbody td:nth-child(2)")
    expect(kinds.first).to_have_text("主题党日")
    assert set(kinds.all_inner_texts()) == {"主题党日"}
    page.get_by_role("link", name="出勤登记").first.click()
    expect(page.get_by_role("heading", name="出勤登记")).to_be_visible()
    page.get_by_role("radiogroup", name="陈静的出勤").get_by_label("出席").check()
    page.get_by_role("button", name="保存出勤").click()
    expect(page.locator(".messages")).to_contain_text("实到 2 人")
    screenshot(page, "records-meeting")
    page.get_by_role("link", name="党费").first.click()
    page.goto(f"{base}/branches/{world.a1.pk}/dues/?year=2026")
    expect(page.locator("table.dues-grid")).to_contain_text("未交")
    screenshot(page, "records-dues")
    page.get_by_role("link", name="Excel 导入").first.click()
    expect(page.get_by_role("heading", name="第一步：下载模板")).to_be_visible()
    screenshot(page, "records-import")
    page.get_by_label("导入内容").select_option("attendance")
    page.get_by_label("文件（.xlsx 或 .csv）").set_input_files(str(world.attendance_file))
    page.get_by_role("button", name="导入").click()
    expect(page.locator(".import-result")).to_contain_text("导入未完成")
    expect(page.locator("table.problems")).to_contain_text("属于其他党支部")
    screenshot(page, "records-import-problems")


def test_long_records_lists_are_paged_and_fit_a_phone(world, browser_page, live_server, screenshot):
    from chuangxing.orgs.models import Member
    from chuangxing.records.models import Meeting

    orm(lambda: Member.objects.bulk_create(Member(branch=world.a1, number=f"A1-Z{i:04d}", name=f"党员{i:04d}",
                                                  category="full") for i in range(130)))
    orm(lambda: Meeting.objects.bulk_create(Meeting(branch=world.a1, key=f"A1-P{i:03d}", kind="theme_day",
                                                    held_on="2026-01-01", topic=f"主题{i}") for i in range(60)))
    page, base = browser_page, live_server.url
    page.set_viewport_size({"width": 375, "height": 812})
    sign_in(page, base, "secretary_a1")

    for path, name in [("members/", "members"), ("meetings/", "meetings"), ("dues/?year=2026", "dues")]:
        page.goto(f"{base}/branches/{world.a1.pk}/{path}")
        pager = page.get_by_role("navigation", name="分页")
        expect(pager).to_contain_text("第 1 / 2 页" if name != "members" else "第 1 / 3 页")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name  # no sideways page
        screenshot(page, f"records-{name}-phone")
        pager.get_by_role("link", name="下一页").click()
        expect(pager).to_contain_text("第 2 /")
        expect(pager.get_by_role("link", name="上一页")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), name


@pytest.fixture
def sampled(transactional_db, settings, tmp_path):
    from chuangxing.assessments.sampling import draw_sample
    from chuangxing.assessments.services import transition

    settings.MEDIA_ROOT = tmp_path / "media"
    world = WorkWorld(spot_check_share=Decimal("1"))
    a = world.under_review(world.a1)
    transition(assessment=a, action="approve", by=world.reviewer_a)
    draw_sample(cycle=world.cycle, seed="browser", by=world.admin)
    with_password(world.inspector)
    world.a1_assessment = a.pk
    return world


def test_inspector_rescores_a_sampled_branch(sampled, browser_page, live_server, screenshot):
    page, base, a = browser_page, live_server.url, sampled.a1_assessment
    sign_in(page, base, "inspector")
    expect(page.locator(".work-samples")).to_contain_text("其中 1 个待抽验")
    screenshot(page, "work-inspector")

    page.locator(".work-samples").get_by_role("link", name="抽验").first.click()
    expect(page).to_have_url(f"{base}/assessments/{a}/inspection/")
    before = Decimal(page.locator("dl.meta [data-total]").inner_text())
    rule = page.locator("#rule-zj-org-1-c")
    expect(rule.locator(".earlier")).to_contain_text("审核")
    rule.get_by_label("有此情形（扣 1 分）").check()
    rule.get_by_label("调整理由").fill("走访发现下属科室未覆盖")
    expect(page.locator("dl.meta [data-total]")).to_have_text(str(before - 1))
    page.get_by_role("button", name="保存抽验调整").click()
    expect(page.locator(".messages")).to_contain_text("已保存 1 项抽验调整")
    screenshot(page, "inspection")
    page.get_by_role("button", name="完成抽验").click()
    expect(page.locator("h1 .state")).to_have_text("已抽验")
    expect(page.locator("#audit")).to_contain_text("走访发现下属科室未覆盖")
    assert orm(lambda: Assessment.objects.get(pk=a).state) == State.SPOT_CHECKED
