"""``/api/v1/`` beyond the sheet: evidence, fact overrides, the self-assessment report, the reviewer's queue,
and the admin's moves of a whole cycle (sample, 公示, 评定), each with the pages' permissions and refusals;
and a whole cycle walked through the API alone."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from chuangxing.assessments.models import Assessment, AuditEntry, Evidence, FinalRating, Objection, State
from chuangxing.assessments.services import cancel_cycle, findings_data, rubric_of
from chuangxing.scoring import score
from chuangxing.web.api import v1
from tests.web.work_world import PDF, WorkWorld, bearer, body

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world():
    return WorkWorld()


def error(response) -> dict:
    return body(response)["error"]


def put(client, url: str, data: dict, auth: dict):
    return client.put(url, data, content_type="application/json", **auth)


def post(client, url: str, data: dict | None, auth: dict):
    return client.post(url, data or {}, content_type="application/json", **auth)


def upload(client, a: Assessment, auth: dict, content: bytes = PDF, name: str = "三会一课记录.pdf", node: str = "zj-sys-1"):
    return client.post(f"/api/v1/assessments/{a.pk}/evidence",
                       {"node": node, "file": SimpleUploadedFile(name, content, content_type="application/pdf")}, **auth)


def test_the_description_lists_the_new_operations(client):
    paths = body(client.get("/api/v1/openapi.json"))["paths"]

    assert {"/api/v1/assessments/{assessment_id}/evidence", "/api/v1/assessments/{assessment_id}/evidence/{evidence_id}",
            "/api/v1/assessments/{assessment_id}/facts", "/api/v1/assessments/{assessment_id}/facts/{name}",
            "/api/v1/assessments/{assessment_id}/report", "/api/v1/cycles/{cycle_id}/queue",
            "/api/v1/cycles/{cycle_id}/progress", "/api/v1/cycles/{cycle_id}/sample", "/api/v1/cycles/{cycle_id}/notices",
            "/api/v1/cycles/{cycle_id}/finalize"} <= set(paths)
    assert "multipart/form-data" in paths["/api/v1/assessments/{assessment_id}/evidence"]["post"]["requestBody"]["content"]


def test_every_operation_is_in_the_route_table_and_the_deploy_guide(client):
    def shape(path: str) -> str:
        return re.sub(r"\{[^}]+\}", "{}", path)

    table = {(m, shape(p)) for m, p in re.findall(r"^\s+(GET|POST|PUT|DELETE)\s+(/api/v1/\S+)", v1.__doc__, re.M)}
    guide = shape((Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8"))
    paths = body(client.get("/api/v1/openapi.json"))["paths"]

    operations = {(method.upper(), shape(path)) for path, item in paths.items() for method in item}
    assert operations == {(m, p.split("?")[0]) for m, p in table}
    assert not [p for _, p in operations if p.removeprefix("/api/v1") + "`" not in guide
                and p.removeprefix("/api/v1") + "?" not in guide]


# -- evidence ------------------------------------------------------------------------------------
def test_the_secretary_uploads_lists_and_downloads_evidence(client, world):
    a = world.assessment(world.a1)
    secretary = bearer(world.secretary_a1)

    added = upload(client, a, secretary)

    assert added.status_code == 201, added.content
    item = body(added)
    assert item["name"] == "三会一课记录.pdf" and item["content_type"] == "application/pdf" and item["size"] == len(PDF)
    assert "path" not in json.dumps(item) and "media" not in json.dumps(item)
    listed = body(client.get(f"/api/v1/assessments/{a.pk}/evidence", **bearer(world.reviewer_a)))
    assert [e["id"] for e in listed] == [item["id"]]
    download = client.get(f"/api/v1/assessments/{a.pk}/evidence/{item['id']}", **secretary)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
    assert AuditEntry.objects.filter(action="add_evidence", assessment=a, actor=world.secretary_a1).exists()


def test_another_branch_cannot_touch_the_evidence(client, world):
    a, b = world.assessment(world.a1), world.assessment(world.b1)
    item = body(upload(client, a, bearer(world.secretary_a1)))
    other = bearer(world.secretary_b1)

    for response in (client.get(f"/api/v1/assessments/{a.pk}/evidence", **other),
                     client.get(f"/api/v1/assessments/{a.pk}/evidence/{item['id']}", **other),
                     upload(client, a, other),
                     client.get(f"/api/v1/assessments/{a.pk}/evidence", **bearer(world.reviewer_b))):
        assert response.status_code == 403, response.content
        assert error(response) == {"code": "forbidden", "message": "没有权限查看该党支部的考评"}
    through_own = client.get(f"/api/v1/assessments/{b.pk}/evidence/{item['id']}", **other)
    assert through_own.status_code == 404 and error(through_own)["code"] == "not_found"
    assert Evidence.objects.filter(assessment=a).count() == 1


def test_evidence_only_in_the_states_the_pages_allow(client, world):
    a = world.assessment(world.a1)

    by_admin = upload(client, a, bearer(world.admin))          # an admin adds evidence under review, not in a draft

    assert by_admin.status_code == 400
    assert error(by_admin)["code"] == "illegal_transition" and "不能上传佐证材料" in error(by_admin)["message"]
    submitted = world.submitted(world.a1)
    late = upload(client, submitted, bearer(world.secretary_a1))
    assert late.status_code == 400 and error(late)["code"] == "illegal_transition"
    assert not Evidence.objects.exists()


def test_a_disguised_file_is_400_and_an_oversized_one_413(client, world, settings):
    a = world.assessment(world.a1)
    secretary = bearer(world.secretary_a1)

    disguised = upload(client, a, secretary, content=b"MZ\x90\x00\x03\x00\x00\x00\x04\x00", name="报告.pdf")
    assert disguised.status_code == 400
    assert error(disguised)["code"] == "evidence_type" and "文件类型不在允许范围内" in error(disguised)["message"]
    empty = upload(client, a, secretary, content=b"")
    assert empty.status_code == 400 and error(empty) == {"code": "evidence_empty", "message": "文件是空的"}
    unknown = upload(client, a, secretary, node="no-such-node")
    assert unknown.status_code == 400 and error(unknown)["code"] == "unknown_node"
    missing = client.post(f"/api/v1/assessments/{a.pk}/evidence", {"node": "zj-sys-1"}, **secretary)
    assert missing.status_code == 400 and error(missing)["code"] == "validation"

    settings.CHUANGXING_EVIDENCE_MAX_BYTES = 1024
    oversized = upload(client, a, secretary, content=PDF + b"0" * 2048)
    assert oversized.status_code == 413
    assert error(oversized) == {"code": "evidence_too_large", "message": "文件超过 1 KB 的上限"}
    assert not Evidence.objects.exists()


def test_an_upload_name_loses_its_folders(client, world):
    a = world.assessment(world.a1)

    added = upload(client, a, bearer(world.secretary_a1), name="../../etc/passwd.pdf")

    assert added.status_code == 201
    assert body(added)["name"] == "passwd.pdf"
    stored = Evidence.objects.get().file.name
    assert ".." not in stored and stored.startswith(f"evidence/{a.cycle_id}/{a.pk}/")


# -- facts -----------------------------------------------------------------------------------------
def test_facts_are_listed_with_computed_override_and_reason(client, world):
    a = world.assessment(world.a1)

    facts = {f["name"]: f for f in body(client.get(f"/api/v1/assessments/{a.pk}/facts", **bearer(world.reviewer_a)))}

    shortfall = facts["three_meetings_shortfall"]
    assert shortfall["unit"] == "count" and shortfall["value"] == shortfall["computed"] and shortfall["override"] is None
    assert shortfall["description"] == "“三会一课”与“统一活动日”少于规定次数的合计"
    assert client.get(f"/api/v1/assessments/{a.pk}/facts", **bearer(world.secretary_b1)).status_code == 403


def test_the_secretary_overrides_a_fact_then_a_stale_version_is_409(client, world):
    a = world.assessment(world.a1)
    secretary = bearer(world.secretary_a1)
    url = f"/api/v1/assessments/{a.pk}/facts/three_meetings_shortfall"
    computed = a.facts.get(name="three_meetings_shortfall").computed

    saved = put(client, url, {"value": 2, "reason": "两次支委会记录补录在纸质台账", "version": a.version}, secretary)

    assert saved.status_code == 200, saved.content
    answer = body(saved)
    assert answer["version"] == a.version + 1
    assert answer["fact"] == {**answer["fact"], "value": 2, "override": 2, "computed": computed,
                              "reason": "两次支委会记录补录在纸质台账", "overridden_by": world.secretary_a1.pk}
    stale = put(client, url, {"value": 3, "reason": "再改", "version": a.version}, secretary)
    assert stale.status_code == 409 and error(stale)["code"] == "conflict"
    assert a.facts.get(name="three_meetings_shortfall").override == 2

    cleared = put(client, url, {"value": None, "reason": "以记录为准", "version": answer["version"]}, secretary)
    assert cleared.status_code == 200, cleared.content
    assert body(cleared)["fact"]["override"] is None and body(cleared)["fact"]["value"] == computed


def test_a_fact_override_is_parsed_as_the_page_parses_it(client, world):
    a = world.assessment(world.a1)
    secretary = bearer(world.secretary_a1)
    url = f"/api/v1/assessments/{a.pk}/facts"

    negative = put(client, f"{url}/three_meetings_shortfall", {"value": -1, "reason": "x", "version": a.version}, secretary)
    assert negative.status_code == 400 and error(negative)["code"] == "fact_invalid"
    assert error(negative)["message"].startswith("修改““三会一课”与“统一活动日”少于规定次数的合计”未保存：")
    no_reason = put(client, f"{url}/three_meetings_shortfall", {"value": 1, "reason": " ", "version": a.version}, secretary)
    assert no_reason.status_code == 400 and "理由" in error(no_reason)["message"]
    unknown = put(client, f"{url}/no_such_fact", {"value": 1, "reason": "x", "version": a.version}, secretary)
    assert unknown.status_code == 404
    items = put(client, f"{url}/six_musts_missing", {"value": ["flag"], "reason": "其余五项已补齐", "version": a.version},
                secretary)
    assert items.status_code == 200, items.content
    assert body(items)["fact"]["value"] == ["flag"]
    yes = put(client, f"{url}/work_plan_made", {"value": True, "reason": "计划见附件", "version": body(items)["version"]},
              secretary)
    assert yes.status_code == 200 and body(yes)["fact"]["value"] is True


def test_facts_of_another_branch_or_after_submission_are_refused(client, world):
    a = world.assessment(world.a1)
    url = f"/api/v1/assessments/{a.pk}/facts/three_meetings_shortfall"

    other = put(client, url, {"value": 0, "reason": "x", "version": a.version}, bearer(world.secretary_b1))
    assert other.status_code == 403 and error(other)["code"] == "forbidden"
    reviewer = put(client, url, {"value": 0, "reason": "x", "version": a.version}, bearer(world.reviewer_a))
    assert reviewer.status_code == 403 and error(reviewer)["code"] == "forbidden"    # a draft is the secretary's
    a = world.submitted(world.a1)
    late = put(client, url, {"value": 0, "reason": "x", "version": a.version}, bearer(world.secretary_a1))
    assert late.status_code == 403
    assert a.facts.get(name="three_meetings_shortfall").override is None


# -- the report ------------------------------------------------------------------------------------
def test_the_self_assessment_report(client, world):
    a = world.assessment(world.a1)
    secretary = bearer(world.secretary_a1)
    url = f"/api/v1/assessments/{a.pk}/report"
    report = {"text": "本年度支部按计划开展组织生活。", "passed_on": "2026-11-20", "version": a.version}

    saved = put(client, url, report, secretary)

    assert saved.status_code == 200, saved.content
    assert body(saved) == {"assessment": a.pk, "version": a.version + 1, "state": "draft",
                           "text": report["text"], "passed_on": "2026-11-20"}
    assert body(client.get(url, **bearer(world.reviewer_a)))["text"] == report["text"]
    assert put(client, url, report, secretary).status_code == 409
    refused = put(client, url, {**report, "version": a.version + 1}, bearer(world.reviewer_a))
    assert refused.status_code == 403 and error(refused)["code"] == "forbidden"
    assert client.get(url, **bearer(world.secretary_b1)).status_code == 403


# -- the queue and the admin's cycle ----------------------------------------------------------------
def test_the_reviewers_queue_is_their_scope_waiting(client, world):
    world.submitted(world.a1)
    world.submitted(world.b1)
    url = f"/api/v1/cycles/{world.cycle.pk}/queue"

    assert [r["branch"] for r in body(client.get(url, **bearer(world.reviewer_a)))] == ["甲一支部"]
    assert sorted(r["branch"] for r in body(client.get(url, **bearer(world.admin)))) == ["乙一支部", "甲一支部"]
    refused = client.get(url, **bearer(world.secretary_a1))
    assert refused.status_code == 403 and error(refused)["code"] == "forbidden"


def test_cycle_moves_are_for_the_admin_of_the_scope(client, world):
    cycle = world.cycle
    today = timezone.localdate()
    notice = {"title": "公示", "starts_on": str(today), "ends_on": str(today + timedelta(days=6))}
    calls = [("get", f"/api/v1/cycles/{cycle.pk}/progress", None), ("get", f"/api/v1/cycles/{cycle.pk}/sample", None),
             ("post", f"/api/v1/cycles/{cycle.pk}/sample", {}), ("post", f"/api/v1/cycles/{cycle.pk}/notices", notice),
             ("post", f"/api/v1/cycles/{cycle.pk}/finalize", {}), ("get", f"/api/v1/cycles/{cycle.pk}/objections", None),
             ("post", f"/api/v1/cycles/{cycle.pk}/objections/dismiss", {"objections": [1], "spam": True})]

    for user in (world.reviewer_a, world.secretary_a1, world.inspector):
        for method, url, data in calls:
            response = getattr(client, method)(url, data, content_type="application/json", **bearer(user)) \
                if method == "post" else client.get(url, **bearer(user))
            assert response.status_code == 403, (user, url, response.content)
            assert error(response) == {"code": "forbidden", "message": "没有权限：需要在“市直机关工委”具有工委管理员角色"}
    assert AuditEntry.objects.filter(actor=world.reviewer_a, denied=True, target=f"org:{world.root.pk}").exists()
    assert client.get("/api/v1/cycles/999999/progress", **bearer(world.admin)).status_code == 404
    progress = body(client.get(f"/api/v1/cycles/{cycle.pk}/progress", **bearer(world.admin)))
    assert progress["total"] == 3 and progress["not_submitted"]["count"] == 3


def test_cycle_moves_refuse_as_the_pages_do(client, world):
    admin = bearer(world.admin)
    cycle = world.cycle
    today = timezone.localdate()

    nothing = post(client, f"/api/v1/cycles/{cycle.pk}/sample", {}, admin)
    assert nothing.status_code == 400
    assert error(nothing) == {"code": "nothing_to_sample", "message": "没有已审核的党支部，无法抽取抽验样本"}
    short = post(client, f"/api/v1/cycles/{cycle.pk}/notices",
                 {"title": "公示", "starts_on": str(today), "ends_on": str(today + timedelta(days=1))}, admin)
    assert short.status_code == 400
    assert error(short) == {"code": "notice_too_short", "message": "公示期为 2 天，少于规定的 5 天"}
    blank = post(client, f"/api/v1/cycles/{cycle.pk}/notices",
                 {"title": "  ", "starts_on": str(today), "ends_on": str(today + timedelta(days=6))}, admin)
    assert blank.status_code == 400 and error(blank)["code"] == "validation"
    empty = post(client, f"/api/v1/cycles/{cycle.pk}/finalize", {}, admin)
    assert empty.status_code == 400 and error(empty)["code"] == "nothing_to_finalize"
    a = world.fill_self(world.a1)
    elsewhere = post(client, f"/api/v1/assessments/{a.pk}/transitions", {"action": "sample"}, admin)
    assert error(elsewhere) == {"code": "not_here",
                                "message": f"“sample”涉及整个周期或更多步骤，请使用 POST /api/v1/cycles/{cycle.pk}/sample"}


# -- a whole cycle through the API --------------------------------------------------------------------
def self_assess_through_the_api(client, world, branch) -> None:
    a = world.assessment(branch)
    auth = bearer(world.secretary_of(branch))
    rubric = rubric_of(a)
    sheet = score(rubric, findings_data(a, stage="self"))
    values = {}
    for rule_id in dict.fromkeys(sheet.unassessed):
        ideal = rubric.rule(rule_id).ideal_input()
        values[rule_id] = {"value": ideal if ideal is not None else False}
    saved = put(client, f"/api/v1/assessments/{a.pk}/findings", {"stage": "self", "version": a.version, "values": values},
                auth)
    assert saved.status_code == 200, saved.content
    assert upload(client, a, auth).status_code == 201
    report = put(client, f"/api/v1/assessments/{a.pk}/report",
                 {"text": "自评报告", "passed_on": "2026-11-20", "version": body(saved)["version"]}, auth)
    assert report.status_code == 200, report.content
    for action in ("self_assess", "submit"):
        moved = post(client, f"/api/v1/assessments/{a.pk}/transitions", {"action": action}, auth)
        assert moved.status_code == 200, moved.content


def test_a_whole_cycle_walked_through_the_api(client, world):
    cycle = world.cycle
    admin, inspector = bearer(world.admin), bearer(world.inspector)
    for branch in (world.a1, world.a2, world.b1):
        self_assess_through_the_api(client, world, branch)
    for reviewer in (world.reviewer_a, world.reviewer_b):
        auth = bearer(reviewer)
        for row in body(client.get(f"/api/v1/cycles/{cycle.pk}/queue", **auth)):
            for action in ("start_review", "approve"):
                moved = post(client, f"/api/v1/assessments/{row['id']}/transitions", {"action": action}, auth)
                assert moved.status_code == 200, moved.content
    assert set(Assessment.objects.filter(cycle=cycle).values_list("state", flat=True)) == {State.REVIEWED}

    drawn = post(client, f"/api/v1/cycles/{cycle.pk}/sample", {"seed": "公开种子"}, admin)
    assert drawn.status_code == 201, drawn.content
    draw = body(drawn)
    assert draw["seed"] == "公开种子" and draw["population"] == 3 and draw["verified"] is True
    assert len(draw["sample"]) == 1                          # ceil(10 % of 3)
    assert body(client.get(f"/api/v1/cycles/{cycle.pk}/sample", **admin))[0]["id"] == draw["id"]
    sampled = draw["sample"][0]["assessment"]
    early = post(client, f"/api/v1/cycles/{cycle.pk}/notices",
                 {"title": "结果公示", "starts_on": str(timezone.localdate()),
                  "ends_on": str(timezone.localdate() + timedelta(days=6))}, admin)
    assert early.status_code == 400 and error(early)["code"] == "inspections_open"
    checked = post(client, f"/api/v1/assessments/{sampled}/transitions", {"action": "spot_check"}, inspector)
    assert checked.status_code == 200, checked.content
    assert body(checked)["state"] == "spot_checked"

    today = timezone.localdate()
    announced = post(client, f"/api/v1/cycles/{cycle.pk}/notices",
                     {"title": "2026年度结果公示", "starts_on": str(today - timedelta(days=7)),
                      "ends_on": str(today - timedelta(days=1))}, admin)
    assert announced.status_code == 201, announced.content
    assert body(announced)["announced"] == 3 and body(announced)["url"] == f"/notice/{body(announced)['id']}/"
    target = Assessment.objects.filter(cycle=cycle).order_by("pk").first()
    for i in range(3):
        Objection.objects.create(notice_id=body(announced)["id"], assessment=target, text=f"刷屏{i}")
    blocked = post(client, f"/api/v1/cycles/{cycle.pk}/finalize", {}, admin)
    assert blocked.status_code == 400 and error(blocked)["code"] == "objections_open"
    listed = body(client.get(f"/api/v1/cycles/{cycle.pk}/objections", **admin))
    assert [(o["status"], o["text"]) for o in listed] == [("open", "刷屏0"), ("open", "刷屏1"), ("open", "刷屏2")]
    ids = [o["id"] for o in listed]
    no_reason = post(client, f"/api/v1/cycles/{cycle.pk}/objections/dismiss", {"objections": ids[:1]}, admin)
    assert no_reason.status_code == 400 and error(no_reason)["code"] == "empty_reason"
    assert body(post(client, f"/api/v1/cycles/{cycle.pk}/objections/dismiss",
                     {"objections": ids[:1], "reason": "与公示无关"}, admin)) == {"closed": 1}
    assert body(post(client, f"/api/v1/cycles/{cycle.pk}/objections/dismiss",
                     {"objections": ids[1:], "spam": True}, admin)) == {"closed": 2}
    listed = body(client.get(f"/api/v1/cycles/{cycle.pk}/objections", **admin))
    assert [(o["status"], o["answer"]) for o in listed] == [("dismissed", "与公示无关"), ("spam", "恶意或重复提交"),
                                                           ("spam", "恶意或重复提交")]
    twice = post(client, f"/api/v1/cycles/{cycle.pk}/objections/dismiss", {"objections": ids, "spam": True}, admin)
    assert twice.status_code == 400 and error(twice)["code"] == "objections_changed"
    finalized = post(client, f"/api/v1/cycles/{cycle.pk}/finalize", {}, admin)
    assert finalized.status_code == 200, finalized.content
    assert body(finalized)["finalized"] == 3 and body(finalized)["closed"] is True
    assert sum(sum(levels.values()) for levels in body(finalized)["ratings"].values()) == FinalRating.objects.count()
    assert set(Assessment.objects.filter(cycle=cycle).values_list("state", flat=True)) == {State.FINALIZED}
    again = post(client, f"/api/v1/cycles/{cycle.pk}/finalize", {}, admin)
    assert again.status_code == 400 and error(again)["code"] == "nothing_to_finalize"


def test_a_cancelled_cycle_refuses_the_api_moves_in_the_services_words(client, world):
    admin = bearer(world.admin)
    cycle = world.cycle
    a = world.fill_self(world.a1)
    cancel_cycle(cycle=cycle, reason="重复开启", by=world.admin)
    expected = {"code": "cycle_cancelled", "message": f"考评周期“{cycle.name}”已取消，不能再修改"}
    drawn = post(client, f"/api/v1/cycles/{cycle.pk}/sample", {}, admin)
    assert drawn.status_code == 400 and error(drawn) == expected
    moved = post(client, f"/api/v1/assessments/{a.pk}/transitions", {"action": "self_assess"},
                 bearer(world.secretary_a1))
    assert moved.status_code == 400 and error(moved) == expected
    a.refresh_from_db()
    assert a.state == State.DRAFT
