"""A rubric laid out as its official table: 项目 | 标准及要求 | 细项 | 分值 | 评定标准.

One row per indicator, or per item where an indicator has items; the category and indicator cells
span their rows, as in the printed standard. A category's own rules (底线标准) get a closing row.

>>> table = official_table(rubric)                       # doctest: +SKIP
>>> [(r.category_rowspan, r.indicator_rowspan) for r in table.rows][:2]   # doctest: +SKIP
[(5, 1), (0, 1)]
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from chuangxing.rubric.schema import Category, Indicator, Node, Rubric
from chuangxing.scoring.kinds import RuleBase


@dataclass
class Row:
    """One table row. A spanning cell is drawn on its first row only (rowspan > 0 there, 0 after)."""

    category: Category
    indicator: Indicator | None       # None on a category's closing row of 底线标准
    node: Node | None                 # what this row scores: an item, or the indicator itself
    max: Decimal | None
    rules: list[RuleBase]
    standard: str | None = None
    category_rowspan: int = 0
    indicator_rowspan: int = 0
    is_item: bool = False
    is_bottom_lines: bool = False


@dataclass
class Table:
    rows: list[Row] = field(default_factory=list)
    has_items: bool = False           # draw the 细项 column

    @property
    def columns(self) -> int:
        return 5 if self.has_items else 4


def official_table(rubric: Rubric) -> Table:
    table = Table(has_items=any(ind.items for cat in rubric.categories for ind in cat.indicators))
    for category in rubric.categories:
        rows = _category_rows(category)
        rows[0].category_rowspan = len(rows)
        table.rows.extend(rows)
    return table


def _category_rows(category: Category) -> list[Row]:
    rows: list[Row] = []
    for indicator in category.indicators:
        indicator_rows = _indicator_rows(category, indicator)
        indicator_rows[0].indicator_rowspan = len(indicator_rows)
        rows.extend(indicator_rows)
    if category.rules or category.bottom_lines_text:
        rows.append(Row(category=category, indicator=None, node=category, max=None, rules=list(category.rules),
                        standard=category.bottom_lines_text, indicator_rowspan=1, is_bottom_lines=True))
    return rows


def _indicator_rows(category: Category, indicator: Indicator) -> list[Row]:
    if not indicator.items:
        return [Row(category=category, indicator=indicator, node=indicator, max=indicator.max,
                    rules=list(indicator.rules))]
    rows = []
    if indicator.rules:
        # Rules on the indicator as a whole, above its items.
        rows.append(Row(category=category, indicator=indicator, node=None, max=None, rules=list(indicator.rules)))
    rows.extend(
        Row(category=category, indicator=indicator, node=item, max=item.max, rules=list(item.rules),
            standard=item.standard, is_item=True)
        for item in indicator.items
    )
    return rows
