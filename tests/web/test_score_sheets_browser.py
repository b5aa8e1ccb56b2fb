"""The score-sheet downloads on the self-assessment page in a real browser, at a desktop's and a phone's width:
the block fits without scrolling sideways and a click saves the PDF under its Chinese name. Screenshots of the
block go to ``test-artifacts/screenshots/score-sheet-downloads-<width>.png``."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from .test_phone_browser import DESKTOP, PHONE, sideways
from .test_work_browser import sign_in
from .work_world import WorkWorld, with_password

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def filled(transactional_db):
    world = WorkWorld()
    world.fill_self(world.a1)
    with_password(world.secretary_a1)
    world.pk = world.assessment(world.a1).pk
    return world


def test_the_secretary_downloads_her_sheet_from_the_self_assessment_page(filled, browser_page, live_server, screenshot,
                                                                          tmp_path):
    page, base = browser_page, live_server.url
    sign_in(page, base, "secretary_a1")
    for size, width in ((DESKTOP, 1366), (PHONE, 375)):
        page.set_viewport_size(size)
        page.goto(f"{base}/assessments/{filled.pk}/self/")
        block = page.get_by_role("navigation", name="评分表下载")
        expect(block).to_be_visible()
        for label in ("评分表（PDF）", "评分表（Excel）", "空白评分表（供线下填写）"):
            expect(block.get_by_role("link", name=label)).to_be_visible()
        assert sideways(page) <= 1
        block.scroll_into_view_if_needed()
        screenshot(page, f"score-sheet-downloads-{width}", full_page=False)

    with page.expect_download() as download:
        page.get_by_role("link", name="评分表（PDF）").click()
    saved = tmp_path / "sheet.pdf"
    download.value.save_as(saved)
    assert download.value.suggested_filename == "甲一支部-考评评分表（自评）.pdf"
    assert saved.read_bytes().startswith(b"%PDF")
