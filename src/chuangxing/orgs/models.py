"""The organization tree, members and committee terms.

::

    Organization        工委 / 党委 / 党总支 / 党支部 / 党小组, one tree; ``path`` makes subtree queries
      ├─ Member         正式党员 / 预备党员 / 入党积极分子 of a branch (optionally in a 党小组)
      │    └─ Transfer  组织关系转接: when it became due, when it was done
      └─ CommitteeTerm  a branch committee's term (换届): elected, length, approved extension
           └─ CommitteePost  who holds which duty (书记, 纪检委员 ...) from when to when; vacancies show

Personal data is kept to what the standards count: a name, a member number, the dates of joining
and of becoming a full member, whether the member is a leading cadre. No ID-card numbers, no
addresses.

A subtree is ``Organization.objects.filter(path__startswith=org.path)``: ``path`` is the chain of
ids from the root, each zero-padded (``000001/000007/000042/``), kept by :meth:`Organization.save`
and :meth:`Organization.move_to`.
"""

from __future__ import annotations

from datetime import date

from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.functions import Concat, Substr

PATH_STEP = 7   # six digits and a slash: a million organizations per level is plenty


class OrgKind(models.TextChoices):
    WORK_COMMITTEE = "work_committee", "工委"
    PARTY_COMMITTEE = "party_committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    PARTY_GROUP = "party_group", "党小组"


class BranchType(models.TextChoices):
    RURAL = "rural", "农村"
    COMMUNITY = "community", "社区"
    ORGAN = "organ", "机关"
    INSTITUTION = "institution", "事业单位"
    STATE_ENTERPRISE = "soe", "国有企业"
    PRIVATE_ENTERPRISE = "private", "非公企业"
    SOCIAL_ORGANIZATION = "social", "社会组织"
    UNIVERSITY = "university", "高校"
    OTHER = "other", "其他"


class OrganizationQuerySet(models.QuerySet):
    def subtree(self, root: Organization) -> OrganizationQuerySet:
        return self.filter(path__startswith=root.path)

    def branches(self) -> OrganizationQuerySet:
        return self.filter(kind=OrgKind.BRANCH)


class Organization(models.Model):
    code = models.CharField("组织编码", max_length=64, unique=True,
                            help_text="稳定的编码，导入时以此识别组织（重复导入不会重复创建）")
    name = models.CharField("名称", max_length=200)
    kind = models.CharField("组织类别", max_length=20, choices=OrgKind.choices)
    parent = models.ForeignKey("self", verbose_name="上级组织", null=True, blank=True, on_delete=models.PROTECT,
                               related_name="children")
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    depth = models.PositiveSmallIntegerField(default=0, editable=False)
    branch_type = models.CharField("支部类型", max_length=20, choices=BranchType.choices, blank=True)
    unit = models.CharField("所在单位", max_length=200, blank=True)
    contact_phone = models.CharField("联系方式", max_length=40, blank=True)
    established_on = models.DateField("成立日期", null=True, blank=True)
    dissolved_on = models.DateField("撤销日期", null=True, blank=True)

    objects = OrganizationQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党组织"
        ordering = ["path"]
        constraints = [
            models.CheckConstraint(condition=~models.Q(kind="branch") | ~models.Q(branch_type=""),
                                   name="branch_has_type"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            if self.pk is None:
                super().save(*args, **kwargs)
                kwargs.pop("force_insert", None)
            path, depth = self._computed_path()
            if (path, depth) != (self.path, self.depth):
                self.path, self.depth = path, depth
                type(self).objects.filter(pk=self.pk).update(path=path, depth=depth)
            super().save(*args, **kwargs)

    def _computed_path(self) -> tuple[str, int]:
        own = f"{self.pk:06d}/"
        if self.parent_id is None:
            return own, 0
        parent = type(self).objects.only("path", "depth").get(pk=self.parent_id)
        return parent.path + own, parent.depth + 1

    @transaction.atomic
    def move_to(self, new_parent: Organization | None) -> None:
        """Move this organization and its whole subtree under ``new_parent``."""
        if new_parent is not None and new_parent.path.startswith(self.path):
            raise ValueError("不能把组织移到它自己的下级组织之下")
        old_path, old_depth = self.path, self.depth
        self.parent = new_parent
        new_path, new_depth = self._computed_path()
        type(self).objects.filter(path__startswith=old_path).update(
            path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
            depth=F("depth") - old_depth + new_depth,
        )
        self.path, self.depth = new_path, new_depth
        type(self).objects.filter(pk=self.pk).update(parent=new_parent)

    def subtree(self) -> OrganizationQuerySet:
        return Organization.objects.subtree(self)

    def ancestors(self) -> OrganizationQuerySet:
        ids = [int(part) for part in self.path.strip("/").split("/")[:-1] if part]
        return Organization.objects.filter(pk__in=ids)


class MemberCategory(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"
    ACTIVIST = "activist", "入党积极分子"


class MemberQuerySet(models.QuerySet):
    def party_members(self) -> MemberQuerySet:
        """Full and probationary members (党员); activists are not yet members."""
        return self.exclude(category=MemberCategory.ACTIVIST)

    def on(self, day: date) -> MemberQuerySet:
        """Members of their branch on ``day``: joined it by then and not yet left."""
        return self.filter(models.Q(joined_branch_on__isnull=True) | models.Q(joined_branch_on__lte=day)).filter(
            models.Q(left_branch_on__isnull=True) | models.Q(left_branch_on__gt=day))


class Member(models.Model):
    branch = models.ForeignKey(Organization, verbose_name="所在党支部", on_delete=models.PROTECT,
                               related_name="members", limit_choices_to={"kind": OrgKind.BRANCH})
    group = models.ForeignKey(Organization, verbose_name="所在党小组", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="group_members", limit_choices_to={"kind": OrgKind.PARTY_GROUP})
    number = models.CharField("党员编号", max_length=64, unique=True,
                              help_text="稳定的编号，导入时以此识别党员")
    name = models.CharField("姓名", max_length=100)
    category = models.CharField("类别", max_length=20, choices=MemberCategory.choices, default=MemberCategory.FULL)
    joined_party_on = models.DateField("入党日期", null=True, blank=True)
    full_member_on = models.DateField("转正日期", null=True, blank=True)
    joined_branch_on = models.DateField("转入本支部日期", null=True, blank=True)
    left_branch_on = models.DateField("转出本支部日期", null=True, blank=True)
    is_leader = models.BooleanField("党员领导干部", default=False)
    under_management = models.BooleanField("纳入党支部管理", default=True)
    lost_contact_since = models.DateField("失去联系日期", null=True, blank=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = "党员"
        ordering = ["branch_id", "number"]
        indexes = [models.Index(fields=["branch", "category"])]

    def __str__(self) -> str:
        return f"{self.name}（{self.number}）"


class Transfer(models.Model):
    """组织关系转接: the day it became due (应转之日) and the day it was done (null: not yet)."""

    member = models.ForeignKey(Member, verbose_name="党员", on_delete=models.CASCADE, related_name="transfers")
    due_on = models.DateField("应转日期")
    done_on = models.DateField("转接日期", null=True, blank=True)
    destination = models.CharField("转往", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "组织关系转接"
        indexes = [models.Index(fields=["due_on"])]


class CommitteeTerm(models.Model):
    """A branch committee's term. 党支部委员会每届任期一般为3年 (中国共产党支部工作条例)."""

    branch = models.ForeignKey(Organization, verbose_name="党支部", on_delete=models.CASCADE, related_name="terms")
    elected_on = models.DateField("选举日期")
    years = models.PositiveSmallIntegerField("任期（年）", default=3)
    has_committee = models.BooleanField("设立支部委员会", default=True,
                                        help_text="党员不足7人的支部可不设委员会，只设书记（和副书记）")
    extended_until = models.DateField("批准延期至", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "支委会任期"
        ordering = ["branch_id", "-elected_on"]
        constraints = [models.UniqueConstraint(fields=["branch", "elected_on"], name="one_term_per_election")]

    @property
    def ends_on(self) -> date:
        try:
            return self.elected_on.replace(year=self.elected_on.year + self.years)
        except ValueError:   # elected on 29 February
            return self.elected_on.replace(year=self.elected_on.year + self.years, day=28)


class Duty(models.TextChoices):
    SECRETARY = "secretary", "书记"
    DEPUTY = "deputy", "副书记"
    DISCIPLINE = "discipline", "纪检委员"
    ORGANIZATION = "organization", "组织委员"
    PROPAGANDA = "propaganda", "宣传委员"
    OTHER = "other", "其他委员"


class CommitteePost(models.Model):
    term = models.ForeignKey(CommitteeTerm, verbose_name="任期", on_delete=models.CASCADE, related_name="posts")
    member = models.ForeignKey(Member, verbose_name="党员", null=True, blank=True, on_delete=models.SET_NULL)
    duty = models.CharField("职务", max_length=20, choices=Duty.choices)
    started_on = models.DateField("任职日期")
    ended_on = models.DateField("离任日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "支委职务"
        indexes = [models.Index(fields=["duty", "started_on"])]
