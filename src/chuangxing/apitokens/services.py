"""Issuing, checking and revoking API tokens.

>>> token, secret = issue_token(user=alice, name="统计脚本")   # secret: "cx_…", shown once, never stored
>>> user_for_secret(secret) == alice
True
>>> revoke_token(token=token); user_for_secret(secret) is None
True
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from chuangxing.apitokens.models import PREFIX, ApiToken, digest

# last_used_at is written at most this often per token (a busy script would otherwise write on every call).
TOUCH_EVERY = timedelta(minutes=5)


def issue_token(*, user, name: str) -> tuple[ApiToken, str]:
    """A new token for ``user``: the row and the secret (the only time the secret exists in clear)."""
    token = ApiToken(user=user, name=name.strip() or "接口令牌")
    secret = set_secret(token)
    token.save()
    return token, secret


def set_secret(token: ApiToken) -> str:
    """Give an unsaved ``token`` a new secret (its hash and first characters); returns the secret."""
    secret = PREFIX + secrets.token_urlsafe(32)
    token.key_hash, token.key_start = digest(secret), secret[:10]
    return secret


def user_for_secret(secret: str):
    """The active user the secret belongs to, or None (unknown, revoked, or an inactive user)."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = (ApiToken.objects.select_related("user").filter(key_hash=digest(secret), revoked_at__isnull=True)
             .first())
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > TOUCH_EVERY:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def revoke_token(*, token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
