"""公示 and 评定 in the browser: the admin announces, answers objections and finalizes; anyone reads a notice.

The public notice (``/notice/<id>/``) needs no sign-in: it lists the announced branches with their
results and takes an objection (``publicity.object_to``: only while the notice runs, a few per address:
over the limit the page answers 429 and says so beside the form). It also lists the objections received
and how each was handled (待答复, 已答复, or 不予受理 with its reason), without their text.

The admin closes several open objections at once as 不予受理 (``publicity.dismiss_objections``): the
first POST shows what will happen (how many, which reason; it cannot be undone) and a second one confirms.
Publishing the notice and 评定 ask the same way (``confirmations.announce_plan``, ``finalize_plan``: how
many branches go in, how many are not yet through, how many objections are open).
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from chuangxing.assessments import publicity
from chuangxing.assessments.models import FinalRating, Notice, Objection, ObjectionStatus, State
from chuangxing.assessments.workflow import WorkflowError
from chuangxing.web import confirmations, cycle_stats
from chuangxing.web.cycle_forms import AnswerForm, DismissForm, NoticeForm, ObjectionForm
from chuangxing.web.login import client_ip
from chuangxing.web.views.cycles import admin_cycle, confirmed, refused_message

NOTICE_STATES = (State.ANNOUNCED, State.FINALIZED, State.RECTIFICATION, State.REINSPECTED)


@require_http_methods(["GET", "POST"])
def cycle_publicity(request, cycle: int):
    cycle = admin_cycle(request, cycle)
    form = NoticeForm(request.POST) if request.method == "POST" else _notice_form(cycle)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        plan = confirmations.announce_plan(cycle, starts_on=data["starts_on"], ends_on=data["ends_on"])
        if plan["count"] and not plan["blocked"] and not confirmed(request):
            return render(request, "cycles/cycle_publicity.html", _publicity_context(cycle, form=form, announcing=plan))
        try:
            notice = publicity.announce(cycle=cycle, by=request.user, **form.cleaned_data)
        except WorkflowError as refusal:
            refused_message(request, refusal)
        else:
            messages.success(request, f"已发布公示“{notice.title}”，共 {cycle.assessments.filter(state=State.ANNOUNCED).count()}"
                                      " 个党支部进入公示")
            return redirect("web:cycle_publicity", cycle=cycle.pk)
    return render(request, "cycles/cycle_publicity.html", _publicity_context(cycle, form=form))


def _publicity_context(cycle, **extra) -> dict:
    notices = list(cycle.notices.order_by("-starts_on", "-pk"))
    objections = sorted(Objection.objects.filter(notice__cycle=cycle)
                        .select_related("assessment__branch", "answered_by", "notice"),
                        key=lambda o: (o.status != ObjectionStatus.OPEN, o.submitted_at, o.pk))
    context = {"cycle": cycle, "notices": notices, "objections": objections,
               "open_objections": sum(1 for o in objections if o.status == ObjectionStatus.OPEN), "tab": "publicity",
               "announced": cycle.assessments.filter(state=State.ANNOUNCED).count(),
               "closed_statuses": (ObjectionStatus.DISMISSED, ObjectionStatus.SPAM)}
    context.setdefault("form", None)
    return {**context, **extra}


@require_POST
def objection_answer(request, cycle: int, objection: int):
    cycle = admin_cycle(request, cycle)
    objection = get_object_or_404(Objection.objects.select_related("assessment__branch"), pk=objection,
                                  notice__cycle=cycle)
    form = AnswerForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请写明答复内容")
    else:
        try:
            publicity.answer_objection(objection=objection, answer=form.cleaned_data["answer"], by=request.user)
        except WorkflowError as refusal:
            refused_message(request, refusal)
        else:
            messages.success(request, f"已答复对“{objection.assessment.branch.name}”的异议")
    return redirect("web:cycle_publicity", cycle=cycle.pk)


@require_POST
def objections_dismiss(request, cycle: int):
    """不予受理 for the open objections ticked on the publicity page: confirm first, then close them all."""
    cycle = admin_cycle(request, cycle)
    open_ids = Objection.objects.filter(notice__cycle=cycle, status=ObjectionStatus.OPEN).values_list("pk", flat=True)
    form = DismissForm(request.POST, open_ids=list(open_ids))
    if not form.is_valid():
        messages.error(request, "；".join(e for errors in form.errors.values() for e in errors))
        return redirect(f"{reverse('web:cycle_publicity', kwargs={'cycle': cycle.pk})}#objections")
    data = form.cleaned_data
    spam = data["kind"] == ObjectionStatus.SPAM
    if not data["confirm"]:
        context = _publicity_context(cycle, form=_notice_form(cycle), dismissing={
            "ids": data["objections"], "count": len(data["objections"]), "kind": data["kind"],
            "reason": data["reason"].strip() or (publicity.SPAM_REASON if spam else ""), "spam": spam})
        return render(request, "cycles/cycle_publicity.html", context)
    try:
        closed = publicity.dismiss_objections(cycle=cycle, objections=data["objections"], reason=data["reason"],
                                              spam=spam, by=request.user)
    except WorkflowError as refusal:
        refused_message(request, refusal)
    else:
        how = "恶意或重复提交" if spam else "不予受理"
        messages.success(request, f"已将 {closed} 条异议标记为{how}，公示页面显示为“不予受理”及理由")
    return redirect(f"{reverse('web:cycle_publicity', kwargs={'cycle': cycle.pk})}#objections")


def _notice_form(cycle) -> NoticeForm:
    today = timezone.localdate()
    return NoticeForm(initial={"title": f"{cycle.name}结果公示", "starts_on": today,
                               "ends_on": today + timedelta(days=cycle.announce_days - 1)})


@require_POST
def cycle_finalize(request, cycle: int):
    cycle = admin_cycle(request, cycle)
    plan = confirmations.finalize_plan(cycle)
    if plan["count"] and not plan["blocked"] and not confirmed(request):
        context = _publicity_context(cycle, form=_notice_form(cycle), finalizing=plan)
        return render(request, "cycles/cycle_publicity.html", context)
    try:
        summary = publicity.finalize(cycle=cycle, by=request.user)
    except WorkflowError as refusal:
        refused_message(request, refusal)
        return redirect("web:cycle_publicity", cycle=cycle.pk)
    closed = "，考评周期已结束" if summary.get("closed") else "；尚有党支部未评定，考评周期仍在进行中"
    messages.success(request, f"评定完成：{summary['finalized']} 个党支部已评定{closed}")
    return redirect("web:cycle_lists", cycle=cycle.pk)


# -- the public notice -----------------------------------------------------------------------------
@login_not_required
@require_http_methods(["GET", "POST"])
def notice(request, notice: int):
    notice = get_object_or_404(Notice.objects.select_related("cycle"), pk=notice)
    rows = _announced(notice)
    today = timezone.localdate()
    running = notice.starts_on <= today <= notice.ends_on
    choices = [(r["assessment"], r["branch"]) for r in rows if r["state"] == State.ANNOUNCED]
    form = ObjectionForm(request.POST or None, branches=choices)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            assessment = notice.cycle.assessments.select_related("branch").get(pk=form.cleaned_data["assessment"])
            try:
                publicity.object_to(notice=notice, assessment=assessment, text=form.cleaned_data["text"],
                                    source=client_ip(request))
            except WorkflowError as refusal:
                form.add_error(None, refusal.message_zh)        # beside the form, where it was typed
                status = 429 if getattr(refusal, "code", "") == "too_many_objections" else 400
            else:
                messages.success(request, "您的异议已提交，上级党组织将核实并答复。")
                return redirect("web:notice", notice=notice.pk)
    context = {"notice": notice, "rows": rows, "form": form, "running": running, "handled": _handled(notice)}
    return render(request, "notices/notice.html", context, status=status)


def _handled(notice: Notice) -> list[dict]:
    """The objections to the notice and what became of them, for everyone to see: the branch, the day,
    the outcome, and for 不予受理 the reason. Not the objection's text: it is anonymous and unchecked, and
    a public page must not spread what may be a smear; nor the answer, written for the committee's file."""
    rows = []
    for o in notice.objections.select_related("assessment__branch").order_by("submitted_at", "pk"):
        closed = o.status in (ObjectionStatus.DISMISSED, ObjectionStatus.SPAM)
        rows.append({"branch": o.assessment.branch.name, "day": o.submitted_at,
                     "outcome": "不予受理" if closed else ObjectionStatus(o.status).label,
                     "reason": o.answer if closed else "", "closed": closed})
    return rows


def _announced(notice: Notice) -> list[dict]:
    """The branches of the notice's cycle in publicity (or rated since), with the result they are announced with."""
    announced = notice.cycle.assessments.filter(state__in=NOTICE_STATES)
    assessments = list(announced.select_related("branch__parent").order_by("branch__path"))
    labels: dict[int, list[str]] = {}            # the ratings read by the cycle, not by a list of every assessment id
    for pk, label in FinalRating.objects.filter(assessment__in=announced).order_by("pk").values_list(
            "assessment_id", "label"):
        labels.setdefault(pk, []).append(label)
    unrated = announced.filter(final_total__isnull=True).values("id")
    pending = cycle_stats.results(notice.cycle, unrated) if any(a.final_total is None for a in assessments) else {}
    rows = []
    for a in assessments:
        total, label = pending.get(a.pk, (a.final_total, ""))
        ratings = "、".join(labels.get(a.pk, [])) or label
        rows.append({"assessment": a.pk, "branch": a.branch.name,
                     "committee": a.branch.parent.name if a.branch.parent else "", "total": total,
                     "ratings": ratings, "state": a.state, "state_label": State(a.state).label})
    return rows
