"""The site's own middleware.

- ``LoginRequiredMiddleware``: sign-in is required everywhere, except views marked ``@login_not_required``
  (the login page). Pages redirect to the login page; the JSON API answers ``401`` with an error object.
- ``ContentSecurityPolicyMiddleware``: every HTML page carries ``settings.CONTENT_SECURITY_POLICY``.
"""

from django.conf import settings
from django.contrib.auth import middleware as auth_middleware

from chuangxing.web.api.errors import api_error

API_PREFIX = "/api/"


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    def handle_no_permission(self, request, view_func):
        if request.path_info.startswith(API_PREFIX):
            return api_error("not_authenticated", "请先登录。", status=401)
        return super().handle_no_permission(request, view_func)


class ContentSecurityPolicyMiddleware:
    """Sends ``Content-Security-Policy: <settings.CONTENT_SECURITY_POLICY>`` with every HTML response.

    Other responses (JSON, evidence files, static files) go without: the policy is about what a page may load
    and run, and a PDF opened in the browser is shown by a viewer that ``object-src 'none'`` would block.
    With ``DEBUG`` on, Django's own error pages (404, 500 with the traceback) keep their inline styles and scripts.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = getattr(settings, "CONTENT_SECURITY_POLICY", "")
        if policy and response.get("Content-Type", "").startswith("text/html") and not self._debug_page(response):
            response.headers.setdefault("Content-Security-Policy", policy)
        return response

    @staticmethod
    def _debug_page(response) -> bool:
        return settings.DEBUG and response.status_code in (404, 500)
