"""Permissions on every read and write: who sees which assessment, refusals audited, no self-review."""

from __future__ import annotations

import pytest

from chuangxing.assessments import permissions
from chuangxing.assessments.models import Assessment, AuditEntry, Finding, Role, Stage, State
from chuangxing.assessments.services import get_assessment, save_findings, transition
from chuangxing.assessments.sheets import prefill
from chuangxing.assessments.workflow import NotAllowed

from .conftest import grant

pytestmark = pytest.mark.django_db


def visible(world, user) -> set[str]:
    return set(permissions.visible_assessments(user, world.cycle).values_list("branch__code", flat=True))


def test_each_role_sees_its_own_scope(world):
    assert visible(world, world.admin) == {"A1", "A2", "B1"}
    assert visible(world, world.reviewer_a) == {"A1", "A2"}
    assert visible(world, world.reviewer_b) == {"B1"}
    assert visible(world, world.secretary_a1) == {"A1"}
    assert visible(world, world.inspector) == set()
    Assessment.objects.filter(branch=world.b1).update(sampled=True)
    assert visible(world, world.inspector) == {"B1"}


def test_the_queryset_and_the_single_check_agree(world):
    Assessment.objects.filter(branch=world.a2).update(sampled=True)
    users = [world.admin, world.reviewer_a, world.reviewer_b, world.inspector, world.secretary_a1, world.secretary_b1]
    for user in users:
        ids = set(permissions.visible_assessments(user, world.cycle).values_list("pk", flat=True))
        for a in Assessment.objects.filter(cycle=world.cycle).select_related("branch"):
            assert permissions.can_see(user, a) == (a.pk in ids), (user.username, a.branch.code)


def denied_entries(user, assessment=None):
    entries = AuditEntry.objects.filter(actor=user, denied=True)
    return entries.filter(assessment=assessment) if assessment is not None else entries


def test_a_secretary_cannot_read_another_branch(world):
    other = world.assessment(world.b1)
    with pytest.raises(NotAllowed) as refused:
        prefill(other, by=world.secretary_a1)
    assert refused.value.code == "forbidden"
    assert refused.value.message_zh == "没有权限查看该党支部的考评"
    assert denied_entries(world.secretary_a1, other).count() == 1


def test_a_secretary_cannot_change_another_branch_and_the_refusal_outlives_the_rollback(world):
    other = world.assessment(world.b1)
    with pytest.raises(NotAllowed) as refused:
        save_findings(assessment=other, stage=Stage.SELF, values={"zj-org-1-c": {"value": True}},
                      version=other.version, by=world.secretary_a1)
    assert refused.value.code == "forbidden"
    assert not Finding.objects.filter(assessment=other).exists()
    entry = denied_entries(world.secretary_a1, other).get()
    assert entry.target == f"assessment:{other.pk}" and entry.action == "denied"
    assert refused.value.audit_entry.pk == entry.pk
    other.refresh_from_db()
    assert other.version == 1


def test_guessing_ids_tells_nothing(world):
    own = world.assessment(world.a1)
    assert get_assessment(pk=own.pk, by=world.secretary_a1) == own
    other = world.assessment(world.b1)
    messages = []
    for pk in (other.pk, 999_999, "1 OR 1=1"):
        with pytest.raises(NotAllowed) as refused:
            get_assessment(pk=pk, by=world.secretary_a1)
        messages.append(refused.value.message_zh)
    assert len(set(messages)) == 1          # an existing and a missing id read the same
    assert denied_entries(world.secretary_a1).count() == 3


def test_a_reviewer_only_reviews_its_subtree(world):
    mine, theirs = world.submitted(world.a1), world.submitted(world.b1)
    transition(assessment=mine, action="start_review", by=world.reviewer_a)
    with pytest.raises(NotAllowed) as refused:
        transition(assessment=theirs, action="start_review", by=world.reviewer_a)
    assert refused.value.code == "forbidden"
    theirs.refresh_from_db()
    assert theirs.state == State.SUBMITTED
    assert denied_entries(world.reviewer_a, theirs).exists()


def test_an_inspector_only_reads_sampled_assessments(world):
    a = world.assessment(world.a2)
    with pytest.raises(NotAllowed):
        prefill(a, by=world.inspector)
    Assessment.objects.filter(pk=a.pk).update(sampled=True)
    a.refresh_from_db()
    assert prefill(a, by=world.inspector)["assessment"] == a.pk


def test_a_secretary_does_not_approve_their_own_assessment(world):
    a = world.under_review(world.a1)
    with pytest.raises(NotAllowed) as refused:                  # a secretary holds no reviewer role ...
        transition(assessment=a, action="approve", by=world.secretary_a1)
    assert refused.value.code == "forbidden"
    assert "党委审核人" in refused.value.message_zh
    grant(world.secretary_a1, Role.REVIEWER, world.committee_a)  # ... and as a reviewer too, not of their own branch
    with pytest.raises(NotAllowed) as refused:
        transition(assessment=a, action="approve", by=world.secretary_a1)
    assert refused.value.message_zh == "不能审核、抽验或评定本人担任书记的党支部"
    a.refresh_from_db()
    assert a.state == State.UNDER_REVIEW
    assert denied_entries(world.secretary_a1, a).count() == 2
    neighbour = world.under_review(world.a2)                     # the neighbour's, they may
    assert transition(assessment=neighbour, action="approve", by=world.secretary_a1).state == State.REVIEWED


def test_an_illegal_transition_names_the_states(world):
    a = world.assessment(world.a1)
    with pytest.raises(Exception) as refused:
        transition(assessment=a, action="approve", by=world.reviewer_a)
    assert refused.value.code == "illegal_transition"
    assert refused.value.message_zh == "当前状态为“未自评”，不能“审核通过”（只能从审核中）"
    with pytest.raises(Exception) as refused:
        transition(assessment=a, action="fly", by=world.reviewer_a)
    assert refused.value.code == "illegal_transition" and refused.value.message_zh == "没有“fly”这一操作"


def test_the_state_of_another_branch_is_not_revealed_by_an_illegal_move(world):
    other = world.assessment(world.b1)
    with pytest.raises(NotAllowed):                   # forbidden first, not "当前状态为……"
        transition(assessment=other, action="approve", by=world.secretary_a1)


def test_nobody_anonymous_reads_anything(world):
    from django.contrib.auth.models import AnonymousUser

    assert not permissions.visible_assessments(AnonymousUser(), world.cycle).exists()
    assert not permissions.visible_assessments(None, world.cycle).exists()
    with pytest.raises(NotAllowed):
        prefill(world.assessment(world.a1), by=AnonymousUser())


def test_allowed_actions_are_what_the_services_let_each_user_do(world):
    from chuangxing.assessments.services import allowed_actions

    a = world.submitted(world.a1)
    assert allowed_actions(a, by=world.secretary_a1)["moves"] == []
    assert [m["action"] for m in allowed_actions(a, by=world.reviewer_a)["moves"]] == ["start_review", "return"]
    a = transition(assessment=a, action="start_review", by=world.reviewer_a)
    offered = allowed_actions(a, by=world.reviewer_a)
    assert [m["action"] for m in offered["moves"]] == ["return", "approve"] and offered["edits"] == ["review"]
    assert offered["moves"][0]["needs_reason"] is True
    grant(world.secretary_a1, Role.REVIEWER, world.committee_a)
    assert allowed_actions(a, by=world.secretary_a1) == {"state": "under_review", "version": a.version, "moves": [],
                                                         "edits": []}
    with pytest.raises(NotAllowed):
        allowed_actions(a, by=world.reviewer_b)
    draft = world.assessment(world.a2)
    assert allowed_actions(draft, by=world.secretary_a2)["edits"] == ["self"]
    assert allowed_actions(draft, by=world.secretary_a2)["moves"][0]["service"] == "services.transition"
