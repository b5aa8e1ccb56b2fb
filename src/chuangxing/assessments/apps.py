from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "chuangxing.assessments"
    label = "assessments"
    verbose_name = "考评"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from chuangxing.records.signals import records_changed

        records_changed.connect(_refresh_facts, dispatch_uid="assessments.refresh_facts")


def _refresh_facts(sender, *, branches, **kwargs) -> None:
    """A branch's records changed: its open self-assessments read the new facts (``services.refresh_branch_facts``)."""
    from chuangxing.assessments.services import refresh_branch_facts

    refresh_branch_facts(branches=branches)
