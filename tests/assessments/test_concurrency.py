"""Two people saving the same assessment: the later one is told, nothing is lost."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from chuangxing.assessments.models import Assessment, AuditEntry, Finding, Role, Stage, State
from chuangxing.assessments.services import save_findings, sheet_of, transition
from chuangxing.assessments.workflow import EditConflict

from .conftest import World, make_user


def two_reviewers(world: World):
    second = make_user("reviewer_a_2", (Role.REVIEWER, world.committee_a))
    return world.reviewer_a, second


@pytest.mark.django_db
def test_the_second_save_of_the_same_version_is_a_conflict(world):
    a = world.under_review(world.a1)
    first, second = two_reviewers(world)
    mine, theirs = Assessment.objects.get(pk=a.pk), Assessment.objects.get(pk=a.pk)   # both loaded at one version
    assert mine.version == theirs.version
    save_findings(assessment=mine, stage=Stage.REVIEW, values={"zj-org-1-c": {"value": True, "reason": "单位下属科室未覆盖"}},
                  version=mine.version, by=first)
    with pytest.raises(EditConflict) as conflict:
        save_findings(assessment=theirs, stage=Stage.REVIEW,
                      values={"zj-org-1-c": {"value": False, "reason": "已覆盖"}, "zj-org-2-a": {"value": True,
                                                                                             "reason": "隶属不顺"}},
                      version=theirs.version, by=second)
    assert conflict.value.code == "conflict"
    assert conflict.value.message_zh == "其他人已在您打开之后保存了这份考评，请刷新后再修改（您的修改未保存）"
    kept = {f.rule_id: (f.value, f.reason, f.updated_by) for f in Finding.objects.filter(assessment=a, stage=Stage.REVIEW)}
    assert kept == {"zj-org-1-c": (True, "单位下属科室未覆盖", first)}
    assert not AuditEntry.objects.filter(actor=second, action="finding_review").exists()


@pytest.mark.django_db
def test_two_moves_from_the_same_state_do_not_both_happen(world):
    a = world.under_review(world.a1)
    first, second = two_reviewers(world)
    mine, theirs = Assessment.objects.get(pk=a.pk), Assessment.objects.get(pk=a.pk)
    transition(assessment=mine, action="approve", by=first)
    with pytest.raises(EditConflict) as conflict:
        transition(assessment=theirs, action="return", by=second, reason="材料不全")
    assert conflict.value.code == "conflict"
    a.refresh_from_db()
    assert a.state == State.REVIEWED


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_database_connections_saving_at_once():
    """Two threads, two PostgreSQL connections: the first holds the row while the second tries to write."""
    world = World()
    a = world.under_review(world.a1)
    first, second = two_reviewers(world)
    version = a.version
    ready, results = threading.Barrier(2), {}

    def hold_and_save():
        try:
            with transaction.atomic():
                save_findings(assessment=Assessment.objects.get(pk=a.pk), stage=Stage.REVIEW,
                              values={"zj-org-1-c": {"value": True, "reason": "第一位审核人"}}, version=version, by=first)
                ready.wait(timeout=10)
                threading.Event().wait(0.5)          # the second connection now waits on the row lock
            results["first"] = "saved"
        finally:
            connection.close()

    def save_after():
        try:
            ready.wait(timeout=10)
            save_findings(assessment=Assessment.objects.get(pk=a.pk), stage=Stage.REVIEW,
                          values={"zj-org-1-c": {"value": False, "reason": "第二位审核人"}}, version=version, by=second)
            results["second"] = "saved"
        except EditConflict as exc:
            results["second"] = exc.code
        finally:
            connection.close()

    threads = [threading.Thread(target=hold_and_save), threading.Thread(target=save_after)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert results == {"first": "saved", "second": "conflict"}
    finding = Finding.objects.get(assessment=a, stage=Stage.REVIEW, rule_id="zj-org-1-c")
    assert (finding.value, finding.reason) == (True, "第一位审核人")
    assert Assessment.objects.get(pk=a.pk).version == version + 1


@pytest.mark.django_db
def test_a_save_counts_its_change_of_the_cycle_as_its_last_write(world):
    """Every writer of a cycle updates the cycle's row (its data_version), which stays locked until the commit:
    counted last, the lock is held for the commit only, not while the findings, audit and new total are written."""
    from django.test.utils import CaptureQueriesContext

    from chuangxing.assessments.models import Cycle

    a = world.assessment(world.a1)
    before = Cycle.objects.values_list("data_version", flat=True).get(pk=a.cycle_id)
    with CaptureQueriesContext(connection) as queries:
        save_findings(assessment=a, stage=Stage.SELF, values={"zj-org-1-c": {"value": True, "reason": ""},
                                                              "zj-org-2-a": {"value": False, "reason": ""}},
                      version=a.version, by=world.secretary_a1)
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith(("INSERT", "UPDATE", "DELETE"))]
    assert 'UPDATE "assessments_cycle"' in writes[-1] and "data_version" in writes[-1]
    assert sum('UPDATE "assessments_cycle"' in sql for sql in writes) == 1
    assert Cycle.objects.values_list("data_version", flat=True).get(pk=a.cycle_id) == before + 1


@pytest.mark.django_db
def test_a_copy_older_than_the_version_it_edits_is_read_again(world):
    """An API client that read the assessment after the review started edits that version, through a copy the
    server loaded before (still 已提交): the save checks the state in the database, and returns its copy."""
    submitted = world.submitted(world.a1)
    old_copy = Assessment.objects.get(pk=submitted.pk)
    started = transition(assessment=Assessment.objects.get(pk=submitted.pk), action="start_review", by=world.reviewer_a)
    saved = save_findings(assessment=old_copy, stage=Stage.REVIEW,
                          values={"zj-org-2-a": {"value": True, "reason": "隶属不顺"}}, version=started.version,
                          by=world.reviewer_a)
    stored = Assessment.objects.get(pk=submitted.pk)
    assert (saved.state, saved.version) == (stored.state, stored.version) == (State.UNDER_REVIEW, started.version + 1)
    assert saved.reviewed_total == stored.reviewed_total == sheet_of(stored, stage=Stage.REVIEW).total
    assert list(Finding.objects.filter(assessment=stored, stage=Stage.REVIEW).values_list("rule_id", flat=True)) == [
        "zj-org-2-a"]
