"""The facts of a whole cycle, computed set-based from the branches' records.

>>> facts = compute_facts(branches=Organization.objects.branches(), start=date(2024, 1, 1), end=date(2024, 12, 31))
>>> facts[branch.pk]["months_without_theme_day"]
2
>>> compute_facts(branches=[branch], start=start, end=end, names=rubric_fact_names(rubric))  # only what a rubric uses

Every fact of the catalogue (:mod:`chuangxing.facts.catalogue`) whose source is the records has one
definition here: a function named after the fact, whose docstring says exactly how it is computed.
The functions belong to *families*; a family is ONE query for all the branches at once, whatever
their number, holding the expressions of the facts asked for::

    members      Member on the last day (MemberQuerySet.on), GROUP BY branch
    study        the same members with their study hours in the period, GROUP BY branch
    meetings     Meeting held in the period, GROUP BY branch
    attendance   Attendance at the period's 组织生活会 by 党员领导干部, GROUP BY branch
    groups       党小组 existing on the last day with their 党小组会 in the period, GROUP BY parent
    transfers    Transfer overdue in the period, GROUP BY the member's branch
    dues         Dues rows of the cycle's months, GROUP BY the member's branch
    tests        theory TestResult taken in the period, GROUP BY the member's branch
    posts        书记 and 纪检委员 posts overlapping the period: rows, gaps measured in Python
    secretary_tests   the 应知应会 tests taken in the period: rows, matched to the posts in Python
    branch       one row per branch: the latest term, the latest checks, funds, plans (subqueries)

Facts derived from other facts (``committee_required_missing`` from ``party_members`` and
``has_committee``) cost no query of their own. So a whole cycle takes at most one query per family
(eleven) plus one to list the branches when ``branches`` is a queryset; a rubric that uses fewer facts
runs fewer families.

Outside a transaction, for a city (``PARALLEL_MIN_BRANCHES`` or more), the families run on several
database connections at once, one thread each (``workers``, default one per core): the database
does the work and releases the GIL, so a two-core machine computes a city's facts in about half the
time. Inside a transaction (a record edit refreshing its branch's facts, a cycle being opened) they
run one after the other on the transaction's own connection, which alone sees its uncommitted rows;
so does an in-memory SQLite database, which another connection cannot open.

Periods: a CYCLE fact covers ``start``..``end``, both days included; an AT_END fact is the state on
``end``. Months: see :func:`cycle_months`. Values: count and days as ``int``; percent and number as
exact ``Decimal`` quantized to two places (ROUND_HALF_UP; percents 0–100); ``bool``; items as a
sorted list of the missing item ids; ``None`` where the catalogue says what empty means, or where
the value is undefined (a rate with no meeting to rate). Facts provided by the surveys
(``member_satisfaction_rate``, ``public_satisfaction_rate``) or typed in by a person
(``secretary_trained``: no record holds trainings) are not computed here: asked for, they are left
out of the result.
"""

from __future__ import annotations

import calendar
import inspect
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connections
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    Count,
    DateField,
    DecimalField,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, TruncMonth
from django.db.models.lookups import GreaterThan

from chuangxing.facts.catalogue import FACTS, RECORDS
from chuangxing.orgs.models import (
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
    UNPAID,
    ArchiveCheck,
    Attendance,
    Dues,
    DuesPublication,
    DuesReview,
    Fund,
    Meeting,
    MeetingKind,
    MonthlyRecord,
    Presence,
    SiteCheck,
    Study,
    TestKind,
    TestResult,
    WorkPlan,
)

__all__ = ["COMPUTATIONS", "REQUIREMENTS", "Cycle", "compute_facts", "cycle_months"]

# -- requirements -----------------------------------------------------------------------------

#: What a branch must do in a year. 中国共产党支部工作条例（试行）(2018) 第十一至十三条: 党员大会一般每季度
#: 召开1次 (4), 支部委员会会议一般每月召开1次 (12), 党小组会一般每月召开1次 (12 for each 党小组); and
#: 以每月1天为相对固定时间开展主题党日 (12 months). For 党课 the 条例 says only 按期上好党课: 每季度1次 (4)
#: is the usual local rule, taken as the default. Study hours a year: 24 for a member, 40 for a
#: 党员领导干部 (the catalogue's 普通党员24、班子成员40). A cycle of other than twelve months needs
#: ``per_year × months // 12`` (whole quarters for the quarterly ones).
#: Override any of them per call: ``compute_facts(..., requirements={"committee": 6})``.
REQUIREMENTS: Mapping[str, int] = {
    MeetingKind.GENERAL.value: 4,
    MeetingKind.COMMITTEE.value: 12,
    MeetingKind.GROUP.value: 12,
    MeetingKind.LECTURE.value: 4,
    MeetingKind.THEME_DAY.value: 12,
    "study_hours": 24,
    "leader_study_hours": 40,
}
#: The meetings whose attendance is the 党员学习参与率 (the branch's organized study: 党课 and 主题党日).
STUDY_KINDS = (MeetingKind.LECTURE, MeetingKind.THEME_DAY)
#: 六必有: the SiteCheck field of each item, by the item id the rubrics' checklists use.
SIX_MUSTS = {"place": "has_site", "flag": "has_flag", "oath": "has_oath", "duty": "has_duties", "plan": "has_plan",
             "board": "has_board"}
#: 应转未转组织关系“逾期1个月以上”: read as more than 30 days after the transfer became due.
TRANSFER_GRACE_DAYS = 30
COMMITTEE_MIN_MEMBERS = 7       # 有党员7人以上的党支部设立委员会
GROUPS_MIN_MEMBERS, GROUPS_REQUIRED = 15, 2   # 党员15名以上的党支部一般设立党小组，党小组应不少于2个

TWO_PLACES = Decimal("0.01")
ONE_DAY = timedelta(days=1)
FAR = date(9999, 12, 31)


# -- the cycle ----------------------------------------------------------------------------------


def _add_months(day: date, months: int) -> date:
    """The same day ``months`` later (or earlier), kept within the month: 31 May − 3 months is 28/29 February."""
    year, month = divmod(day.year * 12 + day.month - 1 + months, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def cycle_months(start: date, end: date) -> tuple[date, ...]:
    """The months a cycle is reckoned in (the first day of each): the calendar months overlapping it.

    Except that a cycle of whole years starting on another day than the first (绍兴's 12月16日 to
    12月15日) begins and ends in the same month of the year, split by the cycle's edges: those two
    parts count as one month, the last one. So both a calendar year and a 12-16 to 12-15 cycle
    have twelve months, and consecutive cycles share none.

    >>> len(cycle_months(date(2024, 1, 1), date(2024, 12, 31))), len(cycle_months(date(2023, 12, 16), date(2024, 12, 15)))
    (12, 12)
    """
    if end < start:
        raise ValueError(f"the cycle ends ({end}) before it starts ({start})")
    months, month = [], start.replace(day=1)
    while month <= end:
        months.append(month)
        month = _add_months(month, 1)
    if _split_month(start, end):
        months.pop(0)
    return tuple(months)


def _split_month(start: date, end: date) -> bool:
    day_after = end + ONE_DAY
    years = day_after.year - start.year
    return start.day != 1 and years >= 1 and _add_months(start, 12 * years) == day_after


@dataclass
class Cycle:
    """The period facts are computed for, and what a branch must do in it."""

    start: date
    end: date
    requirements: Mapping[str, int] = field(default_factory=lambda: dict(REQUIREMENTS))
    months: tuple[date, ...] = field(init=False)
    split_month: bool = field(init=False)

    def __post_init__(self) -> None:
        self.months = cycle_months(self.start, self.end)
        self.split_month = _split_month(self.start, self.end)

    def required(self, what: str) -> int:
        """How many ``what`` the whole cycle requires: the yearly requirement for its months."""
        return self.requirements[what] * len(self.months) // 12

    def month_of(self, field_name: str) -> Any:
        """The cycle month a date column falls in, as a database expression (see :func:`cycle_months`)."""
        month = MonthStart(field_name)
        if not self.split_month:
            return month
        return Case(When(**{f"{field_name}__lt": self.months[0]}, then=Value(self.months[-1])), default=month,
                    output_field=DateField())


class MonthStart(TruncMonth):
    """The first day of a date column's month: ``TruncMonth``, computed on SQLite by its own ``date(…, 'start
    of month')`` rather than by the Python function Django registers (which costs more than the rest of a
    city's meetings query)."""

    output_field = DateField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra_context: Any) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.lhs)
        return f"date({sql}, 'start of month')", list(params)


# -- the registry -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Computation:
    """One fact's definition: the family it is computed in (or the facts it is derived from)."""

    name: str
    doc: str
    family: Family | None
    build: Callable[[Cycle], Any] | None     # aggregate families: the database expression(s)
    finish: Callable[..., Any]               # the value from the row (or rows, or other facts)
    needs: tuple[str, ...] = ()              # derived facts: the facts they are computed from


COMPUTATIONS: dict[str, Computation] = {}


def _default_finish(name: str) -> Callable[[Any], Any]:
    unit = FACTS[name].unit if name in FACTS else None
    if unit in ("count", "days"):
        return lambda value: int(value or 0)
    if unit == "bool":
        return bool
    if unit in ("number", "percent"):
        return _two_places
    return lambda value: value


def _register(name: str, fn: Callable, **kwargs: Any) -> None:
    if name in COMPUTATIONS:
        raise ValueError(f"fact {name} is defined twice")
    COMPUTATIONS[name] = Computation(name=name, doc=inspect.getdoc(fn) or "", **kwargs)


class Family:
    """One query for all the branches; the facts registered on it add their expressions to it."""

    def __init__(self, name: str, query: Callable[[Cycle], QuerySet], key: str):
        self.name, self.query, self.key = name, query, key

    def fact(self, fn: Callable | None = None, *, finish: Callable | None = None) -> Callable:
        """Register ``fn(cycle)`` → an expression (the value) or a dict of them (``finish(row)`` → the value)."""
        def register(fn: Callable) -> Callable:
            _register(fn.__name__, fn, family=self, build=fn, finish=finish or _default_finish(fn.__name__))
            return fn
        return register(fn) if fn is not None else register

    def fetch(self, cycle: Cycle, scope: Any, ids: list[int], facts: list[Computation]) -> dict[int, dict[str, Any]]:
        expressions, parts = {}, {}
        for fact in facts:
            built = fact.build(cycle)
            parts[fact.name] = list(built) if isinstance(built, dict) else None
            for alias, expression in (built.items() if isinstance(built, dict) else [("", built)]):
                expressions[_alias(fact.name, alias)] = expression
        queryset = self.query(cycle).filter(**{f"{self.key}__in": scope}).order_by().values(self.key)
        rows = {row.pop(self.key): row for row in queryset.annotate(**expressions)}
        out: dict[int, dict[str, Any]] = {}
        for branch in ids:
            row = rows.get(branch, {})
            out[branch] = {fact.name: fact.finish(_part(row, fact.name, parts[fact.name])) for fact in facts}
        return out


def _alias(fact: str, part: str) -> str:
    return f"{fact}_{part}" if part else fact


def _part(row: dict[str, Any], fact: str, parts: list[str] | None) -> Any:
    if parts is None:
        return row.get(fact)
    return {part: row.get(_alias(fact, part)) for part in parts}


class RowsFamily(Family):
    """A family whose facts need the rows themselves (intervals of time): ``fn(cycle, rows)`` → the value.

    Rows are dicts of ``fields``, plus the ``columns(cycle)`` expressions of the facts asked for.
    """

    def __init__(self, name: str, query: Callable[[Cycle], QuerySet], key: str, fields: tuple[str, ...]):
        super().__init__(name, query, key)
        self.fields = fields

    def fact(self, fn: Callable | None = None, *, columns: Callable[[Cycle], dict[str, Any]] | None = None) -> Callable:
        def register(fn: Callable) -> Callable:
            _register(fn.__name__, fn, family=self, build=columns, finish=fn)
            return fn
        return register(fn) if fn is not None else register

    def fetch(self, cycle: Cycle, scope: Any, ids: list[int], facts: list[Computation]) -> dict[int, dict[str, Any]]:
        columns = {name: expression for fact in facts if fact.build for name, expression in fact.build(cycle).items()}
        queryset = self.query(cycle).filter(**{f"{self.key}__in": scope}).order_by().annotate(**columns)
        rows: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for row in queryset.values(self.key, *self.fields, *columns):
            rows[row.pop(self.key)].append(row)
        return {branch: {fact.name: fact.finish(cycle, rows.get(branch, [])) for fact in facts} for branch in ids}


def derived(*needs: str) -> Callable:
    """Register ``fn(cycle, **facts)``: a fact computed from other facts, at no query of its own."""
    def register(fn: Callable) -> Callable:
        _register(fn.__name__, fn, family=None, build=None, finish=fn, needs=needs)
        return fn
    return register


# -- helpers ------------------------------------------------------------------------------------


def _two_places(value: Any) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(TWO_PLACES, rounding=ROUND_HALF_UP)


def _percent(part: Any, whole: Any) -> Decimal | None:
    if not whole:
        return None
    return _two_places(Decimal(part or 0) * 100 / Decimal(whole))


def _posts(*duties: str) -> QuerySet:
    """Committee posts of these duties, each with ``until``: the first day it no longer covers.

    A post covers the days from ``started_on`` up to the day before ``ended_on`` (the day the holder
    left, like ``Member.left_branch_on``), and no later than the day before the branch's next
    election: a new term's election ends the posts of the old one even when nobody closed them.
    """
    next_election = (CommitteeTerm.objects.filter(branch=OuterRef("term__branch"), elected_on__gt=OuterRef("term__elected_on"))
                     .order_by("elected_on").values("elected_on")[:1])
    until = Least(Coalesce("ended_on", Value(FAR)), Coalesce(Subquery(next_election), Value(FAR)), output_field=DateField())
    return CommitteePost.objects.filter(duty__in=duties).annotate(until=until)


def _in_branch_on(day: Any, prefix: str = "member__") -> Q:
    """The member was in their branch on ``day`` (a date or a column): the rule of ``MemberQuerySet.on``."""
    return ((Q(**{f"{prefix}joined_branch_on__isnull": True}) | Q(**{f"{prefix}joined_branch_on__lte": day}))
            & (Q(**{f"{prefix}left_branch_on__isnull": True}) | Q(**{f"{prefix}left_branch_on__gt": day})))


def _latest(model: type, cycle: Cycle, date_field: str) -> QuerySet:
    """The branch's latest ``model`` row dated on or before the cycle's last day (for a subquery)."""
    return (model.objects.filter(branch=OuterRef("pk"), **{f"{date_field}__lte": cycle.end})
            .order_by(f"-{date_field}", "-pk"))


# == the families and their facts ===============================================================

# -- members on the last day --------------------------------------------------------------------


def _party_members_on_end(c: Cycle) -> QuerySet:
    return (Member.objects.on(c.end).party_members()
            .filter(Q(joined_party_on__isnull=True) | Q(joined_party_on__lte=c.end)))


MEMBERS = Family("members", _party_members_on_end, "branch")


@MEMBERS.fact
def party_members(c: Cycle):
    """党员 of the branch on ``end``: members in it that day (``MemberQuerySet.on``: joined_branch_on empty
    or ≤ end, left_branch_on empty or after end) who are full or probationary members
    (``party_members()``) and had joined the Party by then (joined_party_on empty or ≤ end)."""
    return Count("pk")


@MEMBERS.fact
def full_members(c: Cycle):
    """Of ``party_members``, those in category 正式党员 who were full members on ``end``
    (full_member_on empty or ≤ end)."""
    return Count("pk", filter=Q(category=MemberCategory.FULL) & (Q(full_member_on__isnull=True) | Q(full_member_on__lte=c.end)))


@MEMBERS.fact
def members_not_managed(c: Cycle):
    """Of ``party_members``, those not under the branch's management (under_management false)."""
    return Count("pk", filter=Q(under_management=False))


@MEMBERS.fact
def lost_contact_members(c: Cycle):
    """Of ``party_members``, those out of contact on ``end`` (lost_contact_since ≤ end). The records have no
    separate mark for 口袋党员: a member who cannot be reached is recorded as lost contact."""
    return Count("pk", filter=Q(lost_contact_since__lte=c.end))


@MEMBERS.fact
def members_out_of_contact_3_months(c: Cycle):
    """Of ``party_members``, those out of contact for three whole months or more by the end of ``end``, days
    counted inclusively: lost_contact_since ≤ (end + 1 day) − 3 months (1 October for 31 December,
    16 September for 15 December)."""
    return Count("pk", filter=Q(lost_contact_since__lte=_add_months(c.end + ONE_DAY, -3)))


def _study_hours(c: Cycle) -> QuerySet:
    # The period filters the sum, not the rows: the member's index alone finds them, whatever the planner knows.
    in_cycle = Q(studied_on__range=(c.start, c.end))
    hours = (Study.objects.filter(member=OuterRef("pk"))
             .order_by().values("member").annotate(total=Sum("hours", filter=in_cycle)).values("total"))
    return _party_members_on_end(c).alias(
        hours=Coalesce(Subquery(hours), Value(Decimal(0)), output_field=DecimalField(max_digits=10, decimal_places=1)))


STUDY = Family("study", _study_hours, "branch")


@STUDY.fact
def study_hours_below_required(c: Cycle):
    """Of ``party_members``, those whose Study hours dated in the period add up to less than required: 24
    a year for a member, 40 for a 党员领导干部 (is_leader; the catalogue's 班子成员), scaled to the cycle's
    months (REQUIREMENTS ``study_hours``, ``leader_study_hours``). A member's hours count wherever they
    were studied (a member who transferred in brings them)."""
    months = Decimal(len(c.months))
    member, leader = (Decimal(c.requirements[key]) * months / 12 for key in ("study_hours", "leader_study_hours"))
    required = Case(When(is_leader=True, then=Value(leader)), default=Value(member),
                    output_field=DecimalField(max_digits=10, decimal_places=2))
    return Count("pk", filter=Q(hours__lt=required))


# -- meetings -----------------------------------------------------------------------------------


MEETINGS = Family("meetings", lambda c: Meeting.objects.filter(held_on__range=(c.start, c.end)), "branch")


def _held(kind: str) -> Count:
    return Count("pk", filter=Q(kind=kind))


@MEETINGS.fact
def general_meetings_held(c: Cycle):
    """支部党员大会 held: meetings of kind ``general`` with start ≤ held_on ≤ end."""
    return _held(MeetingKind.GENERAL)


@MEETINGS.fact
def committee_meetings_held(c: Cycle):
    """支委会 held: meetings of kind ``committee`` in the period."""
    return _held(MeetingKind.COMMITTEE)


@MEETINGS.fact
def group_meetings_held(c: Cycle):
    """党小组会 held: meetings of kind ``group`` in the period, all of the branch's 党小组 together."""
    return _held(MeetingKind.GROUP)


@MEETINGS.fact
def party_lectures_held(c: Cycle):
    """党课 held: meetings of kind ``lecture`` in the period."""
    return _held(MeetingKind.LECTURE)


@MEETINGS.fact
def theme_days_held(c: Cycle):
    """Months of the cycle with a 主题党日: the number of distinct cycle months (:func:`cycle_months`) in
    which a meeting of kind ``theme_day`` was held in the period. A month with two counts once."""
    return Count(c.month_of("held_on"), distinct=True, filter=Q(kind=MeetingKind.THEME_DAY))


@derived("theme_days_held")
def months_without_theme_day(c: Cycle, theme_days_held: int) -> int:
    """Months of the cycle (:func:`cycle_months`: the calendar months overlapping the period, the two
    halves of a split month counting as one) in which no 主题党日 was held in the period:
    the number of cycle months − ``theme_days_held``."""
    return len(c.months) - theme_days_held


@MEETINGS.fact
def org_life_meeting_held(c: Cycle):
    """A 组织生活会 (kind ``org_life``) was held in the period."""
    return _held(MeetingKind.ORG_LIFE)


@MEETINGS.fact
def democratic_review_held(c: Cycle):
    """A 民主评议党员 (kind ``review``) was held in the period."""
    return _held(MeetingKind.REVIEW)


@MEETINGS.fact
def heart_talks_held(c: Cycle):
    """A 谈心谈话 (kind ``talk``) was recorded in the period."""
    return _held(MeetingKind.TALK)


def _attended(kinds: Iterable[str] | None = None) -> dict[str, Any]:
    rated = Q(expected__gt=0) & (Q(kind__in=list(kinds)) if kinds is not None else Q())
    return {"present": Sum("present", filter=rated), "expected": Sum("expected", filter=rated)}


@MEETINGS.fact(finish=lambda row: _percent(row["present"], row["expected"]))
def participation_rate_avg(c: Cycle):
    """Participation in organizational life, weighted by meeting size: 100 × Σ present ÷ Σ expected over
    the meetings of every kind held in the period with expected > 0 (实到人次 ÷ 应到人次). A meeting's
    expected and present are its attendance rows (``record_attendance``): the members expected on the
    day, so a member who transferred mid-year counts for the meetings they were expected at; leave
    (请假) is not presence. No such meeting: empty (undefined)."""
    return _attended()


_RATE_SCALE = 100_000   # present × 10⁵ ÷ expected, truncated: enough digits to round the percent exactly


@MEETINGS.fact(finish=lambda value: None if value is None else _two_places(Decimal(value) / 1000))
def participation_rate_min(c: Cycle):
    """The lowest participation of one meeting in the period: min over meetings with expected > 0 of
    100 × present ÷ expected. Computed in the database as the integer ⌊present × 10⁵ ÷ expected⌋, which
    rounds to the same two places as the exact ratio. No such meeting: empty."""
    scaled = ExpressionWrapper(Cast("present", BigIntegerField()) * _RATE_SCALE / F("expected"), output_field=BigIntegerField())
    return Min(scaled, filter=Q(expected__gt=0))


@MEETINGS.fact
def meetings_below_80pct(c: Cycle):
    """Meetings held in the period (any kind) with expected > 0 and present ÷ expected < 80%, compared
    exactly in integers: 5 × present < 4 × expected. 80% exactly is not below."""
    return Count("pk", filter=Q(expected__gt=0) & GreaterThan(F("expected") * 4, F("present") * 5))


@MEETINGS.fact(finish=lambda row: _percent(row["present"], row["expected"]))
def study_participation_rate(c: Cycle):
    """党员学习参与率: participation in the branch's organized study, 100 × Σ present ÷ Σ expected over the
    党课 and 主题党日 (STUDY_KINDS) held in the period with expected > 0. No such meeting: empty."""
    return _attended(STUDY_KINDS)


# -- attendance of leaders ------------------------------------------------------------------------


def _leaders_at_org_life(c: Cycle) -> QuerySet:
    return Attendance.objects.filter(meeting__held_on__range=(c.start, c.end), meeting__kind=MeetingKind.ORG_LIFE,
                                     member__is_leader=True)


ATTENDANCE = Family("attendance", _leaders_at_org_life, "meeting__branch")


@ATTENDANCE.fact(finish=lambda row: (row["expected"] or 0) - (row["present"] or 0))
def leaders_absent_from_org_life(c: Cycle):
    """党员领导干部 (is_leader) expected at a 组织生活会 of the branch held in the period (an attendance row)
    who were present at none of them."""
    return {"expected": Count("member", distinct=True),
            "present": Count("member", distinct=True, filter=Q(presence=Presence.PRESENT))}


# -- party groups ---------------------------------------------------------------------------------


def _groups_on_end(c: Cycle) -> QuerySet:
    return Organization.objects.filter(
        Q(kind=OrgKind.PARTY_GROUP), Q(established_on__isnull=True) | Q(established_on__lte=c.end),
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=c.end))


GROUPS = Family("groups", _groups_on_end, "parent")


@GROUPS.fact
def party_groups(c: Cycle):
    """党小组 of the branch on ``end``: organizations of kind ``party_group`` whose parent is the branch,
    established by then (or undated) and not dissolved (dissolved_on empty or after end)."""
    return Count("pk")


@GROUPS.fact
def _group_meetings_short(c: Cycle):
    """党小组会 short of the requirement, each 党小组 on its own: Σ over the branch's ``party_groups`` of
    max(0, required − the 党小组会 held in the period naming that group). One group meeting more often
    does not make up for another that did not meet."""
    in_cycle = Q(kind=MeetingKind.GROUP, held_on__range=(c.start, c.end))
    held = (Meeting.objects.filter(group=OuterRef("pk"))
            .order_by().values("group").annotate(n=Count("pk", filter=in_cycle)).values("n"))
    return Sum(Greatest(Value(c.required(MeetingKind.GROUP)) - Coalesce(Subquery(held), 0), Value(0)))


@derived("party_members", "party_groups")
def groups_required_missing(c: Cycle, party_members: int, party_groups: int) -> bool:
    """``party_members`` ≥ 15 and ``party_groups`` < 2 (党员15名以上的党支部一般设立党小组，党小组应不少于2个)."""
    return party_members >= GROUPS_MIN_MEMBERS and party_groups < GROUPS_REQUIRED


# -- transfers ----------------------------------------------------------------------------------


def _transfers_overdue(c: Cycle) -> QuerySet:
    grace = timedelta(days=TRANSFER_GRACE_DAYS)
    late = ExpressionWrapper(F("done_on") - F("due_on"), output_field=DurationField())
    return (Transfer.objects.filter(due_on__lte=c.end - grace - ONE_DAY).alias(late=late)
            .filter(Q(done_on__isnull=True) | Q(done_on__gte=c.start, late__gt=grace)))


TRANSFERS = Family("transfers", _transfers_overdue, "member__branch")


@TRANSFERS.fact
def transfers_overdue(c: Cycle):
    """Members of the branch (Member.branch, whether or not they have left it) with a 组织关系转接 overdue
    by more than one month (read as 30 days, TRANSFER_GRACE_DAYS) on some day of the period: due_on +
    30 days < end, and either not done (done_on empty) or done in the period (done_on ≥ start) more
    than 30 days after it was due. A transfer done late in an earlier cycle is not counted again; one
    done within 30 days never counts. Each member once, however many transfers."""
    return Count("member", distinct=True)


# -- dues ---------------------------------------------------------------------------------------


def _unpaid_dues_of_cycle(c: Cycle) -> QuerySet:
    # Only the months not paid in full (UNPAID, as the partial index dues_unpaid says it): both facts
    # count among them, and a city's dues are mostly paid.
    return (Dues.objects.filter(UNPAID, month__range=(c.months[0], c.months[-1]))
            .alias(joined_month=MonthStart("member__joined_branch_on"))
            .filter(Q(member__joined_branch_on__isnull=True) | Q(joined_month__lte=F("month")))
            .filter(Q(member__left_branch_on__isnull=True) | Q(member__left_branch_on__gt=F("month"))))


DUES = Family("dues", _unpaid_dues_of_cycle, "member__branch")


@DUES.fact
def dues_months_missed(c: Cycle):
    """Member-months of the cycle (a Dues row for one of :func:`cycle_months`, of a member who was in the
    branch for some day of that month) with paid_on empty or amount_paid < amount_due. A month with no
    Dues row at all is not counted: the records do not say what was due."""
    return Count("pk")


@DUES.fact
def dues_short_paid(c: Cycle):
    """党费收缴不足额: some member-month of the cycle (as in ``dues_months_missed``) was paid (paid_on set) for
    less than was due (amount_paid < amount_due). Unpaid months are ``dues_months_missed``."""
    return Count("pk", filter=Q(paid_on__isnull=False))


# -- tests --------------------------------------------------------------------------------------


def _theory_tests(c: Cycle) -> QuerySet:
    return TestResult.objects.filter(_in_branch_on(F("taken_on")), kind=TestKind.THEORY,
                                     taken_on__range=(c.start, c.end))


TESTS = Family("tests", _theory_tests, "member__branch")


@TESTS.fact
def theory_test_wrong_answers(c: Cycle):
    """Σ wrong_answers of the 党员政治理论测试 (TestResult kind ``theory``) taken in the period by members
    while in the branch (joined_branch_on ≤ taken_on < left_branch_on); a test without a count adds 0."""
    return Sum("wrong_answers")


# -- committee posts ----------------------------------------------------------------------------


def _posts_in_cycle(c: Cycle) -> QuerySet:
    return _posts(Duty.SECRETARY, Duty.DISCIPLINE).filter(started_on__lte=c.end, until__gt=c.start)


POSTS = RowsFamily("posts", _posts_in_cycle, "term__branch", ("duty", "member", "started_on", "until"))


def _covered(rows: list[dict], duty: str, day: date) -> bool:
    return any(row["duty"] == duty and row["started_on"] <= day < row["until"] for row in rows)


@POSTS.fact
def secretary_vacancy_days(c: Cycle, rows: list[dict]) -> int:
    """The longest run of consecutive days in the period covered by no 书记 post (CommitteePost duty
    ``secretary``, covering started_on ≤ day < ended_on and before the branch's next election, see
    ``_posts``). No secretary at all: the period's length in days. Overlapping posts merge."""
    day_after, cursor, longest = c.end + ONE_DAY, c.start, 0
    for begin, until in sorted((row["started_on"], row["until"]) for row in rows if row["duty"] == Duty.SECRETARY):
        if begin > cursor:
            longest = max(longest, (min(begin, day_after) - cursor).days)
        cursor = max(cursor, until)
    return max(longest, (day_after - cursor).days)


@POSTS.fact
def secretary_vacant(c: Cycle, rows: list[dict]) -> bool:
    """No 书记 post covers ``end`` (as in ``secretary_vacancy_days``)."""
    return not _covered(rows, Duty.SECRETARY, c.end)


@POSTS.fact
def has_discipline_member(c: Cycle, rows: list[dict]) -> bool:
    """A 纪检委员 post (duty ``discipline``) covers ``end`` (as a 书记 post does in ``secretary_vacancy_days``)."""
    return _covered(rows, Duty.DISCIPLINE, c.end)


def _lectured(c: Cycle) -> dict[str, Any]:
    lectures = Meeting.objects.filter(
        branch=OuterRef("term__branch"), kind=MeetingKind.LECTURE, held_on__range=(c.start, c.end),
        held_on__gte=OuterRef("started_on"), held_on__lt=OuterRef("until"), speaker=OuterRef("member__name"))
    return {"lectured": Exists(lectures)}


@POSTS.fact(columns=_lectured)
def secretary_gave_lecture(c: Cycle, rows: list[dict]) -> bool:
    """A 党课 held in the period whose speaker is, by name, the member holding a 书记 post of the branch on
    the lecture's day (started_on ≤ held_on < the post's end, as in ``secretary_vacancy_days``)."""
    return any(row["lectured"] for row in rows if row["duty"] == Duty.SECRETARY)


@POSTS.fact
def _secretaries(c: Cycle, rows: list[dict]) -> frozenset[int]:
    """The members who held a 书记 post of the branch on some day of the period."""
    return frozenset(row["member"] for row in rows if row["duty"] == Duty.SECRETARY and row["member"] is not None)


SECRETARY_TESTS = RowsFamily(
    "secretary_tests", lambda c: TestResult.objects.filter(kind=TestKind.SECRETARY, taken_on__range=(c.start, c.end)),
    "member__branch", ("member", "taken_on", "pk", "score"))


@SECRETARY_TESTS.fact
def _secretary_tests(c: Cycle, rows: list[dict]) -> list[dict]:
    """The 应知应会 tests (TestResult kind ``secretary``) taken in the period by members of the branch."""
    return rows


@derived("_secretaries", "_secretary_tests")
def secretary_test_score(c: Cycle, _secretaries: frozenset[int], _secretary_tests: list[dict]) -> Decimal | None:
    """The score of the latest 应知应会 test (TestResult kind ``secretary``; the latest taken_on, then the
    latest recorded) taken in the period by a member of the branch who held its 书记 post at some time in
    the period (as in ``secretary_vacancy_days``). Empty (未参加测试) when there is none, or when the
    latest was recorded without a score (缺考)."""
    taken = [row for row in _secretary_tests if row["member"] in _secretaries]
    if not taken:
        return None
    return _two_places(max(taken, key=lambda row: (row["taken_on"], row["pk"]))["score"])


# -- one row per branch -------------------------------------------------------------------------


BRANCH = Family("branch", lambda c: Organization.objects.all(), "pk")
_TERM_FIELDS = ("elected_on", "years", "extended_until", "has_committee")


def _term_from(row: dict[str, Any]) -> CommitteeTerm | None:
    if row["elected_on"] is None:
        return None
    return CommitteeTerm(**row)


@BRANCH.fact(finish=_term_from)
def _latest_term(c: Cycle):
    """The branch's current committee term on ``end``: its CommitteeTerm with the latest elected_on ≤ end
    (an election after ``end`` does not count yet). None when no term is recorded."""
    latest = _latest(CommitteeTerm, c, "elected_on")
    return {name: Subquery(latest.values(name)[:1]) for name in _TERM_FIELDS}


@derived("_latest_term")
def has_committee(c: Cycle, _latest_term: CommitteeTerm | None) -> bool:
    """The current term (see ``term_overdue``) set up a committee (has_committee). No term: false."""
    return bool(_latest_term and _latest_term.has_committee)


def _expiry(term: CommitteeTerm) -> date:
    return term.extended_until or term.ends_on


@derived("_latest_term")
def term_overdue(c: Cycle, _latest_term: CommitteeTerm | None) -> bool:
    """The current term — the CommitteeTerm with the latest elected_on ≤ end, so no newer election by
    then — expired before ``end``: its extended_until when an extension was approved, else its ends_on
    (elected_on + years; 29 February → 28 February) is < end. A term ending ON ``end`` is not overdue.
    No term recorded: false (nothing to renew; a missing 书记 shows in ``secretary_vacant``)."""
    return _latest_term is not None and _expiry(_latest_term) < c.end


@derived("_latest_term")
def term_overdue_days(c: Cycle, _latest_term: CommitteeTerm | None) -> int:
    """Days from the current term's expiry (as in ``term_overdue``) to ``end``: end − expiry, 0 when not overdue."""
    if _latest_term is None:
        return 0
    return max(0, (c.end - _expiry(_latest_term)).days)


@derived("party_members", "has_committee")
def committee_required_missing(c: Cycle, party_members: int, has_committee: bool) -> bool:
    """``party_members`` ≥ 7 on ``end`` and the current term has no committee, or no term is recorded
    (有党员7人以上，未设立支部委员会)."""
    return party_members >= COMMITTEE_MIN_MEMBERS and not has_committee


@BRANCH.fact(finish=lambda row: sorted(item for item, field_name in SIX_MUSTS.items() if not row[field_name]))
def six_musts_missing(c: Cycle):
    """The 六必有 items (place, flag, oath, duty, plan, board) not met in the branch's latest SiteCheck
    checked on or before ``end``; sorted ids. No check: all six are missing."""
    latest = _latest(SiteCheck, c, "checked_on")
    return {field_name: Subquery(latest.values(field_name)[:1]) for field_name in SIX_MUSTS.values()}


def _latest_archive(c: Cycle) -> QuerySet:
    complete = ExpressionWrapper(Q(member_roster=True, dues_roster=True, life_record_book=True), output_field=BooleanField())
    return _latest(ArchiveCheck, c, "checked_on").annotate(complete=complete)


@BRANCH.fact
def archive_complete(c: Cycle):
    """The branch's latest ArchiveCheck on or before ``end`` found all of 二册一本: the member roster, the
    dues roster and the 组织生活记录本. No check: false."""
    return Subquery(_latest_archive(c).values("complete")[:1])


@BRANCH.fact
def electronic_archive_filed(c: Cycle):
    """The branch's latest ArchiveCheck on or before ``end`` found the electronic archive built and filed
    (electronic). No check: false."""
    return Subquery(_latest_archive(c).values("electronic")[:1])


@BRANCH.fact
def _fund_amount(c: Cycle):
    """The branch's Fund amount for the year of ``end`` (None when no row)."""
    return Subquery(Fund.objects.filter(branch=OuterRef("pk"), year=c.end.year).values("amount")[:1])


@derived("_fund_amount")
def funds_guaranteed(c: Cycle, _fund_amount: Decimal | None) -> bool:
    """A Fund row for the year of ``end`` with an amount > 0 (活动经费有保障)."""
    return bool(_fund_amount and _fund_amount > 0)


@derived("_fund_amount", "party_members")
def funds_per_member(c: Cycle, _fund_amount: Decimal | None, party_members: int) -> Decimal | None:
    """The Fund amount for the year of ``end`` (0 without a row) ÷ ``party_members``, in 元 to two places.
    No party member: empty (undefined)."""
    if not party_members:
        return None
    return _two_places((_fund_amount or Decimal(0)) / party_members)


@BRANCH.fact
def dues_reassessed_by_march(c: Cycle):
    """A DuesReview of the branch for the year of ``end`` with reviewed_on ≤ 31 March of that year."""
    return Exists(DuesReview.objects.filter(branch=OuterRef("pk"), year=c.end.year, reviewed_on__lte=date(c.end.year, 3, 31)))


@BRANCH.fact
def dues_use_published(c: Cycle):
    """A DuesPublication of the branch with published_on in the period."""
    return Exists(DuesPublication.objects.filter(branch=OuterRef("pk"), published_on__range=(c.start, c.end)))


@BRANCH.fact
def work_plan_made(c: Cycle):
    """A WorkPlan of the branch for the year of ``end``, made on or before ``end``."""
    return Exists(WorkPlan.objects.filter(branch=OuterRef("pk"), year=c.end.year, made_on__lte=c.end))


@BRANCH.fact(finish=lambda filed: filed or 0)
def _monthly_records_filed(c: Cycle):
    """MonthlyRecord rows of the branch for the cycle's months."""
    return Subquery(MonthlyRecord.objects.filter(branch=OuterRef("pk"), month__range=(c.months[0], c.months[-1]))
                    .order_by().values("branch").annotate(n=Count("pk")).values("n"))


@derived("_monthly_records_filed")
def monthly_records_missing(c: Cycle, _monthly_records_filed: int) -> int:
    """Months of the cycle (:func:`cycle_months`) with no MonthlyRecord of the branch, whenever it was
    filed (the record of a cycle's last month is filed at that month's end, maybe after the cycle)."""
    return len(c.months) - _monthly_records_filed


@derived("general_meetings_held", "committee_meetings_held", "party_lectures_held", "theme_days_held",
         "_group_meetings_short", "has_committee")
def three_meetings_shortfall(c: Cycle, general_meetings_held: int, committee_meetings_held: int, party_lectures_held: int,
                             theme_days_held: int, _group_meetings_short: int | None, has_committee: bool) -> int:
    """“三会一课”与主题党日 short of what 中国共产党支部工作条例 requires (REQUIREMENTS, per year, scaled to the
    cycle's months): Σ max(0, required − held) over 支部党员大会 (4), 支委会 (12; only when the current term
    has a committee), 党课 (4), 主题党日 (12, counted as ``theme_days_held``: months, not meetings) and
    党小组会 (12 for each 党小组, see ``_group_meetings_short``; a branch without 党小组 owes none)."""
    owed = [
        (c.required(MeetingKind.GENERAL), general_meetings_held),
        (c.required(MeetingKind.COMMITTEE) if has_committee else 0, committee_meetings_held),
        (c.required(MeetingKind.LECTURE), party_lectures_held),
        (c.required(MeetingKind.THEME_DAY), theme_days_held),
    ]
    return sum(max(0, required - held) for required, held in owed) + int(_group_meetings_short or 0)


# == computing ==================================================================================


def compute_facts(*, branches: QuerySet | Iterable[Organization | int], start: date, end: date,
                  names: Iterable[str] | None = None, requirements: Mapping[str, int] | None = None,
                  workers: int | None = None) -> dict[int, dict[str, Any]]:
    """Branch id → {fact name → value} for the cycle ``start``..``end`` (both included).

    ``names``: only these facts (and what they are derived from is computed, not returned); by
    default every fact the records provide. Facts provided by the surveys or typed in are left out.
    ``requirements`` overrides entries of :data:`REQUIREMENTS` for this call. ``workers``: how many
    families to fetch at once (see the module's docstring; default one per core for a city, else one).

    >>> compute_facts(branches=Organization.objects.branches(), start=date(2024, 1, 1), end=date(2024, 12, 31),
    ...               names={"months_without_theme_day"})
    {7: {'months_without_theme_day': 2}, 9: {'months_without_theme_day': 0}}
    """
    wanted = _wanted(names)
    cycle = Cycle(start, end, _requirements(requirements))
    ids, scope = _scope(branches)
    result: dict[int, dict[str, Any]] = {branch: {} for branch in ids}
    if not ids or not wanted:
        return result
    values: dict[int, dict[str, Any]] = {branch: {} for branch in ids}
    needed = _with_needs(wanted)
    by_family: dict[Family, list[Computation]] = defaultdict(list)
    for name in needed:
        if COMPUTATIONS[name].family is not None:
            by_family[COMPUTATIONS[name].family].append(COMPUTATIONS[name])
    for fetched in _fetch(cycle, scope, ids, by_family, _workers(workers, len(ids))):
        for branch, row in fetched.items():
            values[branch].update(row)
    for name in needed:   # derived facts come after what they need (see _with_needs)
        computation = COMPUTATIONS[name]
        if computation.family is None:
            for branch in ids:
                values[branch][name] = computation.finish(cycle, **{need: values[branch][need] for need in computation.needs})
    for branch in ids:
        result[branch] = {name: values[branch][name] for name in wanted}
    return result


#: Below this many branches the families are fetched one after the other (threads would cost more than they save).
PARALLEL_MIN_BRANCHES = 2000
#: The families by the time they take on a 30,000-branch city (bench/facts_city.py --by-family), longest
#: first, so that the threads finish together.
_LONGEST_FIRST = ("study", "branch", "meetings", "posts", "dues", "attendance", "members", "groups",
                  "secretary_tests", "transfers", "tests")


def _workers(requested: int | None, branches: int) -> int:
    """How many families may be fetched at once on this connection (1: on the caller's connection only)."""
    connection = connections["default"]
    if connection.in_atomic_block:                       # other connections would not see its rows
        return 1
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return 1
    if requested is not None:
        return max(1, requested)
    return (os.cpu_count() or 1) if branches >= PARALLEL_MIN_BRANCHES else 1


def _fetch(cycle: Cycle, scope: Any, ids: list[int], by_family: Mapping[Family, list[Computation]],
           workers: int) -> list[dict[int, dict[str, Any]]]:
    """Each family's rows; with ``workers`` > 1 on that many threads, each with its own connection."""
    if workers == 1:
        return [family.fetch(cycle, scope, ids, facts) for family, facts in by_family.items()]
    from concurrent.futures import ThreadPoolExecutor

    def fetch(family: Family) -> dict[int, dict[str, Any]]:
        try:
            return family.fetch(cycle, scope, ids, by_family[family])
        finally:
            connections.close_all()                      # this thread's connections, not the caller's

    order = sorted(by_family, key=lambda f: _LONGEST_FIRST.index(f.name) if f.name in _LONGEST_FIRST else 0)
    with ThreadPoolExecutor(max_workers=min(workers, len(order)), thread_name_prefix="facts") as pool:
        return list(pool.map(fetch, order))


def _wanted(names: Iterable[str] | None) -> list[str]:
    if names is None:
        return [name for name, fact in FACTS.items() if fact.source == RECORDS]
    names = list(names)
    unknown = sorted(name for name in names if name not in FACTS)
    if unknown:
        raise ValueError(f"unknown facts: {', '.join(unknown)}")
    return [name for name in FACTS if name in names and FACTS[name].source == RECORDS]


def _requirements(overrides: Mapping[str, int] | None) -> dict[str, int]:
    unknown = sorted(set(overrides or {}) - set(REQUIREMENTS))
    if unknown:
        raise ValueError(f"unknown requirements: {', '.join(unknown)} (known: {', '.join(REQUIREMENTS)})")
    return {**REQUIREMENTS, **(overrides or {})}


def _with_needs(names: Iterable[str]) -> list[str]:
    """The facts to compute for ``names``, each after the facts it is derived from."""
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered:
            return
        for need in COMPUTATIONS[name].needs:
            visit(need)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


def _scope(branches: QuerySet | Iterable[Organization | int]) -> tuple[list[int], Any]:
    """The branch ids, and what the families filter on: the queryset itself (a subquery) or the ids."""
    if isinstance(branches, QuerySet):
        scope = branches.order_by().values("pk")
        return list(scope.values_list("pk", flat=True)), scope
    ids = list(dict.fromkeys(b.pk if isinstance(b, Organization) else int(b) for b in branches))
    return ids, ids
