"""Security through the pages: Argon2 hashes, throttled sign-in (the site's and the admin's), oversized uploads
refused. The throttle's clock is moved by the tests (``clock`` fixture), never slept on."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuangxing.assessments.models import Evidence
from chuangxing.web.login import ACCOUNT, LOCKED_MESSAGE, MAX_FAILURES, PAIR, SPRAY_ACCOUNTS, WINDOW, throttle, wait_text
from tests.web.work_world import PASSWORD, WorkWorld, with_password

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world():
    return WorkWorld()


class Clock:
    def __init__(self):
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch):
    moved = Clock()
    monkeypatch.setattr(throttle, "clock", moved)
    return moved


def sign_in(client, username: str, password: str, ip: str = "10.0.0.7", url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=ip)


def fail(client, username: str, times: int, **where) -> None:
    for _ in range(times):
        response = sign_in(client, username, "wrong", **where)
        assert response.status_code == 200, response.content.decode()


def test_new_passwords_are_argon2(world):
    user = with_password(world.secretary_a1)

    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


def test_sign_in_works_and_failures_below_the_limit_do_not_lock(client, world):
    with_password(world.secretary_a1)
    for _ in range(MAX_FAILURES - 1):
        assert sign_in(client, "secretary_a1", "wrong").status_code == 200

    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 302


def test_failures_past_the_free_ones_lock_that_user_from_that_address(client, world):
    with_password(world.secretary_a1)
    for _ in range(MAX_FAILURES):
        response = sign_in(client, "secretary_a1", "wrong")
        assert "用户名或密码不正确" in response.content.decode()

    locked = sign_in(client, "secretary_a1", PASSWORD)           # even the right password
    assert locked.status_code == 429
    assert LOCKED_MESSAGE in locked.content.decode()
    assert "_auth_user_id" not in client.session

    assert sign_in(client, "Secretary_A1 ", PASSWORD).status_code == 429     # same name, other spelling
    assert sign_in(client, "secretary_a1", PASSWORD, ip="10.0.0.8").status_code == 302   # another address
    cache.clear()                                                               # the window has passed
    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 302


def test_a_success_resets_the_count(client, world):
    with_password(world.secretary_a1)
    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "secretary_a1", "wrong")
    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 302
    client.logout()

    for _ in range(MAX_FAILURES - 1):
        sign_in(client, "secretary_a1", "wrong")
    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 302


def test_behind_the_proxy_the_forwarded_address_counts(client, world, settings):
    settings.BEHIND_PROXY = True
    with_password(world.secretary_a1)
    for _ in range(MAX_FAILURES):
        client.post("/accounts/login/", {"username": "secretary_a1", "password": "wrong"},
                    REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.9")

    other = client.post("/accounts/login/", {"username": "secretary_a1", "password": PASSWORD},
                        REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="203.0.113.10")
    assert other.status_code == 302


def test_an_oversized_upload_is_refused_through_the_page(client, world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    settings.CHUANGXING_EVIDENCE_MAX_BYTES = 1024
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)
    big = b"%PDF-1.4\n" + b"0" * 4096 + b"\n%%EOF\n"

    response = client.post(reverse("web:evidence_upload", kwargs={"assessment": a.pk}), {
        "node": "zj-org-1", "stage": "self", "file": SimpleUploadedFile("大文件.pdf", big, "application/pdf")}, follow=True)

    assert "文件超过 1 KB 的上限" in response.content.decode()
    assert not Evidence.objects.exists()


def test_waits_double_from_the_third_failure_up_to_a_quarter_hour():
    assert [PAIR.wait(n) for n in range(MAX_FAILURES + 7)] == [0, 0, 0, 30, 60, 120, 240, 480, 900, 900]
    assert ACCOUNT.wait(ACCOUNT.free - 1) == 0 < ACCOUNT.wait(ACCOUNT.free) <= ACCOUNT.wait(99) == WINDOW
    assert (wait_text(0.2), wait_text(30), wait_text(60), wait_text(61), wait_text(900)) == (
        "1 秒", "30 秒", "1 分钟", "2 分钟", "15 分钟")


def test_the_wait_is_told_grows_with_each_failure_and_ends(client, world, clock):
    with_password(world.secretary_a1)
    fail(client, "secretary_a1", MAX_FAILURES)

    clock.advance(29)
    refused = sign_in(client, "secretary_a1", PASSWORD)
    assert refused.status_code == 429
    assert "请 1 秒后再试" in refused.content.decode()

    clock.advance(1)                                               # 30 s after the third failure
    fail(client, "secretary_a1", 1)                                # a fourth: the wait doubles
    clock.advance(59)
    assert "请 1 秒后再试" in sign_in(client, "secretary_a1", PASSWORD).content.decode()
    clock.advance(1)
    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 302


def test_five_typos_behind_an_office_address_cost_the_real_user_two_minutes(client, world, clock):
    with_password(world.secretary_a1)
    office = {"ip": "198.51.100.20"}                                 # a colleague's five typos, on the office's address
    fail(client, "secretary_a1", 3, **office)
    clock.advance(30)
    fail(client, "secretary_a1", 1, **office)
    clock.advance(60)
    fail(client, "secretary_a1", 1, **office)

    refused = sign_in(client, "secretary_a1", PASSWORD, ip="198.51.100.20")
    assert refused.status_code == 429
    assert "请 2 分钟后再试" in refused.content.decode()
    clock.advance(120)
    assert sign_in(client, "secretary_a1", PASSWORD, ip="198.51.100.20").status_code == 302


def test_an_empty_password_does_not_clear_the_failures(client, world):
    with_password(world.secretary_a1)
    fail(client, "secretary_a1", MAX_FAILURES - 1)
    sign_in(client, "secretary_a1", "")                            # checks nothing

    fail(client, "secretary_a1", 1)
    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 429


def test_one_address_trying_many_accounts_is_capped(client, world, clock):
    with_password(world.secretary_a1)
    for n in range(SPRAY_ACCOUNTS):
        fail(client, f"guess{n}", 1, ip="203.0.113.50")
        clock.advance(60)

    refused = sign_in(client, "secretary_a1", PASSWORD, ip="203.0.113.50")     # an account it has not tried
    assert refused.status_code == 429
    assert "此网络地址尝试的账户过多，请 5 分钟后再试" in refused.content.decode()   # when the first is 15 min old
    assert "_auth_user_id" not in client.session
    fail(client, "guess0", 1, ip="203.0.113.50")                    # one it tried: its own counter
    assert sign_in(client, "secretary_a1", PASSWORD, ip="203.0.113.51").status_code == 302   # another address
    client.logout()

    clock.advance(WINDOW - (SPRAY_ACCOUNTS - 1) * 60)     # guess1 is 15 min old (guess0 was tried again since)
    assert sign_in(client, "secretary_a1", PASSWORD, ip="203.0.113.50").status_code == 302


def test_guessing_from_many_addresses_is_slowed_not_locked(client, world, clock):
    with_password(world.secretary_a1)
    for n in range(ACCOUNT.free):
        fail(client, "secretary_a1", 1, ip=f"192.0.2.{n}")

    refused = sign_in(client, "secretary_a1", PASSWORD, ip="192.0.2.200")
    assert refused.status_code == 429
    assert "该账户暂停登录，请 30 秒后再试" in refused.content.decode()
    clock.advance(30)
    assert sign_in(client, "secretary_a1", PASSWORD, ip="192.0.2.200").status_code == 302


def test_the_admin_sign_in_is_throttled_the_same_way(client, world):
    staff = with_password(world.secretary_a1)
    staff.is_staff = staff.is_superuser = True
    staff.save()
    tries = [sign_in(client, "secretary_a1", "wrong", url="/admin/login/").status_code for _ in range(10)]
    assert tries == [200] * MAX_FAILURES + [429] * (10 - MAX_FAILURES)

    refused = sign_in(client, "secretary_a1", PASSWORD, url="/admin/login/")
    assert refused.status_code == 429
    assert "登录失败次数过多，该账户已在此设备上暂停登录" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302                   # still sent to sign in


def test_failures_at_either_entry_count_at_both(client, world):
    staff = with_password(world.secretary_a1)
    staff.is_staff = True
    staff.save()
    fail(client, "secretary_a1", MAX_FAILURES)                       # at /accounts/login/

    assert sign_in(client, "secretary_a1", PASSWORD, url="/admin/login/").status_code == 429
    cache.clear()
    fail(client, "secretary_a1", MAX_FAILURES, url="/admin/login/")
    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 429
    cache.clear()
    assert sign_in(client, "secretary_a1", PASSWORD, url="/admin/login/").status_code == 302


def test_a_refused_page_is_logged_in_one_line_without_a_traceback(client, world, caplog):
    logger = logging.getLogger("django.request")
    logger.addHandler(caplog.handler)            # "django" does not propagate to the root, where caplog listens
    try:
        client.force_login(world.secretary_a1)
        response = client.get("/cycles/")          # cycles are for the organization's administrators
    finally:
        logger.removeHandler(caplog.handler)

    assert response.status_code == 403
    assert [record.getMessage() for record in caplog.records] == ["Forbidden (Permission denied): /cycles/"]
    assert caplog.records[0].exc_info is None
    assert caplog.text.strip().count("\n") == 0, caplog.text


WEB = Path(__file__).resolve().parents[2] / "src" / "chuangxing" / "web"


def test_pages_carry_a_content_security_policy_without_inline_allowances(client, world):
    admin_sign_in = client.get("/admin/login/")
    client.force_login(world.secretary_a1)
    page = client.get("/work/")

    policy = page["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy and "http" not in policy
    assert admin_sign_in["Content-Security-Policy"] == policy
    api = client.get("/api/rubrics/")
    assert api["Content-Type"] == "application/json" and "Content-Security-Policy" not in api   # a page's policy only


INLINE = {
    "inline script": re.compile(r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/json\")[^>]*>", re.I),
    "event handler attribute": re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I),
    "style attribute": re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I),
    "style element": re.compile(r"<style[\s>]", re.I),
}


def test_templates_need_no_inline_script_or_style():
    """What the policy would block: every template of the site (Django and Jinja) is free of it."""
    templates = sorted((WEB / "templates").rglob("*.html")) + sorted((WEB / "jinja2").rglob("*.html"))
    found = [f"{path.relative_to(WEB)}: {what}" for path in templates
             for what, pattern in INLINE.items() if pattern.search(path.read_text(encoding="utf-8"))]

    assert len(templates) > 20
    assert found == []


def test_djangos_debug_pages_keep_their_inline_styles(client, world, settings):
    settings.DEBUG = True
    client.force_login(world.secretary_a1)

    debug_404 = client.get("/no-such-page/")
    assert debug_404.status_code == 404 and "Content-Security-Policy" not in debug_404
    settings.DEBUG = False
    assert "Content-Security-Policy" in client.get("/no-such-page/")
