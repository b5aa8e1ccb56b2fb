"""The self-assessment page: the standard's text, inputs by rule kind, facts and overrides, evidence, the live
score, the report, the moves; a stale save is a conflict and keeps nothing; other branches are refused."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chuangxing.assessments.models import AuditEntry, Evidence, FactValue, Finding, State
from chuangxing.assessments.services import save_findings

from .work_world import PDF, WorkWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return WorkWorld()


def url(view: str, a, **kwargs) -> str:
    return reverse(f"web:{view}", kwargs={"assessment": a.pk, **kwargs})


def page(client, a) -> str:
    response = client.get(url("self_assessment", a))
    assert response.status_code == 200
    return response.content.decode()


def test_each_indicator_shows_its_standard_and_each_rule_its_wording_and_input(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    html = page(client, a)

    assert "党员纳入党支部管理率达到100%（2分）；党支部工作覆盖率100%（1分）。" in html      # 标准及要求 of zj-org-1
    assert "党支部工作未覆盖所在单位扣1分" in html                                          # a rule's original wording
    assert 'name="zj-org-1-c__value" value="yes"' in html and "有此情形（扣 1 分）" in html   # fixed: yes/no
    assert 'name="zj-team-3-e__value"' in html and 'type="number"' in html                 # per_occurrence: a count
    assert "数值（个环节）" in html                                                          # banded by a count
    assert 'name="zj-bonus-awards__type_0"' in html and "本考评期内无此类事项" in html        # events
    assert "按记录计算" in html or "来自记录" in html                                         # pre-filled from the records
    assert 'id="findings"' in html and "csrfmiddlewaretoken" in html and f'name="version" value="{a.version}"' in html
    assert "live_score.js" in html


def test_saving_writes_only_what_changed(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    response = client.post(url("self_assessment", a), {
        "version": a.version, "zj-org-1-c__value": "yes", "zj-org-1-c__reason": "新设科室未覆盖",
        "zj-team-3-e__value": "1",
    })

    assert response.status_code == 302
    findings = {f.rule_id: (f.value, f.reason) for f in Finding.objects.filter(assessment=a)}
    assert findings == {"zj-org-1-c": (True, "新设科室未覆盖"), "zj-team-3-e": (1, "")}
    a.refresh_from_db()
    assert a.version == 2 and a.self_total is not None
    assert AuditEntry.objects.filter(assessment=a, action="finding_self").count() == 2


def test_emptying_a_finding_removes_it(client, world):
    a = world.fill_self(world.a1, {"zj-org-1-c": {"value": True, "reason": ""}})
    client.force_login(world.secretary_a1)

    client.post(url("self_assessment", a), {"version": a.version, "zj-org-1-c__value": ""})

    assert not Finding.objects.filter(assessment=a, rule_id="zj-org-1-c").exists()


def test_a_stale_save_is_a_conflict_and_saves_nothing(client, world):
    a = world.assessment(world.a1)
    read = a.version
    save_findings(assessment=a, stage="self", values={"zj-org-1-c": {"value": False}}, version=read, by=world.secretary_a1)
    client.force_login(world.secretary_a1)

    response = client.post(url("self_assessment", a), {"version": read, "zj-team-3-e__value": "2"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "其他人已在您打开之后保存了这份考评，请刷新后再修改（您的修改未保存）" in html
    assert "zj-team-3-e：有1例群众对党员的不良反映，经核实的扣2分" in html           # what was not saved, listed
    assert not Finding.objects.filter(assessment=a, rule_id="zj-team-3-e").exists()
    assert f'name="version" value="{read + 1}"' in html                             # the page now shows the latest


def test_a_wrong_value_is_shown_at_its_rule_and_nothing_is_saved(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    response = client.post(url("self_assessment", a), {
        "version": a.version, "zj-org-1-c__value": "yes", "zj-team-3-e__value": "-1"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "有填写不正确的地方" in html and "确保该值大于或等于0" in html
    assert not Finding.objects.filter(assessment=a).exists()


def test_the_preview_scores_what_is_typed_without_saving(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)
    before = json.loads(client.post(url("assessment_preview", a, stage="self"), {"version": a.version}).content)

    response = client.post(url("assessment_preview", a, stage="self"),
                           {"version": a.version, "zj-org-1-c__value": "yes", "zj-team-3-e__value": "1"})

    data = response.json()
    assert response.status_code == 200 and data["ok"] and data["changed"] == 2
    assert Decimal(data["total"]) == Decimal(before["total"]) - 3
    assert data["rules"]["zj-org-1-c"] == "-1" and data["rules"]["zj-team-3-e"] == "-2"
    assert Decimal(data["nodes"]["zj-org-1"]) == Decimal(before["nodes"]["zj-org-1"]) - 1
    assert "what_would_it_take" in data
    assert not Finding.objects.filter(assessment=a).exists()
    bad = client.post(url("assessment_preview", a, stage="self"), {"version": a.version, "zj-team-3-e__value": "x"}).json()
    assert not bad["ok"] and "zj-team-3-e" in bad["errors"]


def test_a_fact_is_overridden_with_a_reason(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)
    assert "修改此数据（须写明理由）" in page(client, a)

    refused = client.post(url("fact_override", a, name="members_not_managed"),
                          {"version": a.version, "value": "0", "reason": "", "stage": "self"}, follow=True)
    assert "修改事实须写明理由" in refused.content.decode()
    client.post(url("fact_override", a, name="members_not_managed"),
                {"version": a.version, "value": "2", "reason": "两名党员关系尚在原单位", "stage": "self"})

    fact = FactValue.objects.get(assessment=a, name="members_not_managed")
    assert fact.override == 2 and fact.override_reason == "两名党员关系尚在原单位"
    assert "已人工修改" in page(client, a) and "两名党员关系尚在原单位" in page(client, a)


def test_evidence_is_uploaded_listed_and_downloaded_through_the_service(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    response = client.post(url("evidence_upload", a), {
        "node": "zj-org-1", "stage": "self", "file": SimpleUploadedFile("覆盖情况.pdf", PDF, "application/pdf")})

    assert response.status_code == 302 and response["Location"].endswith("#node-zj-org-1")
    evidence = Evidence.objects.get(assessment=a)
    html = page(client, a)
    download = url("evidence_download", a, evidence=evidence.pk)
    assert "覆盖情况.pdf" in html and download in html
    got = client.get(download)
    assert got.status_code == 200 and b"".join(got.streaming_content) == PDF
    assert got["Content-Type"] == "application/pdf" and "attachment" in got["Content-Disposition"]
    client.force_login(world.secretary_b1)
    assert client.get(download).status_code == 403


def test_a_disguised_file_is_refused_with_the_reason(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    response = client.post(url("evidence_upload", a), {
        "node": "zj-org-1", "stage": "self", "file": SimpleUploadedFile("x.pdf", b"MZ\x90\x00binary", "application/pdf")},
        follow=True)

    assert "文件类型不在允许范围内" in response.content.decode()
    assert not Evidence.objects.exists()


def test_a_workbook_with_macros_is_refused_next_to_the_upload(client, world):
    import io
    import zipfile

    from openpyxl import Workbook

    buffer = io.BytesIO()
    Workbook().save(buffer)
    with zipfile.ZipFile(buffer, "a") as archive:
        archive.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0macro")
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    response = client.post(url("evidence_upload", a), {
        "node": "zj-org-1", "stage": "self", "file": SimpleUploadedFile("党费.xlsx", buffer.getvalue())}, follow=True)

    assert response.redirect_chain[-1][0].endswith("#node-zj-org-1")
    assert "文件含有宏（VBA）或 ActiveX 控件" in response.content.decode()
    assert not Evidence.objects.exists()


def test_the_report_is_saved(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    client.post(url("self_report", a), {"version": a.version, "text": "本年度支部工作……", "passed_on": "2026-11-20",
                                         "stage": "self"})

    a.refresh_from_db()
    assert a.self_report == "本年度支部工作……" and str(a.report_passed_on) == "2026-11-20"


def test_complete_and_submit(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)
    assert "完成自评" in page(client, a)

    early = client.post(url("assessment_move", a), {"action": "self_assess", "version": a.version, "stage": "self"},
                        follow=True)
    assert "尚未填写，请填写完整后再“完成自评”" in early.content.decode()
    a = world.fill_self(world.a1)
    client.post(url("assessment_move", a), {"action": "self_assess", "version": a.version, "stage": "self"})
    a.refresh_from_db()
    assert a.state == State.SELF_ASSESSED and "提交" in page(client, a)
    asked = client.post(url("assessment_move", a), {"action": "submit", "version": a.version, "stage": "self"},
                        follow=True).content.decode()
    a.refresh_from_db()
    assert a.state == State.SELF_ASSESSED                                       # the first POST only asks
    assert "确认“提交”？" in asked and "提交后自评数据和自评报告不能再修改，除非审核人退回" in asked
    assert "各项均已填写" in asked and 'name="confirm" value="1"' in asked
    client.post(url("assessment_move", a), {"action": "submit", "version": a.version, "stage": "self", "confirm": "1"})

    a.refresh_from_db()
    assert a.state == State.SUBMITTED
    html = page(client, a)
    assert 'id="findings"' in html and "保存自评" not in html                 # read-only once submitted


def test_a_move_of_another_role_is_refused_and_audited(client, world):
    a = world.submitted(world.a1)
    client.force_login(world.secretary_a1)

    response = client.post(url("assessment_move", a), {"action": "approve", "version": a.version, "stage": "self"})
    start = client.post(url("assessment_move", a), {"action": "start_review", "version": a.version, "stage": "self"})
    other = client.post(url("assessment_move", a), {"action": "announce", "version": a.version, "stage": "self"})

    assert start.status_code == 403 and "没有权限" in start.content.decode()
    assert response.status_code == 302                                   # not from 已提交: said on the page
    assert other.status_code == 403
    assert AuditEntry.objects.filter(actor=world.secretary_a1, denied=True, assessment=a).exists()
    a.refresh_from_db()
    assert a.state == State.SUBMITTED


def test_a_double_submit_is_told_in_words(client, world):
    a = world.fill_self(world.a1)
    client.force_login(world.secretary_a1)
    client.post(url("assessment_move", a), {"action": "self_assess", "version": a.version, "stage": "self"})

    again = client.post(url("assessment_move", a), {"action": "self_assess", "version": a.version, "stage": "self"},
                        follow=True)

    assert "不能“完成自评”" in again.content.decode() or "已被他人改动" in again.content.decode()


def test_another_branch_secretary_is_refused_and_audited(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_b1)

    for view, method, kwargs in [("self_assessment", "get", {}), ("self_assessment", "post", {}),
                                 ("assessment_preview", "post", {"stage": "self"}), ("self_report", "post", {}),
                                 ("evidence_upload", "post", {}), ("assessment_move", "post", {})]:
        response = getattr(client, method)(url(view, a, **kwargs), {"version": a.version})
        assert response.status_code == 403, view
        assert "没有权限" in response.content.decode()

    assert AuditEntry.objects.filter(actor=world.secretary_b1, denied=True, assessment=a).count() >= 6
    assert not Finding.objects.filter(assessment=a).exists()


def test_an_unknown_assessment_is_404(client, world):
    client.force_login(world.secretary_a1)

    assert client.get(reverse("web:self_assessment", kwargs={"assessment": 99999})).status_code == 404
    assert AuditEntry.objects.filter(actor=world.secretary_a1, denied=True, target="assessment:99999").exists()


def test_a_reviewer_reads_but_cannot_save_the_self_assessment(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.reviewer_a)

    html = page(client, a)
    response = client.post(url("self_assessment", a), {"version": a.version, "zj-org-1-c__value": "yes"})

    assert "保存自评" not in html
    assert response.status_code == 403


@pytest.mark.parametrize("rubric_id", ["fujian-2018", "jiaozuo-2019", "shaoxing-2018", "yintai-sanlidong", "yintai-towns"])
def test_every_library_rubric_renders_and_previews(client, db, settings, tmp_path, rubric_id):
    settings.MEDIA_ROOT = tmp_path
    world = WorkWorld(rubric_id=rubric_id)
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    html = page(client, a)
    preview = client.post(url("assessment_preview", a, stage="self"), {"version": a.version})

    assert 'id="findings"' in html and preview.status_code == 200 and preview.json()["ok"]


def test_events_rows_are_saved_as_a_list_and_none_as_empty(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    client.post(url("self_assessment", a), {
        "version": a.version, "zj-bonus-awards__type_0": "provincial", "zj-bonus-awards__project_0": "先锋岗",
        "zj-bonus-awards__why_0": "省委组织部通报", "zj-penalty-unit__none": "on"})

    values = dict(Finding.objects.filter(assessment=a).values_list("rule_id", "value"))
    assert values == {"zj-bonus-awards": [{"type": "provincial", "project": "先锋岗", "reason": "省委组织部通报"}],
                      "zj-penalty-unit": []}
    html = page(client, a)
    assert 'name="zj-bonus-awards__project_0" value="先锋岗"' in html


def test_a_checklist_fact_is_overridden_item_by_item(client, world):
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)

    client.post(url("fact_override", a, name="six_musts_missing"),
                {"version": a.version, "value": ["flag", "board"], "reason": "已现场核查", "stage": "self"})

    assert FactValue.objects.get(assessment=a, name="six_musts_missing").override == ["flag", "board"]
    html = page(client, a)
    assert "未达到：有党旗、有公示栏" in html


def test_range_and_checklist_inputs_on_fujian(client, db, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    world = WorkWorld(rubric_id="fujian-2018")
    a = world.assessment(world.a1)
    client.force_login(world.secretary_a1)
    base = {"version": a.version}

    out_of_range = client.post(url("self_assessment", a), {**base, "fj-org-2-procedure__points": "3",
                                                           "fj-org-2-procedure__reason": "材料不齐"})
    no_reason = client.post(url("self_assessment", a), {**base, "fj-org-2-procedure__points": "1"})
    half = client.post(url("self_assessment", a), {**base, "fj-sys-2-five__item_plan": "yes"})
    assert out_of_range.status_code == no_reason.status_code == half.status_code == 400
    assert "确保该值小于或等于2" in out_of_range.content.decode()
    assert "酌情扣分或得分必须写明理由" in no_reason.content.decode()
    assert "请逐项选择“达到”或“未达到”" in half.content.decode()

    items = {f"fj-sys-2-five__item_{i}": "yes" for i in ("plan", "activity", "report", "summary", "assessment")}
    items["fj-sys-2-five__item_report"] = "no"
    saved = client.post(url("self_assessment", a), {**base, **items, "fj-org-2-procedure__points": "1.5",
                                                    "fj-org-2-procedure__reason": "材料不齐"})

    assert saved.status_code == 302
    values = dict(Finding.objects.filter(assessment=a).values_list("rule_id", "value"))
    assert values == {"fj-sys-2-five": ["report"], "fj-org-2-procedure": {"points": "1.5", "reason": "材料不齐"}}
