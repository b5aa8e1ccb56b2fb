"""Django settings for 创星, read from the environment.

Two modes, chosen by ``CHUANGXING_ENV``:

- ``development`` (the default, also when unset or empty): SQLite under ``var/``, a fixed development
  secret key, DEBUG on;
- ``production``: the secret key, allowed hosts and secure cookies are required, DEBUG is off.

Any other value (``prod``, ``dev``…) is refused by name rather than guessed. Every refusal is an
``ImproperlyConfigured`` raised on import, in Chinese and English, naming the variable.

The environment variables::

    CHUANGXING_ENV            "production" or "development" (default); nothing else
    CHUANGXING_SECRET_KEY     required in production, and not weak (see ``secret_key_weakness``)
    CHUANGXING_ALLOWED_HOSTS  comma-separated; required in production, where "*" is refused
    CHUANGXING_CSRF_TRUSTED_ORIGINS   comma-separated origins, e.g. https://dj.example.cn
    CHUANGXING_DEBUG          "1" or "0"; development only (default 1)
    CHUANGXING_DATA_DIR       where the SQLite database and collected static files live (default var/)
    CHUANGXING_BEHIND_PROXY   "1": trust X-Forwarded-Proto from the load balancer
    CHUANGXING_SSL_REDIRECT   "0" to let the proxy do the HTTPS redirect (production, default 1)
    CHUANGXING_HSTS_SECONDS   Strict-Transport-Security max-age in production: a whole number of seconds ≥ 0
                              (default one year)
    CHUANGXING_CACHE          "database": a cache shared by all application servers (sign-in throttle)
    DATABASE_URL              e.g. postgres://user@host:5432/chuangxing; default SQLite
    CHUANGXING_PG_JIT         "1": leave PostgreSQL's JIT compiler on (default off, see below)
"""

from __future__ import annotations

import itertools
import os
import re
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


def _refuse(variable: str, zh: str, en: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"{variable}：{zh} {variable}: {en}")


def _env_mode() -> str:
    mode = (os.environ.get("CHUANGXING_ENV") or "development").strip().lower() or "development"
    if mode not in {"production", "development"}:
        raise _refuse("CHUANGXING_ENV", f"只能是 production 或 development，不能是 {mode!r}。",
                      f"must be 'production' or 'development', not {mode!r}.")
    return mode


def _env_seconds(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        seconds = int(value)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise _refuse(name, f"应为不小于 0 的整数秒数，不能是 {value!r}。",
                      f"must be a whole number of seconds >= 0, not {value!r}.")
    return seconds


# Words a generated key does not contain: the development default's, and the first ones people type.
WEAK_KEY_WORDS = ("insecure", "development", "chuangxing", "django", "secret", "password", "passwd",
                  "changeme", "letmein", "qwerty", "admin", "example", "default", "12345", "abcde")


def secret_key_weakness(key: str) -> str | None:
    """Why ``key`` is too weak for production, or None. A key is refused when it

    - has fewer than 50 characters or fewer than 16 different ones;
    - repeats a piece of 1–8 characters five times running (``aaaaa``, ``abababababab``) or is one piece
      repeated (``s3cr3tKey!s3cr3tKey!…``);
    - runs six characters up or down the alphabet or the digits (``abcdef``, ``987654``);
    - contains, in any case, one of ``WEAK_KEY_WORDS`` (the development default's words among them).

    ``secrets.token_urlsafe(50)`` passes; it falls foul of the rules about once in a hundred thousand.

    >>> secret_key_weakness("too-short")
    '少于 50 个字符'
    """
    folded = key.lower()
    if len(key) < 50:
        return "少于 50 个字符"
    if len(set(key)) < 16:
        return "不同的字符少于 16 个"
    if re.search(r"(.{1,8}?)\1{4,}", key) or re.fullmatch(r"(.+?)\1+", key):
        return "含有重复的片段"
    if any(_runs(folded, step) for step in (1, -1)):
        return "含有连续的字母或数字（如 abcdef、123456）"
    word = next((w for w in WEAK_KEY_WORDS if w in folded), None)
    if word:
        return f"含有常见词 {word!r}"
    return None


def _runs(text: str, step: int, length: int = 6) -> bool:
    run = 1
    for before, after in itertools.pairwise(text):
        run = run + 1 if ord(after) - ord(before) == step and after.isalnum() and before.isalnum() else 1
        if run >= length:
            return True
    return False


PRODUCTION = _env_mode() == "production"
DATA_DIR = Path(os.environ.get("CHUANGXING_DATA_DIR") or _default_data_dir()).resolve()

# -- secrets and debug ----------------------------------------------------------------------

DEVELOPMENT_SECRET_KEY = "django-insecure-chuangxing-development-only-never-use-in-production"

SECRET_KEY = os.environ.get("CHUANGXING_SECRET_KEY", "").strip() or DEVELOPMENT_SECRET_KEY
DEBUG = False if PRODUCTION else _env_flag("CHUANGXING_DEBUG", True)
ALLOWED_HOSTS = _env_list("CHUANGXING_ALLOWED_HOSTS") or (
    [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"]
)
CSRF_TRUSTED_ORIGINS = _env_list("CHUANGXING_CSRF_TRUSTED_ORIGINS")

_GENERATE_KEY = "python -c 'import secrets; print(secrets.token_urlsafe(50))'"

if PRODUCTION:
    if SECRET_KEY == DEVELOPMENT_SECRET_KEY or SECRET_KEY.startswith("django-insecure"):
        raise _refuse("CHUANGXING_SECRET_KEY", "生产模式必须设置（不能使用开发默认值）。",
                      f"required in production (not the development key); generate one with {_GENERATE_KEY}")
    if weakness := secret_key_weakness(SECRET_KEY):
        raise _refuse("CHUANGXING_SECRET_KEY", f"密钥太弱（{weakness}），请用随机生成的密钥。",
                      f"too weak for production; generate one with {_GENERATE_KEY}")
    if _env_flag("CHUANGXING_DEBUG", False):
        raise _refuse("CHUANGXING_DEBUG", "生产模式不能打开。", "must be off in production.")
    if not ALLOWED_HOSTS:
        raise _refuse("CHUANGXING_ALLOWED_HOSTS", "生产模式必须设置（逗号分隔的域名）。",
                      "required in production (comma-separated host names).")
    if "*" in ALLOWED_HOSTS:
        raise _refuse("CHUANGXING_ALLOWED_HOSTS", "生产模式不能用 *（任何域名），请列出本系统的域名。",
                      "'*' (any host) is refused in production: list the site's host names.")

# -- applications ---------------------------------------------------------------------------

INSTALLED_APPS = [
    "chuangxing.web.apps.AdminConfig",          # django.contrib.admin, signing in through the throttle
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
    "chuangxing.web.middleware.ContentSecurityPolicyMiddleware",
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
# Every HTML page (web/middleware.py). The pages load only their own static files (no CDN) and have no inline
# script, event handler (onclick=) or style attribute: behaviours are bound from static/web/site.js by data
# attributes, so neither 'unsafe-inline' nor nonces are needed. data: images: the API's Swagger UI draws its
# icons from data: URLs in its stylesheet. tests/web/test_security.py checks the templates stay so.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = _env_flag("CHUANGXING_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = _env_seconds("CHUANGXING_HSTS_SECONDS", 365 * 24 * 3600)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = False
    if BEHIND_PROXY:
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        USE_X_FORWARDED_HOST = True

# -- logging: to the console, so the process manager or container collects it ---------------

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # A refused request (403, 400) is one line, without the traceback of the exception that refused it.
    "filters": {"one_line_client_errors": {"()": "chuangxing.web.log_filters.OneLineClientErrors"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {
        "chuangxing": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Replaces Django's own console handler (DEBUG only), which would print every line twice.
        "django": {"handlers": ["console"], "level": "WARNING", "propagate": False},
        "django.request": {"handlers": ["console"], "level": "WARNING", "propagate": False,
                           "filters": ["one_line_client_errors"]},
    },
}

# -- how much one branch's records may hold (see records.imports.limits) ----------------------
# A branch's import file: 5,000 rows per sheet holds a year of monthly dues for 400 members (a
# branch past 50 members is normally split into a 党总支 with its own branches). A branch: 3,000
# members, ten times the largest branch we have seen, and above the 2,000 the paged lists are
# measured with (bench/records_pages.py). Both refuse the whole file, never part of it.
CHUANGXING_IMPORT_MAX_ROWS = int(os.environ.get("CHUANGXING_IMPORT_MAX_ROWS", "5000"))
CHUANGXING_BRANCH_MAX_MEMBERS = int(os.environ.get("CHUANGXING_BRANCH_MAX_MEMBERS", "3000"))
