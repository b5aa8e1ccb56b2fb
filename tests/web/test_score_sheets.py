"""A branch's score sheet where people look for it: the assessment pages, the branch dashboard, the lists and the API;
the reviewer's and inspector's written reasons next to the points."""

from __future__ import annotations

import io
from decimal import Decimal
from urllib.parse import unquote

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from chuangxing.assessments.models import AuditEntry, State
from chuangxing.assessments.sampling import draw_sample
from chuangxing.assessments.services import save_findings, transition
from chuangxing.rubric import library

from .work_world import WorkWorld, bearer, body

pytestmark = pytest.mark.django_db

RULE = "zj-team-3-d"                 # a yes/no rule: 情形成立，扣 1 分
REASON = "两名党员连续六个月未交党费，支部未作处置"
INSPECTED = "zj-team-3-e"            # per occurrence: 1 次 × 2 分
INSPECTOR_REASON = "走访发现三例"


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return WorkWorld(spot_check_share=Decimal("1"))


def reviewed(world):
    """甲一支部 under review, with the reviewer's adjustment of RULE and its reason."""
    a = world.under_review(world.a1)
    return save_findings(assessment=a, stage="review", values={RULE: {"value": True, "reason": REASON}},
                         version=a.version, by=world.reviewer_a)


def sheet_url(a, fmt: str, stage: str | None = None) -> str:
    url = reverse("web:score_sheet", kwargs={"assessment": a.pk, "fmt": fmt})
    return url + (f"?stage={stage}" if stage else "")


def cells(content: bytes) -> list[str]:
    book = load_workbook(io.BytesIO(content))
    return [str(c) for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row if c is not None]


def reason_cell(content: bytes, rule_text: str) -> str:
    """The 扣分（加分）原因 cell of the rule's row."""
    ws = load_workbook(io.BytesIO(content))["评分表"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    head = next(r for r in rows if "评定标准" in r)
    row = next(r for r in rows if r[head.index("评定标准")] == rule_text)
    return row[head.index("扣分（加分）原因")]


def rule_text(rule_id: str) -> str:
    return library.load("zhenjiang-2018").rule(rule_id).text


# -- the pages -------------------------------------------------------------------------------------------------
def test_the_self_assessment_page_offers_the_sheet_of_its_stage_and_the_blank_one(client, world):
    a = world.fill_self(world.a1)
    client.force_login(world.secretary_a1)

    html = client.get(reverse("web:self_assessment", kwargs={"assessment": a.pk})).content.decode()

    assert "自评评分表下载" in html
    for label, link in (("评分表（PDF）", sheet_url(a, "pdf", "self")), ("评分表（Excel）", sheet_url(a, "xlsx", "self")),
                        ("空白评分表（供线下填写）", reverse("web:blank_sheet", kwargs={"assessment": a.pk}))):
        assert f'href="{link.replace("&", "&amp;")}" download' in html and label in html
    pdf = client.get(sheet_url(a, "pdf", "self"))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert "filename*=utf-8''" in pdf["Content-Disposition"]
    assert unquote(pdf["Content-Disposition"].split("''", 1)[1]) == "甲一支部-考评评分表（自评）.pdf"
    xlsx = client.get(sheet_url(a, "xlsx", "self"))
    assert "评分阶段：自评" in " ".join(cells(xlsx.content))
    blank = client.get(reverse("web:blank_sheet", kwargs={"assessment": a.pk}))
    assert blank.status_code == 200 and "填写用" in unquote(blank["Content-Disposition"])
    assert load_workbook(io.BytesIO(blank.content)).worksheets


def test_the_review_page_sheet_carries_the_reviewers_reason_next_to_the_points(client, world, tmp_path):
    a = reviewed(world)
    client.force_login(world.reviewer_a)

    html = client.get(reverse("web:review", kwargs={"assessment": a.pk})).content.decode()
    assert "审核评分表下载" in html and sheet_url(a, "xlsx", "review") in html

    xlsx = client.get(sheet_url(a, "xlsx", "review"))
    assert reason_cell(xlsx.content, rule_text(RULE)) == f"情形成立，扣 1 分（审核理由：{REASON}）"
    self_sheet = client.get(sheet_url(a, "xlsx", "self")).content           # the self-assessment had no such finding
    assert REASON not in " ".join(cells(self_sheet))
    pdf = client.get(sheet_url(a, "pdf", "review")).content
    assert pdf.startswith(b"%PDF")
    from tests.reports.conftest import pdf_text

    text = "".join(pdf_text(pdf, tmp_path).split())
    assert "情形成立，扣1分（审核理由：两名党" in text and "员连续六个月未交党费" in text     # wrapped in its column


def test_the_inspection_sheet_has_the_inspectors_reason_and_keeps_the_reviewers(client, world):
    a = reviewed(world)
    transition(assessment=a, action="approve", by=world.reviewer_a)
    draw_sample(cycle=world.cycle, seed="sheet-test", by=world.admin)
    a.refresh_from_db()
    assert a.state == State.SAMPLED
    a = save_findings(assessment=a, stage="inspection", values={INSPECTED: {"value": 3, "reason": INSPECTOR_REASON}},
                      version=a.version, by=world.inspector)
    client.force_login(world.inspector)

    html = client.get(reverse("web:inspection", kwargs={"assessment": a.pk})).content.decode()
    assert "抽验评分表下载" in html and sheet_url(a, "pdf", "inspection") in html

    xlsx = client.get(sheet_url(a, "xlsx", "inspection")).content
    assert reason_cell(xlsx, rule_text(INSPECTED)) == f"3 次 × 2 分，扣 6 分（抽验理由：{INSPECTOR_REASON}）"
    assert reason_cell(xlsx, rule_text(RULE)).endswith(f"（审核理由：{REASON}）")
    by_default = client.get(sheet_url(a, "xlsx")).content             # a sampled branch's current stage: inspection
    assert "评分阶段：抽验" in " ".join(cells(by_default))


def test_another_branchs_secretary_gets_403_and_an_unknown_one_404(client, world):
    a = reviewed(world)
    client.force_login(world.secretary_b1)

    for link in (sheet_url(a, "pdf"), sheet_url(a, "xlsx", "review"), reverse("web:blank_sheet", kwargs={"assessment": a.pk})):
        assert client.get(link).status_code == 403
    assert AuditEntry.objects.filter(actor=world.secretary_b1, denied=True).exists()
    assert client.get(reverse("web:score_sheet", kwargs={"assessment": 999999, "fmt": "pdf"})).status_code == 404
    client.force_login(world.secretary_a1)
    assert client.get(reverse("web:score_sheet", kwargs={"assessment": a.pk, "fmt": "docx"})).status_code == 404
    bad = client.get(sheet_url(a, "pdf", "final"))
    assert bad.status_code == 400 and "评分阶段只能是" in bad.content.decode()
    assert client.get(sheet_url(a, "pdf", "review")).status_code == 200        # her own branch: every stage, as the API


def test_the_branch_dashboard_and_the_lists_link_the_sheets(client, world):
    a = reviewed(world)
    client.force_login(world.admin)

    html = client.get(reverse("web:branch_dashboard", kwargs={"cycle": world.cycle.pk, "assessment": a.pk})).content.decode()
    assert "审核评分表下载" in html and f'href="{sheet_url(a, "pdf")}"' in html and "空白评分表（供线下填写）" in html
    assert client.get(sheet_url(a, "pdf")).content.startswith(b"%PDF")


# -- the API -----------------------------------------------------------------------------------------------------
def test_the_api_serves_the_sheet_of_a_stage_with_its_reason(client, world):
    a = reviewed(world)
    auth = bearer(world.secretary_a1)

    xlsx = client.get(f"/api/v1/assessments/{a.pk}/score-sheet.xlsx?stage=review", **auth)
    assert xlsx.status_code == 200, xlsx.content
    assert xlsx["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert unquote(xlsx["Content-Disposition"].split("''", 1)[1]) == "甲一支部-考评评分表（审核）.xlsx"
    assert reason_cell(xlsx.content, rule_text(RULE)) == f"情形成立，扣 1 分（审核理由：{REASON}）"
    pdf = client.get(f"/api/v1/assessments/{a.pk}/score-sheet.pdf", **auth)      # default: the stage it is at (review)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert "（审核）.pdf" in unquote(pdf["Content-Disposition"])
    own = client.get(f"/api/v1/assessments/{a.pk}/score-sheet.xlsx?stage=self", **auth)
    assert "评分阶段：自评" in " ".join(cells(own.content))


def test_the_api_refuses_as_the_other_endpoints(client, world):
    a = reviewed(world)

    other = client.get(f"/api/v1/assessments/{a.pk}/score-sheet.pdf", **bearer(world.secretary_b1))
    assert other.status_code == 403
    assert body(other)["error"] == {"code": "forbidden", "message": "没有权限查看该党支部的考评"}
    missing = client.get("/api/v1/assessments/999999/score-sheet.xlsx", **bearer(world.admin))
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "not_found"
    bad = client.get(f"/api/v1/assessments/{a.pk}/score-sheet.pdf?stage=final", **bearer(world.admin))
    assert bad.status_code == 400 and body(bad)["error"]["code"] == "validation"
    assert client.get(f"/api/v1/assessments/{a.pk}/score-sheet.pdf").status_code == 401


def test_openapi_lists_the_sheet_paths_with_their_file_types(client):
    paths = body(client.get("/api/v1/openapi.json"))["paths"]

    for fmt, content_type in (("pdf", "application/pdf"),
                              ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")):
        operation = paths[f"/api/v1/assessments/{{assessment_id}}/score-sheet.{fmt}"]["get"]
        assert content_type in operation["responses"]["200"]["content"]
        assert {p["name"] for p in operation["parameters"]} == {"assessment_id", "stage"}
