"""公示 and 评定: the public notice, its objections, and the final ratings of a cycle.

>>> notice = announce(cycle=cycle, title="2026年度党支部评星定级结果公示", starts_on=date(2026, 12, 16),
...                   ends_on=date(2026, 12, 22), by=admin)           # reviewed / spot-checked → announced
>>> objection = object_to(notice=notice, assessment=a, text="该支部主题党日多次未开展")   # anyone, no login
>>> answer_objection(objection=objection, answer="经核实，已按规定扣分", by=reviewer)
>>> finalize(cycle=cycle, by=admin)            # refused while an objection is unanswered or the notice runs
{'finalized': 30000, 'ratings': {'stars': {'三星': 14210, ...}}}

Finalization rates every announced assessment on its final sheet (the inspection stage for a sampled
branch, the review stage for the others), stores ``final_total`` and one :class:`FinalRating` per
rating scheme (level, label, stars, and the reasons: the vetoes that block the scheme and a spot-check
downgrade), and moves it to ``finalized``. It is set-based: the facts and findings of the whole cycle
are read in a few queries, scored with the batch engine (:mod:`chuangxing.assessments.bulk`), and
written with bulk inserts and a handful of updates, so a 30,000-branch cycle finalizes in seconds
(``bench/finalize_cycle.py``).

When every assessment of the cycle is then rated (``finalized``, or already in rectification or
re-inspected), the cycle is closed (``CycleStatus.CLOSED``, 已结束): nothing is left to self-assess,
review or announce, and the facts no longer follow the records. Branches not yet announced keep it
open (``summary["closed"]`` False) until a later finalization rates them. Rectification and
re-inspection (``lists.open_rectification``, ``lists.reinspect``) follow the ratings and still run
in a closed cycle; the branches in rectification keep it on their 我的工作 page.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from chuangxing.assessments import permissions
from chuangxing.assessments.bulk import Scored, insert_rows, score_assessments, update_column
from chuangxing.assessments.models import (
    Assessment,
    AuditEntry,
    Cycle,
    CycleStatus,
    FinalRating,
    Notice,
    Objection,
    Role,
    State,
)
from chuangxing.assessments.services import _require_role, audit, cycle_changed, service
from chuangxing.assessments.workflow import Refused, move_for
from chuangxing.scoring.points import fmt

SHOWN = 10           # objections or branches named in one message
MAX_OBJECTION = 2000


# -- the notice ---------------------------------------------------------------------------------
@service
def announce(*, cycle: Cycle, title: str, starts_on: date, ends_on: date, by, body: str = "", now=None) -> Notice:
    """Publish a notice and move every reviewed or spot-checked assessment of ``cycle`` to ``announced``."""
    move = move_for("announce", State.REVIEWED)
    permissions.require(by, move.roles, cycle.root)
    days = (ends_on - starts_on).days + 1
    if days < 1:
        raise Refused("bad_period", "公示结束日期早于开始日期", "notice ends before it starts")
    if days < cycle.announce_days:
        raise Refused("notice_too_short", f"公示期为 {days} 天，少于规定的 {cycle.announce_days} 天",
                     f"notice runs {days} days, at least {cycle.announce_days} needed")
    pending = list(cycle.assessments.filter(state=State.SAMPLED).values_list("branch__name", flat=True)[:SHOWN + 1])
    if pending:
        raise Refused("inspections_open", f"还有党支部抽验未完成，不能公示：{_names(pending)}",
                     "spot checks still open")
    ids = list(cycle.assessments.filter(state__in=move.sources).values_list("id", "state"))
    if not ids:
        raise Refused("nothing_to_announce", "没有已审核或已抽验的党支部可以公示", "nothing to announce")
    notice = Notice.objects.create(cycle=cycle, title=title, starts_on=starts_on, ends_on=ends_on,
                                   published_by=by if _person(by) else None,
                                   body=body or f"公示期自{_day(starts_on)}至{_day(ends_on)}，共 {len(ids)} 个党支部。"
                                                "对公示结果有异议的，请在公示期内提出。")
    moved = cycle.assessments.filter(state__in=move.sources).update(state=move.target, version=F("version") + 1,
                                                                     updated_at=now or timezone.now())
    if moved != len(ids):
        raise Refused("conflict", "公示期间有考评的状态被他人改变，请重新公示", "assessments changed while announcing")
    cycle_changed(cycle.pk)
    _audit_moves(by, ids, action="announce", new=move.target, reason=f"公示：{title}")
    audit(by=by, action="announce_notice", target=f"notice:{notice.pk}",
          new={"cycle": cycle.pk, "assessments": len(ids), "starts_on": str(starts_on), "ends_on": str(ends_on)})
    return notice


@transaction.atomic
def object_to(*, notice: Notice, assessment: Assessment, text: str, now=None) -> Objection:
    """An objection to one announced result, from anyone (公示 is public: no login)."""
    today = timezone.localdate(now) if now else timezone.localdate()
    if assessment.cycle_id != notice.cycle_id or assessment.state != State.ANNOUNCED:
        raise Refused("not_announced", f"“{assessment.branch.name}”不在本次公示之列", "assessment is not announced")
    if not notice.starts_on <= today <= notice.ends_on:
        raise Refused("notice_closed", f"不在公示期内（{_day(notice.starts_on)}至{_day(notice.ends_on)}），"
                     "不能提出异议", "the notice is not running")
    text = (text or "").strip()
    if not text:
        raise Refused("empty_objection", "请写明异议内容", "an objection needs text")
    if len(text) > MAX_OBJECTION:
        raise Refused("objection_too_long", f"异议内容不超过 {MAX_OBJECTION} 字", "objection too long")
    objection = Objection.objects.create(notice=notice, assessment=assessment, text=text)
    audit(by=None, action="objection", assessment=assessment, target=f"objection:{objection.pk}", new=text)
    return objection


@service
def answer_objection(*, objection: Objection, answer: str, by, now=None) -> Objection:
    """The committee's answer to an objection (a later answer replaces an earlier one; both are audited)."""
    assessment = objection.assessment
    _require_role(by, (Role.REVIEWER, Role.ADMIN), assessment)
    answer = (answer or "").strip()
    if not answer:
        raise Refused("empty_answer", "请写明答复内容", "an answer needs text")
    old = objection.answer
    objection.answer, objection.answered_by, objection.answered_at = answer, by, now or timezone.now()
    objection.save(update_fields=["answer", "answered_by", "answered_at"])
    audit(by=by, action="answer_objection", assessment=assessment, target=f"objection:{objection.pk}",
          old=old or None, new=answer)
    return objection


# -- finalization -------------------------------------------------------------------------------
@service
def finalize(*, cycle: Cycle, by, now=None) -> dict:
    """Rate every announced assessment of ``cycle`` and move it to ``finalized``; a summary of what was given."""
    move = move_for("finalize", State.ANNOUNCED)
    permissions.require(by, move.roles, cycle.root)
    _check_publicity_over(cycle, timezone.localdate(now) if now else timezone.localdate())
    scored = score_assessments(cycle=cycle, states=[State.ANNOUNCED], stage="final")
    if not scored:
        raise Refused("nothing_to_finalize", "没有公示中的党支部可以评定", "nothing announced to finalize")
    downgrades = dict(cycle.assessments.filter(state=State.ANNOUNCED, downgraded=True)
                      .values_list("id", "downgrade_reason"))
    FinalRating.objects.filter(assessment_id__in=_subquery(cycle)).delete()
    insert_rows(FinalRating, ("assessment", "scheme", "level", "label", "stars", "reasons"),
                ((pk, rated.scheme, rated.level or "", rated.label, rated.stars, final_reasons(s, rated.scheme,
                                                                                             downgrades.get(pk)))
                 for pk, s in scored.items() for rated in s.ratings.values()))
    update_column(Assessment, "final_total", {pk: s.total for pk, s in scored.items()})
    moved = cycle.assessments.filter(state=State.ANNOUNCED).update(state=move.target, version=F("version") + 1,
                                                                   updated_at=now or timezone.now())
    if moved != len(scored):
        raise Refused("conflict", "评定期间有考评的状态被他人改变，请重新评定", "assessments changed while finalizing")
    cycle_changed(cycle.pk)
    _audit_moves(by, [(pk, State.ANNOUNCED) for pk in scored], action="finalize", new=move.target,
                 reasons={pk: _summary(s) for pk, s in scored.items()})
    summary = {"finalized": len(scored), "ratings": _distribution(scored), "closed": _close_if_rated(cycle)}
    audit(by=by, action="finalize_cycle", target=f"cycle:{cycle.pk}", new=summary)
    return summary


# Rated: finalization is behind the assessment (rectification and re-inspection follow the rating).
RATED = (State.FINALIZED, State.RECTIFICATION, State.REINSPECTED)


def _close_if_rated(cycle: Cycle) -> bool:
    """Close ``cycle`` (已结束) when every one of its assessments is rated; True if it is closed now."""
    if cycle.assessments.exclude(state__in=RATED).exists():
        return False
    Cycle.objects.filter(pk=cycle.pk).update(status=CycleStatus.CLOSED)
    cycle.status = CycleStatus.CLOSED
    return True


def final_reasons(scored: Scored, scheme: str, downgrade: str | None) -> list[dict]:
    """What a :class:`FinalRating` says besides its level: the vetoes that block it, a downgrade."""
    if not scored.vetoes and not downgrade:
        return []
    reasons = [{"kind": "veto", "id": v.id, "text": v.sentence()} for v in scored.vetoes if v.blocks_scheme(scheme)]
    if downgrade:
        reasons.append({"kind": "downgrade", "text": f"抽验降级：{downgrade}"})
    return reasons


def _check_publicity_over(cycle: Cycle, today: date) -> None:
    running = cycle.notices.filter(ends_on__gte=today).order_by("-ends_on").first()
    if running is not None:
        raise Refused("notice_period_open", f"公示“{running.title}”至{_day(running.ends_on)}结束，公示期满后才能评定",
                     "the notice period has not ended")
    open_ = list(Objection.objects.filter(notice__cycle=cycle, answer="").select_related("assessment__branch")
                 .order_by("submitted_at", "pk")[:SHOWN + 1])
    if open_:
        total = Objection.objects.filter(notice__cycle=cycle, answer="").count()
        listed = "；".join(f"{o.assessment.branch.name}：“{_short(o.text)}”" for o in open_[:SHOWN])
        more = f"等 {total} 条" if total > SHOWN else f"共 {total} 条"
        raise Refused("objections_open", f"公示期间的异议尚未全部答复，不能评定（{listed}，{more}）",
                     f"{total} objections unanswered")


def _subquery(cycle: Cycle):
    return cycle.assessments.filter(state=State.ANNOUNCED).values("id")


def _summary(s: Scored) -> str:
    ratings = "，".join(f"{r.label}" for r in s.ratings.values())
    return f"评定：总分 {fmt(s.total)} 分" + (f"，{ratings}" if ratings else "")


def _distribution(scored: dict[int, Scored]) -> dict[str, dict[str, int]]:
    out: dict[str, Counter] = defaultdict(Counter)
    for s in scored.values():
        for rated in s.ratings.values():
            out[rated.scheme][rated.label] += 1
    return {scheme: dict(counts) for scheme, counts in out.items()}


def _audit_moves(by, rows: list[tuple[int, str]], *, action: str, new: str, reason: str = "",
                 reasons: dict[int, str] | None = None) -> None:
    actor = by.pk if _person(by) else None
    now = timezone.now()
    insert_rows(AuditEntry, ("at", "actor", "action", "assessment", "target", "old", "new", "reason", "denied"),
                ((now, actor, action, pk, "state", str(old), str(new), (reasons or {}).get(pk, reason), False)
                 for pk, old in rows))


def _names(names: list[str]) -> str:
    return "、".join(names[:SHOWN]) + ("等" if len(names) > SHOWN else "")


def _short(text: str, size: int = 30) -> str:
    return text if len(text) <= size else text[:size] + "…"


def _day(day: date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _person(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))
