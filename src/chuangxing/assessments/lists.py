"""The official lists of a finalized cycle, as rows (plain dicts) for the report renderers; and rectification.

>>> recommend(assessment=a, by=reviewer, reason="主题党日品牌突出，示范作用好")   # process['recommended'] = True
>>> rows = recommendation_rows(cycle=cycle)          # 附件2: 序号, 党支部名称, 党支部负责人, 联系方式, 支部类型
>>> recommendation_quota(cycle=cycle)["message"]
'推荐示范党支部 3 个，占党支部总数 100 个的 3%，少于规定的 20%（至少 20 个），还差 17 个'
>>> unrated_rows(cycle=cycle)                        # 未授星 / 未达标, with the veto reasons
>>> open_rectification(assessment=a, items=None, due_on=date(2027, 3, 31), by=reviewer)   # 提示反馈清单 from the sheet
>>> distribution(cycle=cycle)                        # share at or above each target level, overall and per committee

Every list reads the final ratings (:class:`FinalRating`) of the assessments that were finalized
(states finalized, rectification, reinspected). Each ``*_COLUMNS`` names a list's columns in order,
with the header the official layout uses; rows carry those keys and a few more (ids) for linking.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import F, QuerySet
from django.utils import timezone

from chuangxing.assessments import services
from chuangxing.assessments.bulk import rubric_of_snapshot, score_one
from chuangxing.assessments.models import (
    Assessment,
    Cycle,
    FinalRating,
    Rectification,
    Role,
    State,
)
from chuangxing.assessments.sampling import committees_of
from chuangxing.assessments.workflow import RATED, Refused
from chuangxing.orgs.models import BranchType, CommitteePost, Duty
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring import score
from chuangxing.scoring.points import fmt
from chuangxing.scoring.sheet import ScoreSheet

RECOMMENDED = "recommended"
CHUNK = 500          # ids per ``IN (...)``
RECOMMENDABLE = (State.UNDER_REVIEW, State.REVIEWED, State.SAMPLED, State.SPOT_CHECKED, State.ANNOUNCED)

RECOMMENDATION_COLUMNS = (("number", "序号"), ("name", "党支部名称"), ("leader", "党支部负责人"),
                          ("phone", "联系方式"), ("branch_type", "支部类型"))
UNRATED_COLUMNS = (("number", "序号"), ("name", "党支部名称"), ("committee", "上级党组织"), ("branch_type", "支部类型"),
                   ("total", "得分"), ("rating", "评定结果"), ("reasons", "原因"))
DISTRIBUTION_COLUMNS = (("committee", "党组织"), ("target_text", "目标"), ("branches", "党支部数"),
                        ("count", "达到数"), ("share", "占比"), ("target", "目标占比"), ("met", "是否达到"),
                        ("needed", "尚差"))


# -- recommendation (示范 from 先进, 附件2) --------------------------------------------------------
@services.service
def recommend(*, assessment: Assessment, by, reason: str, version: int | None = None) -> Assessment:
    """Recommend a branch up the hierarchy (逐级推荐): sets ``process['recommended']``, with a reason."""
    services._require_role(by, (Role.REVIEWER, Role.ADMIN), assessment)
    rubric = services.rubric_of(assessment)
    if RECOMMENDED not in rubric.process_flags:
        raise Refused("no_recommendation", f"考评标准“{rubric.title}”没有推荐环节", "the rubric has no recommended flag")
    if assessment.state not in RECOMMENDABLE:
        raise Refused("not_recommendable", f"当前状态为“{State(assessment.state).label}”，不能推荐（审核开始后、评定之前推荐）",
                      f"cannot recommend in {assessment.state}")
    if not reason.strip():
        raise Refused("reason_required", "推荐须写明理由", "a recommendation needs a reason")
    target = _recommended_level(rubric)
    if target is not None:
        scheme, level = target
        trial = services.findings_data(assessment, stage="inspection" if assessment.sampled else "review")
        trial["process"][RECOMMENDED] = True
        reached = score(rubric, trial).rating_of(scheme.id)
        ids = [lv.id for lv in scheme.levels]
        if reached is None or ids.index(reached.eligible) < ids.index(level.id):
            below = ids.index(level.id) - 1
            raise Refused("not_eligible", f"只有达到“{scheme.levels[below].label}”的党支部才能推荐为“{level.label}”"
                          f"（本支部为“{reached.eligible_label if reached else '—'}”）", "below the recommended level")
    return set_process_flag(assessment, RECOMMENDED, True, by=by, version=version, action="recommend", reason=reason)


def set_process_flag(assessment: Assessment, flag: str, value: bool, *, by, version: int | None, action: str,
                     reason: str) -> Assessment:
    """Set one of the rubric's process flags (审核认定, 预报, 推荐), bumping the version, with an audit entry."""
    if version is not None:
        services._bump_version(assessment, version)
    else:
        Assessment.objects.filter(pk=assessment.pk).update(version=F("version") + 1)
    old = assessment.process.get(flag)
    assessment.process = {**assessment.process, flag: value}
    Assessment.objects.filter(pk=assessment.pk).update(process=assessment.process)
    services.cycle_changed(assessment.cycle_id)
    assessment.refresh_from_db(fields=["version", "process"])
    services.audit(by=by, action=action, assessment=assessment, target=f"process:{flag}", old=old, new=value,
                   reason=reason)
    return assessment


def _recommended_level(rubric: Rubric):
    """(scheme, level) that the ``recommended`` flag opens (焦作: grade 示范), or None."""
    for scheme in rubric.ratings:
        for level in scheme.levels:
            if RECOMMENDED in level.requires:
                return scheme, level
    return None


def recommendation_rows(*, cycle: Cycle) -> list[dict[str, Any]]:
    """附件2《推荐标准化规范化建设示范党支部名单》: the finalized branches rated at the recommended level."""
    rubric = main_rubric(cycle)
    target = _recommended_level(rubric)
    rated = cycle.assessments.filter(state__in=RATED)
    if target is not None:
        rated = rated.filter(ratings__scheme=target[0].id, ratings__level=target[1].id)
    else:
        rated = rated.filter(process__recommended=True)
    rows = list(rated.order_by("branch__path").values("id", "branch_id", "branch__name", "branch__contact_phone",
                                                          "branch__branch_type", "final_total"))
    leaders = secretaries(rated.values("branch_id"))
    types = dict(BranchType.choices)
    return [{"number": i, "name": r["branch__name"], "leader": leaders.get(r["branch_id"], ""),
             "phone": r["branch__contact_phone"], "branch_type": types.get(r["branch__branch_type"], ""),
             "assessment_id": r["id"], "branch_id": r["branch_id"], "total": r["final_total"]}
            for i, r in enumerate(rows, start=1)]


def recommendation_quota(*, cycle: Cycle, rows: Sequence[Mapping] | None = None) -> dict[str, Any]:
    """The quota check of the recommendation list (焦作: 数量不少于党支部数的20%)."""
    rows = recommendation_rows(cycle=cycle) if rows is None else rows
    branches = cycle.assessments.count()
    share = cycle.recommendation_min_share
    if share is None:
        share = main_rubric(cycle).process.recommendation_min_share
    count = len(rows)
    if share is None:
        return {"branches": branches, "recommended": count, "min_share": None, "required": 0, "shortfall": 0,
                "ok": True, "message": f"推荐示范党支部 {count} 个（本标准未规定推荐比例）"}
    share = Decimal(share)
    required = math.ceil(share * branches)
    shortfall = max(0, required - count)
    head = f"推荐示范党支部 {count} 个，占党支部总数 {branches} 个的 {percent(count, branches)}"
    if shortfall:
        message = f"{head}，少于规定的 {percent_of(share)}（至少 {required} 个），还差 {shortfall} 个"
    else:
        message = f"{head}，达到规定的 {percent_of(share)}（至少 {required} 个）"
    return {"branches": branches, "recommended": count, "min_share": share, "required": required,
            "shortfall": shortfall, "ok": not shortfall, "message": message}


def secretaries(branch_ids: Sequence[int] | QuerySet) -> dict[int, str]:
    """{branch id: the name of its secretary (书记) in office}, from the committee posts.

    ``branch_ids``: a list, or a queryset of ids (``….values("branch_id")``: one query, as a subquery).
    """
    chunks = [branch_ids] if isinstance(branch_ids, QuerySet) else [
        list(branch_ids)[start:start + CHUNK] for start in range(0, len(branch_ids), CHUNK)]
    out = {}
    for chunk in chunks:
        posts = CommitteePost.objects.filter(term__branch_id__in=chunk, duty=Duty.SECRETARY, member__isnull=False,
                                             ended_on__isnull=True)
        for branch_id, name in posts.order_by("term__branch_id", "started_on", "pk").values_list("term__branch_id",
                                                                                                  "member__name"):
            out[branch_id] = name       # the latest in office wins
    return out


# -- 未授星 / 未达标 ------------------------------------------------------------------------------
def unrated_rows(*, cycle: Cycle, scheme: str | None = None) -> list[dict[str, Any]]:
    """Branches whose rating under ``scheme`` (the main one by default) is its lowest level or blocked by a veto."""
    rubric = main_rubric(cycle)
    chosen = next((s for s in rubric.ratings if s.id == scheme), None) if scheme else (rubric.ratings or [None])[0]
    if chosen is None or chosen.kind != "levels":
        raise Refused("no_such_scheme", f"考评标准没有分等次的评定方案“{scheme or ''}”", f"no levels scheme {scheme}")
    lowest = chosen.levels[0].id
    ratings = (FinalRating.objects.filter(assessment__cycle=cycle, assessment__state__in=RATED, scheme=chosen.id,
                                          level__in=["", lowest])
               .order_by("assessment__branch__path")
               .values("assessment_id", "assessment__branch_id", "assessment__branch__name",
                       "assessment__branch__branch_type", "assessment__final_total", "assessment__state", "label",
                       "level", "reasons"))
    strata, names = committees_of(cycle)
    types = dict(BranchType.choices)
    rows = []
    for i, r in enumerate(ratings, start=1):
        reasons = [x["text"] for x in r["reasons"]]
        rows.append({"number": i, "name": r["assessment__branch__name"],
                     "committee": names.get(strata.get(r["assessment__branch_id"]), ""),
                     "branch_type": types.get(r["assessment__branch__branch_type"], ""),
                     "total": r["assessment__final_total"], "rating": r["label"], "reasons": "；".join(reasons),
                     "blocked": r["level"] == "", "assessment_id": r["assessment_id"],
                     "branch_id": r["assessment__branch_id"], "state": r["assessment__state"]})
    return rows


# -- 提示反馈清单, rectification and re-inspection ------------------------------------------------
def final_stage(assessment: Assessment) -> str:
    return "inspection" if assessment.sampled else "review"


def feedback_items(assessment: Assessment, *, sheet: ScoreSheet | None = None) -> list[dict[str, Any]]:
    """提示反馈清单: the vetoes, then one item per rule that lost points (its wording), biggest loss first."""
    rubric = services.rubric_of(assessment)
    sheet = sheet or services.sheet_of(assessment, stage=final_stage(assessment))
    vetoes = score_one(assessment, stage=final_stage(assessment), sheet=sheet).vetoes
    items = [{"rule_id": v.id, "item": v.text + (f"（{v.reason}）" if v.reason else ""), "lost": None} for v in vetoes]
    lost: dict[str, Decimal] = defaultdict(Decimal)
    earned: dict[str, Decimal] = defaultdict(Decimal)
    texts: dict[str, str] = {}
    for entry in (e for category in sheet.categories for e in category.trace() if e.rule is not None):
        texts[entry.rule] = entry.text
        if entry.points < 0:
            lost[entry.rule] -= entry.points
        else:
            earned[entry.rule] += entry.points
    for entry in (e for a in sheet.adjustments if a.type == "penalty" for e in a.entries if e.rule is not None):
        texts[entry.rule] = entry.text
        lost[entry.rule] += abs(entry.points)
    for node, _ in rubric.nodes():
        for rule in node.rules:
            top = rule.max_points() if rule.enabled and rule.effect == "award" else None
            if top and rule.kind not in ("all_or_nothing", "zero_if") and earned[rule.id] < top:
                lost[rule.id] += top - earned[rule.id]
                texts.setdefault(rule.id, rule.text)
    order = {rule.id: i for i, (rule, _) in enumerate(rubric.rules())}
    ranked = sorted((r for r in lost if lost[r] > 0), key=lambda r: (-lost[r], order.get(r, 0)))
    return items + [{"rule_id": r, "item": texts[r], "lost": lost[r]} for r in ranked]


@services.service
def open_rectification(*, assessment: Assessment, items: Sequence[Mapping[str, Any] | str] | None, due_on: date | None,
                       by, reason: str = "") -> list[Rectification]:
    """List a finalized branch for rectification (整改) with its 提示反馈清单 (``items`` None: from its sheet)."""
    if items is None:
        items = feedback_items(assessment)
    rows = [{"item": x, "rule_id": ""} if isinstance(x, str) else {"item": str(x["item"]), "rule_id": x.get("rule_id") or ""}
            for x in items]
    rows = [r for r in rows if r["item"].strip()]
    if not rows:
        raise Refused("no_items", "提示反馈清单不能为空", "a rectification needs at least one item")
    if not reason.strip():
        main = assessment.ratings.order_by("pk").first()
        reason = f"评定为“{main.label}”，列入整改" if main else "列入整改"
        reason += f"（提示反馈清单 {len(rows)} 项）"
    services.transition(assessment=assessment, action="rectify", by=by, reason=reason)
    made = Rectification.objects.bulk_create([Rectification(assessment=assessment, item=r["item"], rule_id=r["rule_id"],
                                                            due_on=due_on) for r in rows])
    services.audit(by=by, action="rectification_items", assessment=assessment, target="rectification",
                   new=[r["item"] for r in rows], reason=reason)
    return made


@services.service
def answer_rectification(*, rectification: Rectification, response: str, by, now=None) -> Rectification:
    """The branch's account of how it put one item right (整改情况)."""
    assessment = rectification.assessment
    services._require_role(by, (Role.SECRETARY, Role.ADMIN), assessment)
    if assessment.state != State.RECTIFICATION:
        raise Refused("not_in_rectification", f"当前状态为“{State(assessment.state).label}”，不能填写整改情况",
                      f"cannot answer in {assessment.state}")
    response = (response or "").strip()
    if not response:
        raise Refused("empty_response", "请写明整改情况", "a response needs text")
    old = rectification.response
    rectification.response, rectification.responded_at = response, now or timezone.now()
    rectification.save(update_fields=["response", "responded_at"])
    services.audit(by=by, action="answer_rectification", assessment=assessment,
                   target=f"rectification:{rectification.pk}", old=old or None, new=response)
    return rectification


@services.service
def reinspect(*, assessment: Assessment, passed: bool, by, reason: str = "") -> Assessment:
    """复检 after rectification: every item must have been answered; records whether it passed."""
    open_items = assessment.rectifications.filter(response="").count()
    if open_items:
        raise Refused("rectification_unanswered", f"还有 {open_items} 项整改未填写整改情况，不能复检",
                      f"{open_items} items unanswered")
    assessment = services.transition(assessment=assessment, action="reinspect", by=by,
                                     reason=reason or ("复检通过" if passed else "复检未通过"))
    assessment.rectifications.update(passed=passed)
    return assessment


# -- distribution against the targets ---------------------------------------------------------------
def targets_of(cycle: Cycle) -> list[dict[str, Any]]:
    """The cycle's targets, else its rubric's: [{scheme, at_least, share, text}]."""
    if cycle.targets:
        return [{"scheme": t["scheme"], "at_least": t["at_least"], "share": Decimal(str(t["share"])),
                 "text": t.get("text") or ""} for t in cycle.targets]
    return [{"scheme": t.scheme, "at_least": t.at_least, "share": t.share, "text": t.text or ""}
            for t in main_rubric(cycle).targets]


def distribution(*, cycle: Cycle, per_committee: bool = True) -> list[dict[str, Any]]:
    """Share of branches at or above each target level, overall (first) and per committee.

    The denominator is every branch of the cycle (a branch not yet rated is not at any level).
    ``met`` and ``needed`` are exact (``count ≥ share × branches``); ``share`` is rounded for reading.
    """
    rubric = main_rubric(cycle)
    targets = targets_of(cycle)
    schemes = {s.id: [lv.id for lv in s.levels] for s in rubric.ratings if s.kind == "levels"}
    strata, names = committees_of(cycle)
    levels = defaultdict(dict)
    for branch_id, scheme, level in FinalRating.objects.filter(
            assessment__cycle=cycle, assessment__state__in=RATED,
            scheme__in=[t["scheme"] for t in targets]).values_list("assessment__branch_id", "scheme", "level"):
        levels[scheme][branch_id] = level
    groups: dict[Any, list[int]] = {None: list(strata)}
    if per_committee:
        for branch_id, committee in sorted(strata.items()):
            groups.setdefault(committee, []).append(branch_id)
    rows = []
    for group, branch_ids in groups.items():
        for t in targets:
            ids = schemes.get(t["scheme"], [])
            if t["at_least"] not in ids:
                continue
            floor = ids.index(t["at_least"])
            count = sum(1 for b in branch_ids if levels[t["scheme"]].get(b) in ids[floor:])
            total = len(branch_ids)
            needed = max(0, math.ceil(t["share"] * total) - count)
            label = _level_label(rubric, t["scheme"], t["at_least"])
            rows.append({"committee_id": group, "committee": "全部" if group is None else names.get(group, ""),
                         "scheme": t["scheme"], "level": t["at_least"], "level_label": label,
                         "target_text": t["text"] or f"{label}及以上不低于{percent_of(t['share'])}",
                         "branches": total, "count": count, "share": ratio(count, total), "target": t["share"],
                         "met": count >= t["share"] * total, "needed": needed})
    return rows


def _level_label(rubric: Rubric, scheme: str, level: str) -> str:
    for s in rubric.ratings:
        for lv in s.levels:
            if s.id == scheme and lv.id == level:
                return lv.label
    return level


# -- helpers ----------------------------------------------------------------------------------------
def main_rubric(cycle: Cycle) -> Rubric:
    """The cycle's own rubric (not a variant's): the one its lists and targets are written against."""
    snapshot = cycle.snapshots.filter(rubric_id=cycle.rubric_id).first() or cycle.snapshots.first()
    return rubric_of_snapshot(snapshot, cycle)


def ratio(count: int, total: int) -> Decimal:
    """``count / total`` rounded half up to four places (for reading; decisions compare exactly)."""
    if not total:
        return Decimal("0.0000")
    return (Decimal(count) / Decimal(total)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def percent(count: int, total: int) -> str:
    if not total:
        return "0%"
    value = (Decimal(count) * 100 / Decimal(total)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{fmt(value)}%"


def percent_of(share: Decimal) -> str:
    return f"{fmt(Decimal(share) * 100)}%"
