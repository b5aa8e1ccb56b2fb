"""Sign-in is required everywhere, except views marked ``@login_not_required`` (the login page).

Pages redirect to the login page; the JSON API answers ``401`` with an error object instead.
"""

from django.contrib.auth import middleware as auth_middleware

from chuangxing.web.api.errors import api_error

API_PREFIX = "/api/"


class LoginRequiredMiddleware(auth_middleware.LoginRequiredMiddleware):
    def handle_no_permission(self, request, view_func):
        if request.path_info.startswith(API_PREFIX):
            return api_error("not_authenticated", "请先登录。", status=401)
        return super().handle_no_permission(request, view_func)
