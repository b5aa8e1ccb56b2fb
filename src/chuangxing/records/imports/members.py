"""Members (sheet 党员), keyed by 党员编号, which is unique across the whole tree.

Moving a member to another branch. A member number stored under branch A and listed in the file
under branch B is refused, unless the transfer is on record on both sides: A's row was imported
with a 转出本支部日期 and the file gives a 转入本支部日期 on or after it. Then the member is moved to B
and its dates become the file's. So a transfer is two imports: A's file with the 转出 date, then B's
with the 转入 date. (The member table keeps only the current branch; the ``Transfer`` model, not this
importer, keeps the 组织关系转接 itself.)

Members absent from the file are left as they are: an import never deletes.

A branch holds at most ``CHUANGXING_BRANCH_MAX_MEMBERS`` members (default 3,000; those transferred
out count until removed): a file that would take any branch past it is refused whole, naming the
branch, the count it would reach and the cap.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Count

from chuangxing.orgs.models import Member, MemberCategory
from chuangxing.records.imports.columns import Choice, Code, Column, DateCell, SheetSpec, Text, YesNo, text_length
from chuangxing.records.imports.common import Changes, OrgIndex, fetch_in, unique_rows
from chuangxing.records.imports.problems import Counts, ImportProblem
from chuangxing.records.imports.sheets import Row

_CODE = text_length(Member, "number")
SHEET = SheetSpec("党员", (
    Column("党员编号", "number", Code(_CODE, key=True), required=True, width=16),
    Column("姓名", "name", Text(text_length(Member, "name")), required=True, width=12),
    Column("所在党支部编码", "branch", Code(64), required=True, width=16, note="须为已导入的党支部"),
    Column("所在党小组编码", "group", Code(64), width=16, note="须为该党支部下的党小组"),
    Column("类别", "category", Choice(MemberCategory), required=True),
    Column("入党日期", "joined_party_on", DateCell(), width=12, note="预备党员为接收日期"),
    Column("转正日期", "full_member_on", DateCell(), width=12, note="不早于入党日期"),
    Column("转入本支部日期", "joined_branch_on", DateCell(), width=14,
           note="党员从其他支部转来时必填，且不早于原支部导入的转出本支部日期"),
    Column("转出本支部日期", "left_branch_on", DateCell(), width=14, note="不早于转入本支部日期"),
    Column("党员领导干部", "is_leader", YesNo(default=False), width=12),
    Column("纳入党支部管理", "under_management", YesNo(default=True), width=14),
    Column("失去联系日期", "lost_contact_since", DateCell(), width=12, note="失联党员填写；其余留空"),
), note="党员、预备党员和入党积极分子")
SHEETS = (SHEET,)

FIELDS = ("branch_id", "group_id", "number", "name", "category", "joined_party_on", "full_member_on", "joined_branch_on",
          "left_branch_on", "is_leader", "under_management", "lost_contact_since")
_DATE_ORDER = (("joined_party_on", "full_member_on", "转正日期早于入党日期"),
               ("joined_branch_on", "left_branch_on", "转出本支部日期早于转入本支部日期"))


def queryset() -> Any:
    return Member.objects.all()


def export_rows(members: Any) -> dict[str, Any]:
    values = members.order_by("branch__path", "number").values(
        "branch__code", "group__code", *(f for f in FIELDS if not f.endswith("_id")))
    return {SHEET.name: ({**v, "branch": v.pop("branch__code"), "group": v.pop("group__code") or ""}
                         for v in values.iterator(chunk_size=2000))}


def check(rows: dict[str, list[Row]], problems: list[ImportProblem]) -> Changes:
    orgs = OrgIndex.load()
    file = unique_rows(rows.get(SHEET.name, []), key=lambda r: r["number"], fields=("number",), label="党员编号",
                       problems=problems)
    existing = {v["number"]: v for v in fetch_in(Member.objects.order_by().values("id", *FIELDS), "number", file)}
    changes = Changes(Member, FIELDS)
    touched: set[int | None] = set()
    moves: Counter[int] = Counter()
    for number, row in file.items():
        before = len(problems)
        branch = orgs.branch(row, "branch", problems) if row.ok("branch") else None
        group = orgs.group(row, "group", branch, problems) if row.ok("group") else None
        _check_dates(row, problems)
        stored = existing.get(number)
        if branch is not None and stored is not None and stored["branch_id"] != branch.id:
            _check_move(row, stored, orgs, problems)
        if len(problems) == before and branch is not None:
            wanted = {f: row.values.get(f) for f in FIELDS if not f.endswith("_id")}
            if changes.add(stored, {**wanted, "branch_id": branch.id, "group_id": group.id if group else None}):
                touched.update((branch.id, stored["branch_id"] if stored else None))
            if stored is None or stored["branch_id"] != branch.id:
                moves[branch.id] += 1
                if stored is not None:
                    moves[stored["branch_id"]] -= 1
    _check_branch_sizes(moves, orgs, problems)
    return _Plan(changes, touched)


def max_members() -> int:
    return int(getattr(settings, "CHUANGXING_BRANCH_MAX_MEMBERS", 3000))


def _check_branch_sizes(moves: Counter[int], orgs: OrgIndex, problems: list[ImportProblem]) -> None:
    """A problem for each branch the file would take past :func:`max_members` (arrivals less departures)."""
    cap, growing = max_members(), [pk for pk, n in moves.items() if n > 0]
    held = dict(Member.objects.filter(branch_id__in=growing).order_by().values("branch_id")
                .annotate(n=Count("id")).values_list("branch_id", "n"))
    for pk in growing:
        total = held.get(pk, 0) + moves[pk]
        if total > cap:
            org = orgs.by_id[pk]
            problems.append(ImportProblem(
                "branch_too_large", f"导入后党支部“{org.code}”（{org.name}）将有 {total} 名党员，超过每个党支部 {cap} 人的上限，"
                "未导入任何数据；党员较多的支部请分设党支部或党总支，确需调整上限请联系系统管理员",
                f"branch {org.code} would hold {total} members, more than {cap}", sheet=SHEET.name))


def _check_dates(row: Row, problems: list[ImportProblem]) -> None:
    for earlier, later, message in _DATE_ORDER:
        if row[earlier] and row[later] and row[later] < row[earlier]:
            problems.append(row.problem(later, "date_order", message, f"{later} is before {earlier}"))


def _check_move(row: Row, stored: dict[str, Any], orgs: OrgIndex, problems: list[ImportProblem]) -> None:
    old = orgs.by_id[stored["branch_id"]]
    left, joined = stored["left_branch_on"], row["joined_branch_on"]
    if left is not None and joined is not None and joined >= left:
        return
    if left is None:
        reason = "原支部尚未登记转出本支部日期；请先在原支部的文件中填写转出本支部日期并导入，再在此填写转入本支部日期"
    else:
        reason = f"原支部登记的转出本支部日期为 {left.isoformat()}，此行的转入本支部日期须填写且不早于该日期"
    problems.append(row.problem(
        "branch", "member_in_other_branch",
        f"党员编号“{row['number']}”已登记在党支部“{old.code}”（{old.name}）。{reason}",
        f"member {row['number']!r} belongs to branch {old.code!r}; a move needs its 转出 date there and a later 转入 date here"))


@dataclass
class _Plan:
    changes: Changes
    touched: set[int | None]

    def write(self) -> dict[str, Counts]:
        return {"members": self.changes.write()}

    def branches(self) -> set[int]:
        """The branches whose members change (both sides of a move)."""
        return {pk for pk in self.touched if pk is not None}
