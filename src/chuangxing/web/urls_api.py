"""``/api/v1/``: the django-ninja API, in its own URL namespace (``api-v1``, which ninja reverses, so it
is included from the site's root URLs). Its views authenticate themselves (bearer token or session),
so the site-wide sign-in redirect is lifted for them; an unauthenticated call gets a JSON 401."""

from django.contrib.auth.decorators import login_not_required
from django.urls import path

from chuangxing.web.api.v1 import api

_patterns, _app, _namespace = api.urls
for _pattern in _patterns:
    login_not_required(_pattern.callback)     # sets .login_required = False; the API checks auth itself

urlpatterns = [path("api/v1/", (_patterns, _app, _namespace))]
