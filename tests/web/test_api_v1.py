"""``/api/v1/``: token and session auth, the services' permissions, conflicts, the OpenAPI document."""

from __future__ import annotations

import pytest
from django.utils.crypto import get_random_string

from chuangxing.apitokens.models import ApiToken
from chuangxing.apitokens.services import issue_token, revoke_token
from chuangxing.assessments.models import AuditEntry
from tests.web.work_world import WorkWorld, bearer, body

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return WorkWorld()


def test_openapi_document_lists_the_paths(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = body(response)
    assert document["openapi"].startswith("3.")
    assert {"/api/v1/rubrics", "/api/v1/rubrics/{rubric_id}", "/api/v1/cycles", "/api/v1/cycles/{cycle_id}",
            "/api/v1/cycles/{cycle_id}/assessments", "/api/v1/assessments/{assessment_id}",
            "/api/v1/assessments/{assessment_id}/findings", "/api/v1/assessments/{assessment_id}/transitions",
            "/api/v1/assessments/{assessment_id}/review"} <= set(document["paths"])
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())


def test_docs_page_is_served_from_static_not_a_cdn(admin_client):
    response = admin_client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()


def test_no_credentials_is_a_json_401(client):
    response = client.get("/api/v1/cycles")

    assert response.status_code == 401
    assert body(response) == {"error": {"code": "not_authenticated", "message": "请先登录或提供有效的接口令牌。"}}


def test_unknown_and_revoked_tokens_are_401(client, world):
    token, secret = issue_token(user=world.admin, name="旧脚本")
    assert client.get("/api/v1/cycles", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    revoke_token(token=token)

    assert client.get("/api/v1/cycles", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 401
    assert client.get("/api/v1/cycles", HTTP_AUTHORIZATION="Bearer cx_guessed").status_code == 401


def test_only_a_hash_of_the_token_is_stored(world):
    token, secret = issue_token(user=world.admin, name="统计")

    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.key_hash, stored.key_start) and len(stored.key_hash) == 64
    assert secret.startswith(stored.key_start)


def test_rubrics_match_the_older_views(client, world):
    auth = bearer(world.secretary_a1)

    listed = body(client.get("/api/v1/rubrics", **auth))
    client.force_login(world.secretary_a1)
    older = body(client.get("/api/rubrics/"))["rubrics"]
    assert [r["id"] for r in listed] == [r["id"] for r in older]
    assert body(client.get("/api/v1/rubrics/zhenjiang-2018")) == body(client.get("/api/rubrics/zhenjiang-2018/"))
    missing = client.get("/api/v1/rubrics/no-such-rubric")
    assert missing.status_code == 404 and body(missing)["error"]["code"] == "not_found"


def test_cycles_and_their_progress_are_what_the_user_may_read(client, world):
    listed = body(client.get("/api/v1/cycles", **bearer(world.secretary_a1)))
    assert [c["id"] for c in listed] == [world.cycle.pk]

    admin = body(client.get(f"/api/v1/cycles/{world.cycle.pk}", **bearer(world.admin)))
    secretary = body(client.get(f"/api/v1/cycles/{world.cycle.pk}", **bearer(world.secretary_a1)))
    assert admin["total"] == 3 and secretary["total"] == 1
    assert {"state": "draft", "label": "未自评", "count": 3} in admin["counts"]

    rows = body(client.get(f"/api/v1/cycles/{world.cycle.pk}/assessments", **bearer(world.reviewer_a)))
    assert sorted(r["branch"] for r in rows) == ["甲一支部", "甲二支部"]
    assert client.get("/api/v1/cycles/999999", **bearer(world.admin)).status_code == 404


def test_a_secretary_cannot_read_another_branch(client, world):
    other = world.assessment(world.b1)
    auth = bearer(world.secretary_a1)

    for url in (f"/api/v1/assessments/{other.pk}", f"/api/v1/assessments/{other.pk}/review"):
        response = client.get(url, **auth)
        assert response.status_code == 403
        assert body(response)["error"] == {"code": "forbidden", "message": "没有权限查看该党支部的考评"}
    assert AuditEntry.objects.filter(actor=world.secretary_a1, denied=True).exists()
    put = client.put(f"/api/v1/assessments/{other.pk}/findings", {"stage": "self", "version": other.version, "values": {}},
                     content_type="application/json", **auth)
    assert put.status_code == 403
    assert client.get("/api/v1/assessments/999999", **auth).status_code == 404


def test_own_assessment_with_its_sheet(client, world):
    mine = world.assessment(world.a1)

    data = body(client.get(f"/api/v1/assessments/{mine.pk}?stage=self", **bearer(world.secretary_a1)))

    assert data["branch"] == "甲一支部" and data["state"] == "draft" and data["stage"] == "self"
    assert isinstance(data["sheet"]["total"], str)            # exact numbers are strings
    assert "self" in data["actions"]["edits"]


def test_save_findings_then_a_stale_version_is_409(client, world):
    a = world.fill_self(world.a1)
    auth = bearer(world.secretary_a1)
    rule = a.findings.filter(stage="self").first()
    url = f"/api/v1/assessments/{a.pk}/findings"
    change = {"stage": "self", "version": a.version, "values": {rule.rule_id: {"value": rule.value}}}

    first = client.put(url, change, content_type="application/json", **auth)
    assert first.status_code == 200, first.content
    assert body(first)["version"] == a.version + 1

    stale = client.put(url, change, content_type="application/json", **auth)
    assert stale.status_code == 409
    assert body(stale)["error"]["code"] == "conflict" and "刷新" in body(stale)["error"]["message"]


def test_findings_that_do_not_fit_the_rubric_are_422_with_each_rule(client, world):
    a = world.assessment(world.a1)

    response = client.put(f"/api/v1/assessments/{a.pk}/findings",
                          {"stage": "self", "version": a.version, "values": {"no-such-rule": {"value": 1}}},
                          content_type="application/json", **bearer(world.secretary_a1))

    assert response.status_code == 422
    error = body(response)["error"]
    assert error["code"] == "findings_invalid"
    assert error["errors"] and error["errors"][0]["message"]


def test_a_malformed_body_is_400_validation(client, world):
    a = world.assessment(world.a1)

    response = client.put(f"/api/v1/assessments/{a.pk}/findings", {"stage": "nonsense"},
                          content_type="application/json", **bearer(world.secretary_a1))

    assert response.status_code == 400
    assert body(response)["error"]["code"] == "validation"


def test_transitions_submit_and_review(client, world):
    a = world.fill_self(world.a1)
    secretary = bearer(world.secretary_a1)
    url = f"/api/v1/assessments/{a.pk}/transitions"

    moved = client.post(url, {"action": "self_assess"}, content_type="application/json", **secretary)
    assert moved.status_code == 200, moved.content
    submitted = client.post(url, {"action": "submit"}, content_type="application/json", **secretary)
    assert body(submitted)["state"] == "submitted"

    again = client.post(url, {"action": "submit"}, content_type="application/json", **secretary)
    assert again.status_code == 400 and body(again)["error"]["code"] == "illegal_transition"
    not_theirs = client.post(url, {"action": "start_review"}, content_type="application/json", **bearer(world.reviewer_b))
    assert not_theirs.status_code == 403
    reviewer = bearer(world.reviewer_a)
    started = client.post(url, {"action": "start_review"}, content_type="application/json", **reviewer)
    assert body(started)["state"] == "under_review"
    rows = body(client.get(f"/api/v1/assessments/{a.pk}/review", **reviewer))["rows"]
    assert rows and {"self_points", "review_points", "gap"} <= set(rows[0])
    elsewhere = client.post(url, {"action": "announce"}, content_type="application/json", **reviewer)
    assert body(elsewhere)["error"]["code"] == "not_here"


def test_session_auth_needs_csrf_for_writes(world):
    from django.test import Client

    a = world.assessment(world.a1)
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.secretary_a1)

    assert browser.get(f"/api/v1/assessments/{a.pk}").status_code == 200
    refused = browser.put(f"/api/v1/assessments/{a.pk}/findings", {"stage": "self", "version": a.version, "values": {}},
                          content_type="application/json")
    assert refused.status_code == 403 and body(refused)["error"]["code"] == "csrf_failed"
    token = get_random_string(32)               # as a page's form would carry it: cookie and header agree
    browser.cookies["csrftoken"] = token
    allowed = browser.put(f"/api/v1/assessments/{a.pk}/findings", {"stage": "self", "version": a.version, "values": {}},
                          content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert allowed.status_code == 200, allowed.content
