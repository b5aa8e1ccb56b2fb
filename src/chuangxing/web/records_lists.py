"""A branch's records lists, as the pages and the API both show them (one definition each).

>>> members = member_rows(branch)                      # ordered: current members first, then those who left
>>> grid = dues_grid(branch, members=dues_members(branch)[:100], year=2026)
>>> grid[0]["cells"][2]["status"], unpaid_months(branch, 2026)
('unpaid', 37)

Each list is an ordered queryset to page (``web.paging`` on the pages, limit/offset in the API); the
figures above a list are counted by the database for the whole branch.
"""

from __future__ import annotations

from datetime import date

from django.db.models import Count, F, Q
from django.utils import timezone

from chuangxing.orgs.models import Member, MemberCategory
from chuangxing.records.models import Dues, Meeting, MeetingKind
from chuangxing.web.templatetags.work_format import pts


def member_rows(branch):
    return Member.objects.filter(branch=branch).select_related("group").order_by(
        F("left_branch_on").asc(nulls_first=True), "number")


def member_counts(branch) -> dict[str, int]:
    """Current members (not transferred out) per category label."""
    by_category = dict(Member.objects.filter(branch=branch, left_branch_on__isnull=True).order_by()
                       .values("category").annotate(n=Count("id")).values_list("category", "n"))
    return {label: by_category.get(value, 0) for value, label in MemberCategory.choices}


def meeting_rows(branch, kind: str = ""):
    meetings = Meeting.objects.filter(branch=branch).select_related("group").order_by("-held_on", "-pk")
    return meetings.filter(kind=kind) if kind in MeetingKind.values else meetings


def year_of(value: str | None) -> int:
    """The year ``?year=`` asks for, from 2000 to next year; anything else (``²``, 5,000 digits) is this year."""
    today = timezone.localdate()
    if value and value.isascii() and value.isdigit() and len(value) == 4 and 2000 <= int(value) <= today.year + 1:
        return int(value)
    return today.year


def dues_members(branch):
    """The rows of the dues grid: the branch's party members (not activists), by number."""
    return Member.objects.filter(branch=branch).party_members().order_by("number")


def dues_grid(members, *, year: int) -> list[dict]:
    """For each of ``members`` (a page of :func:`dues_members`): its twelve cells and its unpaid months."""
    members = list(members)
    months = [date(year, m, 1) for m in range(1, 13)]
    rows = {(member_id, month): paid for member_id, month, *paid in Dues.objects.filter(
        member__in=members, month__year=year).values_list("member_id", "month", "amount_due", "amount_paid", "paid_on")}
    grid = []
    for member in members:
        cells = [dues_cell(member, month, rows.get((member.pk, month))) for month in months]
        grid.append({"member": member, "cells": cells, "unpaid": sum(1 for c in cells if c["status"] == "unpaid")})
    return grid


def unpaid_months(branch, year: int) -> int:
    """The branch's unpaid member-months of ``year`` (cells marked 未交 on every page), read from the unpaid rows only."""
    unpaid = Dues.objects.filter(member__in=dues_members(branch), month__year=year).filter(
        Q(paid_on__isnull=True) | Q(amount_paid__lt=F("amount_due")))
    return sum(1 for month, joined, left in unpaid.values_list("month", "member__joined_branch_on", "member__left_branch_on")
               if not outside_branch(month, joined, left))


def outside_branch(month: date, joined: date | None, left: date | None) -> bool:
    """Whether a member who joined the branch on ``joined`` and left on ``left`` was not in it in ``month``."""
    return (joined is not None and month < joined.replace(day=1)) or (left is not None and month >= left)


def dues_cell(member: Member, month: date, dues: list | None) -> dict:
    """One cell of the grid; ``dues``: the month's [amount_due, amount_paid, paid_on], None without a row."""
    if outside_branch(month, member.joined_branch_on, member.left_branch_on):
        status, label = "out", "不在支部"
    elif dues is None:
        status, label = "none", "无记录"
    else:
        due, amount, paid_on = dues
        paid = paid_on is not None and amount >= due
        status, label = ("paid", "已交") if paid else ("unpaid", "未交")
    title = f"{month.year}年{month.month}月：{label}"
    if dues is not None:
        title += f"，应交 {pts(dues[0])} 元，实交 {pts(dues[1])} 元"
    return {"month": month, "status": status, "label": label, "title": title,
            "due": dues[0] if dues else None, "paid": dues[1] if dues else None}
