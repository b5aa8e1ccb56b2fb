"""What the work-committee admin does with a whole cycle: its progress, the spot-check sample, 公示, its objections, 评定.

As on the admin pages (``web/views/cycles.py``, ``web/views/publicity.py``), every call needs the admin role
on the cycle's scope (``permissions.require``, audited), and the work is the services' own
(``sampling.draw_sample``, ``publicity.announce``, ``publicity.finalize``): their refusals come back
with their code and Chinese message (``notice_too_short``, ``inspections_open``, ``objections_open``,
``notice_period_open``, ``nothing_to_sample`` …).
"""

from __future__ import annotations

from django.urls import reverse
from ninja import Router, Status

from chuangxing.assessments import permissions, publicity, sampling
from chuangxing.assessments.models import Cycle, Objection, ObjectionStatus, Role, SampleDraw, State
from chuangxing.web import cycle_stats
from chuangxing.web.api.v1.errors import ApiError
from chuangxing.web.api.v1.schemas import (
    CycleProgress,
    DismissIn,
    DismissOut,
    DrawOut,
    Error,
    FinalizeOut,
    NoticeIn,
    NoticeOut,
    ObjectionOut,
    SampleIn,
)

router = Router(tags=["抽验、公示与评定"])
REFUSALS = {403: Error, 404: Error}
MOVE_REFUSALS = {400: Error, 409: Error, **REFUSALS}


def admin_cycle(request, pk: int) -> Cycle:
    """The cycle ``pk`` if the user is an admin on its scope: 404 when there is none, 403 (audited) otherwise."""
    cycle = Cycle.objects.select_related("root").filter(pk=pk).first()
    if cycle is None:
        raise ApiError(404, "not_found", "没有找到该考评周期")
    permissions.require(request.auth, Role.ADMIN, cycle.root)
    return cycle


@router.get("/{int:cycle_id}/progress", response={200: CycleProgress, **REFUSALS},
            summary="周期进度：各状态数量，未提交与待审核的党支部（管理员）")
def cycle_progress(request, cycle_id: int):
    cycle = admin_cycle(request, cycle_id)
    return {"cycle": cycle.pk, **cycle_stats.progress(cycle)}


def _draw(draw: SampleDraw) -> dict:
    names = sampling.sample_names(draw)
    return {"id": draw.pk, "seed": draw.seed, "share": format(draw.share, "f"), "algorithm": draw.algorithm,
            "drawn_at": draw.drawn_at, "population": len(draw.population), "verified": sampling.verify_draw(draw),
            "sample": [{"assessment": pk, "branch": names.get(pk, "")} for pk in sorted(draw.sample)]}


@router.get("/{int:cycle_id}/sample", response={200: list[DrawOut], **REFUSALS}, summary="抽验样本（历次抽取，最新在前）")
def sample_list(request, cycle_id: int):
    cycle = admin_cycle(request, cycle_id)
    return [_draw(d) for d in SampleDraw.objects.filter(cycle=cycle).select_related("cycle").order_by("-drawn_at", "-pk")]


@router.post("/{int:cycle_id}/sample", response={201: DrawOut, **MOVE_REFUSALS},
             summary="抽取抽验样本：已审核的党支部按比例分层抽取，列入抽验（sampling.draw_sample）")
def sample_draw(request, cycle_id: int, body: SampleIn):
    cycle = admin_cycle(request, cycle_id)
    return Status(201, _draw(sampling.draw_sample(cycle=cycle, seed=body.seed.strip() or None, by=request.auth)))


@router.post("/{int:cycle_id}/notices", response={201: NoticeOut, **MOVE_REFUSALS},
             summary="发布公示：已审核、已抽验的党支部进入公示（publicity.announce）")
def notice_publish(request, cycle_id: int, body: NoticeIn):
    cycle = admin_cycle(request, cycle_id)
    notice = publicity.announce(cycle=cycle, title=body.title, starts_on=body.starts_on, ends_on=body.ends_on,
                                body=body.body, by=request.auth)
    return Status(201, {"id": notice.pk, "cycle": cycle.pk, "title": notice.title, "starts_on": notice.starts_on,
                        "ends_on": notice.ends_on, "body": notice.body,
                        "announced": cycle.assessments.filter(state=State.ANNOUNCED).count(),
                        "url": reverse("web:notice", kwargs={"notice": notice.pk})})


@router.get("/{int:cycle_id}/objections", response={200: list[ObjectionOut], **REFUSALS},
            summary="公示期间的异议：未答复的在前（管理员）")
def objection_list(request, cycle_id: int):
    cycle = admin_cycle(request, cycle_id)
    rows = sorted(Objection.objects.filter(notice__cycle=cycle).select_related("assessment__branch"),
                  key=lambda o: (o.status != ObjectionStatus.OPEN, o.submitted_at, o.pk))
    return [{"id": o.pk, "notice": o.notice_id, "assessment": o.assessment_id, "branch": o.assessment.branch.name,
             "submitted_at": o.submitted_at, "status": o.status, "text": o.text, "answer": o.answer} for o in rows]


@router.post("/{int:cycle_id}/objections/dismiss", response={200: DismissOut, **MOVE_REFUSALS},
             summary="不予受理：一次关闭多条未答复的异议，同一理由，或标为恶意或重复提交（publicity.dismiss_objections）")
def objections_dismiss(request, cycle_id: int, body: DismissIn):
    cycle = admin_cycle(request, cycle_id)
    closed = publicity.dismiss_objections(cycle=cycle, objections=body.objections, reason=body.reason, spam=body.spam,
                                          by=request.auth)
    return {"closed": closed}


@router.post("/{int:cycle_id}/finalize", response={200: FinalizeOut, **MOVE_REFUSALS},
             summary="评定：公示期满、异议均已答复后，评定全部公示中的党支部（publicity.finalize）")
def cycle_finalize(request, cycle_id: int):
    cycle = admin_cycle(request, cycle_id)
    return publicity.finalize(cycle=cycle, by=request.auth)
