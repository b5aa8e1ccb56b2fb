"""``chuangxing serve`` for real: production settings, a fresh SQLite database, waitress, collected static files."""

from __future__ import annotations

import argparse
import gc
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from chuangxing.cli.main import main
from chuangxing.cli.serve import GC_THRESHOLD, waitress_options

KEY = "Qm7vR2xT9kLp4Wn8Zs3Jd6Hf1Yb5Gc0NtEuAoXiKy_-VrMwPqS"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, headers: dict | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def _wait(url: str, process: subprocess.Popen, timeout: float = 300) -> None:
    # migrate + collectstatic first: on a loaded two-core CI machine that has taken more than 90 s.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server exited: {process.communicate()}")
        try:
            _get(url)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("server did not start")


def test_serve_in_production_mode(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=KEY, CHUANGXING_ALLOWED_HOSTS="127.0.0.1",
               CHUANGXING_SSL_REDIRECT="0", CHUANGXING_DATA_DIR=str(tmp_path), PYTHONWARNINGS="error")
    command = [sys.executable, "-m", "chuangxing.cli", "serve", "--port", str(port), "--threads", "4", "--migrate"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(base + "/accounts/login/", process)

        status, body = _get(base + "/accounts/login/")
        assert status == 200 and "登录" in body.decode()
        status, body = _get(base + "/static/web/site.css")
        assert status == 200 and b"--red" in body
        assert (tmp_path / "static" / "staticfiles.json").is_file()           # collected, hashed copies
        assert _get(base + "/static/ninja/swagger-ui-bundle.js")[0] == 200     # the API docs need no CDN
        status, body = _get(base + "/api/v1/openapi.json")
        assert status == 200 and "/api/v1/cycles" in json.loads(body)["paths"]
        assert _get(base + "/api/v1/cycles")[0] == 401
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=15)
    assert "生产模式" in output and f":{port}/" in output


def test_serve_refuses_pending_migrations(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr("chuangxing.cli.serve.prepare", lambda **_: "数据库还有 1 个迁移未执行")
    monkeypatch.setattr("waitress.serve", lambda *a, **k: pytest.fail("served"))

    assert main(["serve", "--port", "8999"]) == 1
    assert "迁移未执行" in capsys.readouterr().err
    assert main(["serve", "--threads", "0"]) == 2


def test_serving_sets_the_collectors_thresholds(monkeypatch, capsys):
    """The server collects garbage rarely (CHUANGXING_GC_THRESHOLD; "python" keeps Python's own); a bad value is refused."""
    monkeypatch.setattr("chuangxing.cli.serve.prepare", lambda **_: None)
    served = []
    monkeypatch.setattr("waitress.serve", lambda *a, **k: served.append(gc.get_threshold()))
    before = gc.get_threshold()
    try:
        monkeypatch.delenv("CHUANGXING_GC_THRESHOLD", raising=False)
        assert main(["serve", "--port", "8999", "--no-collectstatic"]) == 0
        monkeypatch.setenv("CHUANGXING_GC_THRESHOLD", "2000，20,30")
        gc.set_threshold(*before)
        assert main(["serve", "--port", "8999", "--no-collectstatic"]) == 0
        monkeypatch.setenv("CHUANGXING_GC_THRESHOLD", "python")
        gc.set_threshold(*before)
        assert main(["serve", "--port", "8999", "--no-collectstatic"]) == 0
        monkeypatch.setenv("CHUANGXING_GC_THRESHOLD", "many")
        assert main(["serve", "--port", "8999", "--no-collectstatic"]) == 2
    finally:
        gc.set_threshold(*before)
    assert served == [GC_THRESHOLD, (2000, 20, 30), before]
    assert "CHUANGXING_GC_THRESHOLD 应为三个正整数" in capsys.readouterr().err


def test_a_trusted_proxy_passes_on_the_client_address_and_scheme():
    args = argparse.Namespace(host="0.0.0.0", port=8000, threads=8, trusted_proxy="10.0.0.2")

    options = waitress_options(args)

    assert options["trusted_proxy"] == "10.0.0.2"
    assert "x-forwarded-for" in options["trusted_proxy_headers"] and "x-forwarded-proto" in options["trusted_proxy_headers"]
    assert "trusted_proxy" not in waitress_options(argparse.Namespace(**{**vars(args), "trusted_proxy": None}))


@pytest.mark.django_db
def test_token_commands(django_user_model, capsys):
    django_user_model.objects.create_user(username="zhangsan")

    assert main(["token", "create", "zhangsan", "--name", "统计脚本"]) == 0
    secret = capsys.readouterr().out.strip()
    assert secret.startswith("cx_")
    assert main(["token", "list"]) == 0
    listing = capsys.readouterr().out
    assert "统计脚本" in listing and secret not in listing and "有效" in listing
    token_id = listing.splitlines()[2].split()[0]
    assert main(["token", "revoke", token_id]) == 0
    assert main(["token", "list", "zhangsan"]) == 0 and "已吊销" in capsys.readouterr().out
    assert main(["token", "create", "nobody"]) == 1
