"""Who may do what where: roles are given on an organization and reach its whole subtree.

>>> require(user, Role.REVIEWER, branch)           # raises NotAllowed (and audits it) when not
>>> visible_assessments(user, cycle)               # the assessments ``user`` may read in ``cycle``
>>> ensure_visible(user, assessment)               # NotAllowed (audited) when it is not among them
>>> runs_cycles(user)                              # the cycle pages (and the nav's 考评周期) are for them

Who reads what: a secretary their own branch; a reviewer and an admin their subtree; an inspector
only the sampled assessments of its subtree (and those in rectification, which it re-inspects).
A superuser is a work-committee admin everywhere. A refused attempt is written to the audit log
with ``denied=True`` before the error is raised, so probing by URL or id guessing leaves a trace;
the entry is attached to the error (``exc.audit_entry``) so a service whose transaction is rolled
back can write it again (``services.service``).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from chuangxing.assessments.models import Role, RoleAssignment
from chuangxing.assessments.workflow import NotAllowed
from chuangxing.orgs.models import Organization, OrgKind

__all__ = ["NotAllowed", "Role", "can_see", "ensure_visible", "is_own_branch", "require", "roles_on", "scope_filter",
           "visible_assessments"]

# An inspector reads the sampled assessments, and those it re-inspects after rectification.
INSPECTED_STATES = ("rectification", "reinspected")


def _assignments(user) -> list[tuple[str, str]]:
    cache = getattr(user, "_chuangxing_roles", None)
    if cache is None:
        cache = list(RoleAssignment.objects.filter(user=user).values_list("role", "organization__path"))
        user._chuangxing_roles = cache
    return cache


def roles_on(user, org: Organization) -> set[str]:
    if user is None or not getattr(user, "is_authenticated", False):
        return set()
    if user.is_superuser:
        return {r.value for r in Role}
    return {role for role, path in _assignments(user) if org.path.startswith(path)}


def require(user, roles: str | Iterable[str], org: Organization, *, assessment=None) -> str:
    """The first of ``roles`` the user holds on ``org``; NotAllowed (audited) when none."""
    wanted = [roles] if isinstance(roles, str) else list(roles)
    held = roles_on(user, org)
    for role in wanted:
        if role in held:
            return role
    labels = "、".join(Role(r).label for r in wanted)
    raise refused(user, f"没有权限：需要在“{org.name}”具有{labels}角色", f"user lacks {wanted} on org {org.pk}",
                  assessment=assessment, target=f"org:{org.pk}", needed=[str(r) for r in wanted])


def refused(user, message_zh: str, message_en: str, *, assessment=None, target: str = "", needed=None) -> NotAllowed:
    """A NotAllowed carrying the audit entry (``denied=True``) written for it: ``raise refused(...)``."""
    from chuangxing.assessments.services import audit

    entry = audit(by=user, action="denied", assessment=assessment, target=target, new={"needed": needed}, denied=True)
    error = NotAllowed(message_zh, message_en)
    error.audit_entry = entry
    return error


def is_own_branch(user, org: Organization) -> bool:
    """Is ``user`` the secretary of ``org`` (or of a branch above it)? A secretary never reviews their own work."""
    if user is None or not getattr(user, "is_authenticated", False) or user.is_superuser:
        return False
    return any(role == Role.SECRETARY and org.path.startswith(path) for role, path in _assignments(user))


def can_see(user, assessment) -> bool:
    """May ``user`` read ``assessment``? The same rule as :func:`visible_assessments`, without a query."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    path = assessment.branch.path
    for role, scope in _assignments(user):
        if not path.startswith(scope):
            continue
        if role != Role.INSPECTOR or assessment.sampled or assessment.state in INSPECTED_STATES:
            return True
    return False


def visible_assessments(user, cycle) -> QuerySet:
    """The assessments of ``cycle`` that ``user`` may read (see the module docstring for who reads what)."""
    from chuangxing.assessments.models import Assessment

    assessments = Assessment.objects.filter(cycle=cycle)
    if user is None or not getattr(user, "is_authenticated", False):
        return assessments.none()
    if user.is_superuser:
        return assessments
    query = Q(pk__in=[])
    for role, path in _assignments(user):
        scope = Q(branch__path__startswith=path)
        if role == Role.INSPECTOR:
            scope &= Q(sampled=True) | Q(state__in=INSPECTED_STATES)
        query |= scope
    return assessments.filter(query)


def ensure_visible(user, assessment) -> None:
    """NotAllowed (code ``forbidden``, audited) unless ``user`` may read ``assessment``."""
    if not can_see(user, assessment):
        raise refused(user, "没有权限查看该党支部的考评", f"user may not read assessment {assessment.pk}",
                      assessment=assessment, target=f"assessment:{assessment.pk}", needed="read")


def scope_filter(user, roles: Iterable[str], *, field: str = "") -> Q:
    """A filter on organizations (or on objects through ``field``, e.g. "branch__") limited to the
    subtrees where ``user`` holds one of ``roles``. Matches nothing when the user holds none."""
    if user is not None and getattr(user, "is_superuser", False):
        return Q()
    wanted = {str(r) for r in roles}
    paths = [path for role, path in _assignments(user) if role in wanted] if user is not None else []
    query = Q(pk__in=[])
    for path in paths:
        query |= Q(**{f"{field}path__startswith": path})
    return query


def visible_organizations(user, roles: Iterable[str] = tuple(Role)) -> QuerySet[Organization]:
    return Organization.objects.filter(scope_filter(user, roles))


# The kinds of organization a cycle covers (its root).
CYCLE_ROOT_KINDS = (OrgKind.WORK_COMMITTEE, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH)


def cycle_admin_scopes(user) -> QuerySet[Organization]:
    """The organizations over which ``user`` runs cycles: of a kind a cycle covers, in a subtree where they
    are an admin (a superuser: every one). The one check behind the cycle pages and the nav's link."""
    return visible_organizations(user, [Role.ADMIN]).filter(kind__in=CYCLE_ROOT_KINDS).order_by("path")


def runs_cycles(user) -> bool:
    """Whether the cycle pages are for ``user`` (:func:`cycle_admin_scopes` is not empty)."""
    return bool(getattr(user, "is_authenticated", False)) and cycle_admin_scopes(user).exists()
