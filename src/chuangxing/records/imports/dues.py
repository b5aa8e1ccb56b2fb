"""Dues (sheet 党费), one row per member and month, keyed by (党员编号, 月份).

The month is written YYYY-MM and stored as its first day. Rows absent from the file are left as they
are: an import never deletes.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chuangxing.orgs.models import Member
from chuangxing.records.imports.columns import Code, Column, DateCell, Money, Month, SheetSpec, text_length
from chuangxing.records.imports.common import Changes, fetch_in, unique_rows
from chuangxing.records.imports.problems import Counts, ImportProblem
from chuangxing.records.imports.sheets import Row
from chuangxing.records.models import Dues

SHEET = SheetSpec("党费", (
    Column("党员编号", "member", Code(text_length(Member, "number")), required=True, width=16, note="须为已导入的党员"),
    Column("月份", "month", Month(), required=True, width=10),
    Column("应交金额", "amount_due", Money(Dues._meta.get_field("amount_due").max_digits), required=True, width=12),
    Column("实交金额", "amount_paid", Money(Dues._meta.get_field("amount_paid").max_digits, blank=Decimal(0)), width=12),
    Column("交纳日期", "paid_on", DateCell(), width=12, note="未交留空"),
), note="党费：每名党员每月一行")
SHEETS = (SHEET,)

FIELDS = ("member_id", "month", "amount_due", "amount_paid", "paid_on")


def queryset() -> Any:
    return Dues.objects.all()


def export_rows(dues: Any) -> dict[str, Any]:
    values = dues.order_by("member__number", "month").values_list("member__number", "month", "amount_due", "amount_paid",
                                                                  "paid_on")
    return {SHEET.name: ({"member": n, "month": m, "amount_due": d, "amount_paid": p, "paid_on": on}
                         for n, m, d, p, on in values.iterator(chunk_size=5000))}


def check(rows: dict[str, list[Row]], problems: list[ImportProblem]) -> _Plan:
    file = unique_rows(rows.get(SHEET.name, []), key=lambda r: (r["member"], r["month"]), fields=("member", "month"),
                       label="党员编号、月份", problems=problems)
    members = dict(fetch_in(Member.objects.order_by().values_list("number", "id"), "number", {n for n, _ in file}))
    existing: dict[tuple[int, Any], dict[str, Any]] = {}
    if file:
        months = [month for _, month in file]
        stored = Dues.objects.order_by().filter(month__gte=min(months), month__lte=max(months)).values("id", *FIELDS)
        existing = {(v["member_id"], v["month"]): v for v in fetch_in(stored, "member_id", set(members.values()))}
    changes = Changes(Dues, FIELDS)
    touched: set[int] = set()
    for (number, month), row in file.items():
        member_id = members.get(number)
        if member_id is None:
            problems.append(row.problem("member", "unknown_member", f"党员编号“{number}”不存在，请先导入党员",
                                        f"no member {number!r}"))
        elif not row.bad:
            wanted = {"member_id": member_id, "month": month, "amount_due": row["amount_due"],
                      "amount_paid": row["amount_paid"], "paid_on": row["paid_on"]}
            if changes.add(existing.get((member_id, month)), wanted):
                touched.add(member_id)
    return _Plan(changes, touched)


@dataclass
class _Plan:
    changes: Changes
    members: set[int]           # whose dues change

    def write(self) -> dict[str, Counts]:
        return {"dues": self.changes.write()}

    def branches(self) -> set[int]:
        """The branches of the members whose dues change."""
        return set(fetch_in(Member.objects.order_by().values_list("branch_id", flat=True).distinct(), "pk", self.members))
