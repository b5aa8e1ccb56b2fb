"""Settings come from the environment; production refuses to start without a real secret key."""

import re
import runpy
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

import chuangxing.settings

GOOD_KEY = "Qm7vR2xT9kLp4Wn8Zs3Jd6Hf1Yb5Gc0NtEuAoXiKy_-VrMwPqS"     # as random as secrets.token_urlsafe
ENV_NAMES = [
    "CHUANGXING_ENV", "CHUANGXING_SECRET_KEY", "CHUANGXING_ALLOWED_HOSTS", "CHUANGXING_DEBUG",
    "CHUANGXING_SSL_REDIRECT", "CHUANGXING_BEHIND_PROXY", "CHUANGXING_HSTS_SECONDS", "CHUANGXING_CACHE", "DATABASE_URL",
]


@pytest.fixture
def load_settings(monkeypatch, tmp_path):
    """Evaluate ``chuangxing/settings.py`` afresh under the given environment, as a dict."""

    def load(**env: str) -> dict:
        for name in ENV_NAMES:
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("CHUANGXING_DATA_DIR", str(tmp_path / "data"))
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        return runpy.run_path(chuangxing.settings.__file__)

    return load


def test_development_defaults(load_settings, tmp_path):
    settings = load_settings()

    assert settings["DEBUG"] is True
    assert settings["SECRET_KEY"] == settings["DEVELOPMENT_SECRET_KEY"]
    assert settings["DATABASES"]["default"]["ENGINE"] == "django.db.backends.sqlite3"
    assert settings["DATABASES"]["default"]["NAME"] == str(tmp_path / "data" / "chuangxing.sqlite3")
    assert (tmp_path / "data").is_dir()
    assert settings["LANGUAGE_CODE"] == "zh-hans"
    assert settings["TIME_ZONE"] == "Asia/Shanghai"
    assert settings["USE_TZ"] is True
    assert "SESSION_COOKIE_SECURE" not in settings


def test_database_url_is_read(load_settings):
    settings = load_settings(DATABASE_URL="postgres://someone@db.example:5432/chuangxing")

    database = settings["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["HOST"], database["NAME"], database["USER"]) == ("db.example", "chuangxing", "someone")


def test_passwords_are_hashed_with_argon2_first(load_settings):
    hashers = load_settings()["PASSWORD_HASHERS"]

    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers     # older hashes still sign in


def test_the_cache_is_shared_through_the_database_on_request(load_settings):
    assert load_settings()["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert load_settings(CHUANGXING_CACHE="database")["CACHES"]["default"]["BACKEND"].endswith("DatabaseCache")


@pytest.mark.parametrize(
    "key",
    [None, "", chuangxing.settings.DEVELOPMENT_SECRET_KEY, "django-insecure-" + "x" * 60, "too-short"],
    ids=["missing", "empty", "development-default", "insecure-prefix", "short"],
)
def test_production_refuses_a_missing_or_default_key(load_settings, key):
    env = {"CHUANGXING_ENV": "production", "CHUANGXING_ALLOWED_HOSTS": "dj.example.cn"}
    if key is not None:
        env["CHUANGXING_SECRET_KEY"] = key

    with pytest.raises(ImproperlyConfigured, match="CHUANGXING_SECRET_KEY"):
        load_settings(**env)


@pytest.mark.parametrize("mode", ["prod", "dev", "staging", "productoin"])
def test_an_unknown_mode_is_refused_by_name(load_settings, mode):
    with pytest.raises(ImproperlyConfigured, match=rf"CHUANGXING_ENV：只能是 production 或 development.*'{mode}'") as refused:
        load_settings(CHUANGXING_ENV=mode, CHUANGXING_SECRET_KEY=GOOD_KEY, CHUANGXING_ALLOWED_HOSTS="dj.example.cn")

    assert "must be 'production' or 'development'" in str(refused.value)


@pytest.mark.parametrize("mode", ["development", " Development ", ""])
def test_development_may_be_named_or_left_out(load_settings, mode):
    assert load_settings(CHUANGXING_ENV=mode)["DEBUG"] is True
    assert load_settings(CHUANGXING_ENV=" Production ", CHUANGXING_SECRET_KEY=GOOD_KEY,
                         CHUANGXING_ALLOWED_HOSTS="dj.example.cn")["DEBUG"] is False


WEAK_KEYS = {
    "sequence": "k3y-abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "digits-down": "Qm7vR2xT9kLp4Wn8Zs3J-987654-d6Hf1Yb5Gc0NtEuAoXiKy_-V",
    "repeated-piece": "Qm7vR2xT9kLp4Wn8Zs3J" * 3,
    "run-of-one": "Qm7vR2xT9kLp4Wn8Zs3Jd6Hf1Yb5Gc0NtEuAoXiKy_-VrMwPqSzzzzz",
    "few-distinct": "0123401234" * 2 + "4321043210" * 3,
    "word-password": "Qm7vR2xT9kLp4Wn8Zs3Jd6Hf1Yb5Gc0NtEuAoX-PassWord-2024",
    "development-default-inside": "Zq81" + chuangxing.settings.DEVELOPMENT_SECRET_KEY.replace("django-", ""),
}


@pytest.mark.parametrize("key", WEAK_KEYS.values(), ids=WEAK_KEYS.keys())
def test_production_refuses_a_weak_key(load_settings, key):
    with pytest.raises(ImproperlyConfigured, match="CHUANGXING_SECRET_KEY：密钥太弱") as refused:
        load_settings(CHUANGXING_ENV="production", CHUANGXING_ALLOWED_HOSTS="dj.example.cn", CHUANGXING_SECRET_KEY=key)

    assert "too weak for production" in str(refused.value)


def test_a_generated_key_is_not_weak():
    import secrets

    keys = [secrets.token_urlsafe(50) for _ in range(200)]
    assert [key for key in keys if chuangxing.settings.secret_key_weakness(key)] == []


@pytest.mark.parametrize("hosts", ["*", "dj.example.cn, *"])
def test_production_refuses_any_host(load_settings, hosts):
    with pytest.raises(ImproperlyConfigured, match=r"CHUANGXING_ALLOWED_HOSTS：生产模式不能用 \*"):
        load_settings(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY, CHUANGXING_ALLOWED_HOSTS=hosts)


@pytest.mark.parametrize("seconds", ["one year", "3.5", "-1", "31536000s"])
def test_hsts_seconds_must_be_a_whole_number(load_settings, seconds):
    with pytest.raises(ImproperlyConfigured, match=rf"CHUANGXING_HSTS_SECONDS：应为不小于 0 的整数秒数，不能是 '{seconds}'"):
        load_settings(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY, CHUANGXING_ALLOWED_HOSTS="dj.example.cn",
                      CHUANGXING_HSTS_SECONDS=seconds)


def test_hsts_seconds_is_read(load_settings):
    settings = load_settings(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY,
                             CHUANGXING_ALLOWED_HOSTS="dj.example.cn", CHUANGXING_HSTS_SECONDS=" 0 ")
    assert settings["SECURE_HSTS_SECONDS"] == 0


def test_production_refuses_missing_hosts(load_settings):
    with pytest.raises(ImproperlyConfigured, match="CHUANGXING_ALLOWED_HOSTS"):
        load_settings(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY)


def test_production_refuses_debug(load_settings):
    with pytest.raises(ImproperlyConfigured, match="CHUANGXING_DEBUG"):
        load_settings(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY,
                      CHUANGXING_ALLOWED_HOSTS="dj.example.cn", CHUANGXING_DEBUG="1")


def test_production_is_secure(load_settings):
    settings = load_settings(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY,
                             CHUANGXING_ALLOWED_HOSTS="dj.example.cn, www.dj.example.cn")

    assert settings["DEBUG"] is False
    assert settings["SECRET_KEY"] == GOOD_KEY
    assert settings["ALLOWED_HOSTS"] == ["dj.example.cn", "www.dj.example.cn"]
    assert settings["SESSION_COOKIE_SECURE"] is True
    assert settings["CSRF_COOKIE_SECURE"] is True
    assert settings["SECURE_SSL_REDIRECT"] is True
    assert settings["SECURE_HSTS_SECONDS"] == 365 * 24 * 3600
    assert settings["SECURE_HSTS_INCLUDE_SUBDOMAINS"] is True
    assert "SECURE_PROXY_SSL_HEADER" not in settings
    assert settings["STORAGES"]["staticfiles"]["BACKEND"].startswith("whitenoise.")


def test_production_behind_a_proxy(load_settings):
    settings = load_settings(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY,
                             CHUANGXING_ALLOWED_HOSTS="dj.example.cn", CHUANGXING_BEHIND_PROXY="1",
                             CHUANGXING_SSL_REDIRECT="0")

    assert settings["SECURE_PROXY_SSL_HEADER"] == ("HTTP_X_FORWARDED_PROTO", "https")
    assert settings["SECURE_SSL_REDIRECT"] is False


def test_readme_documents_every_environment_variable():
    names = set(re.findall(r'"(CHUANGXING_[A-Z_]+|DATABASE_URL)"', Path(chuangxing.settings.__file__).read_text()))
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")

    assert names, "settings.py reads no CHUANGXING_ variables?"
    assert sorted(name for name in names if f"`{name}`" not in readme) == []


def test_sqlite_writers_wait_for_each_other_instead_of_failing(load_settings, tmp_path, monkeypatch, django_db_blocker):
    """Two server threads: one holds the write lock while the other's transaction reads, then writes. A deferred
    transaction would fail at its write with "database is locked"; with the settings' options it waits."""
    from django.db import transaction
    from django.db.utils import ConnectionHandler

    database = load_settings(DATABASE_URL=f"sqlite:///{tmp_path / 'locks.sqlite3'}")["DATABASES"]["default"]
    handler = ConnectionHandler({"default": dict(database), "other": dict(database)})
    monkeypatch.setattr(transaction, "connections", handler)       # atomic(using=…) finds these two
    with django_db_blocker.unblock():      # connections of its own, not the test database
        _two_writers(handler)


def _two_writers(handler) -> None:
    import threading
    import time

    from django.db import transaction

    first, second = handler["default"], handler["other"]
    with first.cursor() as cursor:
        cursor.execute("CREATE TABLE saves (n INTEGER)")
    holding, done = threading.Event(), []

    def hold_the_lock() -> None:        # a thread has its own connection (the handler is per thread)
        mine = handler["default"]
        with transaction.atomic(using="default"), mine.cursor() as cursor:
            cursor.execute("INSERT INTO saves VALUES (1)")
            holding.set()
            time.sleep(0.3)
        mine.close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    holding.wait()
    with transaction.atomic(using="other"), second.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM saves")
        cursor.execute("INSERT INTO saves VALUES (2)")
        done.append(True)
    thread.join()
    with second.cursor() as cursor:
        cursor.execute("SELECT n FROM saves ORDER BY n")
        assert cursor.fetchall() == [(1,), (2,)]
    first.close()
    second.close()
    assert done


@pytest.mark.parametrize("command", [["chuangxing.manage", "check"], ["chuangxing.cli", "serve", "--port", "1"]],
                         ids=["manage", "chuangxing-serve"])
def test_a_refused_setting_is_told_without_a_traceback(tmp_path, command):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items()
           if not k.startswith("CHUANGXING_") and k not in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(CHUANGXING_ENV="production", CHUANGXING_SECRET_KEY=GOOD_KEY, CHUANGXING_ALLOWED_HOSTS="dj.example.cn",
               CHUANGXING_HSTS_SECONDS="one year", CHUANGXING_DATA_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", *command], env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode != 0
    assert "CHUANGXING_HSTS_SECONDS：应为不小于 0 的整数秒数，不能是 'one year'" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr
