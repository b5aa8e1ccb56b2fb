from django.apps import AppConfig


class OrgsConfig(AppConfig):
    name = "chuangxing.orgs"
    label = "orgs"
    verbose_name = "组织与党员"
    default_auto_field = "django.db.models.BigAutoField"
