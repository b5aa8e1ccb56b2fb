"""Test-suite wiring for the two databases and the browser.

The suite runs on SQLite by default. ``scripts/test`` then runs a second pass on PostgreSQL::

    DATABASE_URL=$CHUANGXING_TEST_POSTGRES_URL pytest --postgres-pass

which selects only the tests that touch the database (``django_db`` mark, the ``db`` fixtures,
``live_server``) and those marked ``postgres``. Outside that pass, ``postgres`` tests are left out
when a PostgreSQL URL is known (they run in the second pass) and skipped otherwise.

In CI (``CI=true``) nothing is skipped for lack of tools: no PostgreSQL URL, or no chromium at
``/usr/bin/chromium``, is a failure.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path(os.environ.get("CHUANGXING_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
DB_FIXTURES = {"django_db_setup", "live_server"}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def postgres_url() -> str | None:
    return os.environ.get("CHUANGXING_TEST_POSTGRES_URL") or None


def database_is_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].startswith("django.db.backends.postgresql")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--postgres-pass",
        action="store_true",
        help="the PostgreSQL pass: DATABASE_URL must be PostgreSQL; run only tests that use the database",
    )


def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("--postgres-pass") and not database_is_postgres():
        raise pytest.UsageError("--postgres-pass needs DATABASE_URL=postgres://... (set from CHUANGXING_TEST_POSTGRES_URL)")
    if in_ci() and not postgres_url() and not database_is_postgres():
        raise pytest.UsageError("CI runs the PostgreSQL tests: set CHUANGXING_TEST_POSTGRES_URL")


def uses_database(item: pytest.Item) -> bool:
    if item.get_closest_marker("django_db") or item.get_closest_marker("postgres"):
        return True
    return bool(DB_FIXTURES & set(getattr(item, "fixturenames", ())))


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--postgres-pass"):
        keep = [item for item in items if uses_database(item)]
    elif database_is_postgres():
        keep = items
    else:
        keep = [item for item in items if not item.get_closest_marker("postgres") or not postgres_url()]
        skip = pytest.mark.skip(reason="needs PostgreSQL: set CHUANGXING_TEST_POSTGRES_URL (see README)")
        for item in keep:
            if item.get_closest_marker("postgres"):
                item.add_marker(skip)
    left_out = [item for item in items if item not in keep]
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = keep


# -- the browser ----------------------------------------------------------------------------


@pytest.fixture
def csp_violations() -> list[str]:
    """The Content-Security-Policy violations chromium reported on ``browser_page`` (in its console), as they
    come; ``browser_page`` fails the test if any are left at its end."""
    return []


@pytest.fixture
def browser_page(live_server, request, csp_violations):
    """A Playwright page in Debian's chromium, started after the database and stopped before it.

    Playwright's sync API runs an event loop in this thread while it is started, and Django refuses
    ORM calls from a thread with a running loop; so every database set-up happens before this
    fixture (list those fixtures first) and the browser is closed before the test database is
    flushed.
    """
    if not CHROMIUM.exists():
        message = f"needs chromium at {CHROMIUM} (apt-get install chromium)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.set_default_timeout(15_000)
        page.on("console", lambda message: csp_violations.append(message.text)
                if "Content Security Policy" in message.text else None)
        try:
            yield page
        finally:
            context.close()
            browser.close()
    if csp_violations:
        pytest.fail("a page broke its Content-Security-Policy:\n" + "\n".join(csp_violations))


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "name")`` saves ``test-artifacts/screenshots/<name>.png`` and returns its path."""
    folder = ARTIFACTS / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)

    def take(page, name: str, *, full_page: bool = True) -> Path:
        path = folder / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return take
