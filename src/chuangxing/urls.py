"""The site's URLs: the web application, its JSON API, sign-in and the Django admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from chuangxing.web.login import ThrottledLoginView

urlpatterns = [
    path("", include("chuangxing.web.urls")),
    path("", include("chuangxing.web.urls_api")),    # /api/v1/: the JSON API (its own namespace, for ninja)
    path("accounts/login/", ThrottledLoginView.as_view(), name="login"),   # throttled after 5 failures
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
]

handler500 = "chuangxing.web.views.errors.server_error"     # under /api/: the JSON error body
