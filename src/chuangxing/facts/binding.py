"""From a branch's computed facts to the findings a rubric is scored on (pure Python, no Django).

>>> names = rubric_fact_names(rubric)                      # what the rubric reads: pay only for that
>>> facts = compute_facts(branches=[branch], start=start, end=end, names=names)
>>> sheet = score(rubric, findings_from_facts(rubric, facts[branch.pk]))
>>> [e.source for e in sheet.categories[0].trace() if e.rule == "zj-org-1-b"]
['fact:transfers_overdue']

A rule bound to a fact (``fact:``) takes it when no finding is typed in for that rule; a ``when``
expression reads facts by name. Inputs typed in for a rule still win (the engine's order).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from chuangxing.facts.catalogue import FACTS
from chuangxing.rubric.schema import Rubric

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def rubric_fact_names(rubric: Rubric) -> set[str]:
    """The catalogue facts ``rubric`` reads: every rule's and veto's ``fact``, and every catalogue name
    that appears in its expressions (rules' ``when`` and expression points, rating values and level
    conditions, constraints). A fact the rubric declares for itself is not in the catalogue and not
    returned: no record computes it."""
    names = {rule.fact for rule, _ in rubric.rules() if rule.fact}
    for text in _expressions(rubric):
        names.update(_NAME.findall(text))
    return names & FACTS.keys()


def _expressions(rubric: Rubric) -> Iterable[str]:
    for rule, _ in rubric.rules():
        yield rule.when or ""
        points = getattr(rule, "points", None)
        if rule.kind == "expression" and isinstance(points, str):
            yield points
    for scheme in rubric.ratings:
        yield scheme.value
        yield from (level.when or "" for level in scheme.levels)
    for constraint in rubric.constraints:
        yield constraint.when
        yield constraint.then


def findings_from_facts(rubric: Rubric, facts_for_branch: Mapping[str, Any]) -> dict[str, Any]:
    """The ``{"facts": {...}}`` part of a branch's findings for ``rubric``: the branch's facts that the
    rubric reads (:func:`rubric_fact_names`). An empty value (None) is left out, so the rules that need
    it stay unassessed for a person to fill in, unless the catalogue says what empty means
    (``secretary_test_score``: 未参加测试, which a banded rule scores as absent)."""
    wanted = rubric_fact_names(rubric)
    facts = {name: value for name, value in facts_for_branch.items()
             if name in wanted and (value is not None or FACTS[name].empty is not None)}
    return {"facts": facts}
