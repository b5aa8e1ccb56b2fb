"""Finding what a URL names, for the user asking: an unknown id is a 404, a forbidden one a 403.

>>> assessment = assessment_for(request, 12)                 # Http404 / PermissionDenied, both audited
>>> branch = branch_for(request, 7, write=True)               # the secretary of the branch only

Both answers come from the services' own checks (``services.get_assessment``, ``permissions.require``),
which write a ``denied`` audit entry for every refusal; the page then says why, in Chinese (403.html).
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404

from chuangxing.assessments import permissions
from chuangxing.assessments.models import Assessment, Role
from chuangxing.assessments.services import get_assessment
from chuangxing.assessments.workflow import NotAllowed
from chuangxing.orgs.models import Organization, OrgKind

# Who reads a branch's records, and who keeps them.
RECORD_READERS = (Role.SECRETARY, Role.REVIEWER, Role.ADMIN)
RECORD_KEEPERS = (Role.SECRETARY,)


def assessment_for(request, pk: int) -> Assessment:
    """The assessment ``pk`` if the user may read it: Http404 when there is none, PermissionDenied otherwise."""
    try:
        return get_assessment(pk=pk, by=request.user)
    except NotAllowed as refusal:
        if not Assessment.objects.filter(pk=pk).exists():
            raise Http404("没有找到该考评") from None
        raise PermissionDenied(refusal.message_zh) from None


def branch_for(request, pk: int, *, write: bool = False) -> Organization:
    """The branch ``pk`` if the user may read its records (``write``: keep them): Http404 / PermissionDenied."""
    branch = Organization.objects.filter(pk=pk, kind=OrgKind.BRANCH).first()
    if branch is None:
        raise Http404("没有找到该党支部")
    try:
        permissions.require(request.user, RECORD_KEEPERS if write else RECORD_READERS, branch)
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message_zh) from None
    return branch


def refuse(refusal: NotAllowed) -> PermissionDenied:
    """``raise refuse(exc)``: a service's NotAllowed as a 403 page with its Chinese message."""
    return PermissionDenied(refusal.message_zh)
