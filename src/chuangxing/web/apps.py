from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class WebConfig(AppConfig):
    name = "chuangxing.web"
    label = "web"
    verbose_name = "创星网页"


class AdminConfig(admin_apps.AdminConfig):
    """Django's admin, whose ``admin.site`` signs in through the site's throttle (web/admin_site.py)."""

    default = False          # "chuangxing.web" still means WebConfig; settings name this one in full
    default_site = "chuangxing.web.admin_site.ThrottledAdminSite"
