"""The demo server: migrate, a demo administrator, waitress with static files."""

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured

from chuangxing.web.serve import DEMO_PASSWORD, DEMO_USERNAME, prepare_demo


@pytest.mark.django_db
def test_prepare_demo_creates_the_admin_once():
    assert prepare_demo(verbosity=0) is True
    assert prepare_demo(verbosity=0) is False

    admin = get_user_model().objects.get(username=DEMO_USERNAME)
    assert admin.is_superuser and admin.is_staff
    assert admin.check_password(DEMO_PASSWORD)
    assert admin.password.startswith("argon2$argon2id$")


def test_prepare_demo_refuses_production(settings):
    settings.PRODUCTION = True

    with pytest.raises(ImproperlyConfigured, match="生产模式"):
        prepare_demo(verbosity=0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait_until_up(url: str, process: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"demo server exited: {process.communicate()}")
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("demo server did not start")


def test_demo_server_serves_pages_and_static_files(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(CHUANGXING_DATA_DIR=str(tmp_path), CHUANGXING_DEBUG="0", PYTHONWARNINGS="error")
    code = f"from chuangxing.web.serve import run_demo_server; run_demo_server('127.0.0.1', {port})"
    process = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_until_up(base + "/accounts/login/", process)

        status, body = _get(base + "/accounts/login/")
        assert status == 200
        assert "登录" in body.decode()
        status, body = _get(base + "/static/web/site.css")
        assert status == 200
        assert b"--red" in body
        assert _get(base + "/api/rubrics/")[0] == 401
        assert (tmp_path / "chuangxing.sqlite3").is_file()
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=10)
    assert "admin" in output and DEMO_PASSWORD in output
    assert f"http://127.0.0.1:{port}/" in output
