"""Every node's score for many branches of a cycle at once: what the summary and the short-board analysis read.

>>> for group in scored_groups(cycle=cycle, ids=ids):           # one group per rubric snapshot
...     group.rubric.id, group.ids[:3], group.score("zj-org", 0), group.label(0)

The facts and findings come from :func:`chuangxing.assessments.bulk.load_groups` (a handful of
queries for the whole selection, column by column); each snapshot's branches are scored with the
batch engine (numpy, exact: the same numbers as :func:`chuangxing.scoring.score`), or, when the
batch engine cannot compile the rubric or refuses a branch's values, with the engine branch by
branch, into the same shape: a matrix of scaled integers, one row per node (category, indicator,
item), one column per branch.

A branch whose stored findings do not score (values from before the bounds of
:mod:`chuangxing.scoring.limits`, a total the columns cannot hold) is left out of its group and named in
``group.failed`` with the reason: one bad row never takes the figures of the whole cycle with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import numpy as np

from chuangxing.rubric.schema import Rubric
from chuangxing.scoring import score
from chuangxing.scoring.batch import score_batch
from chuangxing.scoring.errors import FindingsInvalid
from chuangxing.scoring.limits import fits_total
from chuangxing.scoring.points import fmt


@dataclass
class ScoredGroup:
    rubric: Rubric
    ids: list[int]                     # assessment ids (in id order)
    node_ids: list[str]
    nodes: np.ndarray                  # (nodes, branches), scaled by 10**scale
    total: np.ndarray
    bonus: np.ndarray
    penalty: np.ndarray
    labels: list[str]                  # the main rating's label per branch ("" when the rubric has none)
    scale: int
    failed: dict[int, str] = field(default_factory=dict)   # assessment id → why it could not be scored (left out)

    def __post_init__(self) -> None:
        self.row_of = {node_id: i for i, node_id in enumerate(self.node_ids)}
        self.one = Decimal(10 ** self.scale)
        self._lists: dict[str, list[int]] = {}

    def score(self, node_id: str, j: int) -> int | Decimal:
        """Node ``node_id``'s score for branch ``j``."""
        return self._points(self._list(node_id, lambda: self.nodes[self.row_of[node_id]])[j])

    def value(self, name: str, j: int) -> int | Decimal:
        """``total``, ``bonus`` or ``penalty`` of branch ``j``."""
        return self._points(self._list(f"_{name}", lambda: getattr(self, name))[j])

    def _list(self, key: str, array) -> list[int]:
        """A row as Python ints, made once (indexing numpy element by element is what would cost)."""
        found = self._lists.get(key)
        if found is None:
            found = self._lists[key] = array().tolist()
        return found

    def _points(self, scaled: int) -> int | Decimal:
        """Exact points: an int when whole (most are; cheaper to carry and to write), else a Decimal."""
        whole, rest = divmod(scaled, 10 ** self.scale)
        return whole if not rest else Decimal(scaled) / self.one

    def label(self, j: int) -> str:
        return self.labels[j]


def scored_groups(*, cycle, ids: Sequence[int] | None = None, stage: str = "final") -> list[ScoredGroup]:
    """The assessments ``ids`` of ``cycle`` (None: all of them) scored at ``stage`` (``final``: inspection for
    the sampled, review for the others)."""
    from chuangxing.assessments.bulk import load_groups

    out = []
    for group in load_groups(cycle=cycle, ids=ids, stage=stage):
        scored = _batch(group) if group.plan is not None else None
        out.append(scored or _engine(group.rubric, list(group.ids), (group.findings(i) for i in range(len(group.ids)))))
    return out


def _batch(group) -> ScoredGroup | None:
    rubric = group.rubric
    try:
        result = score_batch(group.plan, group.columns())
    except FindingsInvalid:
        return None          # a branch's values do not fit the batch: the engine scores them all (and names the branch)
    labels = []
    if rubric.ratings:
        scheme = rubric.ratings[0]
        names = [lv.label for lv in scheme.levels]
        labels = [names[i] if i >= 0 else scheme.blocked_label for i in result.levels[scheme.id].tolist()]
    return ScoredGroup(rubric, list(group.ids), list(result.node_ids), result.nodes, result.total, result.bonus,
                       result.penalty, labels or [""] * len(group.ids), result.scale)


def _engine(rubric: Rubric, all_ids: list[int], findings: Iterable[dict]) -> ScoredGroup:
    sheets, ids, failed = [], [], {}
    for pk, data in zip(all_ids, findings, strict=True):
        try:
            sheet = score(rubric, data)
        except FindingsInvalid as exc:
            failed[pk] = "；".join(e.message_zh for e in exc.errors[:3])
            continue
        if not fits_total(sheet.total):
            failed[pk] = f"总分 {fmt(sheet.total)} 超出可保存的范围，请核对该支部的输入"
            continue
        sheets.append(sheet)
        ids.append(pk)
    node_ids = [node.id for node, _ in rubric.nodes()]
    row_of = {node_id: i for i, node_id in enumerate(node_ids)}
    places = max([_places(n.score) for s in sheets for n in s.nodes()] + [_places(s.total) for s in sheets] + [0])
    one = 10 ** places
    nodes = np.zeros((len(node_ids), len(sheets)), np.int64)
    for j, sheet in enumerate(sheets):
        for node in sheet.nodes():
            nodes[row_of[node.id], j] = int(node.score * one)

    def column(values: Iterable[Decimal]) -> np.ndarray:
        return np.array([int(v * one) for v in values], np.int64)

    return ScoredGroup(rubric, ids, node_ids, nodes, column(s.total for s in sheets), column(s.bonus for s in sheets),
                       column(s.penalty for s in sheets), [s.rating.label if s.rating else "" for s in sheets], places,
                       failed)


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0
