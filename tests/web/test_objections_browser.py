"""Objections in a real browser: the admin ticks several, says why, confirms, and they close as 不予受理;
the public notice then shows each outcome with its reason. Screenshots at 1366×768 and 375×812."""


import pytest
from playwright.sync_api import expect

from chuangxing.assessments.models import Objection

from .cycle_world import PASSWORD, CycleWorld
from .work_world import orm

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 375, "height": 812}}


@pytest.fixture
def notice(transactional_db):
    world = CycleWorld(passwords=True)
    notice = world.announced()
    target = world.cycle.assessments.order_by("pk").first()
    for i in range(4):
        Objection.objects.create(notice=notice, assessment=target, text=f"刷屏内容第{i}条")
    Objection.objects.create(notice=notice, assessment=target, text="该支部主题党日多次未开展")
    return notice


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_the_admin_closes_a_flood_of_objections(notice, browser_page, live_server, screenshot):
    page, url = browser_page, live_server.url
    cycle = notice.cycle_id
    page.goto(f"{url}/cycles/{cycle}/publicity/")
    page.get_by_label("用户名").fill("admin")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("#objections h2")).to_have_text("异议（5，未答复 5）")

    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"{url}/cycles/{cycle}/publicity/#objections")
        boxes = page.locator('input[form="dismiss-form"]')
        expect(boxes).to_have_count(5)
        for i in range(1, 4):        # the three oldest floods (the open ones are listed oldest first)
            boxes.nth(i).check()
        page.get_by_label("不予受理的理由（将在公示页面上显示）").fill("与公示结果无关")
        page.get_by_role("button", name="所选异议不予受理").click()
        expect(page.locator(".confirm-box")).to_contain_text("确认：将关闭所选的 3 条异议，标记为“不予受理”。")
        expect(page.locator(".confirm-box")).to_contain_text("此操作不可撤销")
        no_sideways_scroll(page)
        screenshot(page, f"objections-confirm-{size}")
    expect(page.get_by_label("不予受理的理由（将在公示页面上显示）")).to_have_value("与公示结果无关")
    page.get_by_role("button", name="确认关闭 3 条异议").click()
    expect(page.locator(".messages")).to_contain_text("已将 3 条异议标记为不予受理")
    expect(page.locator("#objections h2")).to_have_text("异议（5，未答复 2）")
    screenshot(page, "objections-closed-phone")
    page.get_by_role("button", name="全选 / 取消全选未答复的异议").click()      # the two left open
    expect(page.locator('input[form="dismiss-form"]:checked')).to_have_count(2)

    reader = page.context.browser.new_context(locale="zh-CN").new_page()
    for size, viewport in SIZES.items():
        reader.set_viewport_size(viewport)
        reader.goto(f"{url}/notice/{notice.pk}/")
        handled = reader.locator(".objection-list tbody tr")
        expect(handled).to_have_count(5)
        expect(reader.locator(".objection-list")).to_contain_text("不予受理：与公示结果无关")
        expect(reader.locator(".objection-list")).not_to_contain_text("刷屏内容")
        no_sideways_scroll(reader)
        screenshot(reader, f"notice-objections-{size}")
    reader.context.close()
    assert orm(lambda: Objection.objects.filter(status="dismissed").count()) == 3
