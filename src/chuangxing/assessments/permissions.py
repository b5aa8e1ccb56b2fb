"""Who may do what where: roles are given on an organization and reach its whole subtree.

>>> require(user, Role.REVIEWER, branch)           # raises NotAllowed (and audits it) when not

A superuser is a work-committee admin everywhere. A refused attempt is written to the audit log
with ``denied=True`` before the error is raised, so probing by URL or id guessing leaves a trace.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from chuangxing.assessments.models import Role, RoleAssignment
from chuangxing.assessments.workflow import NotAllowed
from chuangxing.orgs.models import Organization

__all__ = ["NotAllowed", "Role", "require", "roles_on", "scope_filter"]


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
    from chuangxing.assessments.services import audit

    audit(by=user, action="denied", assessment=assessment, target=f"org:{org.pk}",
          new={"needed": [str(r) for r in wanted]}, denied=True)
    labels = "、".join(Role(r).label for r in wanted)
    raise NotAllowed(f"没有权限：需要在“{org.name}”具有{labels}角色", f"user lacks {wanted} on org {org.pk}")


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
