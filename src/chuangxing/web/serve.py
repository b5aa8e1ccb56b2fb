"""The demo server: a ready-to-use instance on SQLite, served by waitress.

>>> run_demo_server("127.0.0.1", 8000)      # doctest: +SKIP
创星演示服务器：http://127.0.0.1:8000/  （用户名 admin，密码 chuangxing-demo）

It migrates the database, creates the demo administrator if there is none, and serves the WSGI
application with waitress (static files through WhiteNoise). It refuses to run in production mode:
a known password is fine for a demo, never for a deployment.
"""

from __future__ import annotations

import os

DEMO_USERNAME = "admin"
DEMO_PASSWORD = "chuangxing-demo"


def prepare_demo(*, verbosity: int = 1) -> bool:
    """Migrate the database and create the demo administrator. True when the user was created."""
    _setup_django()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import call_command

    if getattr(settings, "PRODUCTION", False):
        raise ImproperlyConfigured("演示服务器不能在生产模式（CHUANGXING_ENV=production）下运行。")
    call_command("migrate", interactive=False, verbosity=verbosity)
    _demo_city(verbosity=verbosity)
    users = get_user_model().objects
    if users.filter(username=DEMO_USERNAME).exists():
        return False
    users.create_superuser(username=DEMO_USERNAME, password=DEMO_PASSWORD, email="", first_name="演示管理员")
    return True


DEMO_BRANCHES, DEMO_SEED = 60, 2026


def _demo_city(*, verbosity: int) -> None:
    """An empty database gets a small demo city (the same one every time)."""
    from chuangxing.demo.city import build_demo_city
    from chuangxing.orgs.models import Organization

    if Organization.objects.exists():
        return
    stats = build_demo_city(branches=DEMO_BRANCHES, seed=DEMO_SEED)
    if verbosity:
        print(f"已生成演示数据：{stats.branches} 个党支部，{stats.members} 名党员，{stats.meetings} 次组织生活。")


def run_demo_server(host: str = "127.0.0.1", port: int = 8000, *, threads: int = 8) -> None:
    """Prepare the demo database and serve the application until interrupted (Ctrl-C).

    Listening beyond loopback (``0.0.0.0``) accepts any Host header unless
    ``CHUANGXING_ALLOWED_HOSTS`` says otherwise, so the demo opens from other machines too.
    """
    if host not in ("127.0.0.1", "localhost", "::1"):
        os.environ.setdefault("CHUANGXING_ALLOWED_HOSTS", "*")
    created = prepare_demo()
    from django.conf import settings
    from waitress import serve

    from chuangxing.wsgi import application

    database = settings.DATABASES["default"]
    shown_host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    print(f"数据库：{database['ENGINE'].rsplit('.', 1)[-1]} {database['NAME']}")
    state = "已创建" if created else "账户已存在，密码未改动"
    print(f"演示管理员：用户名 {DEMO_USERNAME}，密码 {DEMO_PASSWORD}（{state}）")
    print(f"创星演示服务器：http://{shown_host}:{port}/   按 Ctrl-C 停止", flush=True)
    serve(application, host=host, port=port, threads=threads, ident="chuangxing")


def _setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    import django

    django.setup()
