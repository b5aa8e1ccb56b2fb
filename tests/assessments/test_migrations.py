"""Migrations 0004 and 0005 on rows written before them: answered objections stay answered, the votes and the
tokens printed before salting keep working, and a time of use becomes its day in the site's time zone."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from chuangxing.assessments import surveys
from chuangxing.assessments.models import Objection, ObjectionStatus, Survey, SurveyAnswer, SurveyToken
from chuangxing.assessments.workflow import Refused
from tests.assessments.conftest import World

BEFORE = [("assessments", "0003_cycle_data_version")]
USED, UNUSED = "K7M3Q9TXWP", "4HNRB2ZJ8C"


def migrate(targets=None):
    executor = MigrationExecutor(connection)
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    return executor.loader.project_state(targets).apps if targets else None


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_0004_and_0005_keep_their_meaning():
    built = World()
    assessment = built.assessment(built.a1)
    old = migrate(BEFORE)
    survey = old.get_model("assessments", "Survey").objects.create(
        assessment_id=assessment.pk, kind="public", closes_at=timezone.now() + timedelta(days=7))
    # 00:30 on 19 December in Shanghai is still the 18th in UTC: the day kept is the local one
    used_at = datetime(2026, 12, 18, 16, 30, 12, 345678, tzinfo=UTC)
    token = old.get_model("assessments", "SurveyToken")
    token.objects.create(survey_id=survey.pk, token_hash=hashlib.sha256(USED.encode()).hexdigest(), used_at=used_at)
    token.objects.create(survey_id=survey.pk, token_hash=hashlib.sha256(UNUSED.encode()).hexdigest())
    answer = old.get_model("assessments", "SurveyAnswer")
    for choice in ("satisfied", "basic", "satisfied"):
        answer.objects.create(survey_id=survey.pk, answer=choice)
    notice = old.get_model("assessments", "Notice").objects.create(
        cycle_id=assessment.cycle_id, title="公示", starts_on=date(2026, 12, 16), ends_on=date(2026, 12, 22))
    objection = old.get_model("assessments", "Objection")
    answered = objection.objects.create(notice_id=notice.pk, assessment_id=assessment.pk, text="甲", answer="已核实")
    waiting = objection.objects.create(notice_id=notice.pk, assessment_id=assessment.pk, text="乙")

    migrate()

    assert Objection.objects.get(pk=answered.pk).status == ObjectionStatus.ANSWERED
    assert Objection.objects.get(pk=waiting.pk).status == ObjectionStatus.OPEN
    assert Survey.objects.get(pk=survey.pk).salt == ""
    assert dict(SurveyToken.objects.values_list("token_hash", "used_on")) == {
        hashlib.sha256(USED.encode()).hexdigest(): date(2026, 12, 19), hashlib.sha256(UNUSED.encode()).hexdigest(): None}
    assert sorted(SurveyAnswer.objects.values_list("answer", flat=True)) == ["basic", "satisfied", "satisfied"]
    assert all(len(str(pk)) == 36 for pk in SurveyAnswer.objects.values_list("pk", flat=True))
    # the cards printed before still work: the used one is refused, the other votes once
    with pytest.raises(Refused) as again:
        surveys.answer(token=USED, answer="basic")
    assert again.value.code == "token_used"
    surveys.answer(token=UNUSED, answer="unsatisfied")
    assert surveys.results(Survey.objects.get(pk=survey.pk)).answered == 4
