"""A branch's records, kept once, from which the facts of a cycle are computed.

::

    Meeting          组织生活: 支部党员大会, 支委会, 党小组会, 党课, 主题党日, 组织生活会, 民主评议, 谈心谈话
      └─ Attendance  one row per member expected: present, on leave or absent
    Dues             党费 by member and month: due, paid, when
    DuesReview       每年3月前重新核定党员交费数额; DuesPublication 党费使用情况公布
    Study            学习学时 by member; TestResult 应知应会/理论测试成绩
    Fund             党支部活动经费 by year
    SiteCheck        “六必有” as checked on a day; ArchiveCheck “二册一本”
    WorkPlan         年初工作计划清单; MonthlyRecord 每月纪实清单填报

``Meeting.expected`` and ``Meeting.present`` are the counts of its attendance rows, kept by
:func:`chuangxing.records.services.record_attendance`, so facts over a whole city read one row per
meeting instead of one per member.
"""

from __future__ import annotations

from django.db import models

from chuangxing.orgs.models import Member, Organization


class MeetingKind(models.TextChoices):
    GENERAL = "general", "支部党员大会"
    COMMITTEE = "committee", "支委会"
    GROUP = "group", "党小组会"
    LECTURE = "lecture", "党课"
    THEME_DAY = "theme_day", "主题党日"
    ORG_LIFE = "org_life", "组织生活会"
    REVIEW = "review", "民主评议党员"
    TALK = "talk", "谈心谈话"


class Meeting(models.Model):
    branch = models.ForeignKey(Organization, verbose_name="党支部", on_delete=models.CASCADE, related_name="meetings")
    group = models.ForeignKey(Organization, verbose_name="党小组", null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="group_meetings")
    key = models.CharField("会议编号", max_length=64, unique=True, help_text="稳定的编号，导入时以此识别会议")
    kind = models.CharField("类型", max_length=20, choices=MeetingKind.choices)
    held_on = models.DateField("日期")
    topic = models.CharField("主题", max_length=300, blank=True)
    speaker = models.CharField("讲课人/发言人", max_length=200, blank=True)
    expected = models.PositiveIntegerField("应到人数", default=0)
    present = models.PositiveIntegerField("实到人数", default=0)

    class Meta:
        verbose_name = verbose_name_plural = "组织生活"
        ordering = ["branch_id", "held_on"]
        indexes = [models.Index(fields=["branch", "kind", "held_on"]), models.Index(fields=["held_on"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


class Presence(models.TextChoices):
    PRESENT = "present", "出席"
    LEAVE = "leave", "请假"
    ABSENT = "absent", "缺席"


class Attendance(models.Model):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="attendance")
    presence = models.CharField("出勤", max_length=10, choices=Presence.choices, default=Presence.PRESENT)

    class Meta:
        verbose_name = verbose_name_plural = "出勤"
        constraints = [models.UniqueConstraint(fields=["meeting", "member"], name="one_attendance_per_member")]


#: A dues row not paid in full: no payment date, or less paid than due.
UNPAID = models.Q(paid_on__isnull=True) | models.Q(amount_paid__lt=models.F("amount_due"))


class Dues(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="dues")
    month = models.DateField("月份", help_text="该月第一天")
    amount_due = models.DecimalField("应交（元）", max_digits=10, decimal_places=2)
    amount_paid = models.DecimalField("实交（元）", max_digits=10, decimal_places=2, default=0)
    paid_on = models.DateField("交纳日期", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "党费"
        constraints = [
            models.UniqueConstraint(fields=["member", "month"], name="one_dues_row_per_month"),
            models.CheckConstraint(condition=models.Q(month__day=1), name="dues_month_is_first_day"),
        ]
        indexes = [
            models.Index(fields=["month"]),
            # The few months not paid in full, for the facts (dues_months_missed): a city's dues are
            # mostly paid, so the facts read this small index, not every row.
            models.Index(fields=["member", "month"], condition=UNPAID, name="dues_unpaid"),
        ]


class DuesReview(models.Model):
    """每年3月前重新核定党员交费数额."""

    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="dues_reviews")
    year = models.PositiveSmallIntegerField("年度")
    reviewed_on = models.DateField("核定日期")

    class Meta:
        verbose_name = verbose_name_plural = "党费核定"
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="one_dues_review_per_year")]


class DuesPublication(models.Model):
    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="dues_publications")
    published_on = models.DateField("公布日期")
    summary = models.CharField("公布内容", max_length=300, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "党费使用公布"


class Study(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="studies")
    studied_on = models.DateField("日期")
    hours = models.DecimalField("学时", max_digits=6, decimal_places=1)
    title = models.CharField("内容", max_length=200, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "学习学时"
        indexes = [models.Index(fields=["studied_on"])]


class TestKind(models.TextChoices):
    SECRETARY = "secretary", "党支部书记应知应会测试"
    THEORY = "theory", "党员政治理论测试"


class TestResult(models.Model):
    member = models.ForeignKey(Member, on_delete=models.CASCADE, related_name="tests")
    kind = models.CharField("测试", max_length=20, choices=TestKind.choices)
    taken_on = models.DateField("日期")
    score = models.DecimalField("成绩", max_digits=5, decimal_places=1, null=True, blank=True,
                                help_text="空：缺考")
    wrong_answers = models.PositiveSmallIntegerField("错题数", null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = "测试成绩"
        indexes = [models.Index(fields=["kind", "taken_on"])]


class Fund(models.Model):
    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="funds")
    year = models.PositiveSmallIntegerField("年度")
    amount = models.DecimalField("活动经费（元）", max_digits=12, decimal_places=2)

    class Meta:
        verbose_name = verbose_name_plural = "活动经费"
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="one_fund_row_per_year")]


SITE_ITEMS = (("has_site", "有场所"), ("has_flag", "有党旗"), ("has_oath", "有入党誓词"),
              ("has_duties", "有班子责任分工"), ("has_plan", "有支部工作计划"), ("has_board", "有公示栏"))


class SiteCheck(models.Model):
    """“六必有”：有场所、有党旗、有入党誓词、有班子责任分工、有支部工作计划、有公示栏."""

    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="site_checks")
    checked_on = models.DateField("检查日期")
    has_site = models.BooleanField("有场所", default=False)
    has_flag = models.BooleanField("有党旗", default=False)
    has_oath = models.BooleanField("有入党誓词", default=False)
    has_duties = models.BooleanField("有班子责任分工", default=False)
    has_plan = models.BooleanField("有支部工作计划", default=False)
    has_board = models.BooleanField("有公示栏", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "六必有检查"
        ordering = ["branch_id", "-checked_on"]


class ArchiveCheck(models.Model):
    """“二册一本”：党员（入党积极分子）名册、党费收缴名册、党支部组织生活记录本."""

    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="archive_checks")
    checked_on = models.DateField("检查日期")
    member_roster = models.BooleanField("党员名册", default=False)
    dues_roster = models.BooleanField("党费收缴名册", default=False)
    life_record_book = models.BooleanField("组织生活记录本", default=False)
    electronic = models.BooleanField("电子档案已建立上报", default=False)

    class Meta:
        verbose_name = verbose_name_plural = "二册一本检查"
        ordering = ["branch_id", "-checked_on"]


class WorkPlan(models.Model):
    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="work_plans")
    year = models.PositiveSmallIntegerField("年度")
    made_on = models.DateField("制定日期")

    class Meta:
        verbose_name = verbose_name_plural = "年度工作计划清单"
        constraints = [models.UniqueConstraint(fields=["branch", "year"], name="one_work_plan_per_year")]


class MonthlyRecord(models.Model):
    """任务纪实清单：每月底网上填报上级党组织."""

    branch = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="monthly_records")
    month = models.DateField("月份", help_text="该月第一天")
    filed_on = models.DateField("填报日期")

    class Meta:
        verbose_name = verbose_name_plural = "纪实清单"
        constraints = [models.UniqueConstraint(fields=["branch", "month"], name="one_monthly_record")]
