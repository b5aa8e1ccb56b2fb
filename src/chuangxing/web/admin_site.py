"""The Django admin (``/admin/``) behind the same sign-in throttle as ``/accounts/login/`` (web/login.py).

``admin.site`` is this class (``AdminConfig.default_site`` in web/apps.py), so the models' ``admin.py``
modules register with it as usual.
"""

from django.contrib import admin
from django.contrib.auth.decorators import login_not_required

from chuangxing.web.login import ThrottledAdminAuthenticationForm, with_throttle_status


class ThrottledAdminSite(admin.AdminSite):
    login_form = ThrottledAdminAuthenticationForm

    @login_not_required            # as Django's own: the sign-in page is open to the signed-out
    def login(self, request, extra_context=None):
        response = super().login(request, extra_context)
        return with_throttle_status(response, (getattr(response, "context_data", None) or {}).get("form"))
