"""The findings of one stage as a Django form: for each rule, the input its kind takes.

>>> form = FindingsForm(request.POST, rules=[(rule, current), ...], stage="self")
>>> form.is_valid(), form.changes()          # only what differs from what the page showed
(True, {'zj-org-1-c': {'value': True, 'reason': ''}})

``current`` is what the page showed for the rule (``sheets.prefill``'s row, or a stage of
``review_view``): its ``input`` as the engine read it and its ``source`` (``finding``, ``fact``,
``expression``, None when not assessed). A field left as shown writes nothing, so a rule whose input
comes from the records keeps following them; a finding emptied is removed (the rule falls back to
its fact). Each value is checked by the rule kind itself (``rule.parse_input``), whose Chinese
message is shown next to the rule.

The widgets by kind::

    fixed, zero_if, veto       是 / 否 (or 未填写)
    per_occurrence             a count (实际完成次数 when the rule counts a shortfall)
    threshold, expression      a number
    banded                     a number, or 缺考/未参加 when the rule scores an absent value
    range                      points within the range and a reason; one row per occurrence when it repeats
    checklist                  达到 / 未达到 for each item
    events                     one row per event: type, count, persons, project, modifier, points, reason
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from chuangxing.assessments.services import to_stored
from chuangxing.assessments.sheets import _plain
from chuangxing.facts.catalogue import FACTS
from chuangxing.scoring.errors import InputError
from chuangxing.scoring.kinds import RuleBase
from chuangxing.scoring.limits import MAX_COUNT, MAX_EVENT_COUNT, MAX_PERSONS
from chuangxing.scoring.points import fmt

BLANK = ("", "未填写")
REASON_MAX = 500


def field_name(rule_id: str, part: str) -> str:
    return f"{rule_id}__{part}"


def canonical(rule: RuleBase, raw: Any) -> Any:
    """A raw input as the engine reads it, in the form pages and ``prefill`` show it (exact numbers as text)."""
    return to_stored(_plain(rule.parse_input(raw)))


def _decimal(**kwargs: Any) -> forms.DecimalField:
    return forms.DecimalField(required=False, max_digits=14, decimal_places=4,
                              widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}), **kwargs)


def _points_text(points: Decimal | None) -> str:
    return fmt(points) if points is not None else ""


# -- one class per widget family: fields, the initial values from an input, the raw input from cleaned data -----------
class Input:
    """A rule kind's widgets. ``raw`` returns None when the rule is left blank."""

    template = ""
    takes_input = True

    def __init__(self, rule: RuleBase):
        self.rule = rule

    def fields(self) -> dict[str, forms.Field]:
        return {}

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        return {}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        return None


class YesNo(Input):
    template = "yes_no"

    def labels(self) -> tuple[str, str]:
        rule = self.rule
        points = _points_text(getattr(rule, "points", None))
        if rule.kind == "zero_if":
            return "是（本项得0分）", "否"
        if rule.effect == "award":
            return (f"已做到（得 {points} 分）" if points else "已做到"), "未做到"
        return (f"有此情形（扣 {points} 分）" if points else "有此情形"), "无此情形"

    def fields(self) -> dict[str, forms.Field]:
        yes, no = self.labels()
        return {"value": forms.ChoiceField(required=False, choices=[BLANK, ("yes", yes), ("no", no)],
                                           widget=forms.RadioSelect)}

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        if value is None:
            return {"value": ""}
        return {"value": "yes" if value is True else "no"}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        return {"yes": True, "no": False}.get(data.get("value") or "")


class VetoInput(YesNo):
    def labels(self) -> tuple[str, str]:
        return "有此情形（不予评定）", "无此情形"

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        if source is None:
            return {"value": ""}
        return {"value": "yes" if value else "no"}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        answer = data.get("value") or ""
        if answer == "yes":
            return {"triggered": True, "reason": reason or "情形成立"}
        return False if answer == "no" else None


class Count(Input):
    template = "number"

    def label(self) -> str:
        required = getattr(self.rule, "required", None)
        return f"实际完成次数（应 {required} 次）" if required else "发生次数"

    def fields(self) -> dict[str, forms.Field]:
        return {"value": forms.IntegerField(required=False, min_value=0, max_value=MAX_COUNT, label=self.label(),
                                            widget=forms.NumberInput(attrs={"inputmode": "numeric"}))}

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        return {"value": value}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        return data.get("value")


class Number(Input):
    template = "number"

    def label(self) -> str:
        unit = getattr(self.rule, "unit", "")
        return f"数值（{unit}）" if unit else "数值"

    def fields(self) -> dict[str, forms.Field]:
        return {"value": _decimal(label=self.label())}

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        return {"value": value}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        return data.get("value")


class BandedInput(Number):
    template = "banded"

    def fields(self) -> dict[str, forms.Field]:
        fields = super().fields()
        if self.rule.absent_points is not None:
            fields["absent"] = forms.BooleanField(required=False, label=f"缺考/未参加（扣 {fmt(self.rule.absent_points)} 分）")
        return fields

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        if value == "absent":
            return {"value": None, "absent": True}
        return {"value": value, "absent": False}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        if data.get("absent"):
            if data.get("value") is not None:
                raise ValidationError("已选择“缺考/未参加”，请不要再填写数值")
            return "absent"
        return data.get("value")


class RangeInput(Input):
    """One choice of points inside the range, with the reason (the rule's shared reason field)."""

    template = "range"

    def fields(self) -> dict[str, forms.Field]:
        rule = self.rule
        label = f"分值（{fmt(rule.min)}–{fmt(rule.max)} 分，0 为无此情形）"
        return {"points": _decimal(min_value=0, max_value=rule.max, label=label)}

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        return {"points": value[0]["points"] if value else None}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        points = data.get("points")
        return None if points is None else {"points": points, "reason": reason}


class ListInput(Input):
    """Several rows and a "none" box: rows → a list, the box → an empty list, neither → blank."""

    spare_rows = 1
    row_parts: tuple[str, ...] = ()

    def __init__(self, rule: RuleBase, rows: int = 0):
        super().__init__(rule)
        self.rows = rows + self.spare_rows

    def row_fields(self) -> dict[str, forms.Field]:
        raise NotImplementedError

    def fields(self) -> dict[str, forms.Field]:
        fields: dict[str, forms.Field] = {"none": forms.BooleanField(required=False, label=self.none_label())}
        for i in range(self.rows):
            for part, field in self.row_fields().items():
                fields[f"{part}_{i}"] = field
        return fields

    def none_label(self) -> str:
        return "本考评期内无此情形"

    def row_list(self, bound: Callable[[str], Any]) -> list[dict[str, Any]]:
        """For the template: per row, its bound fields by part."""
        return [{part: bound(f"{part}_{i}") for part in self.row_fields()} for i in range(self.rows)]

    def row_from(self, data: dict[str, Any], i: int) -> dict[str, Any] | None:
        raise NotImplementedError

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        rows = [row for i in range(self.rows) if (row := self.row_from(data, i)) is not None]
        if rows and data.get("none"):
            raise ValidationError("已勾选“无此情形”，请不要再填写明细")
        if rows:
            return rows
        return [] if data.get("none") else None


class RepeatRangeInput(ListInput):
    """"违反底线标准的，每项扣1-2分": one row per occurrence, each with its points and reason."""

    template = "repeat_range"
    spare_rows = 2

    def row_fields(self) -> dict[str, forms.Field]:
        rule = self.rule
        return {"points": _decimal(min_value=0, max_value=rule.max, label=f"分值（{fmt(rule.min)}–{fmt(rule.max)} 分）"),
                "why": forms.CharField(required=False, max_length=REASON_MAX, label="理由")}

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        initial: dict[str, Any] = {"none": value == []}
        for i, choice in enumerate(value or []):
            initial[f"points_{i}"], initial[f"why_{i}"] = choice["points"], choice.get("reason", "")
        return initial

    def row_from(self, data: dict[str, Any], i: int) -> dict[str, Any] | None:
        points, why = data.get(f"points_{i}"), (data.get(f"why_{i}") or "").strip()
        if points is None:
            if why:
                raise ValidationError(f"第 {i + 1} 行写了理由，请同时填写分值")
            return None
        return {"points": points, "reason": why}


class EventsInput(ListInput):
    template = "events"

    def row_fields(self) -> dict[str, forms.Field]:
        rule = self.rule
        types = [("", "—")] + [(t.id, self._type_label(t)) for t in rule.types]
        fields: dict[str, forms.Field] = {
            "type": forms.ChoiceField(required=False, choices=types, label="类型"),
            "count": forms.IntegerField(required=False, min_value=1, max_value=MAX_EVENT_COUNT, label="次数"),
        }
        if any(t.per_person for t in rule.types):
            fields["persons"] = forms.IntegerField(required=False, min_value=1, max_value=MAX_PERSONS, label="人数")
        fields["project"] = forms.CharField(required=False, max_length=200, label="项目")
        if rule.modifiers:
            fields["modifier"] = forms.ChoiceField(required=False, label="折算",
                                                   choices=[("", "—")] + [(m.id, m.label) for m in rule.modifiers])
        if any(t.max is not None for t in rule.types):
            fields["points"] = _decimal(min_value=0, label="分值")
        fields["why"] = forms.CharField(required=False, max_length=REASON_MAX, label="说明")
        return fields

    @staticmethod
    def _type_label(event_type) -> str:
        if event_type.points is not None:
            each = "每人每次" if event_type.per_person else "每次"
            return f"{event_type.label}（{each} {fmt(event_type.points)} 分）"
        low = fmt(event_type.min) if event_type.min is not None else "0"
        return f"{event_type.label}（{low}–{fmt(event_type.max)} 分）"

    def none_label(self) -> str:
        return "本考评期内无此类事项"

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        initial: dict[str, Any] = {"none": value == []}
        for i, event in enumerate(value or []):
            for part in ("type", "count", "persons", "project", "modifier", "points"):
                initial[f"{part}_{i}"] = event.get(part)
            initial[f"why_{i}"] = event.get("reason") or event.get("note") or ""
        return initial

    def row_from(self, data: dict[str, Any], i: int) -> dict[str, Any] | None:
        kind = data.get(f"type_{i}") or ""
        filled = [part for part in ("count", "persons", "project", "modifier", "points", "why")
                  if data.get(f"{part}_{i}") not in (None, "")]
        if not kind:
            if filled:
                raise ValidationError(f"第 {i + 1} 行请选择类型")
            return None
        event: dict[str, Any] = {"type": kind}
        for part, key in (("count", "count"), ("persons", "persons"), ("project", "project"), ("modifier", "modifier"),
                          ("points", "points"), ("why", "reason")):
            value = data.get(f"{part}_{i}")
            if value not in (None, ""):
                event[key] = value.strip() if isinstance(value, str) else value
        return event


class ChecklistInput(Input):
    template = "checklist"
    CHOICES = [("", "—"), ("yes", "达到"), ("no", "未达到")]

    def fields(self) -> dict[str, forms.Field]:
        return {f"item_{item.id}": forms.ChoiceField(required=False, choices=self.CHOICES, label=item.label)
                for item in self.rule.items}

    def initial(self, value: Any, source: str | None) -> dict[str, Any]:
        if value is None:
            return {}
        return {f"item_{item.id}": "no" if item.id in value else "yes" for item in self.rule.items}

    def raw(self, data: dict[str, Any], reason: str) -> Any:
        answers = {item.id: data.get(f"item_{item.id}") or "" for item in self.rule.items}
        if not any(answers.values()):
            return None
        if not all(answers.values()):
            raise ValidationError("请逐项选择“达到”或“未达到”")
        return [item_id for item_id, answer in answers.items() if answer == "no"]


class NoInput(Input):
    """``all_or_nothing`` (decided by the other rules of the item) and expressions without an input."""

    template = "none"
    takes_input = False


def input_for(rule: RuleBase, value: Any = None) -> Input:
    kind = rule.kind
    if kind in ("fixed", "zero_if"):
        return YesNo(rule)
    if kind == "veto":
        return VetoInput(rule)
    if kind == "per_occurrence":
        return Count(rule)
    if kind == "threshold":
        return Number(rule)
    if kind == "banded":
        return BandedInput(rule)
    if kind == "range":
        return RepeatRangeInput(rule, len(value or [])) if rule.repeat else RangeInput(rule)
    if kind == "checklist":
        return ChecklistInput(rule)
    if kind == "events":
        return EventsInput(rule, len(value or []))
    if kind == "expression":
        return {"number": Number, "bool": YesNo}.get(rule.input_type, NoInput)(rule)
    return NoInput(rule)


# -- the form ------------------------------------------------------------------------------------
class FindingsForm(forms.Form):
    """Every editable rule's widgets and a reason each; ``changes()`` is what ``save_findings`` takes.

    ``preview``: keep a change whose reason is missing (the error stays), so the live score shows it.
    ``rules``: (rule, current) pairs, current being ``{"input": ..., "source": ..., "reason": ..., "own": ...}``
    (``own``: the stage has its own finding for the rule, which emptying the field, or 撤销调整, removes).
    At the review and inspection stages a change needs its reason (审核调整须写明理由).
    """

    def __init__(self, *args: Any, rules: Iterable[tuple[RuleBase, dict[str, Any]]], stage: str, preview: bool = False,
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.stage, self.preview = stage, preview
        self.inputs: dict[str, Input] = {}
        self.current: dict[str, dict[str, Any]] = {}
        self.rules: dict[str, RuleBase] = {}
        for rule, current in rules:
            widget = input_for(rule, current.get("input"))
            if not widget.takes_input:
                continue
            self.rules[rule.id], self.inputs[rule.id], self.current[rule.id] = rule, widget, current
            initial = widget.initial(current.get("input"), current.get("source"))
            for part, field in widget.fields().items():
                name = field_name(rule.id, part)
                self.fields[name] = field
                self.initial.setdefault(name, initial.get(part))
            reason = field_name(rule.id, "reason")
            self.fields[reason] = forms.CharField(required=False, max_length=REASON_MAX,
                                                  label="调整理由" if stage != "self" else "说明")
            self.initial.setdefault(reason, current.get("reason") or "")
            if stage != "self" and current.get("own"):
                self.fields[field_name(rule.id, "revert")] = forms.BooleanField(
                    required=False, label="撤销本人的调整" if stage == "review" else "撤销抽验调整")
        self.values: dict[str, dict[str, Any]] = {}

    def bound(self, rule_id: str, part: str) -> forms.BoundField:
        return self[field_name(rule_id, part)]

    def parts_of(self, rule_id: str) -> dict[str, Any]:
        widget = self.inputs[rule_id]
        if isinstance(widget, ListInput):
            return {"none": self.bound(rule_id, "none"), "rows": widget.row_list(lambda n: self.bound(rule_id, n))}
        return {part: self.bound(rule_id, part) for part in widget.fields()}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        for rule_id, widget in self.inputs.items():
            parts = {part: cleaned.get(field_name(rule_id, part)) for part in widget.fields()}
            if any(field_name(rule_id, part) in self.errors for part in parts):
                continue
            reason = (cleaned.get(field_name(rule_id, "reason")) or "").strip()
            try:
                raw = None if cleaned.get(field_name(rule_id, "revert")) else widget.raw(parts, reason)
                change = self._change(rule_id, raw, reason)
            except ValidationError as error:
                self.add_error(self._first_field(rule_id), error)
                continue
            if change is None:
                continue
            if self.stage != "self" and not reason:
                self.add_error(field_name(rule_id, "reason"), "审核或抽验调整须写明理由")
                if not self.preview:        # the live score still shows the value typed
                    continue
            self.values[rule_id] = change
        return cleaned

    def _first_field(self, rule_id: str) -> str:
        return field_name(rule_id, next(iter(self.inputs[rule_id].fields())))

    def _change(self, rule_id: str, raw: Any, reason: str) -> dict[str, Any] | None:
        """What to write for the rule (None: nothing): a new value, a new reason, or a cleared finding."""
        rule, current = self.rules[rule_id], self.current[rule_id]
        own = bool(current.get("own"))
        if raw is None:
            return {"value": None, "reason": reason} if own else None
        try:
            value = canonical(rule, raw)
        except InputError as error:
            raise ValidationError(error.message_zh) from None
        same = current.get("source") is not None and value == current.get("input")
        if same and (not own or reason == (current.get("reason") or "")):
            return None
        return {"value": to_stored(raw), "reason": reason}

    def changes(self) -> dict[str, dict[str, Any]]:
        """{rule_id: {"value": ..., "reason": ...}} for ``services.save_findings``; a None value clears a finding."""
        return dict(self.values)

    def rule_errors(self) -> dict[str, list[str]]:
        """The errors by rule id (for the preview's JSON and the page)."""
        out: dict[str, list[str]] = {}
        for name, errors in self.errors.items():
            rule_id = name.split("__", 1)[0]
            out.setdefault(rule_id, []).extend(str(e) for e in errors)
        return out


# -- a fact overridden by a person, with the reason ------------------------------------------------
class FactOverrideForm(forms.Form):
    """The value of one fact as a person states it (``services.override_fact``), by the fact's unit.

    Its inputs carry ``form="<form_id>"``: the page draws them next to the rule, inside the findings
    form, while they belong to a form of their own (HTML forms cannot nest).
    """

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, unit: str, items: list[tuple[str, str]] | None = None, form_id: str = "", **kwargs: Any):
        if form_id:
            kwargs.setdefault("auto_id", f"{form_id}-%s")
        super().__init__(*args, **kwargs)
        self.unit = unit
        self.fields["value"] = self._value_field(unit, items)
        self.fields["reason"] = forms.CharField(max_length=REASON_MAX, label="修改理由",
                                                error_messages={"required": "修改事实须写明理由"})
        if form_id:
            for field in self.fields.values():
                field.widget.attrs["form"] = form_id

    @staticmethod
    def _value_field(unit: str, items: list[tuple[str, str]] | None) -> forms.Field:
        if unit in ("count", "days"):
            return forms.IntegerField(min_value=0, max_value=MAX_COUNT, label="数值")
        if unit == "percent":
            return forms.DecimalField(min_value=0, max_value=100, max_digits=9, decimal_places=4, label="百分比（%）")
        if unit == "number":
            return forms.DecimalField(max_digits=14, decimal_places=4, label="数值")
        if unit == "bool":
            return forms.TypedChoiceField(choices=[("yes", "是"), ("no", "否")], coerce=lambda v: v == "yes",
                                          widget=forms.RadioSelect, label="是否")
        if unit == "items" and items:
            return forms.MultipleChoiceField(choices=items, required=False, widget=forms.CheckboxSelectMultiple,
                                             label="未达到的项目")
        if unit == "items":
            return forms.CharField(required=False, label="项目编号（以顿号或逗号分隔）")
        return forms.CharField(max_length=REASON_MAX, label="内容")

    def value(self) -> Any:
        value = self.cleaned_data["value"]
        if self.unit == "items" and isinstance(value, str):
            return [part.strip() for part in value.replace("，", ",").replace("、", ",").split(",") if part.strip()]
        return value


def fact_override_form(rubric: Any, name: str, data: Any = None) -> FactOverrideForm | None:
    """The override form of fact ``name`` as ``rubric`` reads it (its unit; a checklist's items), bound to
    ``data``; None when the rubric knows no such fact. The page and the JSON API both parse through it."""
    unit = {n: d.unit for n, d in rubric.facts.items()}.get(name) or (FACTS[name].unit if name in FACTS else None)
    if unit is None:
        return None
    checklist = next((r for r, _ in rubric.rules() if r.kind == "checklist" and r.fact == name), None)
    items = [(i.id, i.label) for i in checklist.items] if checklist else None
    return FactOverrideForm(data, unit=unit, items=items)
