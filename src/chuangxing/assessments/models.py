"""The assessment cycle: what a committee opens once a year and every branch goes through.

::

    Cycle                 a rubric version pinned (RubricSnapshot), a period, a scope, deadlines, settings
      RubricSnapshot      the exact rubric text the cycle scores with (one per rubric id: variants)
      Assessment          one branch in one cycle: its state, its findings, its sheets, its rating
        Finding           one rule's input at one stage (self / review / inspection), with a reason
        FactValue         a fact for this branch: computed from the records, or overridden with a reason
        Evidence          a file backing an indicator, stored through Django's storage API, hashed
        Rectification     整改 items for a weak branch, answered and re-inspected
      Survey              党员群众测评 of one branch: one-time tokens, anonymous answers
      SampleDraw          抽验: the seed, the population and the sample, re-verifiable by anyone
      Notice, Objection   公示 and the objections that must be answered (or dismissed) before finalizing
    RoleAssignment        admin / reviewer / inspector / secretary, scoped to an organization subtree
    AuditEntry            append-only: who changed what, when, old → new, why

The states of an assessment and the moves between them are in ``workflow.py``.
"""

from __future__ import annotations

import hashlib
import uuid

from django.conf import settings
from django.db import models
from django.db.models import F

from chuangxing.orgs.models import Organization


class CycleStatus(models.TextChoices):
    DRAFT = "draft", "筹备中"
    OPEN = "open", "进行中"
    CLOSED = "closed", "已结束"
    CANCELLED = "cancelled", "已取消"


class Cycle(models.Model):
    name = models.CharField("名称", max_length=200)
    root = models.ForeignKey(Organization, verbose_name="考评范围（上级组织）", on_delete=models.PROTECT,
                             related_name="cycles")
    rubric_id = models.CharField("考评标准", max_length=64)
    period_start = models.DateField("考评期开始")
    period_end = models.DateField("考评期结束")
    self_assessment_due = models.DateTimeField("自评截止", null=True, blank=True)
    review_due = models.DateTimeField("审核截止", null=True, blank=True)
    status = models.CharField("状态", max_length=10, choices=CycleStatus.choices, default=CycleStatus.DRAFT)
    parameters = models.JSONField("标准参数（读法）", default=dict, blank=True)
    spot_check_share = models.DecimalField("抽验比例", max_digits=4, decimal_places=3, default="0.100")
    spot_check_tolerance = models.DecimalField("抽验容差（分）", max_digits=5, decimal_places=2, default="3.00")
    recommendation_min_share = models.DecimalField("示范推荐最低比例", max_digits=4, decimal_places=3,
                                                   null=True, blank=True)
    announce_days = models.PositiveSmallIntegerField("公示天数", default=5)
    targets = models.JSONField("分布目标", default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    data_version = models.PositiveBigIntegerField(
        "数据版本", default=0, editable=False,
        help_text="考评数据（发现、事实、状态、评定）每次改动加一；看板的缓存以此为准")

    class Meta:
        verbose_name = verbose_name_plural = "考评周期"
        ordering = ["-period_end", "name"]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def data_changed(cls, pk: int) -> None:
        """Count one change of what the cycle's figures read (findings, facts, states, fraud and process flags,
        final ratings): cached dashboards keyed by the old ``data_version`` are not read again.

        >>> Cycle.data_changed(assessment.cycle_id)        # inside the transaction that wrote the change

        Called after the assessments' own rows are written (one lock order: assessments, then the cycle). The
        row update serializes concurrent writers of one cycle until they commit, which is what makes the
        counter exact: a reader that sees the new data sees the new number with it. A transaction that changes
        several assessments writes them all, then counts once (as ``finalize`` does): locking the cycle between
        two assessments could deadlock with a writer holding the second one.
        """
        cls.objects.filter(pk=pk).update(data_version=F("data_version") + 1)


class RubricSnapshot(models.Model):
    """The rubric exactly as the cycle scores it: later edits of the library never move a running cycle."""

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="snapshots")
    rubric_id = models.CharField(max_length=64)
    version = models.CharField(max_length=40)
    source = models.TextField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["cycle", "rubric_id"], name="one_snapshot_per_rubric")]

    def save(self, *args, **kwargs) -> None:
        self.sha256 = hashlib.sha256(self.source.encode("utf-8")).hexdigest()
        super().save(*args, **kwargs)


class State(models.TextChoices):
    DRAFT = "draft", "未自评"
    SELF_ASSESSED = "self_assessed", "已自评"
    SUBMITTED = "submitted", "已提交"
    RETURNED = "returned", "退回修改"
    UNDER_REVIEW = "under_review", "审核中"
    REVIEWED = "reviewed", "已审核"
    SAMPLED = "sampled", "抽验中"
    SPOT_CHECKED = "spot_checked", "已抽验"
    ANNOUNCED = "announced", "公示中"
    FINALIZED = "finalized", "已评定"
    RECTIFICATION = "rectification", "整改中"
    REINSPECTED = "reinspected", "已复检"


class Assessment(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="assessments")
    branch = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="assessments")
    snapshot = models.ForeignKey(RubricSnapshot, on_delete=models.PROTECT, related_name="assessments")
    state = models.CharField("状态", max_length=20, choices=State.choices, default=State.DRAFT)
    version = models.PositiveIntegerField("版本", default=1, help_text="每次保存加一；并发保存据此发现冲突")
    self_report = models.TextField("自评报告", blank=True)
    report_passed_on = models.DateField("支委会讨论通过日期", null=True, blank=True)
    self_total = models.DecimalField("自评得分", max_digits=7, decimal_places=2, null=True, blank=True)
    reviewed_total = models.DecimalField("审核得分", max_digits=7, decimal_places=2, null=True, blank=True)
    inspected_total = models.DecimalField("抽验得分", max_digits=7, decimal_places=2, null=True, blank=True)
    final_total = models.DecimalField("最终得分", max_digits=7, decimal_places=2, null=True, blank=True)
    sampled = models.BooleanField("被抽验", default=False)
    downgraded = models.BooleanField("抽验降级", default=False)
    downgrade_reason = models.TextField("降级理由", blank=True)
    fraud_flags = models.JSONField("弄虚作假认定", default=list, blank=True)
    process = models.JSONField("程序环节", default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    reopened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", help_text="逾期后由管理员重新开放")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "考评"
        constraints = [models.UniqueConstraint(fields=["cycle", "branch"], name="one_assessment_per_branch")]
        indexes = [models.Index(fields=["cycle", "state"])]

    def __str__(self) -> str:
        return f"{self.branch} · {self.cycle}"


class Stage(models.TextChoices):
    SELF = "self", "自评"
    REVIEW = "review", "审核"
    INSPECTION = "inspection", "抽验"


class Finding(models.Model):
    """One rule's input at one stage; a later stage overrides an earlier one for scoring."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="findings")
    stage = models.CharField(max_length=12, choices=Stage.choices)
    rule_id = models.CharField(max_length=80)
    value = models.JSONField(null=True)
    reason = models.TextField(blank=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "stage", "rule_id"], name="one_finding_per_rule")]


class FactValue(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="facts")
    name = models.CharField(max_length=80)
    computed = models.JSONField(null=True)                  # from the records
    override = models.JSONField(null=True, blank=True)       # typed in, with a reason
    override_reason = models.TextField(blank=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                      related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "name"], name="one_fact_value")]

    @property
    def value(self):
        return self.override if self.override is not None else self.computed


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.assessment.cycle_id}/{instance.assessment_id}/{instance.sha256[:2]}/{instance.sha256}"


class Evidence(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="evidence")
    node_id = models.CharField("指标", max_length=80)
    file = models.FileField(upload_to=evidence_path)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = "佐证材料"


class FinalRating(models.Model):
    """The rating a branch ends the cycle with, per scheme: the history across years reads these."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    scheme = models.CharField(max_length=40)
    level = models.CharField(max_length=40, blank=True)      # empty: blocked by a veto
    label = models.CharField(max_length=60)
    stars = models.PositiveSmallIntegerField(null=True, blank=True)
    reasons = models.JSONField(default=list, blank=True)      # veto reasons, downgrade reasons

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "scheme"], name="one_rating_per_scheme")]


class Rectification(models.Model):
    """提示反馈清单: what a weak branch must put right, its answer, and the re-inspection."""

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="rectifications")
    item = models.TextField("问题")
    rule_id = models.CharField(max_length=80, blank=True)
    due_on = models.DateField("整改期限", null=True, blank=True)
    response = models.TextField("整改情况", blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    passed = models.BooleanField("复检通过", null=True)


class SurveyKind(models.TextChoices):
    MEMBERS = "members", "党员测评（支部书记）"
    PUBLIC = "public", "党员群众测评（党支部工作）"


class Survey(models.Model):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="surveys")
    kind = models.CharField(max_length=10, choices=SurveyKind.choices)
    closes_at = models.DateTimeField("截止时间")
    created_at = models.DateTimeField(auto_now_add=True)
    # Random, per survey, mixed into its tokens' keyed hashes; empty for surveys made before salting
    # (their tokens keep the plain SHA-256 they were printed with: see ``surveys.hash_token``).
    salt = models.CharField(max_length=32, blank=True, default="", editable=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["assessment", "kind"], name="one_survey_per_kind")]


class SurveyToken(models.Model):
    """A one-time token. Only its keyed, salted hash is kept; answers are not linked to it (anonymity).

    ``lookup`` is 16 bits of another keyed hash of the token, to find its row without knowing its survey;
    ``used_on`` is the day of use only, never the time (``surveys`` explains both)."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    lookup = models.CharField(max_length=4, blank=True, default="", db_index=True)
    used_on = models.DateField(null=True, blank=True)


class Answer(models.TextChoices):
    SATISFIED = "satisfied", "满意"
    BASIC = "basic", "基本满意"
    UNSATISFIED = "unsatisfied", "不满意"


class SurveyAnswer(models.Model):
    """One vote: the survey and the choice. The key is random, so the order of the keys is not the order of the votes."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="answers")
    answer = models.CharField(max_length=12, choices=Answer.choices)


class SampleDraw(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="draws")
    seed = models.CharField(max_length=64)
    share = models.DecimalField(max_digits=4, decimal_places=3)
    population = models.JSONField()          # [[assessment id, stratum, priority], ...] as drawn from
    sample = models.JSONField()              # assessment ids drawn
    algorithm = models.CharField(max_length=40, default="stratified-v1")
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    drawn_at = models.DateTimeField(auto_now_add=True)


class Notice(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="notices")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    starts_on = models.DateField()
    ends_on = models.DateField()
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")


class ObjectionStatus(models.TextChoices):
    OPEN = "open", "待答复"
    ANSWERED = "answered", "已答复"
    DISMISSED = "dismissed", "不予受理"
    SPAM = "spam", "不予受理（恶意或重复提交）"


class Objection(models.Model):
    """An objection to an announced result. Open ones block finalization; answered, dismissed (不予受理) and
    spam ones do not. ``answer`` holds the answer, or the reason it was not accepted (shown publicly)."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="objections")
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="objections")
    text = models.TextField("异议内容")
    submitted_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField("处理结果", max_length=10, choices=ObjectionStatus.choices, default=ObjectionStatus.OPEN)
    answer = models.TextField("答复", blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["notice", "status"], name="objection_notice_status")]


class Role(models.TextChoices):
    ADMIN = "admin", "工委管理员"
    REVIEWER = "reviewer", "党委审核人"
    INSPECTOR = "inspector", "抽验组成员"
    SECRETARY = "secretary", "支部书记"


class RoleAssignment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="roles")
    role = models.CharField(max_length=12, choices=Role.choices)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="role_assignments")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "role", "organization"], name="one_role_per_scope")]


class AuditEntry(models.Model):
    """Append-only: saving an existing entry or deleting one is refused."""

    at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=60)
    assessment = models.ForeignKey(Assessment, null=True, blank=True, on_delete=models.SET_NULL, related_name="audit")
    target = models.CharField(max_length=200, blank=True)     # "finding:zj-org-1-a@review", "fact:theme_days_held"
    old = models.JSONField(null=True, blank=True)
    new = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)
    denied = models.BooleanField(default=False)               # a refused attempt (403/404), kept too

    class Meta:
        ordering = ["-at", "-id"]

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise PermissionError("审计日志只能追加，不能修改")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError("审计日志只能追加，不能删除")
