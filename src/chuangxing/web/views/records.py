"""A branch's records (台账) on the web: members, meetings with attendance, dues by month, Excel import.

::

    /branches/<b>/members/?page=2               the members: category, 党小组, leading cadre; add, edit
    /branches/<b>/meetings/?kind=&page=         organizational life, newest first; add
    /branches/<b>/meetings/<m>/                 one meeting and its attendance (records.services.record_attendance)
    /branches/<b>/dues/?year=2026&page=2        member × month: paid, unpaid, no record; a cell opens its row
    /branches/<b>/import/                       templates, the branch's data as a workbook, upload with every problem

The branch secretary keeps them; the reviewers and admins above read them. Everything is scoped to
the branch in the URL (``lookups.branch_for``) and each change is written to the audit log. A change is
saved with its audit entry in one transaction that ends by announcing it (``records.signals``): the
branch's self-assessments still in its hands read the new facts (``assessments.services.refresh_branch_facts``).

Every list is paged (``web.paging``: 50 members, 50 meetings, 100 members of the dues grid a page), so
a page costs the same for a branch of 20 members or 3,000 (bench/records_pages.py); the summaries
above a list (counts per category, unpaid months) are counted by the database for the whole branch.
"""

from __future__ import annotations

import calendar
from datetime import date

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET, require_http_methods

from chuangxing.assessments import permissions
from chuangxing.assessments.services import audit
from chuangxing.orgs.models import Member
from chuangxing.records.imports import export_workbook, template_workbook
from chuangxing.records.imports.problems import KIND_LABELS
from chuangxing.records.models import Attendance, Dues, Meeting, MeetingKind, Presence
from chuangxing.records.services import record_attendance
from chuangxing.records.signals import announce
from chuangxing.web import records_lists as lists
from chuangxing.web.branch_import import BRANCH_KINDS, branch_export, import_for_branch
from chuangxing.web.lookups import RECORD_KEEPERS, branch_for
from chuangxing.web.paging import DUES_MEMBERS_PER_PAGE, MEETINGS_PER_PAGE, MEMBERS_PER_PAGE, page_number, page_of
from chuangxing.web.records_forms import AttendanceForm, DuesForm, ImportForm, MeetingForm, MemberForm

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _context(request, branch, tab: str, **extra) -> dict:
    keeper = bool(permissions.roles_on(request.user, branch) & {str(r) for r in RECORD_KEEPERS})
    return {"branch": branch, "tab": tab, "keeper": keeper, **extra}


def _audit(request, action: str, obj, *, old=None, new=None) -> None:
    audit(by=request.user, action=action, target=f"{obj._meta.model_name}:{obj.pk}", old=old, new=new)


# -- members ---------------------------------------------------------------------------------------
@require_GET
def member_list(request, branch: int) -> HttpResponse:
    found = branch_for(request, branch)
    counts = lists.member_counts(found)
    page = page_of(request, lists.member_rows(found), per_page=MEMBERS_PER_PAGE)
    context = _context(request, found, "members", members=page.object_list, page=page, counts=counts,
                       current=sum(counts.values()))
    return render(request, "records/member_list.html", context)


@require_http_methods(["GET", "POST"])
def member_form(request, branch: int, member: int | None = None) -> HttpResponse:
    found = branch_for(request, branch, write=True)
    instance = None
    if member is not None:
        instance = Member.objects.filter(pk=member, branch=found).first()
        if instance is None:
            raise Http404("本支部没有该党员")
    form = MemberForm(request.POST or None, instance=instance, branch=found)
    if request.method == "POST" and form.is_valid():
        old = _snapshot(instance, form.Meta.fields) if instance else None
        with transaction.atomic():
            saved = form.save()
            _audit(request, "record_member", saved, old=old, new=_snapshot(saved, form.Meta.fields))
            announce(sender="records.member", branches=[found.pk])
        messages.success(request, f"已保存党员“{saved.name}”")
        return redirect("web:member_list", branch=found.pk)
    return render(request, "records/member_form.html", _context(request, found, "members", form=form, member=instance),
                  status=400 if form.is_bound else 200)


def _snapshot(obj, fields) -> dict:
    """The fields' values as the audit log keeps them (dates as text)."""
    values = {name: getattr(obj, f"{name}_id" if name == "group" else name) for name in fields}
    return {name: value.isoformat() if isinstance(value, date) else value for name, value in values.items()}


# -- meetings ----------------------------------------------------------------------------------------
@require_GET
def meeting_list(request, branch: int) -> HttpResponse:
    found = branch_for(request, branch)
    kind = request.GET.get("kind", "")
    page = page_of(request, lists.meeting_rows(found, kind), per_page=MEETINGS_PER_PAGE)
    context = _context(request, found, "meetings", meetings=page.object_list, page=page, kinds=MeetingKind.choices,
                       kind=kind)
    return render(request, "records/meeting_list.html", context)


@require_http_methods(["GET", "POST"])
def meeting_form(request, branch: int, meeting: int | None = None) -> HttpResponse:
    found = branch_for(request, branch, write=True)
    instance = _meeting(found, meeting) if meeting is not None else None
    form = MeetingForm(request.POST or None, instance=instance, branch=found)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            _audit(request, "record_meeting", saved, new={"kind": saved.kind, "held_on": str(saved.held_on),
                                                          "topic": saved.topic})
            announce(sender="records.meeting", branches=[found.pk])
        messages.success(request, f"已保存{saved.get_kind_display()}（{saved.held_on}）")
        return redirect("web:meeting_detail", branch=found.pk, meeting=saved.pk)
    return render(request, "records/meeting_form.html", _context(request, found, "meetings", form=form, meeting=instance),
                  status=400 if form.is_bound else 200)


def _meeting(branch, pk: int) -> Meeting:
    meeting = Meeting.objects.filter(pk=pk, branch=branch).select_related("group").first()
    if meeting is None:
        raise Http404("本支部没有该会议")
    return meeting


@require_http_methods(["GET", "POST"])
def meeting_detail(request, branch: int, meeting: int) -> HttpResponse:
    """The meeting and its attendance: who was expected (the branch's members on that day) and how each attended."""
    found = branch_for(request, branch, write=request.method == "POST")
    item = _meeting(found, meeting)
    current = dict(Attendance.objects.filter(meeting=item).values_list("member_id", "presence"))
    expected = Member.objects.filter(branch=found).on(item.held_on)
    if item.group_id:
        expected = expected.filter(group_id=item.group_id)
    members = list(expected.order_by("number")) + list(Member.objects.filter(pk__in=current).exclude(
        pk__in=expected.values("pk")).order_by("number"))
    form = AttendanceForm(request.POST or None, members=members, current=current)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            record_attendance(meeting=item, presence=form.presence())
            _audit(request, "record_attendance", item, old=_presence_counts(current.values()),
                   new=_presence_counts(form.presence().values()))
        messages.success(request, f"已保存出勤：应到 {item.expected} 人，实到 {item.present} 人")
        return redirect("web:meeting_detail", branch=found.pk, meeting=item.pk)
    context = _context(request, found, "meetings", meeting=item, form=form, recorded=bool(current),
                       rate=round(item.present * 100 / item.expected) if item.expected else None)
    return render(request, "records/meeting_detail.html", context)


def _presence_counts(values) -> dict:
    values = list(values)
    return {label: values.count(value) for value, label in Presence.choices}


# -- dues --------------------------------------------------------------------------------------------
@require_GET
def dues_grid(request, branch: int) -> HttpResponse:
    found = branch_for(request, branch)
    year = lists.year_of(request.GET.get("year"))
    months = [date(year, m, 1) for m in range(1, 13)]
    page = page_of(request, lists.dues_members(found), per_page=DUES_MEMBERS_PER_PAGE)
    grid = lists.dues_grid(page.object_list, year=year)
    context = _context(request, found, "dues", year=year, months=months, page=page,
                       unpaid=lists.unpaid_months(found, year), years=[year - 1, year + 1])
    context["rows"] = _dues_rows(request, grid, year=year, keeper=context["keeper"], branch=found)
    return render(request, "records/dues_grid.html", context)


def _dues_rows(request, grid: list[dict], *, year: int, keeper: bool, branch) -> str:
    """The grid's rows (12 cells a member, 1,200 a page), drawn by Jinja2: Django's template language
    took ~0.8 s for a page of 100 members (one ``{% url %}`` and a dozen lookups per cell)."""
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils.safestring import mark_safe

    edit = reverse("web:dues_grid", kwargs={"branch": branch.pk})   # dues_edit is dues/<member>/<year>/<month>/
    context = {"grid": grid, "year": year, "keeper": keeper, "edit": edit}
    return mark_safe(render_to_string("records/dues_rows.html", context, request=request, using="jinja2"))


@require_http_methods(["GET", "POST"])
def dues_form(request, branch: int, member: int, year: int, month: int) -> HttpResponse:
    found = branch_for(request, branch, write=True)
    person = Member.objects.filter(pk=member, branch=found).first()
    if person is None or not 1 <= month <= 12 or not 2000 <= year <= 2100:
        raise Http404("本支部没有该党员或月份")
    first = date(year, month, 1)
    instance = Dues.objects.filter(member=person, month=first).first() or Dues(member=person, month=first)
    previous = Dues.objects.filter(member=person, month__lt=first).order_by("-month").first()
    initial = {} if instance.pk else {"amount_due": previous.amount_due if previous else None,
                                      "paid_on": date(year, month, min(15, calendar.monthrange(year, month)[1]))}
    form = DuesForm(request.POST or None, instance=instance, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            saved = form.save()
            _audit(request, "record_dues", saved, new={"member": person.number, "month": f"{year}-{month:02d}",
                                                       "due": saved.amount_due, "paid": saved.amount_paid,
                                                       "paid_on": str(saved.paid_on or "")})
            announce(sender="records.dues", branches=[found.pk])
        messages.success(request, f"已保存 {person.name} {year}年{month}月党费")
        before = lists.dues_members(found).filter(number__lt=person.number).count()
        page = page_number(before, per_page=DUES_MEMBERS_PER_PAGE)
        return redirect(f"{_dues_url(found, year)}{f'&page={page}' if page > 1 else ''}#member-{person.pk}")
    context = _context(request, found, "dues", form=form, member=person, month=first, year=year)
    return render(request, "records/dues_form.html", context, status=400 if form.is_bound else 200)


def _dues_url(branch, year: int) -> str:
    from django.urls import reverse

    return f"{reverse('web:dues_grid', kwargs={'branch': branch.pk})}?year={year}"


# -- import ------------------------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def record_import(request, branch: int) -> HttpResponse:
    found = branch_for(request, branch, write=True)
    form = ImportForm(request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        kind = form.cleaned_data["kind"]
        result = import_for_branch(upload, kind=kind, branch=found, filename=upload.name)
        audit(by=request.user, action="record_import", target=f"org:{found.pk}",
              new={"kind": kind, "file": upload.name[:120], "ok": result.ok, "problems": len(result.problems),
                   "counts": {k: str(c) for k, c in result.counts.items()}})
    kinds = [(kind, KIND_LABELS[kind]) for kind in BRANCH_KINDS]
    status = 400 if (form.is_bound and not form.is_valid()) or (result and not result.ok) else 200
    return render(request, "records/record_import.html",
                  _context(request, found, "import", form=form, result=result, kinds=kinds), status=status)


@require_GET
def import_template(request, branch: int, kind: str) -> HttpResponse:
    """``?data=1``: the branch's own rows in the template's layout; else the empty template."""
    found = branch_for(request, branch, write=True)
    if kind not in BRANCH_KINDS:
        raise Http404("没有该导入模板")
    with_data = request.GET.get("data") == "1"
    content = export_workbook(kind, branch_export(kind, found)) if with_data else template_workbook(kind)
    name = f"{found.name}-{KIND_LABELS[kind]}.xlsx" if with_data else f"{KIND_LABELS[kind]}导入模板.xlsx"
    response = HttpResponse(content, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, name)
    return response
