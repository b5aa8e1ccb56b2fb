"""Sign-in with throttling: after ``MAX_FAILURES`` failed attempts for one user name from one address
within ``WINDOW`` seconds, that pair is refused (even with the right password) until the window ends.

>>> key = attempt_key("zhangsan", "10.0.0.7")
>>> record_failure(key); is_locked(key)
False

The counts live in Django's cache (``CACHES``): per process with the default local-memory cache, shared
by every application server with ``CHUANGXING_CACHE=database`` (see docs/deploy.md). A guess from many
addresses at one account is slowed by Argon2 and the password rules; this limiter stops the cheap case.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError

MAX_FAILURES = 5
WINDOW = 15 * 60
LOCKED_MESSAGE = "登录失败次数过多，该账户已在此设备上暂停登录，请 15 分钟后再试。"


def client_ip(request) -> str:
    """The caller's address; behind the load balancer (``CHUANGXING_BEHIND_PROXY``) the one it appended."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")


def attempt_key(username: str, ip: str) -> str:
    digest = hashlib.sha256(f"{username.strip().lower()}|{ip}".encode()).hexdigest()
    return f"login-failures:{digest}"


def is_locked(key: str) -> bool:
    return (cache.get(key) or 0) >= MAX_FAILURES


def record_failure(key: str) -> None:
    """Count one failure; the window starts at the first failure."""
    if not cache.add(key, 1, timeout=WINDOW):
        try:
            cache.incr(key)
        except ValueError:      # expired between add and incr
            cache.add(key, 1, timeout=WINDOW)


class ThrottledAuthenticationForm(AuthenticationForm):
    def clean(self):
        key = attempt_key(self.data.get("username", ""), client_ip(self.request))
        if is_locked(key):
            raise ValidationError(LOCKED_MESSAGE, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            record_failure(key)
            raise
        cache.delete(key)
        return cleaned


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        throttled = any(e.code == "throttled" for e in form.errors.as_data().get("__all__", []))
        response = self.render_to_response(self.get_context_data(form=form, throttled=LOCKED_MESSAGE if throttled else ""))
        if throttled:
            response.status_code = 429
        return response
