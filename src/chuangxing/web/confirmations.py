"""What a cycle-wide step of the admin's pages will do, in sentences with the figures, shown before it is done.

>>> sample_plan(cycle)["lines"][0]        # "只有 2/60 个党支部已审核；其余 58 个不参加抽样。"
>>> announce_plan(cycle)["count"]         # how many branches the notice will list
>>> cancel_plan(cycle)["lines"]

Each plan is the first step of a two-step POST (the pages have no inline script, so no ``confirm()``): the
first POST renders the plan beside the button, with a 确认 button that posts again with ``confirm=1``.
A plan whose ``count`` is 0, or that is ``blocked`` (the service would refuse it: a spot check still open, a
notice too short, a notice still running, an objection unanswered), asks nothing: the service is called at
once and says why it cannot be done.
"""

from __future__ import annotations

from django.db.models import Count
from django.utils import timezone

from chuangxing.assessments import sampling
from chuangxing.assessments.models import Cycle, Objection, ObjectionStatus, SampleDraw, State
from chuangxing.assessments.workflow import RATED

ANNOUNCEABLE = (State.REVIEWED, State.SPOT_CHECKED)


def state_counts(cycle: Cycle) -> dict[str, int]:
    return dict(cycle.assessments.values_list("state").annotate(n=Count("id")).values_list("state", "n"))


def _percent(share) -> str:
    return f"{share * 100:.1f}".rstrip("0").rstrip(".")


def sample_plan(cycle: Cycle) -> dict:
    counts = state_counts(cycle)
    total, reviewed = sum(counts.values()), counts.get(State.REVIEWED, 0)
    drawn = sampling.sample_size(reviewed, cycle.spot_check_share)
    rest = total - reviewed
    lines = [f"只有 {reviewed}/{total} 个党支部已审核；其余 {rest} 个不参加抽样。" if rest
             else f"全部 {total} 个党支部均已审核，都参加抽样。",
             f"按抽验比例 {_percent(cycle.spot_check_share)}% 将抽取 {drawn} 个党支部，抽中的进入“抽验中”；"
             "抽样结果记录在案，不能撤销。"]
    if SampleDraw.objects.filter(cycle=cycle).exists():
        lines.append("本周期已抽取过样本，这次抽取将在已抽中的之外再抽。")
    return {"count": reviewed, "drawn": drawn, "lines": lines}


def announce_plan(cycle: Cycle, *, starts_on, ends_on) -> dict:
    counts = state_counts(cycle)
    total = sum(counts.values())
    going = sum(counts.get(s, 0) for s in ANNOUNCEABLE)
    done = counts.get(State.ANNOUNCED, 0) + sum(counts.get(s, 0) for s in RATED)
    behind = total - going - done
    lines = [f"将有 {going} 个党支部进入公示（已审核 {counts.get(State.REVIEWED, 0)} 个、已抽验 "
             f"{counts.get(State.SPOT_CHECKED, 0)} 个），公示期 {starts_on:%Y年%m月%d日}至{ends_on:%Y年%m月%d日}。"]
    if behind:
        lines.append(f"还有 {behind}/{total} 个党支部尚未完成审核或抽验，不在本次公示之列。")
    if done:
        lines.append(f"已公示或已评定的 {done} 个党支部不受影响。")
    lines.append("发布后公示页面即公开，不能撤回。")
    blocked = bool(counts.get(State.SAMPLED)) or (ends_on - starts_on).days + 1 < cycle.announce_days
    return {"count": going, "lines": lines, "blocked": blocked}


def finalize_plan(cycle: Cycle) -> dict:
    counts = state_counts(cycle)
    total, announced = sum(counts.values()), counts.get(State.ANNOUNCED, 0)
    still_open = Objection.objects.filter(notice__cycle=cycle, status=ObjectionStatus.OPEN).count()
    rated = sum(counts.get(s, 0) for s in RATED)
    lines = [f"将对公示中的 {announced} 个党支部评定星级（等次），评定后不能更改。"]
    if total - announced - rated:
        lines.append(f"其余 {total - announced - rated}/{total} 个党支部不在公示中，本次不评定。")
    lines.append(f"未答复的异议 {still_open} 条" + ("：须先答复或不予受理，否则不能评定。" if still_open else "。"))
    running = cycle.notices.filter(ends_on__gte=timezone.localdate()).exists()
    return {"count": announced, "open_objections": still_open, "lines": lines, "blocked": bool(still_open or running)}


def cancel_plan(cycle: Cycle) -> dict:
    counts = state_counts(cycle)
    total = sum(counts.values())
    started = total - counts.get(State.DRAFT, 0)
    return {"count": total, "lines": [
        f"将取消考评周期“{cycle.name}”：其 {total} 个党支部的考评（其中 {started} 个已开始自评或更进一步）全部停止，"
        "不能再填写、提交、审核、抽验、公示或评定；已有的数据仍可查看。",
        "此操作不可撤销；取消的理由将记入审计日志。"]}
