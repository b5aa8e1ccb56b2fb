"""公示 and 评定: the public notice, its objections, and the final ratings of a cycle.

>>> notice = announce(cycle=cycle, title="2026年度党支部评星定级结果公示", starts_on=date(2026, 12, 16),
...                   ends_on=date(2026, 12, 22), by=admin)           # reviewed / spot-checked → announced
>>> objection = object_to(notice=notice, assessment=a, text="该支部主题党日多次未开展", source="10.0.0.7")  # no login
>>> answer_objection(objection=objection, answer="经核实，已按规定扣分", by=reviewer)
>>> dismiss_objections(cycle=cycle, objections=[12, 13, 14], reason="重复提交", spam=True, by=admin)
3
>>> finalize(cycle=cycle, by=admin)            # refused while an objection is open or the notice runs
{'finalized': 30000, 'ratings': {'stars': {'三星': 14210, ...}}}

Objections are public and anonymous, so nobody should be able to block a cycle by flooding it:

- ``object_to`` counts objections in Django's cache (shared by every app server with
  ``CHUANGXING_CACHE=database``): at most ``OBJECTIONS_PER_SOURCE`` per address and notice in
  ``SOURCE_WINDOW`` seconds, and ``OBJECTIONS_PER_NOTICE`` per notice from everyone in ``NOTICE_WINDOW``
  (the refusal is ``too_many_objections``, HTTP 429 on the page); an objection holds at most
  ``MAX_OBJECTION`` characters.
- the admin closes many open objections in one audited call, ``dismiss_objections``: 不予受理 with
  one reason, or ``spam=True`` (恶意或重复提交). Closing is final; the public notice shows each closed
  objection as “不予受理” with the reason (never the objection's own text, for any status).
- only open objections (``ObjectionStatus.OPEN``) hold finalization back.

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

import hashlib
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date

from django.core.cache import cache
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
    ObjectionStatus,
    Role,
    State,
)
from chuangxing.assessments.services import _require_role, audit, check_cycle_live, cycle_changed, service
from chuangxing.assessments.workflow import RATED, Refused, move_for
from chuangxing.scoring.points import fmt

SHOWN = 10           # objections or branches named in one message
MAX_OBJECTION = 2000         # characters in an objection, an answer or a reason
OBJECTIONS_PER_SOURCE, SOURCE_WINDOW = 3, 600       # per address and notice: 3 in 10 minutes
OBJECTIONS_PER_NOTICE, NOTICE_WINDOW = 30, 60       # per notice, from everyone: 30 a minute
SPAM_REASON = "恶意或重复提交"


# -- the notice ---------------------------------------------------------------------------------
@service
def announce(*, cycle: Cycle, title: str, starts_on: date, ends_on: date, by, body: str = "", now=None) -> Notice:
    """Publish a notice and move every reviewed or spot-checked assessment of ``cycle`` to ``announced``."""
    move = move_for("announce", State.REVIEWED)
    permissions.require(by, move.roles, cycle.root)
    check_cycle_live(cycle)
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
def object_to(*, notice: Notice, assessment: Assessment, text: str, source: str = "", now=None) -> Objection:
    """An objection to one announced result, from anyone (公示 is public: no login); ``source`` is the
    sender's address, for the flood limits (``too_many_objections``)."""
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
        raise Refused("objection_too_long", f"异议内容不能超过 {MAX_OBJECTION} 字（现有 {len(text)} 字），请精简后再提交",
                      "objection too long")
    if "\x00" in text:
        raise Refused("bad_text", "异议内容含有无法保存的字符，请删去后再提交", "NUL in objection")
    _throttle(notice, source)
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
    if objection.status in (ObjectionStatus.DISMISSED, ObjectionStatus.SPAM):
        raise Refused("objection_closed", "该异议已不予受理，不能再答复", "objection was dismissed")
    old = objection.answer
    objection.answer, objection.answered_by, objection.answered_at = answer, by, now or timezone.now()
    objection.status = ObjectionStatus.ANSWERED
    objection.save(update_fields=["answer", "answered_by", "answered_at", "status"])
    audit(by=by, action="answer_objection", assessment=assessment, target=f"objection:{objection.pk}",
          old=old or None, new=answer)
    return objection


@service
def dismiss_objections(*, cycle: Cycle, objections: Iterable[int], reason: str, by, spam: bool = False,
                       now=None) -> int:
    """Close open objections of ``cycle`` as 不予受理 with one ``reason`` (shown on the public notice), or as
    恶意或重复提交 (``spam``; the reason defaults to that). All or nothing; each is audited. Returns how many."""
    permissions.require(by, (Role.ADMIN,), cycle.root)
    ids = sorted(set(objections))
    if not ids:
        raise Refused("nothing_selected", "请先勾选要处理的异议", "no objection selected")
    reason = (reason or "").strip() or (SPAM_REASON if spam else "")
    if not reason:
        raise Refused("empty_reason", "请写明不予受理的理由（将在公示页面上显示）", "a dismissal needs a reason")
    if len(reason) > MAX_OBJECTION:
        raise Refused("reason_too_long", f"理由不能超过 {MAX_OBJECTION} 字（现有 {len(reason)} 字）", "reason too long")
    if "\x00" in reason:
        raise Refused("bad_text", "理由含有无法保存的字符，请删去后再提交", "NUL in reason")
    chosen = list(Objection.objects.filter(pk__in=ids, notice__cycle=cycle, status=ObjectionStatus.OPEN)
                  .select_related("assessment").order_by("pk"))
    if len(chosen) != len(ids):
        raise Refused("objections_changed", f"所选的 {len(ids)} 条异议中有 {len(ids) - len(chosen)} 条已处理或不属于本考评，"
                      "请刷新页面后重新选择", "objections already closed or elsewhere")
    status = ObjectionStatus.SPAM if spam else ObjectionStatus.DISMISSED
    closed = Objection.objects.filter(pk__in=ids, status=ObjectionStatus.OPEN).update(
        status=status, answer=reason, answered_by=by if _person(by) else None, answered_at=now or timezone.now())
    if closed != len(ids):
        raise Refused("objections_changed", "处理期间有异议被他人答复，请刷新页面后重新选择", "objections changed")
    for objection in chosen:
        audit(by=by, action="dismiss_objection", assessment=objection.assessment, target=f"objection:{objection.pk}",
              old=ObjectionStatus.OPEN.value, new=status.value, reason=reason)
    audit(by=by, action="dismiss_objections", target=f"cycle:{cycle.pk}", reason=reason,
          new={"status": status.value, "objections": ids})
    return closed


def _throttle(notice: Notice, source: str) -> None:
    """Count one objection to ``notice`` from ``source``; Refused once a window holds more than it may."""
    if source:
        address = hashlib.sha256(source.encode("utf-8", "replace")).hexdigest()[:32]
        if _count(f"objections:{notice.pk}:{address}", SOURCE_WINDOW) > OBJECTIONS_PER_SOURCE:
            raise Refused("too_many_objections",
                          f"同一网络地址 {SOURCE_WINDOW // 60} 分钟内对本公示最多提出 {OBJECTIONS_PER_SOURCE} 条异议，"
                          "请稍后再提交（多项意见可写在同一条异议中）", "objection rate limit (address)")
    if _count(f"objections:{notice.pk}", NOTICE_WINDOW) > OBJECTIONS_PER_NOTICE:
        raise Refused("too_many_objections", "本公示刚刚收到的异议过多，请过几分钟再提交", "objection rate limit (notice)")


def _count(key: str, window: int) -> int:
    """One more in ``key``'s window (which starts with its first count); the count so far."""
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:          # expired between add and incr
        cache.add(key, 1, timeout=window)
        return 1


# -- finalization -------------------------------------------------------------------------------
@service
def finalize(*, cycle: Cycle, by, now=None) -> dict:
    """Rate every announced assessment of ``cycle`` and move it to ``finalized``; a summary of what was given."""
    move = move_for("finalize", State.ANNOUNCED)
    permissions.require(by, move.roles, cycle.root)
    check_cycle_live(cycle)
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
    still_open = Objection.objects.filter(notice__cycle=cycle, status=ObjectionStatus.OPEN)
    open_ = list(still_open.select_related("assessment__branch").order_by("submitted_at", "pk")[:SHOWN + 1])
    if open_:
        total = still_open.count()
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
