"""Sign-in is required for every page and the API; the login page itself is in Chinese."""

import pytest
from django.urls import reverse

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/rubrics/zhenjiang-2018/"])
def test_pages_redirect_to_login(client, path):
    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={path}"


@pytest.mark.parametrize("path", ["/api/rubrics/", "/api/rubrics/zhenjiang-2018/"])
def test_api_answers_401_in_json(client, path):
    response = client.get(path)

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response.json()["error"]["message"] == "请先登录。"


def test_login_page_is_chinese(client):
    response = client.get(reverse("login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-CN">' in html
    for text in ("登录", "用户名", "密码"):
        assert text in html


def test_login_with_password_goes_to_next(client, member):
    response = client.post(reverse("login"), {"username": "zhangsan", "password": PASSWORD, "next": "/"})

    assert response.status_code == 302
    assert response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_wrong_password_is_refused_in_chinese(client, member):
    response = client.post(reverse("login"), {"username": "zhangsan", "password": "wrong"})

    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    assert client.get("/").status_code == 302


def test_logout_is_a_post(member_client):
    assert member_client.get("/").status_code == 200

    response = member_client.post(reverse("logout"))

    assert response.status_code == 302
    assert member_client.get("/").status_code == 302


def test_admin_uses_its_own_login(client):
    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
