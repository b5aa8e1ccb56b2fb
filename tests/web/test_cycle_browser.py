"""The admin's cycle in a real browser: open a cycle on a small demo city, read its progress, draw the
sample, announce, read the public notice and the dashboard with its charts drawn (Chart.js, served by the app)."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from chuangxing.assessments.models import Cycle

from .cycle_world import PASSWORD, CycleWorld
from .work_world import orm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def world(transactional_db):
    return CycleWorld(passwords=True)


def drawn(page, selector: str) -> dict:
    """The canvas's size, and whether Chart.js drew on it (a chart instance is bound to it)."""
    return page.eval_on_selector(selector, "c => ({w: c.width, h: c.height, chart: !!Chart.getChart(c)})")


def test_an_admin_runs_a_cycle_in_the_browser(world, browser_page, live_server, screenshot):
    page = browser_page
    url = live_server.url
    page.goto(f"{url}/cycles/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_role("heading", name="考评周期")).to_be_visible()
    screenshot(page, "cycles-list-empty")

    # -- open a cycle from the form --------------------------------------------------------------
    page.get_by_role("link", name="开启新的考评周期").click()
    page.get_by_label("周期名称").fill("2026年度达标创星")
    page.get_by_label("考评范围（上级党组织）").select_option(label=world.root.name)
    page.get_by_label("考评标准").select_option("zhenjiang-2018")
    page.get_by_label("考评期开始").fill("2025-12-16")
    page.get_by_label("考评期结束").fill("2026-12-15")
    page.get_by_label("抽验比例").fill("0.2")
    screenshot(page, "cycle-new")
    page.get_by_role("button", name="开启周期").click()
    expect(page.locator(".messages")).to_contain_text("共 12 个党支部参加")
    expect(page.locator("#not-submitted h2")).to_have_text("尚未提交（12）")
    screenshot(page, "cycle-progress")
    cycle = world.cycle = orm(lambda: Cycle.objects.get())

    # -- the branches are reviewed (generated), then the admin draws the sample ---------------------
    orm(world.reviewed)
    page.get_by_role("link", name="抽验抽样").click()
    page.get_by_label("随机种子（可选）").fill("2026-browser")
    page.get_by_role("button", name="抽取样本").click()
    expect(page.locator("#sample-confirm")).to_contain_text("全部 12 个党支部均已审核")
    page.get_by_role("button", name="确认抽取 3 个党支部").click()
    expect(page.locator(".messages")).to_contain_text("已抽取 3 个党支部进行抽验")
    expect(page.locator(".verify")).to_contain_text("复核一致")
    expect(page.locator("code.seed")).to_have_text("2026-browser")
    screenshot(page, "cycle-sample")

    # -- spot checks done, the admin announces -----------------------------------------------------
    orm(world.inspected)
    page.get_by_role("link", name="公示与评定").click()
    page.get_by_role("button", name="发布公示").click()
    page.get_by_role("button", name="确认发布（12 个党支部）").click()
    expect(page.locator(".messages")).to_contain_text("12 个党支部进入公示")
    page.get_by_role("button", name="评定").click()
    expect(page.locator(".messages")).to_contain_text("公示期满后才能评定")
    screenshot(page, "cycle-publicity")

    # -- the public notice, read signed out in another context -------------------------------------
    notice = page.locator("ul.notices a").first
    notice_url = url + notice.get_attribute("href")
    public = page.context.browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844})
    reader = public.new_page()
    reader.goto(notice_url)
    expect(reader.get_by_role("heading", name=re.compile("结果公示"))).to_be_visible()
    expect(reader.locator("table.notice-table tbody tr")).to_have_count(12)
    reader.get_by_label("对哪个党支部的结果有异议").select_option(index=1)
    reader.get_by_label("异议内容").fill("该支部主题党日多次未开展")
    reader.get_by_role("button", name="提交异议").click()
    expect(reader.locator(".messages")).to_contain_text("您的异议已提交")
    screenshot(reader, "notice-public")
    public.close()

    # -- the dashboard with its charts ----------------------------------------------------------------
    page.get_by_role("link", name="统计图表").click()
    expect(page.locator("#dashboard")).to_have_attribute("data-drawn", "yes")
    for canvas in ("#chart-distribution", "#chart-short-board", "#chart-submissions"):
        size = drawn(page, canvas)
        assert size["chart"] and size["w"] > 0 and size["h"] > 0, (canvas, size)
    screenshot(page, "cycle-dashboard")
    page.locator("table.short-board a").first.click()
    expect(page.get_by_role("heading", name=re.compile("失分的党支部"))).to_be_visible()
    screenshot(page, "short-board-detail")
    page.locator("table.losing a").first.click()
    expect(page.locator("#branch-dashboard")).to_have_attribute("data-drawn", "yes")
    size = drawn(page, "#chart-radar")
    assert size["chart"] and size["w"] > 0 and size["h"] > 0
    screenshot(page, "branch-dashboard")

    # -- after the notice: answer, finalize, the lists ------------------------------------------------
    def notice_over():
        cycle.notices.update(starts_on=timezone.localdate() - timedelta(days=10),
                             ends_on=timezone.localdate() - timedelta(days=3))
    orm(notice_over)
    page.goto(f"{url}/cycles/{cycle.pk}/publicity/")
    page.get_by_label("答复").fill("经核实，已按规定扣分")
    page.get_by_role("button", name="提交答复").click()
    expect(page.locator(".messages")).to_contain_text("已答复")
    page.get_by_role("button", name="评定").click()
    expect(page.locator("#finalize-confirm")).to_contain_text("未答复的异议 0 条")
    screenshot(page, "cycle-finalize-confirm", full_page=False)
    page.get_by_role("button", name="确认评定（12 个党支部）").click()
    expect(page.locator(".messages")).to_contain_text("12 个党支部已评定")
    expect(page.locator("#quota")).to_be_visible()
    screenshot(page, "cycle-lists")


@pytest.mark.parametrize(("width", "height"), [(1366, 768), (375, 812)])
def test_drawing_the_sample_says_what_will_happen_first(world, browser_page, live_server, screenshot, width, height):
    """The first click shows the counts beside the button (no inline script: a second POST); cancelling
    draws nothing, confirming draws."""
    def setup():
        cycle = world.open(spot_check_share="0.25")
        world.reviewed()
        behind = cycle.assessments.order_by("pk")[:2].values("pk")
        cycle.assessments.filter(pk__in=behind).update(state="under_review")
        return cycle

    cycle = orm(setup)
    page = browser_page
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/cycles/{cycle.pk}/sample/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.get_by_role("button", name="抽取样本").click()
    box = page.locator("#sample-confirm")
    expect(box).to_contain_text("只有 10/12 个党支部已审核；其余 2 个不参加抽样。")
    expect(box).to_contain_text("将抽取 3 个党支部")
    confirm = box.get_by_role("button", name="确认抽取 3 个党支部")
    expect(confirm).to_be_in_viewport()
    screenshot(page, f"cycle-sample-confirm-{width}", full_page=False)
    assert orm(lambda: cycle.draws.count()) == 0
    box.get_by_role("link", name="取消").click()
    expect(page.locator("#sample-confirm")).to_have_count(0)
    assert orm(lambda: cycle.draws.count()) == 0
    page.get_by_role("button", name="抽取样本").click()
    page.get_by_role("button", name="确认抽取 3 个党支部").click()
    expect(page.locator(".messages")).to_contain_text("已抽取 3 个党支部进行抽验")
    assert orm(lambda: cycle.draws.count()) == 1
