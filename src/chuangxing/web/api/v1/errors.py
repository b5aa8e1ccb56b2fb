"""Errors of the API: every refusal is ``{"error": {"code": ..., "message": <中文>}}``.

=====  ======================  ==========================================================
400    validation              the request does not fit the description (``details`` lists why)
400    illegal_transition,     the workflow refuses (the service's own code: deadline_passed,
       deadline_passed, ...    objections_open, notice_too_short, nothing_to_sample, not_here (a move
                               made by another endpoint) ...)
400    evidence_type, ...      a file refused by its content (evidence_type, evidence_empty, unknown_node)
400    fact_invalid            a fact override that does not fit the fact's unit
401    not_authenticated       no valid token or session
403    forbidden               the services' permission check (audited)
403    csrf_failed             a write through the browser session without the CSRF token
404    not_found               no such rubric, cycle, assessment, evidence or fact
405    method_not_allowed
409    conflict                someone saved or moved it since the ``version`` sent; nothing was written
413    evidence_too_large      a file over ``CHUANGXING_EVIDENCE_MAX_BYTES``
422    findings_invalid        the inputs do not fit the rubric (or the total they make does not fit what
                               is stored: ``total_out_of_range``); ``errors`` names each rule
500    server_error            anything else: logged with its traceback (in English), never shown
=====  ======================  ==========================================================

A body that is not JSON at all (or nested too deep, or a number too long to read) is ``400 bad_json``.
"""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.http import Http404
from ninja.errors import AuthenticationError, AuthorizationError, HttpError, ValidationError

from chuangxing.assessments.evidence import EvidenceRefused
from chuangxing.assessments.workflow import EditConflict, NotAllowed, WorkflowError
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.web.views.errors import SERVER_ERROR

log = logging.getLogger("chuangxing.api")

STATUS_CODES = {400: "bad_request", 401: "not_authenticated", 403: "forbidden", 404: "not_found",
                405: "method_not_allowed", 409: "conflict", 422: "findings_invalid"}
STATUS_MESSAGES = {400: "请求有误", 401: "请先登录或提供有效的接口令牌。", 403: "没有权限。", 404: "没有找到。",
                   405: "不支持该请求方法。", 409: "数据已被他人修改，请刷新后再试。"}


class ApiError(HttpError):
    """``raise ApiError(404, "not_found", "没有找到该考评周期")``."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(status, message)
        self.code = code


def error_body(code: str, message: str, **extra) -> dict:
    return {"error": {"code": code, "message": message, **extra}}


def _csrf_failed() -> tuple:
    return 403, "csrf_failed", "登录会话的写操作须带 CSRF 令牌（X-CSRFToken 请求头）；脚本请改用接口令牌。", {}


def _validation(exc: ValidationError) -> tuple:
    details = [{"where": ".".join(str(p) for p in e.get("loc", ())), "problem": e.get("msg", "")} for e in exc.errors]
    where = "、".join(d["where"] for d in details if d["where"])
    return 400, "validation", f"请求内容不符合接口说明{('：' + where) if where else ''}", {"details": details}


# Each refusal as (status, code, Chinese message, extra fields); the most specific class is used (ninja walks the MRO).
ANSWERS = {
    ApiError: lambda exc: (exc.status_code, exc.code, exc.message, {}),
    HttpError: lambda exc: _http_error(exc),
    ValidationError: _validation,
    AuthenticationError: lambda exc: (401, "not_authenticated", STATUS_MESSAGES[401], {}),
    AuthorizationError: lambda exc: (403, "forbidden", STATUS_MESSAGES[403], {}),
    Http404: lambda exc: (404, "not_found", str(exc) or STATUS_MESSAGES[404], {}),
    NotAllowed: lambda exc: (403, "forbidden", exc.message_zh, {}),
    EditConflict: lambda exc: (409, "conflict", exc.message_zh, {}),
    WorkflowError: lambda exc: (409 if exc.code == "conflict" else 400, exc.code, exc.message_zh, {}),
    EvidenceRefused: lambda exc: (413 if exc.code == "evidence_too_large" else 400, exc.code, exc.message_zh, {}),
    FindingsInvalid: lambda exc: (422, "findings_invalid", exc.message_zh, {"errors": [e.to_dict() for e in exc.errors]}),
    PermissionDenied: lambda exc: (403, "forbidden", STATUS_MESSAGES[403], {}),
    SuspiciousOperation: lambda exc: (400, "bad_request", STATUS_MESSAGES[400], {}),
    Exception: lambda exc: _server_error(exc),
}


def _http_error(exc: HttpError) -> tuple:
    cause = exc.__cause__
    if isinstance(cause, ApiError):             # ninja wraps what the body parser raised ("Cannot parse request body")
        return cause.status_code, cause.code, cause.message, {}
    if "CSRF" in str(exc):
        return _csrf_failed()
    return exc.status_code, STATUS_CODES.get(exc.status_code, "error"), STATUS_MESSAGES.get(exc.status_code, str(exc)), {}


def _server_error(exc: Exception) -> tuple:
    """Whatever no handler above answers: logged with its traceback, answered with the error body (even with DEBUG on)."""
    log.error("API request failed: %s: %s", type(exc).__name__, exc, exc_info=exc)
    return 500, "server_error", SERVER_ERROR, {}


def install_handlers(api) -> None:
    for exception, answer in ANSWERS.items():
        api.add_exception_handler(exception, _handler(api, answer))


def _handler(api, answer):
    def handle(request, exc):
        status, code, message, extra = answer(exc)
        return api.create_response(request, error_body(code, message, **extra), status=status)
    return handle
