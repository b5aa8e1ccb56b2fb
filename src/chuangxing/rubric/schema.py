"""The rubric file format, version 1, as typed models. ``docs/rubric-format.md`` explains it.

::

    Rubric                     one standard (or one variant of it), with its metadata and source notes
      parameters{}             named values a reading depends on; "$name" anywhere refers to one
      categories[]             项目 (基本组织 16分)
        indicators[]           指标 / 标准及要求 (（一）规范党组织设置 8分)
          items[]              sub-items with their own max (方案1分、实施3分), optional
          rules[]              评定标准: one rule each, with the standard's own wording (scoring.kinds)
        rules[]                category-level rules, e.g. 底线标准 of a 绍兴 star dimension
      adjustments[]            加分项 / 减分项 with a total cap
      vetoes[]                 否决项 (一票否决), optionally only for some rating schemes
      ratings[]                stars from the total, stars per dimension, grades; levels can need a process
      constraints[]            cross-scheme rules ("三星级及以上……应为达标支部")
      process, targets         the workflow settings and distribution targets a cycle starts from
      examples[]               worked examples: findings → expected sheet, checked by the tests
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from chuangxing.scoring.kinds import Points, Rule, RuleBase, Veto

Mode = Literal["deduct", "award"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Node(_Model):
    """What categories, indicators and items share: an id, a title, a max and the rules that score it."""

    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    max: Points = Field(ge=0)
    standard: str | None = None     # 标准及要求 / 评分要点: the requirement, in the standard's words
    mode: Mode | None = None        # deduct: start at max and take away; award: start at 0 and add
    floor: Points | None = None     # None: inherit (indicators and items floor at 0 by default)
    rules: list[Rule] = []
    reading: str | None = None      # how an ambiguous source is read here, and why
    note: str | None = None

    def children(self) -> list[Node]:
        return []


class Item(Node):
    pass


class Indicator(Node):
    items: list[Item] = []

    def children(self) -> list[Node]:
        return list(self.items)


class Category(Node):
    indicators: list[Indicator] = Field(min_length=1)
    bottom_lines_text: str | None = None   # 底线标准 as printed, when the standard has them

    def children(self) -> list[Node]:
        return list(self.indicators)


class Adjustment(_Model):
    """加分项 / 减分项: events outside the 100 points, totalled and capped."""

    id: str = Field(min_length=1)
    title: str
    type: Literal["bonus", "penalty"]
    cap: Points | None = Field(default=None, gt=0)
    text: str | None = None
    rules: list[Rule] = Field(min_length=1)
    reading: str | None = None


class Level(_Model):
    id: str = Field(min_length=1)
    label: str
    stars: int | None = Field(default=None, ge=0, le=5)
    min: Points | None = None
    min_inclusive: bool = True
    requires: list[str] = []        # process flags that must be set (审核认定, 预报, 抽查)
    when: str | None = None         # and any extra condition, as an expression
    text: str | None = None         # the standard's wording for this level
    reading: str | None = None


class CategoryStar(_Model):
    category: str
    label: str
    min: Points | None = None
    min_ratio: Points | None = Field(default=None, gt=0, le=1)

    @model_validator(mode="after")
    def _one_threshold(self) -> CategoryStar:
        if (self.min is None) == (self.min_ratio is None):
            raise ValueError("须给出 min 或 min_ratio 之一")
        return self


class RatingScheme(_Model):
    """How a sheet becomes a rating: ordered levels (stars, grades) or one star per category."""

    id: str = Field(min_length=1)
    title: str
    kind: Literal["levels", "per_category"] = "levels"
    value: str = "total"            # "total", "category:<id>", or an expression
    levels: list[Level] = []        # ascending; the first is the level with no conditions
    stars: list[CategoryStar] = []  # per_category
    blocked_label: str = "不予评定"
    text: str | None = None
    reading: str | None = None

    @model_validator(mode="after")
    def _shape(self) -> RatingScheme:
        if self.kind == "levels" and not self.levels:
            raise ValueError("levels 评定方案至少需要一个等次")
        if self.kind == "per_category" and not self.stars:
            raise ValueError("per_category 评定方案至少需要一颗星")
        return self


class Constraint(_Model):
    id: str
    text: str                       # the standard's wording
    when: str                       # expression: when this holds ...
    then: str                       # ... this must hold too, else the sheet carries a warning


class FraudPolicy(_Model):
    text: str
    factor: Points = Decimal(2)
    basis: Literal["max", "claimed"] = "max"
    reading: str | None = None


class Parameter(_Model):
    value: Any
    description: str


class FactDecl(_Model):
    unit: Literal["count", "percent", "number", "days", "bool", "items", "text"]
    description: str


class Variant(_Model):
    id: str
    title: str
    applies_to: list[str] = []


class Source(_Model):
    document: str | None = None     # file name in shared/standards
    title: str | None = None
    truncated: bool = False
    notes: list[str] = []


class ProcessStep(_Model):
    id: str
    title: str
    text: str | None = None


class Process(_Model):
    steps: list[ProcessStep] = []
    window: str | None = None                        # 考核时间: "上年度12月16日至本年度12月15日"
    spot_check_share: Points | None = Field(default=None, gt=0, le=1)
    spot_check_priority: str | None = None           # a rating level sampled first (五星)
    recommendation_min_share: Points | None = Field(default=None, gt=0, le=1)
    five_star_turnover_share: Points | None = Field(default=None, gt=0, le=1)
    announce_days: int | None = Field(default=None, ge=1)
    notes: list[str] = []


class Target(_Model):
    scheme: str
    at_least: str                   # a level id of that scheme
    share: Points = Field(gt=0, le=1)
    text: str | None = None


class ExampleExpect(_Model):
    total: Points | None = None
    ratings: dict[str, str] = {}        # scheme id → level id (or "blocked")
    categories: dict[str, Points] = {}
    indicators: dict[str, Points] = {}  # indicator or item id → score
    bonus: Points | None = None
    penalty: Points | None = None
    vetoes: list[str] | None = None
    stars_earned: dict[str, list[str]] = {}   # per_category scheme → star labels earned
    warnings: int | None = None
    error_codes: list[str] = []          # refused findings: the FindingError codes expected


class Example(_Model):
    id: str
    title: str
    parameters: dict[str, Any] = {}
    findings: dict[str, Any]
    expect: ExampleExpect
    explanation: str = ""                # the hand computation, in the standard's terms


class Rubric(_Model):
    format: Literal[1] = 1
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    version: str
    title: str
    family: str | None = None
    variant: Variant | None = None
    issuer: str
    document_number: str | None = None
    year: int
    applicability: str
    status: Literal["complete", "partial", "process"] = "complete"
    limitations: str | None = None
    source: Source = Source()
    extends: str | None = None
    mode: Mode = "deduct"
    max_total: Points = Field(gt=0)
    total_floor: Points | None = None
    fraud: FraudPolicy | None = None
    facts: dict[str, FactDecl] = {}
    parameters: dict[str, Parameter] = {}
    process_flags: dict[str, str] = {}
    categories: list[Category] = Field(min_length=1)
    adjustments: list[Adjustment] = []
    vetoes: list[Veto] = []
    ratings: list[RatingScheme] = []
    constraints: list[Constraint] = []
    process: Process = Process()
    targets: list[Target] = []
    examples: list[Example] = []

    # -- navigation -------------------------------------------------------------------------
    def nodes(self) -> list[tuple[Node, str]]:
        """Every category, indicator and item with its level name, in document order."""
        out: list[tuple[Node, str]] = []
        for category in self.categories:
            out.append((category, "category"))
            for indicator in category.indicators:
                out.append((indicator, "indicator"))
                out.extend((item, "item") for item in indicator.items)
        return out

    def rules(self) -> list[tuple[RuleBase, str]]:
        """Every rule with the id of what it belongs to (a node, an adjustment, or "vetoes")."""
        out: list[tuple[RuleBase, str]] = []
        for node, _ in self.nodes():
            out.extend((rule, node.id) for rule in node.rules)
        for adjustment in self.adjustments:
            out.extend((rule, adjustment.id) for rule in adjustment.rules)
        out.extend((veto, "vetoes") for veto in self.vetoes)
        return out

    def rule(self, rule_id: str) -> RuleBase | None:
        return self._rule_index().get(rule_id)

    def node(self, node_id: str) -> Node | None:
        return next((n for n, _ in self.nodes() if n.id == node_id), None)

    def _rule_index(self) -> dict[str, RuleBase]:
        index = self.__dict__.get("_rules_by_id")
        if index is None:
            index = {rule.id: rule for rule, _ in self.rules()}
            self.__dict__["_rules_by_id"] = index
        return index

    def mode_of(self, node: Node) -> Mode:
        """A node's own mode, else its parent's, else the rubric's: a category set to ``award``
        makes its indicators and items award-scored unless they say otherwise."""
        modes = self.__dict__.get("_modes")
        if modes is None:
            modes = {}
            for category in self.categories:
                cmode = category.mode or self.mode
                modes[category.id] = cmode
                for indicator in category.indicators:
                    imode = indicator.mode or cmode
                    modes[indicator.id] = imode
                    modes.update({item.id: item.mode or imode for item in indicator.items})
            self.__dict__["_modes"] = modes
        return modes.get(node.id, node.mode or self.mode)

    def scheme(self, scheme_id: str) -> RatingScheme | None:
        return next((s for s in self.ratings if s.id == scheme_id), None)
