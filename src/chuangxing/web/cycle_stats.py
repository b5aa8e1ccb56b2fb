"""The figures of a cycle that its admin pages and dashboards show; the JSON endpoints serve the same dicts.

>>> progress(cycle)["counts"][0]                     # {"state": "draft", "label": "未自评", "count": 12}
>>> submissions_per_day(cycle)                       # [{"day": "2026-12-01", "count": 3, "cumulative": 3}, ...]
>>> short_board(cycle)[0]                            # the indicator losing the most points across the branches
>>> losing_branches(cycle, "zj-org-1")               # the branches that lose points on one indicator, most first
>>> branch_categories(assessment)                    # a branch's category scores against their maximum (radar)
>>> unscored(cycle)                                  # branches left out because their findings do not score

Scores are read at the cycle's current stage (``final``: the spot check for a sampled branch, the review
otherwise, the self-assessment where nobody reviewed yet), scored for the whole cycle at once by
:func:`chuangxing.reports.scores.scored_groups`, the same numbers the short-board report prints.

Whole-cycle figures are cached (Django's cache, alias ``dashboards``), keyed by the cycle's
``data_version``, read from the database on every call: every service that changes what they read
(findings, facts, states, fraud and process flags, final ratings) bumps it in its own transaction
(:meth:`Cycle.data_changed <chuangxing.assessments.models.Cycle.data_changed>`), so a change is never
answered with the numbers from before it, on any application server, whichever cache backend is
configured. The cache holds the figures of the whole cycle only: whoever may see them is checked by the
view, on every request, before the cache is read. Names of organizations are read with the figures; a
renamed or moved organization shows up when the data next changes, or after ``CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.cache import caches
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncDate

from chuangxing.assessments.models import Assessment, Cycle, State

NOT_SUBMITTED = (State.DRAFT, State.SELF_ASSESSED, State.RETURNED)
WAITING_REVIEW = (State.SUBMITTED, State.UNDER_REVIEW)
LISTED = 200          # branches named on the progress page per list
CACHE = "dashboards"  # the alias in settings.CACHES
CACHE_SECONDS = 600   # bounds how long a renamed organization keeps its old name in the figures
_MISSING = object()
_computing: dict[int, threading.RLock] = {}
_computing_guard = threading.Lock()


# -- the cache ------------------------------------------------------------------------------------
READ = ("name", "targets", "parameters", "rubric_id", "root_id")      # the cycle's own fields the figures read


def stamp(cycle: Cycle) -> str:
    """What the cached figures of ``cycle`` are valid for: its ``data_version`` and the settings they read,
    fresh from the database (one query by primary key), whatever the ``cycle`` instance holds."""
    return _stamp(cycle)[0]


def _stamp(cycle: Cycle) -> tuple[str, tuple]:
    row = Cycle.objects.filter(pk=cycle.pk).values_list("data_version", "created_at", *READ).get()
    return f"{cycle.pk}:{row[0]}:{hashlib.sha256(repr(row).encode()).hexdigest()[:24]}", row[2:]


def cached(cycle: Cycle, part: str, compute: Callable[[Cycle], dict[str, Any]]) -> Any:
    """``part`` of the cycle's figures from the cache, else ``compute(cycle)`` → {part: value, ...} (all stored).

    The stamp is read before the figures are computed: a change committed in between makes the figures
    newer than their stamp, never older (an instance older than the stamp is read again first). In one
    process, one request computes a cycle's figures at a time; the others wait for its result instead of
    computing the same again.
    """
    store = caches[CACHE]
    key, fields = _stamp(cycle)
    found = store.get(f"cycle-stats:{key}:{part}", _MISSING)
    if found is not _MISSING:
        return found
    with _computing_guard:
        lock = _computing.setdefault(cycle.pk, threading.RLock())
    with lock:
        found = store.get(f"cycle-stats:{key}:{part}", _MISSING)
        if found is not _MISSING:
            return found
        if tuple(getattr(cycle, name) for name in READ) != fields:
            cycle = Cycle.objects.select_related("root").get(pk=cycle.pk)
        parts = compute(cycle)
        store.set_many({f"cycle-stats:{key}:{name}": value for name, value in parts.items()}, CACHE_SECONDS)
    return parts.get(part)


def progress(cycle: Cycle) -> dict[str, Any]:
    """Counts per state (every state, in workflow order), and who has not submitted or waits for review."""
    return cached(cycle, "progress", lambda c: {"progress": _progress(c)})


def _progress(cycle: Cycle) -> dict[str, Any]:
    counts = dict(cycle.assessments.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    total = sum(counts.values())
    submitted = total - sum(counts.get(s, 0) for s in NOT_SUBMITTED)
    return {
        "total": total, "submitted": submitted,
        "counts": [{"state": s.value, "label": s.label, "count": counts.get(s.value, 0)} for s in State],
        "not_submitted": _branches(cycle, NOT_SUBMITTED),
        "waiting_review": _branches(cycle, WAITING_REVIEW),
    }


def _branches(cycle: Cycle, states: tuple) -> dict[str, Any]:
    rows = cycle.assessments.filter(state__in=states).order_by("branch__path")
    listed = [{"assessment": a["id"], "branch": a["branch__name"], "committee": a["branch__parent__name"] or "",
               "state": a["state"], "state_label": State(a["state"]).label,
               "submitted_at": a["submitted_at"].isoformat() if a["submitted_at"] else None}
              for a in rows.values("id", "branch__name", "branch__parent__name", "state", "submitted_at")[:LISTED]]
    return {"count": rows.count(), "rows": listed}


def distribution(cycle: Cycle) -> list[dict[str, Any]]:
    """``lists.distribution`` (overall first, then per committee) with its shares written as percentages."""
    return cached(cycle, "distribution", lambda c: {"distribution": _distribution(c)})


def _distribution(cycle: Cycle) -> list[dict[str, Any]]:
    from chuangxing.assessments.lists import distribution as rows
    from chuangxing.assessments.lists import percent_of

    return [{**r, "share_percent": percent_of(r["share"]), "target_percent": percent_of(r["target"])}
            for r in rows(cycle=cycle)]


def submissions_per_day(cycle: Cycle) -> list[dict[str, Any]]:
    """Submissions per calendar day (``submitted_at``), with the running total."""
    return cached(cycle, "submissions", lambda c: {"submissions": _submissions_per_day(c)})


def _submissions_per_day(cycle: Cycle) -> list[dict[str, Any]]:
    days = (cycle.assessments.filter(submitted_at__isnull=False).annotate(day=TruncDate("submitted_at"))
            .values("day").annotate(n=Count("id")).order_by("day"))
    out, running = [], 0
    for row in days:
        running += row["n"]
        out.append({"day": row["day"].isoformat(), "count": row["n"], "cumulative": running})
    return out


# -- scores across the cycle ------------------------------------------------------------------------
def _groups(cycle: Cycle, ids: list[int] | QuerySet | None = None):
    """The cycle's assessments ``ids`` scored (None: every one, selected by the cycle, not by a list of its ids)."""
    from chuangxing.reports.scores import scored_groups

    return scored_groups(cycle=cycle, ids=ids)


def short_board(cycle: Cycle) -> list[dict[str, Any]]:
    """Per indicator: points lost in total and per branch, how many branches lose any; most lost first."""
    return cached(cycle, "short_board", _indicator_figures)


def losing_branches(cycle: Cycle, indicator_id: str) -> dict[str, Any] | None:
    """The branches that lose points on ``indicator_id``, most lost first; None when no rubric of the cycle has it."""
    if indicator_id not in {r["indicator"] for r in short_board(cycle)}:
        return None
    return cached(cycle, f"losing:{indicator_id}", _indicator_figures)


def _indicator_figures(cycle: Cycle) -> dict[str, Any]:
    """The short board and every indicator's losing branches, from one scoring of the whole cycle (and the branches
    that could not be scored, left out of both)."""
    rows: dict[str, dict[str, Any]] = {}
    losing: dict[str, dict[str, Any]] = {}
    failed: list[dict[str, Any]] = []
    names = dict(cycle.assessments.values_list("id", "branch__name"))
    for group in _groups(cycle):
        failed += [{"assessment": pk, "branch": names.get(pk, ""), "reason": why} for pk, why in group.failed.items()]
        n = len(group.ids)
        for category in group.rubric.categories:
            for indicator in category.indicators:
                top = int(indicator.max * group.one)
                scores = group.nodes[group.row_of[indicator.id]]
                lost = top - scores
                row = rows.setdefault(indicator.id, {"indicator": indicator.id, "title": indicator.title,
                                                     "category": category.title, "max": indicator.max,
                                                     "lost": Decimal(0), "losing": 0, "branches": 0})
                row["lost"] += Decimal(int(lost.sum())) / group.one
                row["losing"] += int((lost > 0).sum())
                row["branches"] += n
                found = losing.setdefault(indicator.id, {"indicator": indicator.id, "title": indicator.title,
                                                         "max": indicator.max, "rows": []})
                for j in (lost > 0).nonzero()[0].tolist():
                    points = Decimal(int(scores[j])) / group.one
                    pk = group.ids[j]
                    found["rows"].append({"assessment": pk, "branch": names.get(pk, ""), "score": points,
                                          "max": indicator.max, "lost": indicator.max - points})
    for row in rows.values():
        row["average"] = (row["lost"] / row["branches"]).quantize(Decimal("0.01")) if row["branches"] else Decimal(0)
    ranked = sorted(rows.values(), key=lambda r: (-r["lost"], -r["losing"], r["indicator"]))
    for found in losing.values():
        found["rows"].sort(key=lambda r: (-r["lost"], r["branch"]))
    return {"short_board": [{"rank": i, **r} for i, r in enumerate(ranked, start=1)],
            "unscored": sorted(failed, key=lambda r: r["branch"]),
            **{f"losing:{indicator}": found for indicator, found in losing.items()}}


def unscored(cycle: Cycle) -> list[dict[str, Any]]:
    """The branches whose findings do not score (named, with why), left out of the cycle's score figures."""
    return cached(cycle, "unscored", _indicator_figures) or []


def results(cycle: Cycle, ids: list[int] | QuerySet) -> dict[int, tuple[Decimal, str]]:
    """{assessment id: (total, main rating label)} at the current stage, for results not yet finalized.

    ``ids``: a few ids, or a queryset of them (``….values("id")``, a subquery) for a whole cycle's."""
    out = {}
    if not isinstance(ids, QuerySet):
        if not ids:
            return out
        ids = sorted(ids)
    for group in _groups(cycle, ids):
        for j, pk in enumerate(group.ids):
            out[pk] = (group.value("total", j), group.label(j))
    return out


def branch_categories(assessment: Assessment) -> list[dict[str, Any]]:
    """A branch's score per category against the category's maximum, at the cycle's current stage."""
    groups = _groups(assessment.cycle, [assessment.pk])
    if not groups:
        return []
    group = groups[0]
    if not group.ids:           # its findings do not score (group.failed says why)
        return []
    return [{"category": c.id, "title": c.title, "max": c.max, "score": group.score(c.id, 0)}
            for c in group.rubric.categories]


def level_counts(cycle: Cycle) -> dict[str, dict[str, int]]:
    """{scheme: {label: finalized branches}} of the cycle's final ratings."""
    return cached(cycle, "levels", lambda c: {"levels": _level_counts(c)})


def _level_counts(cycle: Cycle) -> dict[str, dict[str, int]]:
    from chuangxing.assessments.lists import RATED
    from chuangxing.assessments.models import FinalRating

    out: dict[str, Counter] = {}
    for scheme, label in FinalRating.objects.filter(assessment__cycle=cycle, assessment__state__in=RATED).values_list(
            "scheme", "label"):
        out.setdefault(scheme, Counter())[label] += 1
    return {scheme: dict(counts) for scheme, counts in out.items()}
