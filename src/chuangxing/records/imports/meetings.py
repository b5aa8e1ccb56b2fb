"""Organizational life (sheet 会议, keyed by 会议编号) and its attendance (sheet 出勤).

Attendance follows :func:`chuangxing.records.services.record_attendance`: the rows of 出勤 for a
meeting are the whole list of members expected there. A meeting listed in 出勤 gets exactly those
rows (members no longer listed are removed) and its counts ``expected`` (rows) and ``present``
(出席) follow; a meeting not listed in 出勤 keeps its attendance and counts. The 出勤 sheet may
name meetings stored earlier, and may be imported alone (kind ``attendance``, e.g. as a CSV file).

Meetings absent from the file are left as they are: an import never deletes a meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from chuangxing.orgs.models import Member
from chuangxing.records.imports.columns import Choice, Code, Column, DateCell, SheetSpec, Text, text_length
from chuangxing.records.imports.common import BATCH, CHUNK, Changes, OrgIndex, fetch_in, unique_rows, update_rows
from chuangxing.records.imports.problems import Counts, ImportProblem
from chuangxing.records.imports.sheets import Row
from chuangxing.records.models import Attendance, Meeting, MeetingKind, Presence

_KEY = text_length(Meeting, "key")
MEETINGS = SheetSpec("会议", (
    Column("会议编号", "key", Code(_KEY, key=True), required=True, width=18),
    Column("党支部编码", "branch", Code(64), required=True, width=16, note="须为已导入的党支部"),
    Column("类型", "kind", Choice(MeetingKind), required=True, width=14),
    Column("日期", "held_on", DateCell(), required=True, width=12),
    Column("主题", "topic", Text(text_length(Meeting, "topic")), width=30),
    Column("讲课人/发言人", "speaker", Text(text_length(Meeting, "speaker")), width=14),
    Column("党小组编码", "group", Code(64), width=16, note="党小组会填写；须为该党支部下的党小组"),
), note="组织生活：支部党员大会、支委会、党小组会、党课、主题党日、组织生活会、民主评议党员、谈心谈话")
ATTENDANCE = SheetSpec("出勤", (
    Column("会议编号", "meeting", Code(_KEY), required=True, width=18, note="本文件“会议”表中的会议，或已导入的会议"),
    Column("党员编号", "member", Code(text_length(Member, "number")), required=True, width=16, note="须为已导入的党员"),
    Column("出勤", "presence", Choice(Presence), required=True, width=10),
), note="每次会议应到的每名党员一行；某会议在此列出的行即为该会议的全部应到人员（应到、实到人数随之计算）",
   optional=True)
SHEETS = (MEETINGS, ATTENDANCE)
ATTENDANCE_SHEETS = (replace(ATTENDANCE, optional=False),)     # the attendance kind: the sheet alone, required

FIELDS = ("key", "branch_id", "group_id", "kind", "held_on", "topic", "speaker", "expected", "present")


def queryset() -> Any:
    return Meeting.objects.all()


def attendance_queryset() -> Any:
    return Attendance.objects.all()


def export_rows(meetings: Any) -> dict[str, Any]:
    values = meetings.order_by("branch__path", "held_on", "key").values(
        "key", "branch__code", "group__code", "kind", "held_on", "topic", "speaker")
    attendance = Attendance.objects.filter(meeting__in=meetings.values("pk"))
    return {MEETINGS.name: ({**v, "branch": v.pop("branch__code"), "group": v.pop("group__code") or ""}
                            for v in values.iterator(chunk_size=2000)),
            **export_attendance(attendance)}


def export_attendance(attendance: Any) -> dict[str, Any]:
    values = attendance.order_by("meeting__held_on", "meeting__key", "member__number").values_list(
        "meeting__key", "member__number", "presence")
    return {ATTENDANCE.name: ({"meeting": m, "member": n, "presence": p} for m, n, p in values.iterator(chunk_size=2000))}


def check(rows: dict[str, list[Row]], problems: list[ImportProblem]) -> Plan:
    meetings = unique_rows(rows.get(MEETINGS.name, []), key=lambda r: r["key"], fields=("key",), label="会议编号",
                           problems=problems)
    attendance = unique_rows(rows.get(ATTENDANCE.name, []), key=lambda r: (r["meeting"], r["member"]),
                             fields=("meeting", "member"), label="会议编号、党员编号", problems=problems)
    keys = set(meetings) | {meeting for meeting, _ in attendance}
    existing = {v["key"]: v for v in fetch_in(Meeting.objects.order_by().values("id", *FIELDS), "key", keys)}
    plan = Plan(existing=existing)
    _check_meetings(meetings, plan, problems)
    _check_attendance(attendance, meetings, plan, problems)
    plan.wanted_counts()
    return plan


def _check_meetings(meetings: dict[str, Row], plan: Plan, problems: list[ImportProblem]) -> None:
    orgs = OrgIndex.load()
    for key, row in meetings.items():
        branch = orgs.branch(row, "branch", problems) if row.ok("branch") else None
        group = orgs.group(row, "group", branch, problems) if row.ok("group") else None
        if branch is not None and not row.bad:
            stored = plan.existing.get(key, {})
            plan.meetings[key] = {"key": key, "branch_id": branch.id, "group_id": group.id if group else None,
                                  "kind": row["kind"], "held_on": row["held_on"], "topic": row["topic"],
                                  "speaker": row["speaker"], "expected": stored.get("expected", 0),
                                  "present": stored.get("present", 0)}


def _check_attendance(attendance: dict[tuple[str, str], Row], meetings: dict[str, Row], plan: Plan,
                      problems: list[ImportProblem]) -> None:
    numbers = {member for _, member in attendance}
    members = dict(fetch_in(Member.objects.order_by().values_list("number", "id"), "number", numbers))
    for (key, number), row in attendance.items():
        if key not in meetings and key not in plan.existing:
            problems.append(row.problem("meeting", "unknown_meeting", f"会议编号“{key}”不存在（本文件“会议”表和数据库中都没有）",
                                        f"no meeting {key!r} in the file or the database"))
        if number not in members:
            problems.append(row.problem("member", "unknown_member", f"党员编号“{number}”不存在，请先导入党员",
                                        f"no member {number!r}"))
        elif row.ok("presence"):
            plan.presence.setdefault(key, {})[members[number]] = row["presence"]


@dataclass
class Plan:
    existing: dict[str, dict[str, Any]]
    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)          # key → wanted values
    presence: dict[str, dict[int, str]] = field(default_factory=dict)          # key → member id → presence
    changed: set[str] = field(default_factory=set)                              # keys of the meetings written

    def wanted_counts(self) -> None:
        """A meeting listed in 出勤 counts its rows there (even when the 会议 sheet does not list it)."""
        for key, presence in self.presence.items():
            wanted = self.meetings.get(key) or (dict(self.existing[key]) if key in self.existing else None)
            if wanted is None:      # an unknown meeting: already a problem
                continue
            wanted.pop("id", None)
            wanted["expected"] = len(presence)
            wanted["present"] = sum(1 for status in presence.values() if status == Presence.PRESENT)
            self.meetings[key] = wanted

    def write(self) -> dict[str, Counts]:
        changes = Changes(Meeting, FIELDS)
        for key, wanted in self.meetings.items():
            if changes.add(self.existing.get(key), wanted):
                self.changed.add(key)
        counts = {"meetings": changes.write()}
        if self.presence:
            ids = dict(fetch_in(Meeting.objects.order_by().values_list("key", "id"), "key", self.presence))
            counts["attendance"] = _write_attendance({ids[key]: presence for key, presence in self.presence.items()})
        return counts


    def branches(self) -> set[int]:
        """The branches of the meetings written or whose attendance is listed (a meeting moved: both branches)."""
        keys = self.changed | set(self.presence)
        ids = {self.meetings[key]["branch_id"] for key in keys if key in self.meetings}
        return ids | {self.existing[key]["branch_id"] for key in keys if key in self.existing}


def _write_attendance(presence: dict[int, dict[int, str]]) -> Counts:
    """Make each listed meeting's attendance exactly ``presence[meeting_id]``: create, update, remove."""
    counts = Counts()
    stored = fetch_in(Attendance.objects.order_by().values_list("id", "meeting_id", "member_id", "presence"), "meeting_id",
                      presence)
    seen, update, remove = set(), [], []
    for pk, meeting_id, member_id, status in stored:
        wanted = presence[meeting_id].get(member_id)
        seen.add((meeting_id, member_id))
        if wanted is None:
            remove.append(pk)
        elif wanted != status:
            update.append((pk, {"presence": wanted}))
        else:
            counts.unchanged += 1
    create = [Attendance(meeting_id=m, member_id=member, presence=status) for m, members in presence.items()
              for member, status in members.items() if (m, member) not in seen]
    Attendance.objects.bulk_create(create, batch_size=BATCH)
    update_rows(Attendance, ("presence",), update)
    for start in range(0, len(remove), CHUNK):
        Attendance.objects.filter(pk__in=remove[start:start + CHUNK]).delete()
    counts.created, counts.updated, counts.removed = len(create), len(update), len(remove)
    return counts
