"""The score sheet: what the engine returns for one branch, and its JSON form.

::

    ScoreSheet
      categories[]  NodeScore (category) → indicators[] NodeScore → items[] NodeScore
                    each with max, score, and the entries of its own trace
      adjustments[] AdjustmentScore (加分项 / 减分项 after caps)
      vetoes[]      VetoHit (which 否决项, why, what it blocks)
      ratings[]     RatingResult per scheme (level, label, stars, pending process steps, blocked)
      unassessed    rule ids that had neither a finding nor a fact
      warnings      constraints broken ("三星级及以上……应为达标支部")
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chuangxing.scoring.trace import Entry


@dataclass
class NodeScore:
    id: str
    title: str
    level: str                     # category, indicator, item
    max: Decimal
    score: Decimal
    entries: list[Entry] = field(default_factory=list)
    children: list[NodeScore] = field(default_factory=list)

    def trace(self) -> list[Entry]:
        """Every entry of this node and below: they add up to ``score`` exactly."""
        out: list[Entry] = []
        for child in self.children:
            out.extend(child.trace())
        out.extend(self.entries)
        return out

    def lost(self) -> Decimal:
        return self.max - self.score

    def to_dict(self) -> dict:
        child_key = {"category": "indicators", "indicator": "items"}.get(self.level)
        data: dict[str, Any] = {"id": self.id, "title": self.title, "max": self.max, "score": self.score}
        if self.level != "category":
            data["trace"] = [e.to_dict() for e in self.trace()]
        else:
            data["trace"] = [e.to_dict() for e in self.entries]
        if child_key:
            data[child_key] = [c.to_dict() for c in self.children]
        return data


@dataclass
class AdjustmentScore:
    id: str
    title: str
    type: str                      # bonus or penalty
    cap: Decimal | None
    raw: Decimal                   # before the cap, as a positive number of points
    points: Decimal                # after the cap, positive; the sheet adds bonus and subtracts penalty
    entries: list[Entry] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"id": self.id, "title": self.title, "type": self.type, "cap": self.cap, "raw": self.raw,
                "points": self.points, "trace": [e.to_dict() for e in self.entries]}


@dataclass(frozen=True)
class VetoHit:
    id: str
    text: str
    reason: str
    blocks: tuple[str, ...]        # scheme ids; empty: all

    def blocks_scheme(self, scheme_id: str) -> bool:
        return not self.blocks or scheme_id in self.blocks

    def to_dict(self) -> dict:
        return {"id": self.id, "text": self.text, "reason": self.reason, "blocks": list(self.blocks)}


@dataclass
class RatingResult:
    scheme: str
    title: str
    level: str | None              # the level given; None when blocked by a veto
    label: str
    stars: int | None = None
    eligible: str | None = None    # the level the score alone reaches, before process steps
    eligible_label: str | None = None
    pending: list[str] = field(default_factory=list)   # process steps still needed for ``eligible``
    blocked_by: list[str] = field(default_factory=list)
    earned: list[str] = field(default_factory=list)    # per_category: the stars earned
    value: Decimal | None = None   # what was compared (total, a category score)

    def to_dict(self) -> dict:
        return {"scheme": self.scheme, "title": self.title, "level": self.level, "label": self.label,
                "stars": self.stars, "eligible": self.eligible, "eligible_label": self.eligible_label,
                "pending": self.pending, "blocked_by": self.blocked_by, "earned": self.earned, "value": self.value}


@dataclass
class ScoreSheet:
    rubric: str
    rubric_version: str
    rubric_title: str
    branch: str | None
    subtotal: Decimal              # the categories, before bonus and penalty
    total: Decimal
    max_total: Decimal
    categories: list[NodeScore]
    adjustments: list[AdjustmentScore]
    vetoes: list[VetoHit]
    ratings: list[RatingResult]
    unassessed: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def bonus(self) -> Decimal:
        return sum((a.points for a in self.adjustments if a.type == "bonus"), Decimal(0))

    @property
    def penalty(self) -> Decimal:
        return sum((a.points for a in self.adjustments if a.type == "penalty"), Decimal(0))

    @property
    def rating(self) -> RatingResult | None:
        """The first rating scheme's result: the rubric's main rating."""
        return self.ratings[0] if self.ratings else None

    def rating_of(self, scheme_id: str) -> RatingResult | None:
        return next((r for r in self.ratings if r.scheme == scheme_id), None)

    def nodes(self) -> list[NodeScore]:
        out: list[NodeScore] = []

        def walk(node: NodeScore) -> None:
            out.append(node)
            for child in node.children:
                walk(child)

        for category in self.categories:
            walk(category)
        return out

    def node(self, node_id: str) -> NodeScore | None:
        return next((n for n in self.nodes() if n.id == node_id), None)

    def to_dict(self) -> dict:
        rating = self.rating
        return {
            "rubric": self.rubric, "rubric_version": self.rubric_version, "rubric_title": self.rubric_title,
            "branch": self.branch, "total": self.total, "subtotal": self.subtotal, "max_total": self.max_total,
            "rating": rating.to_dict() if rating else None,
            "ratings": [r.to_dict() for r in self.ratings],
            "vetoes": [v.to_dict() for v in self.vetoes],
            "bonus": self.bonus, "penalty": self.penalty,
            "adjustments": [a.to_dict() for a in self.adjustments],
            "categories": [c.to_dict() for c in self.categories],
            "unassessed": self.unassessed, "warnings": self.warnings, "parameters": self.parameters,
        }
