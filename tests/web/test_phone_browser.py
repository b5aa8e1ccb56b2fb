"""Every main page at a phone's width (375 × 812) in a real browser: the page never scrolls sideways (wide tables
scroll inside their own box, the score panel stacks under the rules, the header folds into a menu), and the
header's menu opens and leads somewhere. Screenshots at 375×812 and 1366×768 go to ``test-artifacts/screenshots/``
as ``phone-<page>-<size>.png``.

Two worlds: the small one of ``WorkWorld`` for the secretary's forms (a self-assessment still open, a review under
way, the branch's records), and the demo city of ``CycleWorld`` taken to its notice for the admin's cycle pages.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .cycle_world import CycleWorld
from .test_work_browser import sign_in
from .work_world import WorkWorld, with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 375, "height": 812}
DESKTOP = {"width": 1366, "height": 768}


def sideways(page) -> int:
    """How many pixels the page is wider than the window (0 when it fits)."""
    return page.evaluate("Math.max(0, document.documentElement.scrollWidth - window.innerWidth)")


WIDEST = """() => {
  const past = e => e.getBoundingClientRect().right > window.innerWidth + 1;
  const boxed = e => { for (let a = e.parentElement; a; a = a.parentElement) {
    if (getComputedStyle(a).overflowX !== "visible") return true; } return false; };
  const name = e => e.tagName.toLowerCase() + (e.className ? "." + String(e.className).trim().split(/ +/).join(".") : "");
  return [...document.querySelectorAll("body *")].filter(e => past(e) && !boxed(e)
           && ![...e.children].some(c => past(c) && !boxed(c)))
         .slice(0, 3).map(e => `${name(e.parentElement)} > ${name(e)} → ${Math.round(e.getBoundingClientRect().right)}`);
}"""


def visit(page, screenshot, url: str, name: str, too_wide: dict[str, str]) -> None:
    """The page at ``url`` read at a phone's width, then at a desktop's, photographed at both; how many pixels it
    is wider than the phone goes into ``too_wide`` (so that one run names every page that does not fit)."""
    page.set_viewport_size(PHONE)
    response = page.goto(url)
    assert response is not None and response.status == 200, (name, url)
    if (extra := sideways(page)) > 1:
        too_wide[name] = f"{extra} px, at {page.evaluate(WIDEST)}"
    screenshot(page, f"phone-{name}-375")
    page.set_viewport_size(DESKTOP)
    page.goto(url)
    screenshot(page, f"phone-{name}-1366", full_page=False)


def menu_opens(page, base: str, screenshot) -> None:
    """At a phone's width the header shows a 菜单 button, not the links; the button opens them, and one leads on."""
    page.set_viewport_size(PHONE)
    page.goto(f"{base}/work/")
    toggle = page.get_by_role("button", name="菜单")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    link = page.locator(".site-nav").get_by_role("link", name="评分标准库")
    expect(link).to_be_hidden()
    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(link).to_be_visible()
    assert sideways(page) <= 1
    screenshot(page, "phone-menu-open-375", full_page=False)
    link.click()
    expect(page).to_have_url(f"{base}/")
    page.set_viewport_size(DESKTOP)
    page.goto(f"{base}/work/")
    expect(page.get_by_role("button", name="菜单")).to_be_hidden()
    expect(page.locator(".site-nav").get_by_role("link", name="评分标准库")).to_be_visible()


# -- the secretary's and the reviewer's forms ------------------------------------------------------------------
@pytest.fixture
def work(transactional_db):
    world = WorkWorld()
    world.fill_self(world.a1)
    world.under_review(world.a2)
    for user in (world.secretary_a1, world.reviewer_a):
        with_password(user)
    world.self_assessment = world.assessment(world.a1).pk
    world.review = world.assessment(world.a2).pk
    world.meeting_pk = world.meeting.pk
    world.member_pk = world.plain.pk
    return world


def test_the_secretary_and_the_reviewer_on_a_phone(work, browser_page, live_server, screenshot):
    page, base, too_wide = browser_page, live_server.url, {}
    sign_in(page, base, "secretary_a1")
    branch = f"{base}/branches/{work.a1.pk}"
    for name, url in {
        "work-secretary": f"{base}/work/",
        "self-assessment": f"{base}/assessments/{work.self_assessment}/self/",
        "members": f"{branch}/members/",
        "member-form": f"{branch}/members/{work.member_pk}/",
        "meetings": f"{branch}/meetings/",
        "meeting": f"{branch}/meetings/{work.meeting_pk}/",
        "meeting-form": f"{branch}/meetings/{work.meeting_pk}/edit/",
        "dues": f"{branch}/dues/",
        "import": f"{branch}/import/",
        "rubric-library": f"{base}/",
        "rubric": f"{base}/rubrics/zhenjiang-2018/",
    }.items():
        visit(page, screenshot, url, name, too_wide)

    page.context.clear_cookies()
    sign_in(page, base, "reviewer_a")
    visit(page, screenshot, f"{base}/work/", "work-reviewer", too_wide)
    visit(page, screenshot, f"{base}/assessments/{work.review}/review/", "review", too_wide)
    assert too_wide == {}, f"pages wider than a 375 px phone: {too_wide}"

    menu_opens(page, base, screenshot)


# -- the admin's cycle, the inspector and the public notice -----------------------------------------------------
@pytest.fixture
def city(transactional_db):
    world = CycleWorld(passwords=True)
    world.notice = world.announced()
    with_password(world.inspector)
    world.sampled = world.cycle.draws.get().sample[0]
    return world


def test_the_admin_and_the_inspector_on_a_phone(city, browser_page, live_server, screenshot):
    page, base, too_wide = browser_page, live_server.url, {}
    cycle = f"{base}/cycles/{city.cycle.pk}"
    sign_in(page, base, "admin")
    visit(page, screenshot, f"{base}/cycles/", "cycle-list", too_wide)
    visit(page, screenshot, f"{cycle}/", "cycle-progress", too_wide)
    for tab in ("审核人分配", "抽验抽样", "公示与评定", "名单与报表", "统计图表"):
        page.goto(f"{cycle}/")
        page.locator("nav.cycle-tabs").get_by_role("link", name=tab).click()
        visit(page, screenshot, page.url, f"cycle-{tab}", too_wide)
    expect(page.locator("#dashboard")).to_have_attribute("data-drawn", "yes")
    short_board = page.locator("table.short-board a").first.get_attribute("href")
    visit(page, screenshot, base + short_board, "short-board", too_wide)
    branch = page.locator("table.losing a").first.get_attribute("href")
    visit(page, screenshot, base + branch, "branch-dashboard", too_wide)

    page.context.clear_cookies()
    sign_in(page, base, "inspector")
    visit(page, screenshot, f"{base}/work/", "work-inspector", too_wide)
    visit(page, screenshot, f"{base}/assessments/{city.sampled}/inspection/", "inspection", too_wide)

    page.context.clear_cookies()
    visit(page, screenshot, f"{base}/notice/{city.notice.pk}/", "notice", too_wide)
    assert too_wide == {}, f"pages wider than a 375 px phone: {too_wide}"
