"""Objections get a status (待答复 / 已答复 / 不予受理 / 恶意或重复提交): those answered before keep counting as answered."""

from django.db import migrations, models


def answered_stay_answered(apps, schema_editor):
    Objection = apps.get_model("assessments", "Objection")
    Objection.objects.exclude(answer="").update(status="answered")


class Migration(migrations.Migration):

    dependencies = [
        ('assessments', '0003_cycle_data_version'),
    ]

    operations = [
        migrations.AddField(
            model_name='objection',
            name='status',
            field=models.CharField(choices=[('open', '待答复'), ('answered', '已答复'), ('dismissed', '不予受理'),
                                            ('spam', '不予受理（恶意或重复提交）')],
                                   default='open', max_length=10, verbose_name='处理结果'),
        ),
        migrations.RunPython(answered_stay_answered, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name='objection',
            index=models.Index(fields=['notice', 'status'], name='objection_notice_status'),
        ),
    ]
