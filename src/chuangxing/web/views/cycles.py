"""The work-committee admin's cycles: the list, a new cycle, its progress, reviewer assignment, the sample.

Every page of a cycle needs the admin role on the cycle's scope (``permissions.require``: a refusal is
audited and answered with the 403 page); the work itself is done by the services (``open_cycle``,
``sampling.draw_sample``, ``cancel_cycle`` …), whose Chinese refusals are shown on the page.

Drawing the sample and cancelling the cycle take two POSTs: the first shows what will happen, with the
figures (``confirmations``), beside the button; the second (``confirm=1``) does it. A new cycle is
refused when its root already has one for the same year, unless a reason is given; a deadline already
past, or a period in which the root's branches held no meeting, is warned about and asked once more.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from chuangxing.assessments import permissions, sampling
from chuangxing.assessments.models import Cycle, Role, RoleAssignment, SampleDraw
from chuangxing.assessments.services import audit, cancel_cycle, open_cycle
from chuangxing.assessments.sheets import gap_report
from chuangxing.assessments.workflow import NotAllowed, WorkflowError
from chuangxing.web import confirmations, cycle_stats
from chuangxing.web.cycle_forms import CancelForm, CycleForm, RoleForm, SampleForm, committees_under

GAPS_SHOWN = 20


def refuse(refusal: NotAllowed) -> PermissionDenied:
    return PermissionDenied(refusal.message_zh)


def admin_cycle(request, pk: int) -> Cycle:
    """The cycle ``pk`` if the user is an admin on its scope: 404 when there is none, 403 (audited) otherwise."""
    cycle = get_object_or_404(Cycle.objects.select_related("root"), pk=pk)
    try:
        permissions.require(request.user, Role.ADMIN, cycle.root)
    except NotAllowed as refusal:
        raise refuse(refusal) from None
    return cycle


def admin_roots(user):
    """Where ``user`` runs cycles (``permissions.cycle_admin_scopes``, the nav's check too); 403, audited, when nowhere."""
    roots = permissions.cycle_admin_scopes(user)
    if not roots.exists():
        raise refuse(permissions.refused(user, "没有权限：需要工委管理员角色", "user is no admin anywhere",
                                         target="cycles", needed=[Role.ADMIN.value]))
    return roots


def refused_message(request, refusal: WorkflowError) -> None:
    if isinstance(refusal, NotAllowed):
        raise refuse(refusal)
    messages.error(request, refusal.message_zh)


def confirmed(request) -> bool:
    """The second POST of a two-step one (the 确认 button posts ``confirm=1``)."""
    return request.POST.get("confirm") == "1"


# -- the list and a new cycle ---------------------------------------------------------------------
def cycle_list(request):
    admin_roots(request.user)
    cycles = (Cycle.objects.filter(permissions.scope_filter(request.user, [Role.ADMIN], field="root__"))
              .select_related("root").order_by("-period_end", "name"))
    rows = [{"cycle": c, "progress": cycle_stats.progress(c)} for c in cycles]
    return render(request, "cycles/cycle_list.html", {"rows": rows})


@require_http_methods(["GET", "POST"])
def cycle_new(request):
    roots = admin_roots(request.user)
    form = CycleForm(request.POST or None, roots=roots)
    warnings = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        warnings = form.warnings()
        if not warnings or confirmed(request):
            try:
                cycle = open_cycle(name=data["name"], root=data["root"], rubric_id=data["rubric_id"],
                                   period_start=data["period_start"], period_end=data["period_end"], by=request.user,
                                   duplicate_reason=data["duplicate_reason"], **form.settings())
            except WorkflowError as refusal:
                if refusal.code != "duplicate_cycle":
                    refused_message(request, refusal)
                else:
                    form.add_error("duplicate_reason", refusal.message_zh)
            else:
                messages.success(request, f"考评周期“{cycle.name}”已开启，共 {cycle.assessments.count()} 个党支部参加")
                return redirect("web:cycle_detail", cycle=cycle.pk)
    return render(request, "cycles/cycle_new.html", {"form": form, "warnings": warnings})


# -- progress ------------------------------------------------------------------------------------------
def cycle_detail(request, cycle: int):
    return _detail_page(request, admin_cycle(request, cycle))


def _detail_page(request, cycle: Cycle, **extra):
    gaps = [row for row in gap_report(cycle, by=request.user) if row["gap"] is not None][:GAPS_SHOWN]
    context = {"cycle": cycle, "progress": cycle_stats.progress(cycle), "gaps": gaps, "tab": "progress",
               "cancel_form": CancelForm(), **extra}
    return render(request, "cycles/cycle_detail.html", context)


@require_POST
def cycle_cancel(request, cycle: int):
    """取消 the cycle: the first POST shows what will stop (with the figures), the second cancels it."""
    cycle = admin_cycle(request, cycle)
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, cycle, cancel_form=form)
    if not confirmed(request):
        return _detail_page(request, cycle, cancel_form=form, cancelling=confirmations.cancel_plan(cycle))
    try:
        cancel_cycle(cycle=cycle, reason=form.cleaned_data["reason"], by=request.user)
    except WorkflowError as refusal:
        refused_message(request, refusal)
    else:
        messages.success(request, f"考评周期“{cycle.name}”已取消，理由已记录")
    return redirect("web:cycle_detail", cycle=cycle.pk)


# -- reviewers and inspectors ---------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def cycle_roles(request, cycle: int):
    cycle = admin_cycle(request, cycle)
    organizations = committees_under(cycle.root)
    form = RoleForm(request.POST or None, organizations=organizations)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _grant(request, data["user"], data["role"], data["organization"])
        return redirect("web:cycle_roles", cycle=cycle.pk)
    assignments = (RoleAssignment.objects.filter(organization__path__startswith=cycle.root.path,
                                                 role__in=[Role.REVIEWER, Role.INSPECTOR])
                   .select_related("user", "organization").order_by("organization__path", "role", "user__username"))
    return render(request, "cycles/cycle_roles.html", {"cycle": cycle, "form": form, "assignments": assignments,
                                                       "tab": "roles"})


def _grant(request, user, role: str, organization) -> None:
    try:
        permissions.require(request.user, Role.ADMIN, organization)
        with transaction.atomic():
            RoleAssignment.objects.create(user=user, role=role, organization=organization)
    except NotAllowed as refusal:
        raise refuse(refusal) from None
    except IntegrityError:
        messages.error(request, f"{user.get_full_name() or user.get_username()}已是“{organization.name}”的"
                                f"{Role(role).label}")
        return
    audit(by=request.user, action="grant_role", target=f"org:{organization.pk}",
          new={"user": user.pk, "role": role, "organization": organization.pk})
    messages.success(request, f"已授予{user.get_full_name() or user.get_username()}“{organization.name}”的{Role(role).label}角色")


@require_POST
def role_revoke(request, cycle: int, assignment: int):
    cycle = admin_cycle(request, cycle)
    grant = get_object_or_404(RoleAssignment.objects.select_related("organization", "user"), pk=assignment,
                              organization__path__startswith=cycle.root.path)
    try:
        permissions.require(request.user, Role.ADMIN, grant.organization)
    except NotAllowed as refusal:
        raise refuse(refusal) from None
    old = {"user": grant.user_id, "role": grant.role, "organization": grant.organization_id}
    grant.delete()
    audit(by=request.user, action="revoke_role", target=f"org:{old['organization']}", old=old,
          reason=request.POST.get("reason", ""))
    messages.success(request, f"已撤销{grant.user.get_full_name() or grant.user.get_username()}"
                              f"“{grant.organization.name}”的{Role(grant.role).label}角色")
    return redirect("web:cycle_roles", cycle=cycle.pk)


# -- the spot-check sample --------------------------------------------------------------------------
@require_http_methods(["GET", "POST"])
def cycle_sample(request, cycle: int):
    cycle = admin_cycle(request, cycle)
    form = SampleForm(request.POST or None)
    plan = None
    if request.method == "POST" and form.is_valid():
        plan = confirmations.sample_plan(cycle)
        if not plan["count"] or confirmed(request):     # nothing reviewed: the service says so at once
            plan = None
            try:
                draw = sampling.draw_sample(cycle=cycle, seed=form.cleaned_data["seed"] or None, by=request.user)
            except WorkflowError as refusal:
                refused_message(request, refusal)
            else:
                messages.success(request, f"已抽取 {len(draw.sample)} 个党支部进行抽验")
                return redirect("web:cycle_sample", cycle=cycle.pk)
        else:
            plan["seed"] = form.cleaned_data["seed"]
    draws = [_draw(d) for d in SampleDraw.objects.filter(cycle=cycle).select_related("drawn_by").order_by("-drawn_at")]
    context = {"cycle": cycle, "form": form, "draws": draws, "share_percent": cycle.spot_check_share * 100,
               "tab": "sample", "confirming": plan}
    return render(request, "cycles/cycle_sample.html", context)


def _draw(draw: SampleDraw) -> dict:
    names = sampling.sample_names(draw)
    return {"draw": draw, "population": len(draw.population), "verified": sampling.verify_draw(draw),
            "sample": [{"assessment": pk, "branch": names.get(pk, "")} for pk in sorted(draw.sample)]}
