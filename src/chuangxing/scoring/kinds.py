"""Rule kinds: each one is the schema of a rule in a rubric file, its evaluation and its sentence.

A rule reads one input (a finding, or a fact from the branch's records) and gives or takes points.
Every kind answers four questions:

- ``parse_input(raw)``: is this finding the right shape for me? (else :class:`InputError`)
- ``evaluate(value, ctx)``: the trace entries (signed points and a Chinese explanation)
- ``max_points()``: the most I can move an item (``None`` when unbounded, e.g. "每发现一例扣1分")
- ``ideal_input()``: what a branch that fully meets me reports (used by "what would it take")

``KIND_DOCS`` holds the sentence that explains each kind; ``docs/rubric-format.md`` must document
every kind (a test checks it).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from chuangxing.scoring.errors import InputError
from chuangxing.scoring.limits import (
    MAX_EVENT_COUNT,
    MAX_PERSONS,
    PERCENT_UNITS,
    check_count,
    check_many,
    check_percent,
    check_text,
    read_number,
)
from chuangxing.scoring.points import ZERO, fmt, to_points
from chuangxing.scoring.trace import Entry


def _points_field(value: Any) -> Decimal:
    """``to_points`` for model fields. Its TypeErrors become ValueErrors: pydantic turns only those into a
    validation problem with a path; a TypeError would escape the rubric checker as a traceback."""
    try:
        return to_points(value)
    except (TypeError, ValueError):
        hint = "（不接受二进制浮点数，请写成文字或 Decimal）" if isinstance(value, float) else ""
        raise ValueError(f"应为数字，收到 {value!r}{hint}") from None


Points = Annotated[Decimal, BeforeValidator(_points_field)]
Effect = Literal["deduct", "award"]
ABSENT = "absent"


@dataclass
class EvalContext:
    """What a rule may look at besides its own input."""

    facts: Mapping[str, Any] = field(default_factory=dict)
    node_id: str | None = None
    node_max: Decimal | None = None


def _number(raw: Any, *, what: str, unit: str = "") -> Decimal:
    """A typed number within :mod:`chuangxing.scoring.limits` (a percent within 0–100)."""
    value = read_number(raw, what=what)
    return check_percent(value, what=what) if unit in PERCENT_UNITS else value


def _count(raw: Any, *, what: str = "次数", most: int | None = None) -> int:
    value = _number(raw, what=what)
    if value < 0:
        raise InputError("negative_count", f"{what}不能为负数：{fmt(value)}", f"count must not be negative: {value}")
    if value != value.to_integral_value():
        raise InputError("fractional_count", f"{what}应为整数：{fmt(value)}", f"count must be whole: {value}")
    return check_count(int(value), what=what) if most is None else check_count(int(value), what=what, most=most)


def _reason(raw: Any, *, what: str = "理由") -> str:
    return check_text(str(raw or "").strip(), what=what)


def _yes_no(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip() in ("是", "否", "yes", "no", "true", "false"):
        return raw.strip() in ("是", "yes", "true")
    raise InputError("not_yes_no", f"应为 是/否（true/false），收到 {raw!r}", f"must be yes/no, got {raw!r}")


class RuleBase(BaseModel):
    """Fields every rule has. ``text`` is the standard's original wording, quoted, never paraphrased."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str
    id: str = Field(min_length=1)
    text: str = Field(min_length=1)
    effect: Effect = "deduct"
    fact: str | None = None         # take the input from this named fact when no finding is given
    when: str | None = None         # or compute it: an expression over facts (rule_engine syntax)
    enabled: bool = True            # a reading can switch a rule off through a parameter
    fixable: bool = True            # can a branch still mend this in the cycle? ("what would it take")
    reading: str | None = None      # how an ambiguous source is read, stated next to the rule
    note: str | None = None

    label: ClassVar[str] = ""
    sentence: ClassVar[str] = ""

    @property
    def sign(self) -> Decimal:
        return Decimal(-1) if self.effect == "deduct" else Decimal(1)

    def parse_input(self, raw: Any) -> Any:
        raise NotImplementedError

    def evaluate(self, value: Any, ctx: EvalContext) -> list[Entry]:
        raise NotImplementedError

    def max_points(self) -> Decimal | None:
        raise NotImplementedError

    def ideal_input(self) -> Any:
        raise NotImplementedError

    def entry(self, points: Decimal, explanation: str, value: Any, ctx: EvalContext) -> Entry:
        verb = "扣" if points < 0 else "得"
        return Entry(
            rule=self.id, kind=self.kind, text=self.text, points=points,
            explanation=f"{explanation}，{verb} {fmt(abs(points))} 分", input=_jsonable(value), node=ctx.node_id,
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


class Fixed(RuleBase):
    kind: Literal["fixed"] = "fixed"
    points: Points = Field(gt=0)
    label: ClassVar[str] = "条件扣分/得分"
    sentence: ClassVar[str] = "条件成立时扣（或得）固定分值，如“有党员7人以上，未按要求设立支部委员会，扣3分”。"

    def parse_input(self, raw: Any) -> bool:
        return _yes_no(raw)

    def evaluate(self, value: bool, ctx: EvalContext) -> list[Entry]:
        if not value:
            return []
        return [self.entry(self.sign * self.points, "情形成立" if self.effect == "deduct" else "已做到", value, ctx)]

    def max_points(self) -> Decimal:
        return self.points

    def ideal_input(self) -> bool:
        return self.effect == "award"


class PerOccurrence(RuleBase):
    kind: Literal["per_occurrence"] = "per_occurrence"
    points: Points = Field(gt=0)            # per occurrence
    max: Points | None = Field(default=None, gt=0)   # cap of this rule ("3分，每次0.3分")
    required: int | None = Field(default=None, ge=1)  # input is the number done; short of it counts
    label: ClassVar[str] = "按次扣分/得分"
    sentence: ClassVar[str] = (
        "每次（每例、每项、每题）扣或得固定分值，可设上限；给出 required 时输入为实际完成次数，"
        "按“少一次扣0.5分”计算差额。如“发现一例，扣1分”“每次0.3分”。"
    )

    def parse_input(self, raw: Any) -> int:
        return _count(raw)

    def occurrences(self, value: int) -> int:
        return max(0, self.required - value) if self.required is not None else value

    def evaluate(self, value: int, ctx: EvalContext) -> list[Entry]:
        n = self.occurrences(value)
        if n == 0:
            return []
        raw = self.points * n
        points = min(raw, self.max) if self.max is not None else raw
        what = f"应 {self.required} 次、实际 {value} 次，少 {n} 次" if self.required is not None else f"{n} 次"
        explanation = f"{what} × {fmt(self.points)} 分"
        if points != raw:
            explanation += f" = {fmt(raw)} 分，以本项上限 {fmt(self.max)} 分计"
        return [self.entry(self.sign * points, explanation, value, ctx)]

    def max_points(self) -> Decimal | None:
        if self.max is not None:
            return self.max
        return self.points * self.required if self.required is not None else None

    def ideal_input(self) -> int:
        if self.effect == "deduct":
            return self.required if self.required is not None else 0
        if self.required is not None:
            return 0
        return int(-(-(self.max or self.points) // self.points))  # enough occurrences to reach the cap


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    points: Points
    reason: str = ""

    def to_dict(self) -> dict:
        return {"points": self.points, "reason": self.reason}


class Range(RuleBase):
    """A person's judgement: "扣1-2分", "得3—5分", "酌情扣分" (0 or a value inside the range)."""

    kind: Literal["range"] = "range"
    min: Points = Field(ge=0)
    max: Points = Field(gt=0)
    allow_zero: bool = True          # "not triggered" is always a valid choice
    repeat: bool = False             # one choice per occurrence: "违反底线标准的，每项扣1-2分"
    reason_required: bool = True
    label: ClassVar[str] = "区间酌情扣分/得分"
    sentence: ClassVar[str] = (
        "由评分人在区间内选定分值并写明理由，如“扣1-2分”“得3—5分”“酌情扣分”；repeat 为每次违反各选一次。"
    )

    @model_validator(mode="after")
    def _min_not_above_max(self) -> Range:
        if self.min > self.max:
            raise ValueError(f"区间下限 {fmt(self.min)} 大于上限 {fmt(self.max)}")
        return self

    def _choice(self, raw: Any) -> Choice:
        if isinstance(raw, Mapping):
            unknown = set(raw) - {"points", "reason"}
            if unknown:
                raise InputError("unknown_field", f"未知字段：{'、'.join(sorted(unknown))}", f"unknown fields {unknown}")
            points, reason = raw.get("points"), _reason(raw.get("reason"))
        else:
            points, reason = raw, ""
        value = _number(points, what="分值")
        if value == 0 and self.allow_zero:
            return Choice(points=value, reason=reason)
        if not self.min <= value <= self.max:
            raise InputError(
                "out_of_range",
                f"分值 {fmt(value)} 不在 {fmt(self.min)}–{fmt(self.max)} 分之间",
                f"points {value} outside {self.min}..{self.max}",
            )
        if self.reason_required and not reason:
            raise InputError("reason_required", "酌情扣分或得分必须写明理由", "a discretionary score needs a reason")
        return Choice(points=value, reason=reason)

    def parse_input(self, raw: Any) -> tuple[Choice, ...]:
        if self.repeat:
            if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
                raise InputError("not_a_list", "应为逐次列出的清单", "must be a list of occurrences")
            return tuple(self._choice(item) for item in check_many(raw, what="逐次列出的项目"))
        return (self._choice(raw),)

    def evaluate(self, value: tuple[Choice, ...], ctx: EvalContext) -> list[Entry]:
        entries = []
        for i, choice in enumerate(value, start=1):
            if choice.points == 0:
                continue
            nth = f"第 {i} 项：" if self.repeat else ""
            why = f"{nth}评定 {fmt(choice.points)} 分（{choice.reason}）" if choice.reason else f"{nth}评定"
            entries.append(self.entry(self.sign * choice.points, why, choice, ctx))
        return entries

    def max_points(self) -> Decimal | None:
        return None if self.repeat else self.max

    def ideal_input(self) -> Any:
        best = {"points": ZERO} if self.effect == "deduct" else {"points": self.max, "reason": "全部做到"}
        return [] if self.repeat else best


class Band(BaseModel):
    """A half-open interval [from, to) of the input value and the points it gives or takes."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    from_: Points | None = Field(default=None, alias="from")
    to: Points | None = None
    points: Points = Field(ge=0)

    def contains(self, value: Decimal) -> bool:
        return (self.from_ is None or value >= self.from_) and (self.to is None or value < self.to)

    def describe(self) -> str:
        if self.from_ is None:
            return f"低于 {fmt(self.to)}"
        if self.to is None:
            return f"{fmt(self.from_)} 及以上"
        return f"{fmt(self.from_)} 至不足 {fmt(self.to)}"


class Banded(RuleBase):
    """Points by the band a value falls in: a test score, a count of irregular steps."""

    kind: Literal["banded"] = "banded"
    bands: list[Band] = Field(min_length=1)
    absent_points: Points | None = None   # "不参加不得分": what an absent value costs
    unit: str = ""
    label: ClassVar[str] = "分段扣分/得分"
    sentence: ClassVar[str] = (
        "按数值所在区段扣分，区段为左闭右开；absent_points 为没有数值（如不参加测试）时的分值。"
        "如“低于60分的扣4分，60-70分的扣3分……90分以上不扣，不参加不得分”。"
    )

    @model_validator(mode="after")
    def _bands_do_not_overlap(self) -> Banded:
        ordered = sorted(self.bands, key=lambda b: (b.from_ is not None, b.from_ or ZERO))
        for a, b in itertools.pairwise(ordered):
            if a.to is None or (b.from_ is not None and b.from_ < a.to):
                raise ValueError(f"分段重叠：{a.describe()} 与 {b.describe()}")
        return self

    def parse_input(self, raw: Any) -> Decimal | str:
        if raw is None or raw == ABSENT or raw == "缺考":
            if self.absent_points is None:
                raise InputError("absent_not_allowed", "本规则没有规定缺少数值时的分值，请填写数值",
                                 "this rule has no points for an absent value")
            return ABSENT
        return _number(raw, what="数值", unit=self.unit)

    def evaluate(self, value: Decimal | str, ctx: EvalContext) -> list[Entry]:
        if value == ABSENT:
            points, why = self.absent_points, "无数值（未参加）"
        else:
            band = next((b for b in self.bands if b.contains(value)), None)
            if band is None:
                return []
            points, why = band.points, f"{fmt(value)}{self.unit}，属“{band.describe()}”段"
        if not points:
            return []
        return [self.entry(self.sign * points, why, value, ctx)]

    def max_points(self) -> Decimal:
        return max([b.points for b in self.bands] + [self.absent_points or ZERO])

    def ideal_input(self) -> Decimal:
        best = min if self.effect == "deduct" else max
        band = best(self.bands, key=lambda b: b.points)
        if band.from_ is not None:
            return band.from_
        return band.to - 1


_OPS = {"lt": ("低于", Decimal.__lt__), "le": ("不高于", Decimal.__le__),
        "gt": ("高于", Decimal.__gt__), "ge": ("达到", Decimal.__ge__)}


class Threshold(RuleBase):
    """"满意率低于80%扣4分": the value compared with a threshold."""

    kind: Literal["threshold"] = "threshold"
    op: Literal["lt", "le", "gt", "ge"] = "lt"
    value: Points
    points: Points = Field(gt=0)
    unit: str = "%"
    label: ClassVar[str] = "阈值扣分/得分"
    sentence: ClassVar[str] = "数值与阈值比较，成立时扣或得固定分值，如“群众对党支部基本满意率低于80%扣4分”。"

    def parse_input(self, raw: Any) -> Decimal:
        return _number(raw, what="数值", unit=self.unit)

    def triggered(self, value: Decimal) -> bool:
        return _OPS[self.op][1](value, self.value)

    def evaluate(self, value: Decimal, ctx: EvalContext) -> list[Entry]:
        if not self.triggered(value):
            return []
        why = f"{fmt(value)}{self.unit}，{_OPS[self.op][0]} {fmt(self.value)}{self.unit}"
        return [self.entry(self.sign * self.points, why, value, ctx)]

    def max_points(self) -> Decimal:
        return self.points

    def ideal_input(self) -> Decimal:
        wants_trigger = self.effect == "award"
        below = self.op in ("lt", "le")
        if wants_trigger == below:
            return self.value - 1 if self.op == "lt" else self.value
        return self.value + 1 if self.op == "gt" else self.value


class ChecklistItem(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str


class Checklist(RuleBase):
    """"六必有：有一项未达到的扣1分，扣完为止": one deduction per missing item."""

    kind: Literal["checklist"] = "checklist"
    items: list[ChecklistItem] = Field(min_length=1)
    points: Points = Field(gt=0)      # per missing item
    max: Points | None = Field(default=None, gt=0)
    label: ClassVar[str] = "清单逐项扣分"
    sentence: ClassVar[str] = "逐项核对清单，每缺一项扣固定分值，可设上限；输入为缺少的项目，或各项是否做到。"

    def parse_input(self, raw: Any) -> tuple[str, ...]:
        ids = [i.id for i in self.items]
        if isinstance(raw, Mapping):
            unknown = [k for k in raw if k not in ids]
            missing = [k for k in ids if k in raw and not _yes_no(raw[k])]
        elif isinstance(raw, Sequence) and not isinstance(raw, str | bytes):
            unknown = [k for k in raw if k not in ids]
            missing = [k for k in ids if k in raw]
        else:
            raise InputError("not_a_list", "应为缺少项目的清单", "must be the list of missing items")
        if unknown:
            raise InputError("unknown_item", f"清单中没有这些项目：{'、'.join(map(str, unknown))}（可选：{'、'.join(ids)}）",
                             f"unknown checklist items {unknown}")
        return tuple(missing)

    def evaluate(self, value: tuple[str, ...], ctx: EvalContext) -> list[Entry]:
        if not value:
            return []
        labels = {i.id: i.label for i in self.items}
        raw = self.points * len(value)
        points = min(raw, self.max) if self.max is not None else raw
        why = f"缺 {len(value)} 项（{'、'.join(labels[k] for k in value)}）× {fmt(self.points)} 分"
        return [self.entry(self.sign * points, why, list(value), ctx)]

    def max_points(self) -> Decimal:
        raw = self.points * len(self.items)
        return min(raw, self.max) if self.max is not None else raw

    def ideal_input(self) -> list[str]:
        return []


class EventType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str
    points: Points | None = Field(default=None, gt=0)   # fixed points per event (and per person)
    min: Points | None = Field(default=None, ge=0)      # or a range chosen per event, with a reason
    max: Points | None = Field(default=None, gt=0)
    per_person: bool = False                            # "每人每次扣1分"

    @model_validator(mode="after")
    def _points_or_range(self) -> EventType:
        if (self.points is None) == (self.max is None):
            raise ValueError(f"事件类型 {self.id} 须给出固定分值 points，或区间 min/max 之一")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"事件类型 {self.id} 区间下限 {fmt(self.min)} 大于上限 {fmt(self.max)}")
        return self


class Modifier(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    label: str
    factor: Points = Field(gt=0)


class Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    type: str
    count: int = Field(default=1, ge=1)
    persons: int = Field(default=1, ge=1)
    project: str | None = None
    modifier: str | None = None
    points: Points | None = None
    reason: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        return self.model_dump(exclude_defaults=True)


class Events(RuleBase):
    """Bonus, penalty and bottom-line events, each of a declared type."""

    kind: Literal["events"] = "events"
    types: list[EventType] = Field(min_length=1)
    modifiers: list[Modifier] = []
    best_per_project: bool = False   # "同一项目受到不同层级表彰的不能累计，以最高分计"
    max: Points | None = Field(default=None, gt=0)
    fixable: bool = False            # past events: nothing a branch can mend within the cycle
    label: ClassVar[str] = "事件扣分/加分"
    sentence: ClassVar[str] = (
        "逐个列出事件（表彰、问责、违反底线等），按类型计分，可按人次计、按项目取最高、按修饰折算（如会议交流减半）"
        "并设总上限。如“国家级加5分，省部级加3分，市厅级加2分”“每人每次扣1分”。"
    )

    def parse_input(self, raw: Any) -> tuple[Event, ...]:
        if not isinstance(raw, Sequence) or isinstance(raw, str | bytes):
            raise InputError("not_a_list", "应为事件清单", "must be a list of events")
        types = {t.id: t for t in self.types}
        mods = {m.id for m in self.modifiers}
        events = []
        for i, item in enumerate(check_many(raw, what="事件"), start=1):
            _check_event_numbers(i, item)
            try:
                event = Event.model_validate(item)
            except Exception as exc:  # pydantic's ValidationError, reported in the event's words
                raise InputError("bad_event", f"第 {i} 个事件格式不对：{_first_error(exc)}", f"event {i}: {exc}") from None
            etype = types.get(event.type)
            if etype is None:
                raise InputError("unknown_event_type", f"第 {i} 个事件的类型 {event.type} 不存在（可选：{'、'.join(types)}）",
                                 f"event {i}: unknown type {event.type}")
            if event.modifier is not None and event.modifier not in mods:
                raise InputError("unknown_modifier", f"第 {i} 个事件的修饰 {event.modifier} 不存在",
                                 f"event {i}: unknown modifier {event.modifier}")
            if event.persons > 1 and not etype.per_person:
                raise InputError("not_per_person", f"第 {i} 个事件类型“{etype.label}”不按人计",
                                 f"event {i}: type {etype.id} is not per person")
            self._check_range(i, etype, event)
            events.append(event)
        return tuple(events)

    @staticmethod
    def _check_range(i: int, etype: EventType, event: Event) -> None:
        if etype.max is None:
            if event.points is not None:
                raise InputError("fixed_points", f"第 {i} 个事件类型“{etype.label}”分值固定，不能另填分值",
                                 f"event {i}: type {etype.id} has fixed points")
            return
        low = etype.min if etype.min is not None else ZERO
        if event.points is None or not low <= event.points <= etype.max:
            raise InputError("out_of_range", f"第 {i} 个事件须在 {fmt(low)}–{fmt(etype.max)} 分之间选定分值",
                             f"event {i}: points must be within {low}..{etype.max}")
        if not event.reason.strip():
            raise InputError("reason_required", f"第 {i} 个事件须写明理由", f"event {i}: a reason is required")

    def event_points(self, event: Event) -> Decimal:
        etype = next(t for t in self.types if t.id == event.type)
        base = etype.points if etype.points is not None else event.points
        factor = next((m.factor for m in self.modifiers if m.id == event.modifier), Decimal(1))
        return base * factor * event.count * event.persons

    def _describe(self, event: Event) -> str:
        etype = next(t for t in self.types if t.id == event.type)
        parts = [etype.label]
        if event.project:
            parts.append(f"项目“{event.project}”")
        if event.modifier:
            parts.append(next(m.label for m in self.modifiers if m.id == event.modifier))
        if event.persons > 1:
            parts.append(f"{event.persons} 人")
        if event.count > 1:
            parts.append(f"{event.count} 次")
        if event.reason:
            parts.append(event.reason)
        return "，".join(parts)

    def _counted(self, value: tuple[Event, ...]) -> set[int]:
        """Indexes of the events that count: with best_per_project, the highest of each project."""
        if not self.best_per_project:
            return set(range(len(value)))
        best: dict[str, int] = {}
        for i, event in enumerate(value):
            j = best.get(event.project) if event.project else None
            if event.project and (j is None or self.event_points(event) > self.event_points(value[j])):
                best[event.project] = i
        return {i for i, e in enumerate(value) if not e.project or best[e.project] == i}

    def evaluate(self, value: tuple[Event, ...], ctx: EvalContext) -> list[Entry]:
        counted = self._counted(value)
        entries: list[Entry] = []
        running = ZERO
        for i, event in enumerate(value):
            if i not in counted:
                entries.append(Entry(rule=self.id, kind=self.kind, text=self.text, points=ZERO, node=ctx.node_id,
                                     explanation=f"{self._describe(event)}：同一项目以最高层级计，不累计",
                                     input=event.to_dict()))
                continue
            points, why = self.event_points(event), self._describe(event)
            if self.max is not None and running + points > self.max:
                points = max(ZERO, self.max - running)
                why += f"（已达上限 {fmt(self.max)} 分）"
            running += points
            entries.append(self.entry(self.sign * points, why, event, ctx))
        return entries

    def max_points(self) -> Decimal | None:
        return self.max

    def ideal_input(self) -> list:
        return []


class AllOrNothing(RuleBase):
    """"否则，不得分": unless every covered part is fully earned, the item scores 0."""

    kind: Literal["all_or_nothing"] = "all_or_nothing"
    effect: Effect = "award"
    covers: list[str] = []   # rule ids in the same item; empty: every award rule of the item
    label: ClassVar[str] = "全有或全无"
    sentence: ClassVar[str] = "所列各部分须全部做到，否则本项不得分（“否则，不得分”）。本规则不需要输入。"

    def parse_input(self, raw: Any) -> Any:
        raise InputError("no_input", "此规则由同项其他规则的结果决定，不接受输入", "this rule takes no input")

    def evaluate(self, value: Any, ctx: EvalContext) -> list[Entry]:
        return []

    def max_points(self) -> Decimal:
        return ZERO

    def ideal_input(self) -> None:
        return None


class ZeroIf(RuleBase):
    """"未开展活动得0分": when the condition holds, the whole item scores 0."""

    kind: Literal["zero_if"] = "zero_if"
    label: ClassVar[str] = "条件清零"
    sentence: ClassVar[str] = "条件成立时本项得0分，如“未开展活动得0分”。"

    def parse_input(self, raw: Any) -> bool:
        return _yes_no(raw)

    def evaluate(self, value: bool, ctx: EvalContext) -> list[Entry]:
        return []   # the engine zeroes the item, after everything else (see engine._apply_gates)

    def max_points(self) -> Decimal:
        return ZERO

    def ideal_input(self) -> bool:
        return False


class Expression(RuleBase):
    """The escape hatch: points computed by a safe expression over the input and the facts.

    The expression language is rule_engine's (typed, checked when the rubric loads, exact
    decimals; no Python ``eval``). ``value`` is the finding; facts are available by name.
    """

    kind: Literal["expression"] = "expression"
    points: str = Field(min_length=1)
    max: Points | None = Field(default=None, gt=0)
    input_type: Literal["number", "bool", "none"] = "number"
    label: ClassVar[str] = "表达式计分"
    sentence: ClassVar[str] = (
        "用安全表达式（rule_engine 语法，加载时校验）计算分值，变量为输入 value 与各事实，"
        "如 \"value < 60 ? 4 : 0\"。用于本格式尚无对应类型的标准写法。"
    )

    def parse_input(self, raw: Any) -> Any:
        if self.input_type == "bool":
            return _yes_no(raw)
        if self.input_type == "none":
            return None
        return _number(raw, what="数值")

    def evaluate(self, value: Any, ctx: EvalContext) -> list[Entry]:
        from chuangxing.scoring.expressions import evaluate_points

        raw = evaluate_points(self.points, {**ctx.facts, "value": value})
        if raw < 0:
            raise InputError("negative_expression", f"表达式得出负分值 {fmt(raw)}", f"expression gave {raw}")
        points = min(raw, self.max) if self.max is not None else raw
        if not points:
            return []
        return [self.entry(self.sign * points, f"按表达式 {self.points} 计算", value, ctx)]

    def max_points(self) -> Decimal | None:
        return self.max

    def ideal_input(self) -> Any:
        return None


class Veto(RuleBase):
    """否决项 (一票否决): any one, and the blocked ratings are not given, whatever the score."""

    kind: Literal["veto"] = "veto"
    effect: Effect = "deduct"
    blocks: list[str] = []   # rating scheme ids; empty: every scheme
    fixable: bool = False
    label: ClassVar[str] = "否决项"
    sentence: ClassVar[str] = "任一情形成立即不予评定（可只否决某一评定方案），并显示理由，如“未按期换届的……不予评星”。"

    def parse_input(self, raw: Any) -> str | None:
        if isinstance(raw, Mapping):
            if not _yes_no(raw.get("triggered", True)):
                return None
            return _reason(raw.get("reason")) or "情形成立"
        if isinstance(raw, str) and raw.strip() not in ("是", "否", "yes", "no", "true", "false"):
            return _reason(raw, what="否决情形的说明")
        return "情形成立" if _yes_no(raw) else None

    def evaluate(self, value: Any, ctx: EvalContext) -> list[Entry]:
        return []

    def max_points(self) -> Decimal:
        return ZERO

    def ideal_input(self) -> bool:
        return False


NODE_RULES = (Fixed, PerOccurrence, Range, Banded, Threshold, Checklist, Events, AllOrNothing, ZeroIf, Expression)
RULE_KINDS: dict[str, type[RuleBase]] = {cls.model_fields["kind"].default: cls for cls in (*NODE_RULES, Veto)}
Rule = Annotated[
    Fixed | PerOccurrence | Range | Banded | Threshold | Checklist | Events | AllOrNothing | ZeroIf | Expression,
    Field(discriminator="kind"),
]
KIND_DOCS = {name: (cls.label, cls.sentence) for name, cls in RULE_KINDS.items()}


_EVENT_FIELDS = {"type": "类型", "count": "次数", "persons": "人数", "project": "项目", "modifier": "修饰",
                 "points": "分值", "reason": "理由", "note": "备注"}
_EVENT_PROBLEMS = {"missing": "须填写", "extra_forbidden": "不是事件的字段", "string_type": "应为文字",
                   "int_type": "应为整数", "int_parsing": "应为整数", "int_from_float": "应为整数",
                   "greater_than_equal": "不能小于 1", "model_type": "应为键值映射", "dict_type": "应为键值映射"}


def _check_event_numbers(i: int, item: Any) -> None:
    """An event's count, persons and texts within :mod:`chuangxing.scoring.limits`, said in Chinese before pydantic reads it."""
    if not isinstance(item, Mapping):
        raise InputError("bad_event", f"第 {i} 个事件应为键值映射（type、count……）", f"event {i} must be a mapping")
    for name, most in (("count", MAX_EVENT_COUNT), ("persons", MAX_PERSONS)):
        if name in item:
            what = f"第 {i} 个事件的{_EVENT_FIELDS[name]}"
            value = _count(item[name], what=what, most=most)
            if value < 1:
                raise InputError("bad_event", f"{what}至少为 1", f"event {i}: {name} must be at least 1")
    for name in ("project", "reason", "note"):
        if isinstance(item.get(name), str):
            check_text(item[name], what=f"第 {i} 个事件的{_EVENT_FIELDS[name]}")


def _first_error(exc: Exception) -> str:
    """pydantic's first problem, in Chinese: the field's name and what is wrong with it (never pydantic's English)."""
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        field = ".".join(_EVENT_FIELDS.get(str(p), str(p)) for p in first["loc"]) or "事件"
        return f"{field}{_EVENT_PROBLEMS.get(first['type'], '不符合格式')}"
    return "不符合格式"
