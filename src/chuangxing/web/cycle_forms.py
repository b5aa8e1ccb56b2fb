"""The forms of the work-committee admin's pages: a new cycle, a role, a draw, a notice, an answer, an objection,
a dismissal of objections."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone

from chuangxing.assessments.models import ObjectionStatus, Role
from chuangxing.assessments.publicity import MAX_OBJECTION
from chuangxing.orgs.models import Organization, OrgKind
from chuangxing.records.models import Meeting
from chuangxing.rubric import library

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def rubric_choices() -> list[tuple[str, str]]:
    return [(e.id, f"{e.title}（{e.id}）") for e in library.list_entries()]


class CycleForm(forms.Form):
    name = forms.CharField(label="周期名称", max_length=200, help_text="例如：2026年度党支部达标创星考评")
    root = forms.ModelChoiceField(label="考评范围（上级党组织）", queryset=Organization.objects.none(),
                                  help_text="该组织下的全部党支部参加本周期")
    rubric_id = forms.ChoiceField(label="考评标准", help_text="从评分标准库选择；开启后本周期固定使用该版本")
    period_start = forms.DateField(label="考评期开始", widget=DATE)
    period_end = forms.DateField(label="考评期结束", widget=DATE)
    self_assessment_due = forms.DateTimeField(label="自评截止", required=False, widget=DATETIME)
    review_due = forms.DateTimeField(label="审核截止", required=False, widget=DATETIME)
    spot_check_share = forms.DecimalField(label="抽验比例", min_value=Decimal("0.001"), max_value=Decimal("1"),
                                          max_digits=4, decimal_places=3, initial=Decimal("0.100"),
                                          help_text="0.1 即抽取已审核党支部的 10%")
    spot_check_tolerance = forms.DecimalField(label="抽验容差（分）", min_value=Decimal("0"), max_digits=5,
                                              decimal_places=2, initial=Decimal("3.00"),
                                              help_text="抽验得分低于审核得分超过该分数的，降级")
    duplicate_reason = forms.CharField(label="再开一个周期的理由（仅当同一范围同一年度已有周期时填写）", required=False,
                                       max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                                       help_text="同一范围、同一年度（或考评期重叠）已有考评周期的，须写明理由；理由记入审计日志")

    def __init__(self, *args, roots=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root"].queryset = roots if roots is not None else Organization.objects.none()
        self.fields["root"].label_from_instance = lambda org: org.name
        self.fields["rubric_id"].choices = rubric_choices()

    def clean(self):
        data = super().clean()
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "考评期结束日不能早于开始日")
        return data

    def warnings(self) -> list[str]:
        """What is odd but allowed (asked once more before opening): a deadline already past, a period with no
        meeting held by any branch under the root."""
        data, out = self.cleaned_data, []
        now = timezone.now()
        for key in ("self_assessment_due", "review_due"):
            if data.get(key) and data[key] < now:
                out.append(f"{self.fields[key].label}时间 {timezone.localtime(data[key]):%Y年%m月%d日 %H:%M} 已经过去："
                           "开启后党支部将无法按期提交，须由管理员逐个重新开放。")
        branches = Organization.objects.subtree(data["root"]).branches()
        if not Meeting.objects.filter(branch__in=branches, held_on__range=(data["period_start"], data["period_end"])).exists():
            out.append(f"“{data['root'].name}”下的党支部在考评期（{data['period_start']:%Y年%m月%d日}至"
                       f"{data['period_end']:%Y年%m月%d日}）内没有任何会议记录：事实数据将全部为零，请核对考评期或先录入台账。")
        return out

    def settings(self) -> dict:
        data = self.cleaned_data
        return {key: data[key] for key in ("self_assessment_due", "review_due", "spot_check_share",
                                           "spot_check_tolerance") if data.get(key) is not None}


class RoleForm(forms.Form):
    user = forms.ModelChoiceField(label="用户", queryset=get_user_model().objects.filter(is_active=True)
                                  .order_by("username"))
    role = forms.ChoiceField(label="角色", choices=[(r.value, r.label) for r in (Role.REVIEWER, Role.INSPECTOR)])
    organization = forms.ModelChoiceField(label="负责的党组织", queryset=Organization.objects.none())

    def __init__(self, *args, organizations=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["organization"].queryset = organizations if organizations is not None else Organization.objects.none()
        self.fields["organization"].label_from_instance = lambda org: org.name
        self.fields["user"].label_from_instance = lambda u: f"{u.get_full_name() or u.get_username()}（{u.get_username()}）"


def committees_under(root: Organization):
    """The organizations a reviewer or inspector can be given: the root and the committees below it."""
    kinds = (OrgKind.WORK_COMMITTEE, OrgKind.PARTY_COMMITTEE, OrgKind.GENERAL_BRANCH)
    return Organization.objects.subtree(root).filter(kind__in=kinds).order_by("path")


class CancelForm(forms.Form):
    reason = forms.CharField(label="取消的理由", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}),
                             error_messages={"required": "请写明取消考评周期的理由"})


class SampleForm(forms.Form):
    seed = forms.CharField(label="随机种子（可选）", max_length=64, required=False,
                           help_text="留空则由系统生成并记录；任何人可用同一种子复核抽样结果")


class NoticeForm(forms.Form):
    title = forms.CharField(label="公示标题", max_length=200)
    starts_on = forms.DateField(label="公示开始", widget=DATE)
    ends_on = forms.DateField(label="公示结束", widget=DATE)
    body = forms.CharField(label="公示说明（可选）", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    answer = forms.CharField(label="答复", max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class ObjectionForm(forms.Form):
    assessment = forms.TypedChoiceField(label="对哪个党支部的结果有异议", coerce=int)
    text = forms.CharField(label="异议内容", max_length=MAX_OBJECTION, widget=forms.Textarea(attrs={"rows": 4}),
                           help_text=f"请写明事实和理由，不超过 {MAX_OBJECTION} 字；异议将由上级党组织核实答复",
                           error_messages={"max_length": f"异议内容不能超过 {MAX_OBJECTION} 字（现有 %(show_value)d 字），"
                                                         "请精简后再提交"})

    def __init__(self, *args, branches=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assessment"].choices = [("", "请选择党支部"), *branches]


class DismissForm(forms.Form):
    """Several open objections closed as 不予受理 at once; ``confirm`` is set by the confirmation step."""

    objections = forms.TypedMultipleChoiceField(label="所选异议", coerce=int, error_messages={
        "required": "请先勾选要处理的异议", "invalid_choice": "所选的异议已处理或不存在，请刷新页面后重新选择"})
    kind = forms.ChoiceField(choices=[(s.value, s.label) for s in (ObjectionStatus.DISMISSED, ObjectionStatus.SPAM)])
    reason = forms.CharField(label="不予受理的理由（将在公示页面上显示）", max_length=MAX_OBJECTION, required=False,
                             widget=forms.Textarea(attrs={"rows": 2}))
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, open_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["objections"].choices = [(pk, pk) for pk in open_ids]

    def clean(self):
        data = super().clean()
        if data.get("kind") == ObjectionStatus.DISMISSED and not (data.get("reason") or "").strip():
            self.add_error("reason", "请写明不予受理的理由（将在公示页面上显示）")
        return data
