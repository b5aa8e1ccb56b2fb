"""The trace: one entry for every point given or taken, so a sheet can always say why.

The entries of a node add up to its score exactly: the start (基础分) of a deduction item, each
rule's award (+) or deduction (-), and the system's own entries when a cap (以该项分值为上限), a
floor (扣完为止), a gate (否则不得分) or a fraud finding (加倍倒扣) moves the score.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from chuangxing.scoring.points import fmt

# Entry kinds that are not rule kinds: what the engine itself did to a node's score.
START, CAP, FLOOR, GATE, FRAUD_VOID, FRAUD_DOUBLE = "start", "cap", "floor", "gate", "fraud_void", "fraud_double"


@dataclass(frozen=True, slots=True)
class Entry:
    rule: str | None          # the rule id, or None for the engine's own entries
    kind: str                 # a rule kind or one of START, CAP, FLOOR, GATE, FRAUD_*
    text: str                 # the standard's own wording of the rule (or the engine's sentence)
    points: Decimal           # signed: + award, - deduction
    explanation: str          # how the points came about, in Chinese: "少 2 次 × 0.5 分"
    input: Any = None         # the finding or fact that triggered it (JSON-able)
    source: str = "finding"   # "finding", "fact:<name>", "expression", "rubric"
    node: str | None = None   # the indicator or sub-item the entry belongs to

    def to_dict(self) -> dict:
        return {
            "rule": self.rule, "kind": self.kind, "text": self.text, "points": self.points,
            "explanation": self.explanation, "input": self.input, "source": self.source, "node": self.node,
        }

    def __str__(self) -> str:
        sign = "+" if self.points > 0 else ""
        return f"{sign}{fmt(self.points)} {self.explanation}"
