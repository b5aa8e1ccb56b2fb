from django.apps import AppConfig


class RecordsConfig(AppConfig):
    name = "chuangxing.records"
    label = "records"
    verbose_name = "支部台账"
    default_auto_field = "django.db.models.BigAutoField"
