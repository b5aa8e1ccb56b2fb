from django.http import JsonResponse


def api_error(code: str, message: str, *, status: int) -> JsonResponse:
    """An API error with a stable ``code`` for programs and a Chinese ``message`` for people.

    >>> api_error("rubric_not_found", "没有找到评分标准：x", status=404).status_code
    404
    """
    return JsonResponse({"error": {"code": code, "message": message}}, status=status,
                        json_dumps_params={"ensure_ascii": False})
