"""A branch's records lists, a page at a time: the members, the meetings, the dues grid of a year.

>>> GET /api/v1/branches/12/members?limit=50&offset=100
{"total": 2000, "limit": 50, "offset": 100, "items": [{"id": ..., "number": "M0101", ...}, ...]}

The same rows as the pages (``web.records_lists``), for the same people (the branch's secretary and
the reviewers and admins above it). ``limit`` is 1–200 (default 50; out of range is brought into it),
``offset`` from 0; an offset past the end gives no items and the total, never an error.
"""

from __future__ import annotations

from ninja import Router

from chuangxing.assessments import permissions
from chuangxing.orgs.models import Organization, OrgKind
from chuangxing.web import records_lists as lists
from chuangxing.web.api.v1.errors import ApiError
from chuangxing.web.api.v1.schemas import DuesPage, Error, MeetingPage, MemberPage
from chuangxing.web.api.v1.shapes import exact
from chuangxing.web.lookups import RECORD_READERS

router = Router(tags=["支部台账"])
REFUSALS = {403: Error, 404: Error}
MAX_LIMIT = 200


def branch_for(request, pk: int) -> Organization:
    branch = Organization.objects.filter(pk=pk, kind=OrgKind.BRANCH).first()
    if branch is None:
        raise ApiError(404, "not_found", "没有找到该党支部")
    permissions.require(request.auth, RECORD_READERS, branch)
    return branch


def paged(rows, *, limit: int, offset: int, shape) -> dict:
    limit, offset = min(max(limit, 1), MAX_LIMIT), max(offset, 0)
    total = rows.count()
    items = rows[offset:offset + limit] if offset < total else []
    return {"total": total, "limit": limit, "offset": offset, "items": shape(items)}


@router.get("/{int:branch_id}/members", response={200: MemberPage, **REFUSALS}, summary="党支部的党员（分页）")
def member_list(request, branch_id: int, limit: int = 50, offset: int = 0):
    rows = lists.member_rows(branch_for(request, branch_id))
    return paged(rows, limit=limit, offset=offset, shape=lambda page: [_member(m) for m in page])


@router.get("/{int:branch_id}/meetings", response={200: MeetingPage, **REFUSALS}, summary="党支部的组织生活（分页，新的在前）")
def meeting_list(request, branch_id: int, kind: str = "", limit: int = 50, offset: int = 0):
    rows = lists.meeting_rows(branch_for(request, branch_id), kind)
    return paged(rows, limit=limit, offset=offset, shape=lambda page: [_meeting(m) for m in page])


@router.get("/{int:branch_id}/dues", response={200: DuesPage, **REFUSALS}, summary="党支部一年的党费收缴（按党员分页）")
def dues_list(request, branch_id: int, year: str = "", limit: int = 100, offset: int = 0):
    branch = branch_for(request, branch_id)
    year_shown = lists.year_of(year)
    answer = paged(lists.dues_members(branch), limit=limit, offset=offset,
                   shape=lambda page: [_dues_row(r) for r in lists.dues_grid(page, year=year_shown)])
    return {**answer, "year": year_shown, "unpaid_months": lists.unpaid_months(branch, year_shown)}


def _member(m) -> dict:
    return {"id": m.pk, "number": m.number, "name": m.name, "category": m.category,
            "category_label": m.get_category_display(), "group": m.group.name if m.group else None,
            "is_leader": m.is_leader, "joined_party_on": m.joined_party_on, "joined_branch_on": m.joined_branch_on,
            "left_branch_on": m.left_branch_on}


def _meeting(m) -> dict:
    return {"id": m.pk, "key": m.key, "kind": m.kind, "kind_label": m.get_kind_display(), "held_on": m.held_on,
            "topic": m.topic, "group": m.group.name if m.group else None, "expected": m.expected, "present": m.present}


def _dues_row(row: dict) -> dict:
    member = row["member"]
    return {"member": member.pk, "number": member.number, "name": member.name, "unpaid": row["unpaid"],
            "months": [{"month": c["month"].month, "status": c["status"], "label": c["label"],
                        "due": exact(c["due"]), "paid": exact(c["paid"])} for c in row["cells"]]}
