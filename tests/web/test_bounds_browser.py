"""What a bad stored value looks like to people, in a real browser at 1366×768 and 375×812: the secretary's page
names it at its rule and lets her put it right; the admin's dashboard counts the rest and names the branch."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from chuangxing.assessments.models import Finding, Stage

from .test_work_browser import sign_in
from .work_world import WorkWorld, orm, with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SIZES = {"desktop": {"width": 1366, "height": 768}, "phone": {"width": 375, "height": 812}}
BONUS = "zj-bonus-awards"


@pytest.fixture
def world(transactional_db):
    world = WorkWorld()
    for user in (world.secretary_a1, world.admin):
        with_password(user)
    bad = world.fill_self(world.a1)
    world.fill_self(world.a2)
    Finding.objects.filter(assessment=bad, rule_id=BONUS).delete()     # saved before the bounds, or restored
    Finding.objects.create(assessment=bad, stage=Stage.SELF, rule_id=BONUS, value=[{"type": "national", "count": 20000}])
    world.bad = bad
    return world


def fits(locator) -> None:
    """The element lies within the window's width (the pages' other wide parts at 375 px are another issue's)."""
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= locator.page.viewport_size["width"] + 1


def test_a_bad_stored_value_is_named_where_people_look(world, browser_page, live_server, screenshot):
    page, url = browser_page, live_server.url
    sign_in(page, url, "admin")
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"{url}/cycles/{world.cycle.pk}/dashboard/")
        notice = page.locator(".notice.warn[role=alert]")
        expect(notice).to_contain_text("以下 1 个党支部的评分数据无法计分，未计入本页的统计")
        expect(notice).to_contain_text("甲一支部")
        fits(notice)
        screenshot(page, f"bounds-dashboard-{size}", full_page=False)

    page.context.clear_cookies()
    sign_in(page, url, "secretary_a1")
    for size, viewport in SIZES.items():
        page.set_viewport_size(viewport)
        page.goto(f"{url}/assessments/{world.bad.pk}/self/")
        expect(page.locator("p.error[role=alert]")).to_contain_text("已保存的部分内容超出允许的范围")
        fits(page.locator("p.error[role=alert]"))
        row = page.locator(f"#rule-{BONUS}")
        expect(row.locator(".live-error")).to_contain_text("第 1 个事件的次数过大")
        row.scroll_into_view_if_needed()
        screenshot(page, f"bounds-self-assessment-{size}", full_page=False)

    row = page.locator(f"#rule-{BONUS}")
    row.locator(f'select[name="{BONUS}__type_0"]').select_option("national")
    row.locator(f'input[name="{BONUS}__count_0"]').fill("1")
    page.get_by_role("button", name="保存").first.click()
    expect(page.locator("p.error[role=alert]")).to_have_count(0)
    assert orm(lambda: Finding.objects.get(assessment=world.bad, stage=Stage.SELF, rule_id=BONUS).value) == [
        {"type": "national", "count": 1}]
