"""``/api/v1/``: the JSON API (django-ninja), described by OpenAPI at ``/api/v1/openapi.json``.

::

    GET  /api/v1/rubrics                          the rubric library
    GET  /api/v1/rubrics/{rubric_id}              one rubric as a tree (rubric.export.rubric_tree)
    GET  /api/v1/cycles                           the cycles the user takes part in
    GET  /api/v1/cycles/{id}                      one cycle, with the count per state of what the user may read
    GET  /api/v1/cycles/{id}/assessments          the assessments the user may read (permissions.visible_assessments)
    GET  /api/v1/cycles/{id}/queue                the reviewer's queue: submitted and under review in their scope
    GET  /api/v1/cycles/{id}/progress             admin: counts per state, who has not submitted, who waits (cycle_stats)
    GET  /api/v1/cycles/{id}/sample               admin: the spot-check draws, each re-verified (sampling.verify_draw)
    POST /api/v1/cycles/{id}/sample               admin: draw the sample, reviewed → sampled (sampling.draw_sample)
    POST /api/v1/cycles/{id}/notices              admin: 公示, reviewed | spot_checked → announced (publicity.announce)
    GET  /api/v1/cycles/{id}/objections           admin: the objections to its notices, open ones first
    POST /api/v1/cycles/{id}/objections/dismiss   admin: close open ones as 不予受理 or spam (publicity.dismiss_objections)
    POST /api/v1/cycles/{id}/finalize             admin: 评定 after the notice (publicity.finalize)
    GET  /api/v1/assessments/{id}?stage=review    one assessment, its score sheet at a stage and what the user may do
    PUT  /api/v1/assessments/{id}/findings        save rule inputs (services.save_findings; 409 on a stale version)
    POST /api/v1/assessments/{id}/transitions     a move (services.transition; spot_check: inspection.complete_inspection)
    GET  /api/v1/assessments/{id}/review          self vs review per indicator (sheets.review_view)
    GET  /api/v1/assessments/{id}/score-sheet.pdf?stage=review   its score sheet as a PDF; stage defaults to the
                                                  one it is at; the reviewer's and inspector's reasons stand
                                                  next to the points (reports.scoresheet.sheet_file)
    GET  /api/v1/assessments/{id}/score-sheet.xlsx?stage=review  the same sheet as an Excel workbook
    GET  /api/v1/assessments/{id}/report          the self-assessment report
    PUT  /api/v1/assessments/{id}/report          save it (services.save_report; 409 on a stale version)
    GET  /api/v1/assessments/{id}/facts           its facts: computed, override, reason, value in force
    PUT  /api/v1/assessments/{id}/facts/{name}    override one with a reason, null to take it back (services.override_fact)
    GET  /api/v1/assessments/{id}/evidence        its evidence files (no paths)
    POST /api/v1/assessments/{id}/evidence        upload one, multipart node + file (evidence.add_evidence: type by
                                                  content, size limit 413, clean name)
    GET  /api/v1/assessments/{id}/evidence/{e}    download it (evidence.open_evidence)
    GET  /api/v1/branches/{id}/members            a branch's members, paged: ?limit=50&offset=0 → total, items
    GET  /api/v1/branches/{id}/meetings           its meetings, newest first, paged (?kind=)
    GET  /api/v1/branches/{id}/dues?year=2026     its dues grid of a year, paged by member (records.py)

Evidence cannot be deleted (nor on the pages). The moves of a whole cycle (sample, announce, finalize)
are refused by ``transitions`` (400 ``not_here``, naming the endpoint to use).

The description (``openapi.json``) and its Swagger UI (``/api/v1/docs``, served from static files,
no CDN) are readable without signing in: they hold no data.

Authentication: ``Authorization: Bearer cx_…`` (an :mod:`chuangxing.apitokens` token), or the browser's
session (then unsafe methods need the CSRF token, as the pages do). The permissions are the services'
own: the API calls the same functions as the pages.

Errors: ``{"error": {"code": ..., "message": <中文>}}`` with a stable code (see :mod:`.errors`).
Exact numbers (points, scores, shares) are written as **strings** ("0.3", "87.5"), as the older
``/api/rubrics/`` views do: JSON readers would otherwise turn them into binary floats. Numbers sent
in request bodies are read as decimals, never floats.
"""

from __future__ import annotations

from ninja import NinjaAPI

from chuangxing.web.api.v1 import assessments, cycle_admin, cycles, evidence, facts, records, rubrics
from chuangxing.web.api.v1.auth import API_AUTH
from chuangxing.web.api.v1.errors import install_handlers
from chuangxing.web.api.v1.wire import DecimalParser, Renderer

api = NinjaAPI(
    title="创星 API",
    version="1",
    description=__doc__.split("\n\n", 1)[0] + "\n\n" + "精确数值（分值、得分、比例）一律以字符串表示，例如 \"0.3\"。"
    "认证：请求头 Authorization: Bearer <令牌>（在管理后台或 chuangxing token create 生成），或浏览器登录会话。",
    urls_namespace="api-v1",
    auth=API_AUTH,
    renderer=Renderer(),
    parser=DecimalParser(),
)
install_handlers(api)
api.add_router("/rubrics", rubrics.router)
api.add_router("/cycles", cycles.router)
api.add_router("/cycles", cycle_admin.router)
api.add_router("/assessments", assessments.router)
api.add_router("/assessments", facts.router)
api.add_router("/assessments", evidence.router)
api.add_router("/branches", records.router)
