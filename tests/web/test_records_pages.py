"""A branch's records on the web: members, meetings with attendance, dues by month, the Excel import; each
scoped to the secretary's own branch (others' URLs are refused and audited), read-only for the reviewers above."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from chuangxing.assessments.models import AuditEntry
from chuangxing.orgs.models import Member, Organization, OrgKind
from chuangxing.records.models import Attendance, Dues, Meeting, Presence

from .work_world import WorkWorld

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return WorkWorld()


def url(view: str, branch, **kwargs) -> str:
    return reverse(f"web:{view}", kwargs={"branch": branch.pk, **kwargs})


def test_members_list_shows_category_group_and_leader(client, world):
    client.force_login(world.secretary_a1)

    html = client.get(url("member_list", world.a1)).content.decode()

    assert "王建国" in html and "第一党小组" in html and "预备党员" in html and "入党积极分子" in html
    assert "现有党员及入党积极分子 5 人" in html
    assert "新增党员" in html and url("member_edit", world.a1, member=world.plain.pk) in html
    assert "乙一支部书记" not in html


def test_a_member_is_added_and_edited_with_a_form(client, world):
    client.force_login(world.secretary_a1)

    response = client.post(url("member_new", world.a1), {
        "number": "A1-006", "name": "周明", "category": "full", "group": world.group.pk, "is_leader": "on",
        "joined_party_on": "2015-07-01", "under_management": "on"})

    assert response.status_code == 302
    member = Member.objects.get(number="A1-006")
    assert (member.branch, member.group, member.is_leader) == (world.a1, world.group, True)
    client.post(url("member_edit", world.a1, member=member.pk), {
        "number": "A1-006", "name": "周明", "category": "full", "joined_party_on": "2015-07-01",
        "full_member_on": "2014-01-01"})
    again = client.post(url("member_edit", world.a1, member=member.pk), {
        "number": "A1-006", "name": "周明明", "category": "full"})
    member.refresh_from_db()
    assert again.status_code == 302 and member.name == "周明明" and member.group is None
    assert AuditEntry.objects.filter(actor=world.secretary_a1, action="record_member").count() == 2


def test_member_form_errors_are_chinese_and_a_foreign_group_is_refused(client, world):
    other_group = Organization.objects.create(code="B1-G1", name="乙一党小组", kind=OrgKind.PARTY_GROUP, parent=world.b1)
    client.force_login(world.secretary_a1)

    response = client.post(url("member_new", world.a1), {
        "number": "A1-002", "name": "", "category": "full", "group": other_group.pk,
        "joined_party_on": "2020-01-01", "full_member_on": "2019-01-01"})

    html = response.content.decode()
    assert response.status_code == 400
    assert "这个字段是必填项" in html                        # 姓名
    assert "已存在" in html                                  # 党员编号 is unique
    assert "选择一个有效的选项" in html                      # a group of another branch
    assert "转正日期不能早于入党日期" in html
    assert Member.objects.filter(branch=world.a1).count() == 5


def test_a_meeting_is_added_and_attendance_recorded(client, world):
    client.force_login(world.secretary_a1)

    response = client.post(url("meeting_new", world.a1), {"kind": "lecture", "held_on": "2026-04-10", "topic": "党课：党史"})

    meeting = Meeting.objects.get(branch=world.a1, kind="lecture")
    assert response.status_code == 302 and meeting.key == "A1-20260410-lecture"
    html = client.get(url("meeting_detail", world.a1, meeting=meeting.pk)).content.decode()
    assert "尚未登记出勤" in html and "王建国" in html
    members = Member.objects.filter(branch=world.a1).on(meeting.held_on)
    data = {f"m{m.pk}": "present" for m in members}
    data[f"m{world.plain.pk}"] = "leave"
    data[f"m{world.activist.pk}"] = ""                    # 不计应到
    client.post(url("meeting_detail", world.a1, meeting=meeting.pk), data)

    meeting.refresh_from_db()
    assert (meeting.expected, meeting.present) == (members.count() - 1, members.count() - 2)
    assert Attendance.objects.get(meeting=meeting, member=world.plain).presence == Presence.LEAVE
    assert not Attendance.objects.filter(meeting=meeting, member=world.activist).exists()
    listing = client.get(url("meeting_list", world.a1)).content.decode()
    assert "党课：党史" in listing and "学习党章" in listing


def test_dues_grid_shows_paid_and_unpaid_months_and_a_cell_opens_its_form(client, world):
    client.force_login(world.secretary_a1)

    html = client.get(url("dues_grid", world.a1) + "?year=2026").content.decode()

    assert "2026年党费收缴" in html and "未交 1 人月" in html
    assert "陈静 1月：已交" in html and "陈静 2月：未交" in html and "陈静 3月：无记录" in html
    assert "赵小兵" not in html                             # activists pay no dues
    edit = url("dues_edit", world.a1, member=world.plain.pk, year=2026, month=2)
    assert edit in html
    refused = client.post(edit, {"amount_due": "10", "amount_paid": "10"})
    assert refused.status_code == 400 and "已交纳的请填写交纳日期" in refused.content.decode()
    client.post(edit, {"amount_due": "10", "amount_paid": "10", "paid_on": "2026-02-20"})

    dues = Dues.objects.get(member=world.plain, month=date(2026, 2, 1))
    assert dues.amount_paid == Decimal("10") and dues.paid_on == date(2026, 2, 20)
    assert "未交 0 人月" in client.get(url("dues_grid", world.a1) + "?year=2026").content.decode()


def test_another_branch_secretary_is_refused_everywhere_and_audited(client, world):
    client.force_login(world.secretary_b1)
    a1 = world.a1
    urls = [url("member_list", a1), url("member_new", a1), url("member_edit", a1, member=world.plain.pk),
            url("meeting_list", a1), url("meeting_new", a1), url("meeting_detail", a1, meeting=world.meeting.pk),
            url("dues_grid", a1), url("dues_edit", a1, member=world.plain.pk, year=2026, month=2),
            url("record_import", a1), url("import_template", a1, kind="members")]

    for address in urls:
        assert client.get(address).status_code == 403, address
        assert "没有权限" in client.get(address).content.decode()
    assert client.post(url("member_new", a1), {"number": "X", "name": "X", "category": "full"}).status_code == 403

    assert AuditEntry.objects.filter(actor=world.secretary_b1, denied=True, target=f"org:{a1.pk}").count() >= len(urls)
    assert not Member.objects.filter(number="X").exists()


def test_own_branch_urls_with_another_branch_objects_are_404(client, world):
    client.force_login(world.secretary_a1)

    assert client.get(url("member_edit", world.a1, member=world.b1_member.pk)).status_code == 404
    assert client.get(url("meeting_detail", world.a1, meeting=world.b1_meeting.pk)).status_code == 404
    assert client.get(url("dues_edit", world.a1, member=world.b1_member.pk, year=2026, month=1)).status_code == 404
    assert client.get(reverse("web:member_list", kwargs={"branch": world.committee_a.pk})).status_code == 404
    assert client.get(reverse("web:member_list", kwargs={"branch": 99999})).status_code == 404


def test_a_reviewer_reads_the_records_but_cannot_change_them(client, world):
    client.force_login(world.reviewer_a)

    html = client.get(url("member_list", world.a1)).content.decode()
    assert "王建国" in html and "您在此只能查看" in html and "新增党员" not in html
    assert client.get(url("meeting_detail", world.a1, meeting=world.meeting.pk)).status_code == 200
    assert client.get(url("member_new", world.a1)).status_code == 403
    assert client.post(url("meeting_detail", world.a1, meeting=world.meeting.pk), {}).status_code == 403
    assert client.get(url("member_list", world.b1)).status_code == 403        # another committee


def _workbook(rows: list[list], sheet: str = "党员") -> bytes:
    from chuangxing.records.imports.kinds import get_kind

    book = Workbook()
    ws = book.active
    ws.title = sheet
    ws.append(list(get_kind("members").sheets[0].headers))
    for row in rows:
        ws.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _row(number: str, name: str, branch: str) -> list:
    return [number, name, branch, "", "正式党员", "2020-01-01", "", "", "", "否", "是", ""]


def test_import_templates_and_the_branch_data_download(client, world):
    client.force_login(world.secretary_a1)

    page = client.get(url("record_import", world.a1)).content.decode()
    template = client.get(url("import_template", world.a1, kind="members"))
    data = client.get(url("import_template", world.a1, kind="members") + "?data=1")

    assert "下载模板" in page and world.a1.code in page
    assert template.status_code == 200 and template["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = list(load_workbook(io.BytesIO(data.content))["党员"].values)
    assert {r[0] for r in rows[1:]} == set(Member.objects.filter(branch=world.a1).values_list("number", flat=True))
    assert client.get(url("import_template", world.a1, kind="organizations")).status_code == 404


def test_an_import_with_another_branch_row_shows_the_problem_and_writes_nothing(client, world):
    client.force_login(world.secretary_a1)
    content = _workbook([_row("A1-100", "新党员", "A1"), _row("B1-100", "别支部", "B1")])

    response = client.post(url("record_import", world.a1), {
        "kind": "members", "file": SimpleUploadedFile("党员.xlsx", content)})

    html = response.content.decode()
    assert response.status_code == 400 and "导入未完成" in html
    assert "只能导入本支部（A1）的数据，此行为“B1”" in html
    assert "<td>党员</td><td class=\"num\">3</td><td>C</td>" in html               # sheet, row, column
    assert not Member.objects.filter(number__in=["A1-100", "B1-100"]).exists()


def test_an_import_lists_the_branch_problems_with_the_importer_problems_and_undoes_its_run(client, world):
    client.force_login(world.secretary_a1)
    bad_date = ["A1-101", "错日期", "A1", "", "正式党员", "2024-13-01", "", "", "", "否", "是", ""]
    content = _workbook([_row("A1-100", "新党员", "A1"), bad_date, _row("B1-100", "别支部", "B1")])

    html = client.post(url("record_import", world.a1), {
        "kind": "members", "file": SimpleUploadedFile("党员.xlsx", content)}).content.decode()

    assert "只能导入本支部（A1）的数据" in html and "无法识别" in html and "发现 2 个问题" in html
    assert not Member.objects.filter(number__in=["A1-100", "A1-101", "B1-100"]).exists()


def test_when_only_the_branch_check_fails_the_importer_run_is_undone(client, world):
    client.force_login(world.secretary_a1)
    content = _workbook([_row("A1-100", "新党员", "A1"), _row("B1-100", "别支部", "B1")])

    client.post(url("record_import", world.a1), {"kind": "members", "file": SimpleUploadedFile("党员.xlsx", content)})

    assert not Member.objects.filter(number__in=["A1-100", "B1-100"]).exists()


def test_an_import_shows_the_importer_problems_by_row_and_column(client, world):
    client.force_login(world.secretary_a1)
    content = _workbook([["A1-101", "错日期", "A1", "", "正式党员", "2024-13-01", "", "", "", "否", "是", ""]])

    response = client.post(url("record_import", world.a1), {"kind": "members", "file": SimpleUploadedFile("党员.xlsx", content)})

    html = response.content.decode()
    assert response.status_code == 400 and "无法识别" in html and "<td>F</td>" in html and "入党日期" in html
    assert not Member.objects.filter(number="A1-101").exists()


def test_a_branch_import_over_the_row_cap_is_refused_whole(client, world, settings):
    settings.CHUANGXING_IMPORT_MAX_ROWS = 20
    client.force_login(world.secretary_a1)
    content = _workbook([_row(f"A1-N{i:02d}", f"党员{i}", "A1") for i in range(21)])

    response = client.post(url("record_import", world.a1), {"kind": "members", "file": SimpleUploadedFile("党员.xlsx", content)})

    html = response.content.decode()
    assert response.status_code == 400 and "导入未完成：党员.xlsx" in html
    assert "数据超过 20 行的上限" in html and "<td>党员</td>" in html           # the file, the sheet, the cap
    assert not Member.objects.filter(number__startswith="A1-N").exists()


def test_the_caps_default_to_the_stated_numbers():
    from chuangxing import settings as site

    assert (site.CHUANGXING_IMPORT_MAX_ROWS, site.CHUANGXING_BRANCH_MAX_MEMBERS) == (5000, 3000)


def test_a_branch_at_its_member_cap_cannot_add_one_more(client, world, settings):
    settings.CHUANGXING_BRANCH_MAX_MEMBERS = Member.objects.filter(branch=world.a1).count()
    client.force_login(world.secretary_a1)

    response = client.post(url("member_new", world.a1), {
        "number": "A1-006", "name": "周明", "category": "full", "under_management": "on"})

    assert response.status_code == 400
    assert f"本支部已有 {settings.CHUANGXING_BRANCH_MAX_MEMBERS} 名党员，达到每个党支部的上限" in response.content.decode()
    assert not Member.objects.filter(number="A1-006").exists()
    settings.CHUANGXING_BRANCH_MAX_MEMBERS += 1
    edit = client.post(url("member_new", world.a1), {"number": "A1-006", "name": "周明", "category": "full"})
    assert edit.status_code == 302


def test_a_good_import_writes_the_branch_rows(client, world):
    client.force_login(world.secretary_a1)
    content = _workbook([_row("A1-100", "新党员", "A1")])

    response = client.post(url("record_import", world.a1), {"kind": "members", "file": SimpleUploadedFile("党员.xlsx", content)})

    assert response.status_code == 200 and "导入成功" in response.content.decode()
    assert Member.objects.get(number="A1-100").branch == world.a1
    assert AuditEntry.objects.filter(actor=world.secretary_a1, action="record_import").exists()


def test_an_attendance_import_for_another_branch_meeting_is_refused(client, world):
    client.force_login(world.secretary_a1)
    content = "会议编号,党员编号,出勤\r\nB1-2026-03-theme,A1-005,出席\r\nA1-2026-03-theme,B1-001,出席\r\n".encode()

    response = client.post(url("record_import", world.a1), {
        "kind": "attendance", "file": SimpleUploadedFile("出勤.csv", content)})

    html = response.content.decode()
    assert "会议编号“B1-2026-03-theme”属于其他党支部" in html and "党员编号“B1-001”不是本支部党员" in html
    assert "发现 2 个问题，未导入任何数据" in html
    assert not Attendance.objects.filter(meeting=world.b1_meeting).exists()


def test_a_meeting_is_edited_and_keeps_its_key(client, world):
    client.force_login(world.secretary_a1)
    edit = url("meeting_edit", world.a1, meeting=world.meeting.pk)

    assert "学习党章" in client.get(edit).content.decode()
    response = client.post(edit, {"kind": "theme_day", "held_on": "2026-03-06", "topic": "学习党章（第二次）",
                                  "group": world.group.pk})

    world.meeting.refresh_from_db()
    assert response.status_code == 302
    assert (world.meeting.key, world.meeting.held_on, world.meeting.group) == ("A1-2026-03-theme", date(2026, 3, 6),
                                                                              world.group)
    assert AuditEntry.objects.filter(actor=world.secretary_a1, action="record_meeting").exists()


# -- long lists are paged -----------------------------------------------------------------------------
def _many_members(branch, n: int, *, prefix: str = "A1-Z") -> list[Member]:
    return Member.objects.bulk_create(Member(branch=branch, number=f"{prefix}{i:04d}", name=f"党员{i:04d}", category="full")
                                      for i in range(n))


def _rows(html: str, marker: str) -> int:
    return html.count(marker)


def test_the_member_list_is_paged_with_chinese_links(client, world):
    _many_members(world.a1, 120)
    client.force_login(world.secretary_a1)
    total = Member.objects.filter(branch=world.a1).count()          # 125: three pages of 50

    first = client.get(url("member_list", world.a1)).content.decode()
    last = client.get(url("member_list", world.a1) + "?page=3").content.decode()

    assert _rows(first, ">修改</a>") == 50 and f"现有党员及入党积极分子 {total} 人" in first
    assert "第 1 / 3 页" in first and "下一页" in first and "上一页" not in first
    assert "党员0119" in last and "党员0000" not in last and "上一页" in last and "下一页" not in last
    assert _rows(last, ">修改</a>") == total - 100


@pytest.mark.parametrize("asked", ["999", "abc", "-1", "0", "1e9", "9" * 400])
def test_any_page_number_gives_a_page(client, world, asked):
    _many_members(world.a1, 120)
    client.force_login(world.secretary_a1)

    for view in ("member_list", "meeting_list", "dues_grid"):
        response = client.get(url(view, world.a1), {"page": asked})
        assert response.status_code == 200, view
    html = client.get(url("member_list", world.a1), {"page": asked}).content.decode()
    assert ("第 3 / 3 页" in html) if asked in ("999", "9" * 400) else ("第 1 / 3 页" in html)


def test_the_meeting_list_is_paged_and_keeps_its_filter(client, world):
    Meeting.objects.bulk_create(Meeting(branch=world.a1, key=f"A1-P{i:03d}", kind="theme_day", held_on=date(2025, 1, 1),
                                        topic=f"主题{i:03d}") for i in range(60))
    client.force_login(world.secretary_a1)

    first = client.get(url("meeting_list", world.a1), {"kind": "theme_day"}).content.decode()
    second = client.get(url("meeting_list", world.a1), {"kind": "theme_day", "page": 2}).content.decode()

    assert "第 1 / 2 页" in first and "?kind=theme_day&amp;page=2" in first
    assert _rows(first, "出勤登记") + _rows(second, "出勤登记") == Meeting.objects.filter(
        branch=world.a1, kind="theme_day").count()
    assert "第 2 / 2 页" in second


def test_the_dues_grid_shows_100_members_a_page_and_counts_the_whole_branch(client, world):
    many = _many_members(world.a1, 150)
    Dues.objects.bulk_create(Dues(member=m, month=date(2026, 3, 1), amount_due=Decimal("10")) for m in many)
    client.force_login(world.secretary_a1)
    unpaid_before = Dues.objects.filter(member__branch=world.a1, month__year=2026, paid_on__isnull=True).count()

    first = client.get(url("dues_grid", world.a1), {"year": 2026}).content.decode()
    second = client.get(url("dues_grid", world.a1), {"year": 2026, "page": 2}).content.decode()

    party = Member.objects.filter(branch=world.a1).party_members().count()
    assert _rows(first, 'id="member-') == 100 and _rows(second, 'id="member-') == party - 100
    assert "第 1 / 2 页" in first and "?year=2026&amp;page=2" in first
    assert f"未交 {unpaid_before} 人月" in first and f"未交 {unpaid_before} 人月" in second
    assert f'id="member-{many[-1].pk}"' in second


def test_saving_dues_returns_to_the_page_of_the_member(client, world):
    many = _many_members(world.a1, 150)
    client.force_login(world.secretary_a1)

    response = client.post(url("dues_edit", world.a1, member=many[-1].pk, year=2026, month=3),
                           {"amount_due": "10", "amount_paid": "10", "paid_on": "2026-03-10"})

    assert response.status_code == 302 and response["Location"].endswith(f"year=2026&page=2#member-{many[-1].pk}")


# -- the API's lists: limit/offset with a total -------------------------------------------------------
def test_the_api_pages_the_members_with_a_total(client, world):
    from .work_world import bearer, body

    _many_members(world.a1, 120)
    total = Member.objects.filter(branch=world.a1).count()
    path = f"/api/v1/branches/{world.a1.pk}/members"

    first = body(client.get(path, **bearer(world.secretary_a1)))
    rest = body(client.get(path, {"offset": 50, "limit": 200}, **bearer(world.secretary_a1)))

    assert (first["total"], first["limit"], first["offset"], len(first["items"])) == (total, 50, 0, 50)
    assert len(rest["items"]) == total - 50
    numbers = [m["number"] for m in first["items"] + rest["items"]]
    assert len(set(numbers)) == total and first["items"][0]["category_label"]


@pytest.mark.parametrize(("query", "limit", "items"), [
    ({"limit": 0}, 1, 1), ({"limit": 100000}, 200, 125), ({"offset": -5}, 50, 50), ({"offset": 10 ** 9}, 50, 0),
])
def test_any_limit_or_offset_gives_a_page(client, world, query, limit, items):
    from .work_world import bearer, body

    _many_members(world.a1, 120)

    response = client.get(f"/api/v1/branches/{world.a1.pk}/members", query, **bearer(world.secretary_a1))

    assert response.status_code == 200
    assert (body(response)["limit"], len(body(response)["items"]), body(response)["total"]) == (limit, items, 125)


def test_the_api_pages_the_dues_grid_and_meetings(client, world):
    from .work_world import bearer, body

    many = _many_members(world.a1, 150)
    Dues.objects.bulk_create(Dues(member=m, month=date(2026, 3, 1), amount_due=Decimal("10")) for m in many)
    headers = bearer(world.secretary_a1)

    dues = body(client.get(f"/api/v1/branches/{world.a1.pk}/dues", {"year": "2026", "offset": 100}, **headers))
    meetings = body(client.get(f"/api/v1/branches/{world.a1.pk}/meetings", {"limit": 1}, **headers))

    party = Member.objects.filter(branch=world.a1).party_members().count()
    assert (dues["total"], dues["year"], len(dues["items"])) == (party, 2026, party - 100)
    march = next(r for r in dues["items"] if r["member"] == many[-1].pk)["months"][2]
    assert (march["status"], march["label"], march["due"], march["paid"]) == ("unpaid", "未交", "10.00", "0.00")
    assert dues["unpaid_months"] >= 150
    assert meetings["total"] == Meeting.objects.filter(branch=world.a1).count() and len(meetings["items"]) <= 1


def test_the_api_lists_only_to_people_who_may_read_the_branch(client, world):
    from .work_world import bearer

    path = f"/api/v1/branches/{world.a1.pk}/members"

    assert client.get(path, **bearer(world.secretary_b1)).status_code == 403
    assert client.get("/api/v1/branches/999999/members", **bearer(world.secretary_a1)).status_code == 404


@pytest.mark.parametrize("year", ["²", "1" * 5000, "abcd", "1999"])
def test_any_year_gives_the_dues_of_this_year(client, world, year):
    from django.utils import timezone

    from .work_world import bearer, body

    client.force_login(world.secretary_a1)

    assert client.get(url("dues_grid", world.a1), {"year": year}).status_code == 200
    answer = client.get(f"/api/v1/branches/{world.a1.pk}/dues", {"year": year}, **bearer(world.secretary_a1))
    assert body(answer)["year"] == timezone.localdate().year
