"""Forms for a branch's records: members, meetings, attendance, dues, an import file.

The branch is never a field: it comes from the URL, checked by ``lookups.branch_for``; a 党小组 can be
chosen only among the branch's own groups.
"""

from __future__ import annotations

from typing import Any

from django import forms

from chuangxing.orgs.models import Member, Organization, OrgKind
from chuangxing.records.imports.members import max_members
from chuangxing.records.models import Dues, Meeting, Presence

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
IMPORT_KINDS = [("members", "党员"), ("meetings", "组织生活（会议与出勤）"), ("attendance", "出勤"), ("dues", "党费")]


def _groups_of(branch: Organization):
    return Organization.objects.filter(parent=branch, kind=OrgKind.PARTY_GROUP).order_by("name")


class MemberForm(forms.ModelForm):
    class Meta:
        model = Member
        fields = ["number", "name", "category", "group", "is_leader", "joined_party_on", "full_member_on",
                  "joined_branch_on", "left_branch_on", "under_management", "lost_contact_since"]
        widgets = {name: DATE for name in ("joined_party_on", "full_member_on", "joined_branch_on", "left_branch_on",
                                           "lost_contact_since")}

    def __init__(self, *args: Any, branch: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance.branch = branch
        self.fields["group"].queryset = _groups_of(branch)
        self.fields["group"].empty_label = "（不在党小组）"

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        cap = max_members()
        if self.instance.pk is None and Member.objects.filter(branch=self.instance.branch).count() >= cap:
            raise forms.ValidationError(f"本支部已有 {cap} 名党员，达到每个党支部的上限，不能再新增；"
                                        "党员较多的支部请分设党支部或党总支，确需调整上限请联系系统管理员")
        for earlier, later, message in (("joined_party_on", "full_member_on", "转正日期不能早于入党日期"),
                                        ("joined_branch_on", "left_branch_on", "转出本支部日期不能早于转入本支部日期")):
            if data.get(earlier) and data.get(later) and data[later] < data[earlier]:
                self.add_error(later, message)
        return data


class MeetingForm(forms.ModelForm):
    class Meta:
        model = Meeting
        fields = ["kind", "held_on", "topic", "speaker", "group"]
        widgets = {"held_on": DATE}

    def __init__(self, *args: Any, branch: Organization, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.instance.branch = branch
        self.fields["group"].queryset = _groups_of(branch)
        self.fields["group"].required = False
        self.fields["group"].empty_label = "（全支部）"
        self.fields["group"].help_text = "党小组会填写"

    def save(self, commit: bool = True) -> Meeting:
        meeting = super().save(commit=False)
        if not meeting.key:
            meeting.key = _meeting_key(meeting)
        if commit:
            meeting.save()
        return meeting


def _meeting_key(meeting: Meeting) -> str:
    """A stable 会议编号 for a meeting entered on the page: 支部编码-日期-类型, numbered when taken."""
    base = f"{meeting.branch.code}-{meeting.held_on:%Y%m%d}-{meeting.kind}"[:60]
    key, n = base, 1
    while Meeting.objects.filter(key=key).exists():
        n += 1
        key = f"{base}-{n}"
    return key


class AttendanceForm(forms.Form):
    """出席 / 请假 / 缺席 for each member of the branch on the meeting's day; 不计应到 leaves a member out."""

    NOT_EXPECTED = ""
    CHOICES = [*Presence.choices, (NOT_EXPECTED, "不计应到")]

    def __init__(self, *args: Any, members: list[Member], current: dict[int, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.members = members
        fresh = not current
        for member in members:
            name = f"m{member.pk}"
            self.fields[name] = forms.ChoiceField(choices=self.CHOICES, required=False, widget=forms.RadioSelect,
                                                  label=member.name)
            self.initial[name] = current.get(member.pk, Presence.PRESENT if fresh else self.NOT_EXPECTED)

    def rows(self) -> list[tuple[Member, forms.BoundField]]:
        return [(member, self[f"m{member.pk}"]) for member in self.members]

    def presence(self) -> dict[Member, str]:
        return {member: status for member in self.members if (status := self.cleaned_data.get(f"m{member.pk}"))}


class DuesForm(forms.ModelForm):
    class Meta:
        model = Dues
        fields = ["amount_due", "amount_paid", "paid_on"]
        widgets = {"paid_on": DATE}

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        paid, on = data.get("amount_paid"), data.get("paid_on")
        if paid and not on:
            self.add_error("paid_on", "已交纳的请填写交纳日期")
        if on and not paid:
            self.add_error("amount_paid", "填写了交纳日期，请同时填写实交金额")
        return data


class ImportForm(forms.Form):
    kind = forms.ChoiceField(choices=IMPORT_KINDS, label="导入内容")
    file = forms.FileField(label="文件（.xlsx 或 .csv）", error_messages={"required": "请选择要导入的文件"})

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if not upload.name.lower().endswith((".xlsx", ".csv")):
            raise forms.ValidationError("只能导入 .xlsx 或 .csv 文件（可先下载模板）")
        return upload
