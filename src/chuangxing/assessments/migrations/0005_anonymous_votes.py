"""A vote no longer leads back to its token (issue: a database copy linked each vote to its printed card).

- ``Survey.salt``: empty for the surveys made before; their tokens keep their plain SHA-256 (a hash
  cannot be re-salted without the token, which only the printout has) and are found by it.
- ``SurveyToken.used_on``: the day of use, in the site's time zone; the time of use is dropped.
- ``SurveyAnswer``: a random UUID key. The answers are copied into a new table with fresh keys, in
  random order, and the old table (whose increasing ids followed the votes) is dropped.
"""

import random
import uuid
import zoneinfo

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models.functions import TruncDate

BATCH = 5000


def keep_the_day(apps, schema_editor):
    SurveyToken = apps.get_model("assessments", "SurveyToken")
    day = TruncDate("used_at", tzinfo=zoneinfo.ZoneInfo(settings.TIME_ZONE))
    SurveyToken.objects.filter(used_at__isnull=False).update(used_on=day)


def copy_shuffled(apps, schema_editor):
    old = apps.get_model("assessments", "SurveyAnswer")
    new = apps.get_model("assessments", "ShuffledAnswer")
    rows = list(old.objects.values_list("survey_id", "answer"))
    random.SystemRandom().shuffle(rows)
    new.objects.bulk_create([new(id=uuid.uuid4(), survey_id=survey, answer=answer) for survey, answer in rows],
                            batch_size=BATCH)


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0004_objection_status'),
    ]

    operations = [
        migrations.AddField(
            model_name='survey',
            name='salt',
            field=models.CharField(blank=True, default='', editable=False, max_length=32),
        ),
        migrations.AddField(
            model_name='surveytoken',
            name='lookup',
            field=models.CharField(blank=True, db_index=True, default='', max_length=4),
        ),
        migrations.AddField(
            model_name='surveytoken',
            name='used_on',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(keep_the_day, migrations.RunPython.noop),
        migrations.RemoveField(
            model_name='surveytoken',
            name='used_at',
        ),
        migrations.CreateModel(
            name='ShuffledAnswer',
            fields=[
                ('id', models.UUIDField(default=uuid.uuid4, editable=False, primary_key=True, serialize=False)),
                ('answer', models.CharField(choices=[('satisfied', '满意'), ('basic', '基本满意'),
                                                     ('unsatisfied', '不满意')], max_length=12)),
                ('survey', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+',
                                             to='assessments.survey')),
            ],
        ),
        migrations.RunPython(copy_shuffled, migrations.RunPython.noop),
        migrations.DeleteModel(
            name='SurveyAnswer',
        ),
        migrations.RenameModel(
            old_name='ShuffledAnswer',
            new_name='SurveyAnswer',
        ),
        migrations.AlterField(
            model_name='surveyanswer',
            name='survey',
            field=models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='answers',
                                    to='assessments.survey'),
        ),
    ]
