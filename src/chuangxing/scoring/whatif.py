"""What would it take: the fewest fixable shortfalls that lift a branch to the next star or grade.

>>> plan = what_would_it_take(rubric, findings)
>>> plan.target_label, [fix.rule for fix in plan.fixes], plan.total_after
('四星', ['zj-sys-1-a', 'zj-team-1-test'], Decimal('90'))

A shortfall is a rule whose contribution is below what a fully compliant branch gets: a
deduction taken, an award not (fully) earned. Each candidate is re-scored with the rule's ideal
input (``RuleBase.ideal_input``), so floors, caps and gates are counted as the engine counts
them. An ``all_or_nothing`` gate ("否则，不得分") makes its unmet parts one candidate, since none of
them helps alone. The search is greedy on marginal gain, re-scoring after each pick; it is
minimal in count whenever gains add up (no floor or cap interaction between the picks). Rules
marked ``fixable: false`` (past accountability events, vetoes) are never proposed; vetoes and
missing process steps are reported as blockers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from chuangxing.rubric.schema import RatingScheme, Rubric
from chuangxing.scoring.engine import score
from chuangxing.scoring.findings import Findings, parse_findings
from chuangxing.scoring.kinds import AllOrNothing, RuleBase, Veto, ZeroIf
from chuangxing.scoring.sheet import ScoreSheet


@dataclass(frozen=True)
class Fix:
    rules: tuple[str, ...]
    texts: tuple[str, ...]
    gain: Decimal                  # the total's rise when this fix is applied after the earlier ones

    def to_dict(self) -> dict:
        return {"rules": list(self.rules), "texts": list(self.texts), "gain": self.gain}


@dataclass
class Plan:
    scheme: str
    current_label: str
    target: str | None             # the next level's id (None: already at the top)
    target_label: str | None
    reachable: bool
    fixes: list[Fix] = field(default_factory=list)
    total_before: Decimal = Decimal(0)
    total_after: Decimal = Decimal(0)
    blockers: list[str] = field(default_factory=list)   # vetoes to clear, process steps still needed

    def to_dict(self) -> dict:
        return {"scheme": self.scheme, "current_label": self.current_label, "target": self.target,
                "target_label": self.target_label, "reachable": self.reachable,
                "fixes": [f.to_dict() for f in self.fixes], "total_before": self.total_before,
                "total_after": self.total_after, "blockers": self.blockers}


def what_would_it_take(rubric: Rubric, findings: Mapping[str, Any] | Findings, *, scheme: str | None = None) -> Plan | None:
    """The plan to reach the next level of ``scheme`` (default: the rubric's main rating)."""
    chosen = rubric.scheme(scheme) if scheme else (rubric.ratings[0] if rubric.ratings else None)
    if chosen is None:
        return None
    base = parse_findings(rubric, findings) if not isinstance(findings, Findings) else findings
    memo: dict = {}             # each trial changes one rule: the other categories are taken from the memo
    sheet = score(rubric, base, memo=memo)
    rank = _rank(chosen, sheet)
    target = _target(chosen, rank)
    current = sheet.rating_of(chosen.id)
    plan = Plan(chosen.id, current.label if current else "", target[0] if target else None,
                target[1] if target else None, reachable=False, total_before=sheet.total, total_after=sheet.total)
    plan.blockers = [f"否决项：{v.text}（{v.reason}）" for v in sheet.vetoes if v.blocks_scheme(chosen.id)]
    if target is None:
        return plan
    candidates = _candidates(rubric, sheet)
    inputs = dict(base.inputs)
    while candidates and _rank(chosen, sheet) <= rank:
        best = _best(rubric, base, inputs, candidates, sheet.total, memo)
        if best is None:
            break
        group, inputs = best
        candidates.remove(group)
        total = sheet.total
        sheet = score(rubric, replace(base, inputs=inputs), memo=memo)       # rated: the loop reads its rank
        plan.fixes.append(Fix(tuple(r.id for r in group), tuple(r.text for r in group), sheet.total - total))
    plan.reachable = _rank(chosen, sheet) > rank
    plan.total_after = sheet.total
    if plan.reachable:
        given = sheet.rating_of(chosen.id)
        plan.blockers += [f"还需程序：{step}" for step in (given.pending if given else [])]
    return plan


def _rank(scheme: RatingScheme, sheet: ScoreSheet) -> int:
    """How far the score alone reaches: the eligible level's index, or the number of stars."""
    result = sheet.rating_of(scheme.id)
    if result is None:
        return -1
    if scheme.kind == "per_category":
        return len(result.earned) if not result.blocked_by else _count_earned(scheme, sheet)
    ids = [level.id for level in scheme.levels]
    return ids.index(result.eligible) if result.eligible in ids else -1


def _count_earned(scheme: RatingScheme, sheet: ScoreSheet) -> int:
    scores = {c.id: c for c in sheet.categories}
    count = 0
    for star in scheme.stars:
        category = scores.get(star.category)
        if category is not None:
            threshold = star.min if star.min is not None else star.min_ratio * category.max
            count += category.score >= threshold
    return count


def _target(scheme: RatingScheme, rank: int) -> tuple[str, str] | None:
    if scheme.kind == "per_category":
        if rank >= len(scheme.stars):
            return None
        return str(rank + 1), f"{rank + 1} 颗星"
    if rank + 1 >= len(scheme.levels):
        return None
    level = scheme.levels[rank + 1]
    return level.id, level.label


def _candidates(rubric: Rubric, sheet: ScoreSheet) -> list[tuple[RuleBase, ...]]:
    """Rules (or gate groups) a branch could still fix, that currently cost it points."""
    lost = {e.rule for node in sheet.nodes() for e in node.trace() if e.rule and e.points < 0}
    lost |= {e.rule for a in sheet.adjustments for e in a.entries if e.rule and a.type == "penalty" and e.points < 0}
    singles, gated = [], set()
    for rule, owner in rubric.rules():
        if not rule.fixable or not rule.enabled or isinstance(rule, Veto):
            continue
        if isinstance(rule, AllOrNothing):
            node = rubric.node(owner)
            parts = tuple(r for r in (node.rules if node else []) if r.fixable and (
                r.id in rule.covers or (not rule.covers and r.effect == "award" and not isinstance(r, AllOrNothing | ZeroIf))))
            if parts:
                gated.add(parts)
            continue
        if rule.effect == "deduct" and rule.id not in lost and not isinstance(rule, ZeroIf):
            continue
        singles.append((rule,))
    return singles + sorted(gated, key=lambda g: g[0].id)


def _best(rubric: Rubric, base: Findings, inputs: dict[str, Any], candidates: list, total: Decimal, memo: dict):
    """(group, inputs) of the candidate whose ideal inputs raise the total most (each trial shares ``base``'s
    facts and flags, and is scored for its points only)."""
    best, best_total = None, total
    for group in candidates:
        ideal = {rule.id: rule.parse_input(value) for rule in group if (value := rule.ideal_input()) is not None}
        trial = {**inputs, **ideal}
        if trial == inputs:         # already the ideal input: the same findings score the same, no gain
            continue
        trial_total = score(rubric, replace(base, inputs=trial), memo=memo, rated=False).total
        if trial_total > best_total:
            best, best_total = (group, trial), trial_total
    return best
