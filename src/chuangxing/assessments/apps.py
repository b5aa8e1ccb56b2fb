from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "chuangxing.assessments"
    label = "assessments"
    verbose_name = "考评"
    default_auto_field = "django.db.models.BigAutoField"
