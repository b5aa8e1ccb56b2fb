from django.apps import AppConfig


class ApiTokensConfig(AppConfig):
    name = "chuangxing.apitokens"
    label = "apitokens"
    verbose_name = "接口令牌"
