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


@pytest.fixture
def staff(django_user_model):
    return django_user_model.objects.create_user(username="guanli", password=PASSWORD, is_staff=True, is_superuser=True)


def test_pages_run_under_the_content_security_policy(staff, browser_page, live_server, csp_violations, screenshot):
    """The admin (its scripts and icons), the API's Swagger UI and the site's pages break no rule of the policy;
    and a rule broken is seen: an inline script put into a page is refused and reported."""
    page, base = browser_page, live_server.url

    page.goto(f"{base}/admin/login/")
    page.get_by_label("用户名").fill("guanli")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{base}/admin/")
    page.goto(f"{base}/admin/auth/user/{staff.pk}/change/")
    expect(page.locator("#id_username")).to_have_value("guanli")
    page.goto(f"{base}/admin/auth/user/?q=guan")
    expect(page.locator("#result_list")).to_contain_text("guanli")
    screenshot(page, "admin-users")

    page.goto(f"{base}/api/v1/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("创星 API")
    screenshot(page, "api-docs")
    page.goto(f"{base}/rubrics/zhenjiang-2018/")
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(179, 25, 29)")    # site.css, not inline
    assert csp_violations == []

    ran = page.evaluate("""() => { window.ranInline = false; const s = document.createElement("script");
        s.textContent = "window.ranInline = true"; document.body.append(s); return window.ranInline; }""")
    page.wait_for_timeout(200)       # the console message comes on its own
    assert ran is False
    assert len(csp_violations) == 1 and "script-src 'self'" in csp_violations[0]
    csp_violations.clear()           # seen: the fixture fails a test that leaves any
