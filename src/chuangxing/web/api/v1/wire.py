"""JSON on the wire: Chinese written as is, decimals exact both ways."""

from __future__ import annotations

import json
from decimal import Decimal

from ninja.parser import Parser
from ninja.renderers import JSONRenderer


class Renderer(JSONRenderer):
    """Decimals as strings (Django's JSON encoder), Chinese not escaped."""

    json_dumps_params = {"ensure_ascii": False}


class DecimalParser(Parser):
    """Request bodies with their numbers read as Decimal (``0.1`` stays exactly 0.1)."""

    def parse_body(self, request):
        return json.loads(request.body, parse_float=Decimal)
