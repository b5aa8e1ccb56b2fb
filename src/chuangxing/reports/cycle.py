"""The reports of a whole cycle: what a committee files and reads.

::

    committee-summary   考评结果汇总表: every branch, its committee, category scores, bonus, penalty, total,
                        self vs reviewed, rating, state (streamed in chunks: 30,000 branches)
    recommendations     附件2 推荐标准化规范化建设示范党支部名单 (序号, 党支部名称, 党支部负责人, 联系方式,
                        支部类型), with the 单位（盖章） and 填写时间 lines and the quota check
    unstarred           未授星 / 未达标 党支部名单 with each branch's rectification items (整改事项)
    distribution        等次分布: branches per level, and the shares against the targets (charts)
    short-board         短板分析: the indicators that lose the most points across branches (charts)

The lists read :mod:`chuangxing.assessments.lists` (the finalized ratings); the summary and the
short-board analysis score the selected branches (:mod:`chuangxing.reports.scores`). When the web
passes the user (``params["_by"]``), each report shows only the branches that user may read, and
the distribution (a whole-cycle figure) needs an admin or reviewer role on the cycle's root.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from chuangxing.reports.document import Chart, Column, Document, Table
from chuangxing.reports.progress import Progress
from chuangxing.reports.registry import Param, ReportError, report
from chuangxing.scoring.points import fmt

CHUNK = 2000
TOP = 15
FILLED_BY = "填表人：＿＿＿＿＿＿＿＿　　审核人：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"

CYCLE = Param("cycle", "考评周期")
COMMITTEE = Param("committee", "上级党组织（党委/党总支，可选）", required=False)
UNIT = Param("unit", "填报单位（单位（盖章）一栏，可选）", str, required=False)
SCHEME = Param("scheme", "评定方案（可选，默认为主评定方案）", str, required=False)


# -- selecting ------------------------------------------------------------------------------------
def get_cycle(params: dict[str, Any]):
    from chuangxing.assessments.models import Cycle

    cycle = Cycle.objects.select_related("root").filter(pk=params["cycle"]).first()
    if cycle is None:
        raise ReportError("not_found", f"没有编号为 {params['cycle']} 的考评周期", f"no cycle {params['cycle']}")
    return cycle


def selection(cycle, params: dict[str, Any]):
    """The assessments the report covers: visible to ``_by``, within ``committee`` when given, in tree order."""
    from chuangxing.assessments.permissions import visible_assessments
    from chuangxing.orgs.models import Organization

    by = params.get("_by")
    assessments = visible_assessments(by, cycle) if by is not None else cycle.assessments.all()
    committee_id = params.get("committee")
    if committee_id:
        committee = Organization.objects.filter(pk=committee_id).first()
        if committee is None:
            raise ReportError("not_found", f"没有编号为 {committee_id} 的党组织", f"no organization {committee_id}")
        assessments = assessments.filter(branch__path__startswith=committee.path)
    return assessments.order_by("branch__path")


def visible_branch_ids(cycle, params: dict[str, Any]) -> set[int] | None:
    """The branches ``_by`` may read (None: everyone's, the command line)."""
    if params.get("_by") is None:
        return None
    return set(selection(cycle, params).values_list("branch_id", flat=True))


def require_overview(cycle, params: dict[str, Any]) -> None:
    from chuangxing.assessments.models import Role
    from chuangxing.assessments.permissions import roles_on

    by = params.get("_by")
    if by is not None and not roles_on(by, cycle.root) & {Role.ADMIN, Role.REVIEWER}:
        raise ReportError("forbidden", f"全周期的统计需要在“{cycle.root.name}”具有工委管理员或审核人角色",
                          "the distribution needs an admin or reviewer role on the cycle's root")


def chunks(ids: list[int], size: int = CHUNK) -> Iterator[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start:start + size]


def _stage_note() -> str:
    return "得分按审核阶段计（被抽验的党支部按抽验阶段计）"


# -- committee summary -------------------------------------------------------------------------------
@dataclass
class _Category:
    key: str
    title: str
    ids: dict[str, str]        # rubric id → the category's id in it


def _categories(cycle) -> list[_Category]:
    """The categories of every rubric the cycle scores with, matched by title (variants share them)."""
    from chuangxing.assessments.bulk import rubric_of_snapshot

    out: dict[str, _Category] = {}
    snapshots = sorted(cycle.snapshots.all(), key=lambda s: (s.rubric_id != cycle.rubric_id, s.pk))
    for snapshot in snapshots:
        rubric = rubric_of_snapshot(snapshot, cycle)
        for category in rubric.categories:
            entry = out.setdefault(category.title, _Category(f"cat{len(out)}", category.title, {}))
            entry.ids[rubric.id] = category.id
    return list(out.values())


@report("committee-summary", title="考评结果汇总表", params=(CYCLE, COMMITTEE))
def committee_summary(params: dict[str, Any], progress: Progress) -> Document:
    """每个党支部一行：上级党组织、各项目得分、加分、减分、总分、自评与审核得分之差、评定等次、状态。"""
    from chuangxing.assessments.sampling import committees_of

    cycle = get_cycle(params)
    assessments = selection(cycle, params)
    count = assessments.count()
    categories = _categories(cycle)
    columns = [Column("number", "序号", 7, "int"), Column("committee", "上级党组织", 26),
               Column("branch", "党支部", 30), Column("branch_type", "支部类型", 9)]
    columns += [Column(c.key, c.title, 7, "points") for c in categories]
    columns += [Column("bonus", "加分", 5, "points"), Column("penalty", "减分", 5, "points"),
                Column("total", "总分", 6, "points"), Column("self_total", "自评得分", 7, "points"),
                Column("reviewed_total", "审核得分", 7, "points"), Column("gap", "自评与审核之差", 8, "signed"),
                Column("rating", "评定等次", 9), Column("state", "状态", 7)]
    strata, names = committees_of(cycle)
    whole = params.get("_by") is None and not params.get("committee")
    rows = _Summary(cycle, categories, strata, names, progress, count).rows(assessments, whole=whole)
    table = Table(columns, rows, sheet="汇总表", count=count)
    preamble = [f"考评周期：{cycle.name}（{_day(cycle.period_start)}至{_day(cycle.period_end)}）　共 {count} 个党支部",
                f"{_stage_note()}；评定等次为已评定的最终结果，未评定的为按当前得分测算（注“测算”）"]
    return Document(title=f"{cycle.name}党支部考评结果汇总表", filename=f"{cycle.name}-考评结果汇总表", tables=[table],
                    preamble=preamble, footer=[FILLED_BY], landscape=True)


class _Summary:
    """The summary's rows, in tree order. The whole cycle is scored in one pass (the batch engine is made for
    a city at once); a part of it (a committee, what one user may read) in chunks of ids."""

    FIELDS = ("id", "branch_id", "branch__name", "branch__branch_type", "self_total", "reviewed_total", "final_total",
              "state")

    def __init__(self, cycle, categories: list[_Category], strata: dict, names: dict, progress: Progress, count: int):
        from chuangxing.assessments.models import FinalRating, State
        from chuangxing.orgs.models import BranchType

        self.cycle, self.categories, self.strata, self.names = cycle, categories, strata, names
        self.progress, self.count = progress, count
        self.types, self.states = dict(BranchType.choices), dict(State.choices)
        main_scheme = _main_scheme(cycle)
        self.final = dict(FinalRating.objects.filter(assessment__cycle=cycle, scheme=main_scheme)
                          .values_list("assessment_id", "label")) if main_scheme else {}

    def rows(self, assessments, *, whole: bool) -> Iterator[dict[str, Any]]:
        infos = assessments.values(*self.FIELDS).iterator(chunk_size=CHUNK)
        if whole:
            scored = self._scored(None)
            for number, info in enumerate(infos, start=1):
                yield self._row(number, info, scored.get(info["id"]))
            return
        number = 0
        while batch := list(itertools.islice(infos, CHUNK)):
            scored = self._scored([info["id"] for info in batch])
            for info in batch:
                number += 1
                yield self._row(number, info, scored.get(info["id"]))

    def _scored(self, ids: list[int] | None) -> dict[int, tuple]:
        from chuangxing.reports.scores import scored_groups

        out = {pk: (group, j) for group in scored_groups(cycle=self.cycle, ids=ids) for j, pk in enumerate(group.ids)}
        self.progress(len(out), self.count, "计分")
        return out

    def _row(self, number: int, info: dict, scored) -> dict[str, Any]:
        return _summary_row(number, info, scored, self.categories, self.final.get(info["id"]), self.strata, self.names,
                            self.types, self.states)


def _summary_row(number: int, a: dict, scored, categories: list[_Category], final_label: str | None, strata: dict,
                 names: dict, types: dict, states: dict) -> dict[str, Any]:
    row: dict[str, Any] = {"number": number, "committee": names.get(strata.get(a["branch_id"]), ""),
                           "branch": a["branch__name"], "branch_type": types.get(a["branch__branch_type"], ""),
                           "self_total": a["self_total"], "reviewed_total": a["reviewed_total"],
                           "state": states.get(a["state"], a["state"])}
    if a["self_total"] is not None and a["reviewed_total"] is not None:
        row["gap"] = a["self_total"] - a["reviewed_total"]
    if scored is not None:
        group, j = scored
        for category in categories:
            node_id = category.ids.get(group.rubric.id)
            if node_id is not None:
                row[category.key] = group.score(node_id, j)
        row["bonus"] = group.value("bonus", j)
        row["penalty"] = group.value("penalty", j)
        row["total"] = a["final_total"] if a["final_total"] is not None else group.value("total", j)
        row["rating"] = final_label if final_label is not None else (f"{group.label(j)}（测算）" if group.label(j) else "")
    return row


def _main_scheme(cycle) -> str | None:
    from chuangxing.assessments.lists import main_rubric

    rubric = main_rubric(cycle)
    return rubric.ratings[0].id if rubric.ratings else None


# -- 附件2 ---------------------------------------------------------------------------------------------
@report("recommendations", title="推荐标准化规范化建设示范党支部名单（附件2）", params=(CYCLE, UNIT))
def recommendations(params: dict[str, Any], progress: Progress) -> Document:
    """附件2：序号、党支部名称、党支部负责人、联系方式、支部类型；单位（盖章）与填写时间，推荐比例的核对。"""
    from chuangxing.assessments.lists import RECOMMENDATION_COLUMNS, recommendation_quota, recommendation_rows

    cycle = get_cycle(params)
    rows = recommendation_rows(cycle=cycle)
    quota = recommendation_quota(cycle=cycle, rows=rows)
    visible = visible_branch_ids(cycle, params)
    if visible is not None:
        rows = [{**r, "number": i} for i, r in enumerate((r for r in rows if r["branch_id"] in visible), start=1)]
    widths = {"number": 6, "name": 34, "leader": 14, "phone": 18, "branch_type": 12}
    columns = [Column(key, header, widths.get(key, 12), "int" if key == "number" else "text")
               for key, header in RECOMMENDATION_COLUMNS]
    unit = params.get("unit") or "＿＿＿＿＿＿＿＿＿＿＿＿＿＿"
    preamble = [f"单位（盖章）：{unit}　　　　　　　　　　填写时间：{date.today().year}年　　月　　日"]
    progress(len(rows), len(rows), "推荐名单")
    table = Table(columns, rows, sheet="推荐名单", count=len(rows),
                  note="备注：支部类型填写农村、社区、机关、国有企业、非公企业和社会组织等。")
    return Document(title="推荐标准化规范化建设示范党支部名单", filename=f"{cycle.name}-推荐示范党支部名单（附件2）",
                    tables=[table], preamble=preamble, footer=[quota["message"]])


# -- 未授星 / 未达标 ------------------------------------------------------------------------------------
@report("unstarred", title="未授星（未达标）党支部名单及整改事项", params=(CYCLE, SCHEME))
def unstarred(params: dict[str, Any], progress: Progress) -> Document:
    """评定为最低等次（未授星、未达标）或被否决的党支部，各附整改事项（已下达的整改清单，或按失分生成的提示反馈清单）。"""
    from chuangxing.assessments.lists import UNRATED_COLUMNS, main_rubric, unrated_rows
    from chuangxing.assessments.workflow import Refused

    cycle = get_cycle(params)
    try:
        rows = unrated_rows(cycle=cycle, scheme=params.get("scheme"))
    except Refused as exc:
        raise ReportError("bad_param", exc.message_zh, str(exc)) from None
    visible = visible_branch_ids(cycle, params)
    if visible is not None:
        rows = [r for r in rows if r["branch_id"] in visible]
    rows = [{**r, "number": i, **_rectification(r["assessment_id"])} for i, r in enumerate(rows, start=1)]
    widths = {"number": 5, "name": 22, "committee": 16, "branch_type": 8, "total": 6, "rating": 8, "reasons": 20}
    columns = [Column(key, header, widths.get(key, 12), {"number": "int", "total": "points"}.get(key, "text"))
               for key, header in UNRATED_COLUMNS]
    columns += [Column("items", "整改事项", 44), Column("due_on", "整改期限", 10), Column("progress", "整改情况", 12)]
    rubric = main_rubric(cycle)
    scheme = next((s for s in rubric.ratings if s.id == params.get("scheme")), rubric.ratings[0] if rubric.ratings else None)
    lowest = scheme.levels[0] if scheme is not None and scheme.levels else None
    what = "未授星" if lowest is not None and lowest.stars == 0 else (lowest.label if lowest is not None else "未达标")
    progress(len(rows), len(rows), "名单")
    title = f"{what}党支部名单及整改事项"
    return Document(title=title, filename=f"{cycle.name}-{title}", tables=[Table(columns, rows, sheet="名单", count=len(rows))],
                    preamble=[f"考评周期：{cycle.name}　共 {len(rows)} 个党支部",
                              "整改事项为已下达的整改清单；尚未下达的，列出按失分多少生成的提示反馈清单（否决项在前）"],
                    footer=[FILLED_BY],
                    landscape=True)


def _rectification(assessment_id: int) -> dict[str, Any]:
    from chuangxing.assessments.lists import feedback_items
    from chuangxing.assessments.models import Assessment

    assessment = Assessment.objects.select_related("cycle", "branch", "snapshot").get(pk=assessment_id)
    opened = list(assessment.rectifications.order_by("pk"))
    if opened:
        items = [r.item for r in opened]
        due = min((r.due_on for r in opened if r.due_on), default=None)
        answered = sum(1 for r in opened if r.response)
        passed = {r.passed for r in opened}
        state = "复检通过" if passed == {True} else "复检未通过" if False in passed else f"已答复 {answered}/{len(opened)} 项"
        return {"items": _numbered(items), "due_on": due.isoformat() if due else "", "progress": state}
    items = [x["item"] + (f"（失 {fmt(x['lost'])} 分）" if x.get("lost") else "") for x in feedback_items(assessment)]
    return {"items": _numbered(items[:10]) + ("\n……" if len(items) > 10 else ""), "due_on": "", "progress": "未下达整改"}


def _numbered(items: list[str]) -> str:
    return "\n".join(f"{i}. {item}" for i, item in enumerate(items, start=1))


# -- distribution against the targets -----------------------------------------------------------------
@report("distribution", title="星级（等次）分布与目标对照", params=(CYCLE,))
def distribution(params: dict[str, Any], progress: Progress) -> Document:
    """各等次的党支部数和占比；“三星及以上不低于75%”等目标的达成情况，全周期和各上级党组织；附图。"""
    from chuangxing.assessments import lists

    cycle = get_cycle(params)
    require_overview(cycle, params)
    rubric = lists.main_rubric(cycle)
    counts, total = _level_counts(cycle, rubric)
    level_rows = [{"scheme": title, "level": label, "count": n, "share": lists.ratio(n, total)}
                  for title, label, n in counts]
    targets = lists.distribution(cycle=cycle)
    target_rows = [{**r, "met": "是" if r["met"] else "否", "needed": r["needed"] or ""} for r in targets]
    kinds = {"branches": "int", "count": "int", "share": "percent", "target": "percent", "needed": "int"}
    widths = {"committee": 22, "target_text": 36}
    target_columns = [Column(key, header, widths.get(key, 9), kinds.get(key, "text"))
                      for key, header in lists.DISTRIBUTION_COLUMNS]
    tables = [Table([Column("scheme", "评定方案", 16), Column("level", "等次", 12), Column("count", "党支部数", 10, "int"),
                     Column("share", "占比", 10, "percent")], level_rows, title="各等次党支部数", sheet="等次分布",
                    count=len(level_rows)),
              Table(target_columns, target_rows, title="目标达成情况", sheet="目标对照", count=len(target_rows))]
    charts = []
    main = [(label, n) for title, label, n in counts if rubric.ratings and title == rubric.ratings[0].title]
    if main:
        charts.append(Chart(f"{rubric.ratings[0].title}分布（共 {total} 个党支部）", [m[0] for m in main],
                            [("党支部数", [m[1] for m in main])], value_label="党支部数"))
    overall = [r for r in targets if r["committee_id"] is None]
    if overall:
        charts.append(Chart("目标对照（全周期）", [r["target_text"] for r in overall],
                            [("实际占比", [r["share"] for r in overall]), ("目标占比", [r["target"] for r in overall])],
                            horizontal=True, percent=True))
    progress(total, total, "分布")
    return Document(title=f"{cycle.name}星级（等次）分布与目标对照", filename=f"{cycle.name}-等次分布与目标对照",
                    tables=tables, charts=charts,
                    preamble=[f"考评周期：{cycle.name}　党支部总数 {total} 个（未评定的不计入任何等次）"])


def _level_counts(cycle, rubric) -> tuple[list[tuple[str, str, int]], int]:
    """(scheme title, level label, branches) for every level of every levels scheme, then 未评定; and the total."""
    from chuangxing.assessments.lists import RATED
    from chuangxing.assessments.models import FinalRating

    total = cycle.assessments.count()
    given = Counter(FinalRating.objects.filter(assessment__cycle=cycle, assessment__state__in=RATED)
                    .values_list("scheme", "level").order_by())
    rated = cycle.assessments.filter(state__in=RATED).count()
    out = []
    for scheme in rubric.ratings:
        if scheme.kind != "levels":
            continue
        blocked = given.get((scheme.id, ""), 0)
        if blocked:
            out.append((scheme.title, scheme.blocked_label + "（否决）", blocked))
        out += [(scheme.title, level.label, given.get((scheme.id, level.id), 0)) for level in scheme.levels]
        if total - rated:
            out.append((scheme.title, "未评定", total - rated))
    return out, total


# -- short-board analysis ------------------------------------------------------------------------------
@dataclass
class _Loss:
    category: str
    indicator: str
    max: Decimal
    lost: Decimal = Decimal(0)
    losing: int = 0
    branches: int = 0


@report("short-board", title="短板分析（失分最多的指标）", params=(CYCLE, COMMITTEE))
def short_board(params: dict[str, Any], progress: Progress) -> Document:
    """每个指标在所选党支部中的失分合计、平均失分、失分党支部占比，按失分合计从多到少排列；附图。"""
    cycle = get_cycle(params)
    ids = list(selection(cycle, params).values_list("id", flat=True))
    whole = params.get("_by") is None and not params.get("committee")
    losses = _losses(cycle, None if whole else ids, len(ids), progress)
    ranked = sorted(losses.values(), key=lambda x: (-x.lost, -x.losing))
    rows = [{"rank": i, "category": x.category, "indicator": x.indicator, "max": x.max, "losing": x.losing,
             "losing_share": Decimal(x.losing) / x.branches if x.branches else None, "lost": x.lost,
             "average": (x.lost / x.branches).quantize(Decimal("0.01")) if x.branches else None,
             "rate": x.lost / (x.max * x.branches) if x.branches and x.max else None}
            for i, x in enumerate(ranked, start=1)]
    columns = [Column("rank", "排名", 5, "int"), Column("category", "项目", 14), Column("indicator", "指标", 30),
               Column("max", "分值", 6, "points"), Column("losing", "失分党支部数", 9, "int"),
               Column("losing_share", "失分党支部占比", 10, "percent"), Column("lost", "失分合计", 9, "points"),
               Column("average", "平均失分", 8, "points"), Column("rate", "失分率", 8, "percent")]
    top = [r for r in rows if r["lost"] > 0][:TOP]
    charts = []
    if top:
        labels = [_short(r["indicator"]) for r in top]
        charts = [Chart(f"平均失分最多的指标（前 {len(top)} 个，每个党支部平均）", labels,
                        [("平均失分", [r["average"] for r in top])], horizontal=True, value_label="分"),
                  Chart("失分党支部占比", labels, [("失分党支部占比", [r["losing_share"] for r in top])],
                        horizontal=True, percent=True)]
    return Document(title=f"{cycle.name}短板分析", filename=f"{cycle.name}-短板分析",
                    tables=[Table(columns, rows, sheet="短板分析", count=len(rows))], charts=charts,
                    preamble=[f"考评周期：{cycle.name}　统计党支部 {len(ids)} 个；{_stage_note()}",
                              "失分 = 指标分值 − 得分；失分率 = 失分合计 ÷（分值 × 党支部数）"])


def _losses(cycle, ids: list[int] | None, count: int, progress: Progress) -> dict[str, _Loss]:
    """Points lost per indicator over ``ids`` (None: the whole cycle, scored in one pass)."""
    from chuangxing.reports.scores import scored_groups

    losses: dict[str, _Loss] = {}
    done = 0
    for chunk in [None] if ids is None else chunks(ids):
        for group in scored_groups(cycle=cycle, ids=chunk):
            _add_losses(losses, group)
            done += len(group.ids)
        progress(done, count, "计分")
    return losses


def _add_losses(losses: dict[str, _Loss], group) -> None:
    n = len(group.ids)
    for category in group.rubric.categories:
        for indicator in category.indicators:
            scaled_max = int(indicator.max * group.one)
            lost = scaled_max - group.nodes[group.row_of[indicator.id]]
            entry = losses.get(indicator.id)
            if entry is None:
                entry = losses[indicator.id] = _Loss(category.title, indicator.title, indicator.max)
            entry.lost += Decimal(int(lost.sum())) / group.one
            entry.losing += int((lost > 0).sum())
            entry.branches += n


def _short(text: str, size: int = 18) -> str:
    return text if len(text) <= size else text[:size] + "…"


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


__all__ = ["committee_summary", "distribution", "recommendations", "short_board", "unstarred"]
