"""Sign-in with throttling, one implementation for ``/accounts/login/`` and the Django admin's ``/admin/login/``.

Three counters, each checked before the password is (a refused attempt learns nothing, not even a right
password), each telling the user in Chinese how long to wait:

- **account and address** (``PAIR``): the first ``MAX_FAILURES`` (3) failures of one user name from one
  address are free; from the third on, each failure sets a wait that starts at it and doubles with each
  further failure (30 s, 1 min, 2 min, … at most 15 min); a quarter of an hour of quiet after the wait
  forgets the failures. Five typos by someone else behind an office's shared address cost the real
  user two minutes, not a quarter of an hour. A success clears it.
- **account, from any address** (``ACCOUNT``): the same with 10 free failures, so a guess spread over many
  addresses is slowed to one try per 15 minutes at most; it never locks for longer, and a success clears it.
- **address, many accounts** (``SPRAY_ACCOUNTS``): an address that failed on 10 different user names within
  15 minutes (one password tried on many accounts) may try no other user name until the oldest of those
  failures is 15 minutes old; the names it already tried stay under their own counters.

>>> throttle = SignInThrottle()
>>> throttle.refusal("zhangsan", "10.0.0.7") is None
True

The counts live in Django's cache (``CACHES``): per process with the default local-memory cache, shared
by every application server with ``CHUANGXING_CACHE=database`` (see docs/deploy.md). Times are read from
``SignInThrottle.clock`` and stored in the values (the cache's own expiry only clears old entries), so a
test moves the clock instead of sleeping. The check and the count are not one atomic step: requests sent
at the same instant may each be checked before any is counted (Argon2 makes each of them cost ~50 ms).
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError

MAX_FAILURES = 3            # free failures of one account from one address
WINDOW = 15 * 60            # a quiet quarter of an hour forgets the failures
LOCKED_MESSAGE = "登录失败次数过多"     # every refusal starts with it, then says why and how long to wait


@dataclass(frozen=True)
class Backoff:
    """``free`` failures, then a wait of ``base`` seconds doubling with each further failure, at most ``cap``."""

    free: int
    base: int
    cap: int

    def wait(self, failures: int) -> int:
        if failures < self.free:
            return 0
        return min(self.cap, self.base * 2 ** min(failures - self.free, 20))


PAIR = Backoff(free=MAX_FAILURES, base=30, cap=WINDOW)
ACCOUNT = Backoff(free=10, base=30, cap=WINDOW)
SPRAY_ACCOUNTS = 10


def client_ip(request) -> str:
    """The caller's address; behind the load balancer (``CHUANGXING_BEHIND_PROXY``) the one it appended."""
    if getattr(settings, "BEHIND_PROXY", False):
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]
    return request.META.get("REMOTE_ADDR", "")


def _digest(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


def account_name(username: str) -> str:
    return username.strip().lower()


def wait_text(seconds: float) -> str:
    """``wait_text(30) == "30 秒"``, ``wait_text(61) == "2 分钟"``: rounded up, never zero."""
    seconds = max(1, math.ceil(seconds))
    return f"{seconds} 秒" if seconds < 60 else f"{math.ceil(seconds / 60)} 分钟"


class SignInThrottle:
    """The three counters of the module docstring, over Django's default cache."""

    clock = staticmethod(time.time)

    def refusal(self, username: str, ip: str) -> str | None:
        """The Chinese message refusing this attempt now, or None when it may be checked."""
        name, now = account_name(username), self.clock()
        pair_wait = self._wait(self._pair_key(name, ip), PAIR, now)
        if pair_wait > 0:
            return f"{LOCKED_MESSAGE}，该账户已在此设备上暂停登录，请 {wait_text(pair_wait)}后再试。"
        account_wait = self._wait(self._account_key(name), ACCOUNT, now)
        if account_wait > 0:
            return f"{LOCKED_MESSAGE}，该账户暂停登录，请 {wait_text(account_wait)}后再试。"
        spray_wait = self._spray_wait(name, ip, now)
        if spray_wait > 0:
            return f"{LOCKED_MESSAGE}：此网络地址尝试的账户过多，请 {wait_text(spray_wait)}后再试。"
        return None

    def record_failure(self, username: str, ip: str) -> None:
        name, now = account_name(username), self.clock()
        self._count(self._pair_key(name, ip), PAIR, now)
        self._count(self._account_key(name), ACCOUNT, now)
        tried = self._recent(self._spray_key(ip), now)
        tried[_digest(name)] = now
        cache.set(self._spray_key(ip), tried, timeout=2 * WINDOW)

    def record_success(self, username: str, ip: str) -> None:
        name = account_name(username)
        cache.delete_many([self._pair_key(name, ip), self._account_key(name)])

    # -- the stored counts: {"failures": n, "last": time of the last failure} ---------------------

    @staticmethod
    def _pair_key(name: str, ip: str) -> str:
        return f"login-failures:{_digest(name, ip)}"

    @staticmethod
    def _account_key(name: str) -> str:
        return f"login-failures-account:{_digest(name)}"

    @staticmethod
    def _spray_key(ip: str) -> str:
        return f"login-failures-address:{_digest(ip)}"

    @staticmethod
    def _current(key: str, backoff: Backoff, now: float) -> dict:
        entry = cache.get(key)
        if not entry or now - entry["last"] >= backoff.wait(entry["failures"]) + WINDOW:   # quiet: forgotten
            return {"failures": 0, "last": now}
        return entry

    def _wait(self, key: str, backoff: Backoff, now: float) -> float:
        entry = self._current(key, backoff, now)
        return entry["last"] + backoff.wait(entry["failures"]) - now

    def _count(self, key: str, backoff: Backoff, now: float) -> None:
        entry = self._current(key, backoff, now)
        cache.set(key, {"failures": entry["failures"] + 1, "last": now}, timeout=backoff.cap + 2 * WINDOW)

    @staticmethod
    def _recent(key: str, now: float) -> dict[str, float]:
        return {name: at for name, at in (cache.get(key) or {}).items() if now - at < WINDOW}

    def _spray_wait(self, name: str, ip: str, now: float) -> float:
        tried = self._recent(self._spray_key(ip), now)
        if len(tried) < SPRAY_ACCOUNTS or _digest(name) in tried:
            return 0
        return min(tried.values()) + WINDOW - now


throttle = SignInThrottle()


class ThrottledFormMixin:
    """Refuses a throttled attempt before its password is checked; counts failures, clears on success."""

    def clean(self):
        username, ip = self.data.get("username", ""), client_ip(self.request)
        refusal = throttle.refusal(username, ip)
        if refusal:
            raise ValidationError(refusal, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            throttle.record_failure(username, ip)
            raise
        if self.get_user() is not None:        # signed in (an empty password checks nothing: clears nothing)
            throttle.record_success(username, ip)
        return cleaned


class ThrottledAuthenticationForm(ThrottledFormMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledFormMixin, AdminAuthenticationForm):
    """The admin's form (staff only) behind the same throttle: a failure at either entry counts at both."""


def throttled_message(form) -> str:
    """The refusal the form was given, or ""."""
    if form is None or not form.is_bound:
        return ""
    return next((e.messages[0] for e in form.errors.as_data().get("__all__", []) if e.code == "throttled"), "")


def with_throttle_status(response, form):
    """``429 Too Many Requests`` for a refused attempt."""
    if throttled_message(form):
        response.status_code = 429
    return response


class ThrottledLoginView(LoginView):
    form_class = ThrottledAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def form_invalid(self, form):
        response = self.render_to_response(self.get_context_data(form=form, throttled=throttled_message(form)))
        return with_throttle_status(response, form)
