"""Tokens in the Django admin: creating one shows its secret once, in the success message."""

from django.contrib import admin, messages

from chuangxing.apitokens.models import ApiToken
from chuangxing.apitokens.services import set_secret


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "key_start", "created_at", "last_used_at", "revoked_at")
    list_filter = ("revoked_at",)
    search_fields = ("name", "user__username")
    readonly_fields = ("key_start", "created_at", "last_used_at")
    fields = ("user", "name", "revoked_at", "key_start", "created_at", "last_used_at")

    def save_model(self, request, obj, form, change):
        secret = None if change else set_secret(obj)
        super().save_model(request, obj, form, change)
        if secret:
            messages.warning(request, f"新令牌（只显示这一次，请立即复制保存）：{secret}")
