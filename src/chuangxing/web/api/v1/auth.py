"""Who is asking: a bearer token first, else the browser's session (with its CSRF check)."""

from __future__ import annotations

from ninja.security import HttpBearer, django_auth

from chuangxing.apitokens.services import user_for_secret


class BearerToken(HttpBearer):
    def authenticate(self, request, token: str):
        user = user_for_secret(token.strip())
        if user is not None:
            request.user = user        # the services and the audit log see the token's owner
        return user


API_AUTH = [BearerToken(), django_auth]
