"""Pages as a person sees them: Debian's chromium, driven by Playwright, against a live server."""

import re

import pytest
from playwright.sync_api import expect

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_sign_in_and_read_the_zhenjiang_table(member, browser_page, live_server, screenshot):
    page = browser_page

    page.goto(f"{live_server.url}/rubrics/zhenjiang-2018/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next=/rubrics/zhenjiang-2018/$"))
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    screenshot(page, "login")

    page.get_by_label("用户名").fill("zhangsan")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()

    expect(page).to_have_url(f"{live_server.url}/rubrics/zhenjiang-2018/")
    table = page.locator("table.official")
    expect(table).to_be_visible()
    expect(table.locator("thead")).to_contain_text("评定标准")
    category = table.locator("th.category").first
    expect(category).to_contain_text("基本组织覆盖")
    assert int(category.get_attribute("rowspan")) > 1
    expect(table.locator("tfoot")).to_contain_text("100")
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(179, 25, 29)")  # site.css loaded
    screenshot(page, "rubric-zhenjiang-2018")

    page.get_by_role("navigation", name="主导航").get_by_role("link", name="评分标准库").click()
    expect(page.get_by_role("heading", name="评分标准库")).to_be_visible()
    expect(page.locator("table.library")).to_contain_text("镇江")
    screenshot(page, "rubric-library")
