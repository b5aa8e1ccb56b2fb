from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "chuangxing.web"
    label = "web"
    verbose_name = "创星网页"
