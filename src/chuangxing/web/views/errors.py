"""The server-error answer: the JSON API's error body under ``/api/``, the 500 page everywhere else.

Django calls this (``handler500`` in :mod:`chuangxing.urls`) for an exception no view answered, after it
has logged the traceback (``django.request``, in English); the caller only learns that it failed.
"""

from __future__ import annotations

from django.views.defaults import server_error as page_error

from chuangxing.web.api.errors import api_error
from chuangxing.web.middleware import API_PREFIX

SERVER_ERROR = "服务器出错，未能完成请求；错误已记录，请稍后再试，或联系系统管理员。"


def server_error(request, template_name: str = "500.html"):
    if request.path_info.startswith(API_PREFIX):
        return api_error("server_error", SERVER_ERROR, status=500)
    return page_error(request, template_name=template_name)
