"""Security through the pages: Argon2 hashes, throttled sign-in, oversized uploads refused."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuangxing.assessments.models import Evidence
from chuangxing.web.login import LOCKED_MESSAGE, MAX_FAILURES
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


def sign_in(client, username: str, password: str, ip: str = "10.0.0.7"):
    return client.post("/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_new_passwords_are_argon2(world):
    user = with_password(world.secretary_a1)

    assert user.password.startswith("argon2$argon2id$")
    assert user.check_password(PASSWORD)


def test_sign_in_works_and_failures_below_the_limit_do_not_lock(client, world):
    with_password(world.secretary_a1)
    for _ in range(MAX_FAILURES - 1):
        assert sign_in(client, "secretary_a1", "wrong").status_code == 200

    assert sign_in(client, "secretary_a1", PASSWORD).status_code == 302


def test_five_failures_lock_that_user_from_that_address(client, world):
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
