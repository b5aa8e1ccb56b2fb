"""JSON on the wire: Chinese written as is, decimals exact both ways."""

from __future__ import annotations

import json
from decimal import Decimal

from ninja.parser import Parser
from ninja.renderers import JSONRenderer

from chuangxing.web.api.v1.errors import ApiError


class Renderer(JSONRenderer):
    """Decimals as strings (Django's JSON encoder), Chinese not escaped."""

    json_dumps_params = {"ensure_ascii": False}


class DecimalParser(Parser):
    """Request bodies with their numbers read as Decimal (``0.1`` stays exactly 0.1)."""

    def parse_body(self, request):
        try:
            return json.loads(request.body, parse_float=Decimal)
        except (ValueError, RecursionError) as exc:      # not JSON, nested too deep, an integer of thousands of digits
            raise ApiError(400, "bad_json", "请求内容不是有效的 JSON（或嵌套过深、数字过长），未保存任何内容") from exc
