"""Django settings for 创星, read from the environment.

Two modes, chosen by ``CHUANGXING_ENV``:

- development (the default): SQLite under ``var/``, a fixed development secret key, DEBUG on;
- ``production``: the secret key, allowed hosts and secure cookies are required, DEBUG is off.

The environment variables::

    CHUANGXING_ENV            "production" or anything else (development)
    CHUANGXING_SECRET_KEY     required in production (≥ 50 characters, not the development key)
    CHUANGXING_ALLOWED_HOSTS  comma-separated; required in production
    CHUANGXING_CSRF_TRUSTED_ORIGINS   comma-separated origins, e.g. https://dj.example.cn
    CHUANGXING_DEBUG          "1" or "0"; development only (default 1)
    CHUANGXING_DATA_DIR       where the SQLite database and collected static files live (default var/)
    CHUANGXING_BEHIND_PROXY   "1": trust X-Forwarded-Proto from the load balancer
    CHUANGXING_SSL_REDIRECT   "0" to let the proxy do the HTTPS redirect (production, default 1)
    CHUANGXING_HSTS_SECONDS   Strict-Transport-Security max-age in production (default one year)
    CHUANGXING_CACHE          "database": a cache shared by all application servers (sign-in throttle)
    DATABASE_URL              e.g. postgres://user@host:5432/chuangxing; default SQLite
    CHUANGXING_PG_JIT         "1": leave PostgreSQL's JIT compiler on (default off, see below)
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = PACKAGE_DIR.parent.parent


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_list(name: str) -> list[str]:
    return [part.strip() for part in os.environ.get(name, "").split(",") if part.strip()]


def _default_data_dir() -> Path:
    # A checkout (editable install) keeps its data beside the code; an installed copy uses the cwd.
    base = _REPO_DIR if (_REPO_DIR / "pyproject.toml").is_file() else Path.cwd()
    return base / "var"


PRODUCTION = os.environ.get("CHUANGXING_ENV", "development").strip().lower() == "production"
DATA_DIR = Path(os.environ.get("CHUANGXING_DATA_DIR") or _default_data_dir()).resolve()

# -- secrets and debug ----------------------------------------------------------------------

DEVELOPMENT_SECRET_KEY = "django-insecure-chuangxing-development-only-never-use-in-production"

SECRET_KEY = os.environ.get("CHUANGXING_SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
DEBUG = False if PRODUCTION else _env_flag("CHUANGXING_DEBUG", True)
ALLOWED_HOSTS = _env_list("CHUANGXING_ALLOWED_HOSTS") or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = _env_list("CHUANGXING_CSRF_TRUSTED_ORIGINS")

if PRODUCTION:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "生产模式必须设置 CHUANGXING_SECRET_KEY（不能使用开发默认值）。"
            " Set CHUANGXING_SECRET_KEY, e.g. python -c 'import secrets; print(secrets.token_urlsafe(50))'"
        )
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5:
        raise ImproperlyConfigured("CHUANGXING_SECRET_KEY 太短：至少 50 个字符、5 个不同字符。")
    if _env_flag("CHUANGXING_DEBUG", False):
        raise ImproperlyConfigured("生产模式不能打开 CHUANGXING_DEBUG。")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured("生产模式必须设置 CHUANGXING_ALLOWED_HOSTS（逗号分隔的域名）。")

# -- applications ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "ninja",                      # the JSON API's Swagger UI served from static (no CDN)
    "chuangxing.orgs",
    "chuangxing.records",
    "chuangxing.assessments",
    "chuangxing.apitokens",
    "chuangxing.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "chuangxing.web.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Plain inputs drawn in Python, the same HTML as Django's widget templates (a page draws hundreds of them)
FORM_RENDERER = "chuangxing.web.renderer.PlainInputs"

ROOT_URLCONF = "chuangxing.urls"
WSGI_APPLICATION = "chuangxing.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
    {   # the rubric tree of the assessment pages only (web/jinja.py): it repeats per rule
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"environment": "chuangxing.web.jinja.environment"},
    },
]

# -- database -------------------------------------------------------------------------------

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{DATA_DIR / 'chuangxing.sqlite3'}",
        conn_max_age=0 if DEBUG else 60,
        conn_health_checks=True,
    ),
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The server's threads write at once (saves, moves, sessions). A transaction takes SQLite's write lock
    # when it begins (IMMEDIATE) and waits up to `timeout` seconds for it: a deferred one that read first
    # fails at once with "database is locked" when another thread writes (seen with 4 users on deadline day).
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})
    if DATABASES["default"]["NAME"]:
        # A fresh checkout runs with no set-up: the SQLite file's folder is made on first use.
        Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
elif DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get("CHUANGXING_PG_JIT") != "1":
    # PostgreSQL's JIT compiles a query whose estimated cost is high, which the facts of a city are: on the
    # 30,000-branch city it spent 0.5-0.65 s compiling each of them to run them no faster (the branch facts:
    # 1.9 s with it, 1.1 s without). The pages' queries are far below its threshold.
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["options"] = f"{options.get('options', '')} -c jit=off".strip()

# -- authentication -------------------------------------------------------------------------

# Argon2id first (argon2-cffi); the others only read passwords hashed before, which are upgraded on sign-in.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "web:my_work"
LOGOUT_REDIRECT_URL = "login"

# -- cache: the sign-in throttle's counts. "database" shares them between application servers
# (run `python -m chuangxing.manage createcachetable` once, see docs/deploy.md); the default is per process.

# "dashboards": the figures of whole cycles (web/cycle_stats.py), keyed by each cycle's data version read
# from the database, so a per-process cache is exact with any number of servers (each process computes a
# cycle's figures once per change); sized for a few cycles' indicators.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "chuangxing_cache"}
    if os.environ.get("CHUANGXING_CACHE", "").strip().lower() == "database"
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "dashboards": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "dashboards",
                   "OPTIONS": {"MAX_ENTRIES": 2000}},
}

# -- language and time ----------------------------------------------------------------------

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# -- static files (served by WhiteNoise from the app itself) --------------------------------

STATIC_URL = "static/"
# `collectstatic` writes here in production; development serves the app folders directly (WhiteNoise
# would warn about a missing folder).
STATIC_ROOT = DATA_DIR / "static" if PRODUCTION else None
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Production serves hashed, compressed copies made by `collectstatic`; development and
        # tests read the app's static folder directly.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}
MEDIA_ROOT = DATA_DIR / "media"
MEDIA_URL = "media/"
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# -- security -------------------------------------------------------------------------------

BEHIND_PROXY = _env_flag("CHUANGXING_BEHIND_PROXY", False)    # also: the sign-in throttle reads X-Forwarded-For
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_flag("CHUANGXING_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = int(os.environ.get("CHUANGXING_HSTS_SECONDS", str(365 * 24 * 3600)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        USE_X_FORWARDED_HOST = True

# -- logging: to the console, so the process manager or container collects it ---------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "chuangxing": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Replaces Django's own console handler (DEBUG only), which would print every line twice.
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
    },
}

# -- how much one branch's records may hold (see records.imports.limits) ----------------------
# A branch's import file: 5,000 rows per sheet holds a year of monthly dues for 400 members (a
# branch past 50 members is normally split into a 党总支 with its own branches). A branch: 3,000
# members, ten times the largest branch we have seen, and above the 2,000 the paged lists are
# measured with (bench/records_pages.py). Both refuse the whole file, never part of it.
CHUANGXING_IMPORT_MAX_ROWS = int(os.environ.get("CHUANGXING_IMPORT_MAX_ROWS", "5000"))
CHUANGXING_BRANCH_MAX_MEMBERS = int(os.environ.get("CHUANGXING_BRANCH_MAX_MEMBERS", "3000"))
