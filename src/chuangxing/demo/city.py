"""A realistic demo city: committees, branches of every type, members and a year of records.

>>> stats = build_demo_city(branches=200, seed=7, year=2026)
>>> stats.branches, stats.members > 4000
(200, True)

Each branch draws a *quality* q in [0, 1] and its records follow it, so the scores spread over
every star: a weak branch skips 主题党日, lets its term lapse, leaves the secretary post empty,
misses dues, gets low attendance, lacks items of the 六必有 and fails the secretary's test. The
same seed gives the same city.

Scale: rows are generated branch by branch in chunks and written with the database's bulk path
(PostgreSQL ``COPY``, SQLite ``executemany``) under explicit ids, so a 30,000-branch city (about
900,000 members, a year of meetings with attendance and monthly dues) is built in minutes with
bounded memory. Ids continue after the highest existing id; sequences are reset afterwards.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, models, transaction

from chuangxing.demo.names import GIVEN, SURNAMES, UNIT_WORDS, place_name
from chuangxing.orgs.models import (
    BranchType,
    CommitteePost,
    CommitteeTerm,
    Duty,
    Member,
    MemberCategory,
    Organization,
    OrgKind,
    Transfer,
)
from chuangxing.records.models import (
    ArchiveCheck,
    Attendance,
    Dues,
    DuesPublication,
    DuesReview,
    Fund,
    Meeting,
    MeetingKind,
    MonthlyRecord,
    SiteCheck,
    Study,
    TestKind,
    TestResult,
    WorkPlan,
)

CHUNK = 500   # branches generated and written at a time
BRANCH_TYPES = [t.value for t in BranchType]
TYPE_WEIGHTS = [14, 14, 22, 10, 12, 12, 6, 6, 4]


@dataclass
class DemoStats:
    organizations: int = 0
    branches: int = 0
    members: int = 0
    meetings: int = 0
    attendance: int = 0
    dues: int = 0
    rows: dict[str, int] = field(default_factory=dict)


class _Ids:
    """Explicit primary keys, continuing after what the tables already hold."""

    def __init__(self, models_: Iterable[type[models.Model]]):
        self.next = {m: (m.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1 for m in models_}

    def take(self, model: type[models.Model]) -> int:
        value = self.next[model]
        self.next[model] = value + 1
        return value


class _Writer:
    """Buffers rows per model and writes them with the backend's bulk path."""

    def __init__(self) -> None:
        self.rows: dict[type[models.Model], list[tuple]] = {}
        self.columns: dict[type[models.Model], list[str]] = {}
        self.counts: dict[str, int] = {}

    def add(self, model: type[models.Model], row: dict) -> None:
        if model not in self.columns:
            self.columns[model] = list(row)
        self.rows.setdefault(model, []).append(tuple(row[c] for c in self.columns[model]))

    def add_tuples(self, model: type[models.Model], columns: list[str], rows: list[tuple]) -> None:
        """The fast path for the big tables (attendance): rows already in ``columns`` order."""
        self.columns.setdefault(model, columns)
        self.rows.setdefault(model, []).extend(rows)

    def flush(self) -> None:
        for model in _ORDER:
            rows = self.rows.pop(model, None)
            if rows:
                _bulk_insert(model, self.columns[model], rows)
                self.counts[model._meta.model_name] = self.counts.get(model._meta.model_name, 0) + len(rows)


def _bulk_insert(model: type[models.Model], fields: Sequence[str], rows: list[tuple]) -> None:
    table = connection.ops.quote_name(model._meta.db_table)
    columns = [model._meta.get_field(f).column for f in fields]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    connection.ensure_connection()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor, cursor.cursor.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        # The driver's own executemany with "?" marks: Django's wrapper re-formats every row.
        marks = ", ".join(["?"] * len(columns))
        connection.connection.executemany(f"INSERT INTO {table} ({quoted}) VALUES ({marks})",
                                          [tuple(_sqlite_value(v) for v in row) for row in rows])


def _sqlite_value(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    return value


_ORDER = [Organization, Member, Transfer, CommitteeTerm, CommitteePost, Meeting, Attendance, Dues, DuesReview,
          DuesPublication, Study, TestResult, Fund, SiteCheck, ArchiveCheck, WorkPlan, MonthlyRecord]


def build_demo_city(*, branches: int = 200, seed: int = 2026, year: int = 2026,
                    progress: Callable[[int, int], None] | None = None) -> DemoStats:
    """Build a city of ``branches`` branches with a year (``year``) of records; return the counts."""
    if branches < 1:
        raise ValueError("至少需要1个党支部")
    rng = random.Random(seed)
    ids = _Ids(_ORDER)
    writer = _Writer()
    city = _City(rng, ids, writer, year)
    with transaction.atomic():
        root = city.organization(None, OrgKind.WORK_COMMITTEE, "中共示范市直属机关工作委员会", code=f"D{seed}-ROOT")
        committees = city.committees(root, branches)
        done = 0
        for parent, count in committees:
            for _ in range(count):
                city.branch(parent)
                done += 1
                if done % CHUNK == 0:
                    writer.flush()
                    if progress:
                        progress(done, branches)
        writer.flush()
        _reset_sequences()
    _analyze()
    if progress:
        progress(branches, branches)
    counts = writer.counts
    return DemoStats(organizations=counts.get("organization", 0), branches=branches, members=counts.get("member", 0),
                     meetings=counts.get("meeting", 0), attendance=counts.get("attendance", 0),
                     dues=counts.get("dues", 0), rows=dict(counts))


def _analyze() -> None:
    """Fresh statistics after a bulk load: without them PostgreSQL picks per-branch plans that read
    every meeting each time (a facts query went from 0.5 s to a minute on 3,000 branches)."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _reset_sequences() -> None:
    from django.core.management.color import no_style

    sql = connection.ops.sequence_reset_sql(no_style(), _ORDER)
    if sql:
        with connection.cursor() as cursor:
            for statement in sql:
                cursor.execute(statement)


class _City:
    def __init__(self, rng: random.Random, ids: _Ids, writer: _Writer, year: int):
        self.rng, self.ids, self.writer, self.year = rng, ids, writer, year
        self.start, self.end = date(year, 1, 1), date(year, 12, 31)
        self.paths: dict[int, tuple[str, int]] = {}
        self.branch_count = 0

    # -- the tree ------------------------------------------------------------------------------
    def organization(self, parent: int | None, kind: str, name: str, *, code: str, **extra) -> int:
        pk = self.ids.take(Organization)
        parent_path, parent_depth = self.paths[parent] if parent else ("", -1)
        path, depth = f"{parent_path}{pk:06d}/", parent_depth + 1
        self.paths[pk] = (path, depth)
        row = {"id": pk, "code": code, "name": name, "kind": kind, "parent": parent, "path": path, "depth": depth,
               "branch_type": extra.get("branch_type", ""), "unit": extra.get("unit", ""),
               "contact_phone": extra.get("contact_phone", ""), "established_on": extra.get("established_on"),
               "dissolved_on": None}
        self.writer.add(Organization, row)
        return pk

    def committees(self, root: int, branches: int) -> list[tuple[int, int]]:
        """党委 (and some 党总支 under them) with how many branches each holds, adding up to ``branches``."""
        out, left, n = [], branches, 0
        while left > 0:
            n += 1
            size = min(left, self.rng.randint(8, 40))
            place = place_name(self.rng)
            committee = self.organization(root, OrgKind.PARTY_COMMITTEE, f"中共{place}委员会", code=f"C{n:05d}",
                                          unit=place)
            if size >= 20 and self.rng.random() < 0.5:
                general = self.organization(committee, OrgKind.GENERAL_BRANCH, f"中共{place}机关总支部委员会",
                                            code=f"C{n:05d}-G", unit=place)
                out += [(committee, size // 2), (general, size - size // 2)]
            else:
                out.append((committee, size))
            left -= size
        self.writer.flush()
        return out

    # -- one branch ----------------------------------------------------------------------------
    def branch(self, parent: int) -> None:
        rng = self.rng
        self.branch_count += 1
        n = self.branch_count
        quality = rng.betavariate(4, 1.6)        # most branches decent, a long tail of weak ones
        btype = rng.choices(BRANCH_TYPES, TYPE_WEIGHTS)[0]
        unit = f"{place_name(rng)}{rng.choice(UNIT_WORDS)}"
        branch = self.organization(parent, OrgKind.BRANCH, f"{unit}第{rng.randint(1, 9)}党支部", code=f"B{n:06d}",
                                   branch_type=btype, unit=unit, contact_phone=_phone(rng),
                                   established_on=date(rng.randint(1990, self.year - 1), rng.randint(1, 12), 1))
        size = max(3, min(150, int(rng.lognormvariate(3.25, 0.55))))
        groups = self.groups(branch, n, size, quality)
        members = self.members(branch, n, size, quality, groups)
        self.committee(branch, members, quality)
        self.meetings(branch, n, members, groups, quality)
        self.dues(branch, members, quality)
        self.other_records(branch, members, quality)

    def groups(self, branch: int, n: int, size: int, quality: float) -> list[int]:
        if size < 15:
            return []
        count = 1 if quality < 0.35 else min(5, 2 + size // 40)
        return [self.organization(branch, OrgKind.PARTY_GROUP, f"第{i + 1}党小组", code=f"B{n:06d}-G{i + 1}")
                for i in range(count)]

    def members(self, branch: int, n: int, size: int, quality: float, groups: list[int]) -> list[tuple[int, str, int | None]]:
        rng, out = self.rng, []
        for i in range(size):
            pk = self.ids.take(Member)
            category = rng.choices([MemberCategory.FULL, MemberCategory.PROBATIONARY, MemberCategory.ACTIVIST],
                                   [90, 5, 5])[0]
            joined = date(rng.randint(1975, self.year - 1), rng.randint(1, 12), rng.randint(1, 28))
            moved_in = date(self.year, rng.randint(2, 11), 1) if rng.random() < 0.03 else None
            moved_out = date(self.year, rng.randint(2, 11), 15) if rng.random() < 0.03 else None
            group = groups[i % len(groups)] if groups else None
            self.writer.add(Member, {
                "id": pk, "branch": branch, "group": group, "number": f"M{n:06d}{i:03d}",
                "name": rng.choice(SURNAMES) + rng.choice(GIVEN), "category": category.value,
                "joined_party_on": joined if category != MemberCategory.ACTIVIST else None,
                "full_member_on": joined + timedelta(days=365) if category == MemberCategory.FULL else None,
                "joined_branch_on": moved_in, "left_branch_on": moved_out,
                "is_leader": rng.random() < 0.1, "under_management": rng.random() > (0.04 * (1 - quality)),
                "lost_contact_since": date(self.year, 3, 1) if rng.random() < 0.01 * (1 - quality) else None,
            })
            if moved_out and rng.random() < 0.5:
                due = moved_out
                done = due + timedelta(days=rng.randint(5, 20 if quality > 0.5 else 90))
                self.writer.add(Transfer, {"id": self.ids.take(Transfer), "member": pk, "due_on": due,
                                           "done_on": done if done <= self.end and rng.random() < quality + 0.3 else None,
                                           "destination": place_name(rng)})
            out.append((pk, category.value, group))
        return out

    def committee(self, branch: int, members: list[tuple[int, str, int | None]], quality: float) -> None:
        rng = self.rng
        party = [m for m in members if m[1] != MemberCategory.ACTIVIST]
        overdue = rng.random() > quality + 0.15
        elected = date(self.year - (4 if overdue else rng.randint(0, 2)), rng.randint(1, 12), rng.randint(1, 28))
        if elected > self.end:
            elected = date(self.year, 1, 15)
        has_committee = len(party) >= 7 and rng.random() < quality + 0.35
        term = self.ids.take(CommitteeTerm)
        self.writer.add(CommitteeTerm, {"id": term, "branch": branch, "elected_on": elected, "years": 3,
                                        "has_committee": has_committee, "extended_until": None})
        duties = [Duty.SECRETARY, Duty.DEPUTY]
        if has_committee:
            duties += [Duty.ORGANIZATION, Duty.PROPAGANDA] + ([Duty.DISCIPLINE] if rng.random() < quality + 0.3 else [])
        holders = rng.sample(party, min(len(duties), len(party)))
        for duty, holder in zip(duties, holders, strict=False):
            ended = None
            if duty == Duty.SECRETARY and rng.random() > quality + 0.2:
                ended = date(self.year, rng.randint(1, 6), 1)   # the secretary left and nobody replaced them
            self.writer.add(CommitteePost, {"id": self.ids.take(CommitteePost), "term": term, "member": holder[0],
                                            "duty": duty.value, "started_on": elected, "ended_on": ended})

    def meetings(self, branch: int, n: int, members: list[tuple[int, str, int | None]], groups: list[int],
                 quality: float) -> None:
        rng = self.rng
        party = [m for m in members if m[1] != MemberCategory.ACTIVIST]
        attend = 0.62 + 0.36 * quality
        plan = [(MeetingKind.THEME_DAY, [date(self.year, m, rng.randint(1, 28)) for m in range(1, 13)]),
                (MeetingKind.GENERAL, [date(self.year, m, rng.randint(1, 28)) for m in (3, 6, 9, 12)]),
                (MeetingKind.LECTURE, [date(self.year, m, rng.randint(1, 28)) for m in (2, 5, 8, 11)]),
                (MeetingKind.ORG_LIFE, [date(self.year, 1, rng.randint(10, 28))]),
                (MeetingKind.REVIEW, [date(self.year, 1, rng.randint(10, 28))]),
                (MeetingKind.TALK, [date(self.year, rng.randint(1, 12), rng.randint(1, 28))])]
        if len(party) >= 7:
            plan.append((MeetingKind.COMMITTEE, [date(self.year, m, rng.randint(1, 28)) for m in range(1, 13)]))
        keep = 0.55 + 0.45 * quality
        seq = 0
        for kind, days in plan:
            for day in days:
                if rng.random() > keep:
                    continue
                seq += 1
                expected = party if kind != MeetingKind.COMMITTEE else party[: min(5, len(party))]
                self.meeting(branch, f"B{n:06d}-{seq:03d}", kind, day, expected, attend, None)
        for gi, group in enumerate(groups):
            group_members = [m for m in party if m[2] == group]
            for month in range(1, 13):
                if rng.random() > keep:
                    continue
                seq += 1
                self.meeting(branch, f"B{n:06d}-{seq:03d}", MeetingKind.GROUP, date(self.year, month, 10 + gi),
                             group_members, attend, group)

    def meeting(self, branch: int, key: str, kind: str, day: date, expected: list, attend: float,
                group: int | None) -> None:
        rng = self.rng
        pk = self.ids.take(Meeting)
        leave = attend + 0.6 * (1 - attend)
        first = self.ids.next[Attendance]
        rows = []
        for offset, member in enumerate(expected):
            roll = rng.random()
            rows.append((first + offset, pk, member[0], "present" if roll < attend else ("leave" if roll < leave else "absent")))
        self.ids.next[Attendance] = first + len(rows)
        present = sum(1 for row in rows if row[3] == "present")
        self.writer.add_tuples(Attendance, ["id", "meeting", "member", "presence"], rows)
        self.writer.add(Meeting, {"id": pk, "branch": branch, "group": group, "key": key, "kind": kind.value,
                                  "held_on": day, "topic": _TOPICS[kind], "speaker": "", "expected": len(expected),
                                  "present": present})

    def dues(self, branch: int, members: list[tuple[int, str, int | None]], quality: float) -> None:
        rng = self.rng
        for member, category, _ in members:
            if category == MemberCategory.ACTIVIST:
                continue
            due = Decimal(rng.choice(["10.00", "18.50", "25.00", "36.80", "52.00", "80.00", "120.00"]))
            careless = rng.random() > quality + 0.25
            for month in range(1, 13):
                missed = careless and rng.random() < 0.25
                paid_on = None if missed else date(self.year, month, rng.randint(1, 28))
                self.writer.add(Dues, {"id": self.ids.take(Dues), "member": member, "month": date(self.year, month, 1),
                                       "amount_due": due, "amount_paid": Decimal("0.00") if missed else due,
                                       "paid_on": paid_on})

    def other_records(self, branch: int, members: list[tuple[int, str, int | None]], quality: float) -> None:
        rng, year, add = self.rng, self.year, self.writer.add
        party = [m for m in members if m[1] != MemberCategory.ACTIVIST]
        if rng.random() < quality + 0.2:
            add(DuesReview, {"id": self.ids.take(DuesReview), "branch": branch, "year": year,
                             "reviewed_on": date(year, rng.choice([1, 2, 3, 3, 5]), rng.randint(1, 28))})
        if rng.random() < quality + 0.1:
            add(DuesPublication, {"id": self.ids.take(DuesPublication), "branch": branch,
                                  "published_on": date(year, 12, rng.randint(1, 28)), "summary": "党费收缴使用情况"})
        for member, _, _ in party:
            for _ in range(2):
                add(Study, {"id": self.ids.take(Study), "member": member, "studied_on": date(year, rng.randint(1, 12), 5),
                            "hours": Decimal(rng.randint(4, 24)), "title": "集中学习"})
        if party:
            took = rng.random() < quality + 0.25
            score = None if not took else Decimal(max(35, min(100, int(rng.gauss(55 + 45 * quality, 8)))))
            add(TestResult, {"id": self.ids.take(TestResult), "member": party[0][0], "kind": TestKind.SECRETARY.value,
                             "taken_on": date(year, 6, 20), "score": score, "wrong_answers": None})
        per_member = Decimal(rng.randint(40, 220) if quality > 0.3 else rng.randint(20, 110))
        add(Fund, {"id": self.ids.take(Fund), "branch": branch, "year": year, "amount": per_member * max(1, len(party))})
        site = {name: rng.random() < quality + 0.25 for name in
                ("has_site", "has_flag", "has_oath", "has_duties", "has_plan", "has_board")}
        add(SiteCheck, {"id": self.ids.take(SiteCheck), "branch": branch, "checked_on": date(year, 11, 20), **site})
        add(ArchiveCheck, {"id": self.ids.take(ArchiveCheck), "branch": branch, "checked_on": date(year, 11, 20),
                           "member_roster": rng.random() < quality + 0.3, "dues_roster": rng.random() < quality + 0.3,
                           "life_record_book": rng.random() < quality + 0.3, "electronic": rng.random() < quality + 0.1})
        if rng.random() < quality + 0.2:
            add(WorkPlan, {"id": self.ids.take(WorkPlan), "branch": branch, "year": year,
                           "made_on": date(year, rng.randint(1, 2), rng.randint(1, 28))})
        for month in range(1, 13):
            if rng.random() < quality + 0.15:
                add(MonthlyRecord, {"id": self.ids.take(MonthlyRecord), "branch": branch, "month": date(year, month, 1),
                                    "filed_on": date(year, month, 28)})


def _phone(rng: random.Random) -> str:
    return f"0{rng.randint(100, 999)}-{rng.randint(1000000, 9999999)}"


_TOPICS = {
    MeetingKind.THEME_DAY: "主题党日：集中学习、志愿服务",
    MeetingKind.GENERAL: "支部党员大会：通报工作、讨论发展党员",
    MeetingKind.COMMITTEE: "支委会：研究部署本月工作",
    MeetingKind.GROUP: "党小组会：学习交流",
    MeetingKind.LECTURE: "党课：学习党章党规",
    MeetingKind.ORG_LIFE: "专题组织生活会",
    MeetingKind.REVIEW: "民主评议党员",
    MeetingKind.TALK: "谈心谈话",
}
