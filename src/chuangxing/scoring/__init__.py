"""The scoring engine (pure Python, no Django): rule kinds, evaluation, trace, ratings.

>>> from chuangxing.scoring import score
>>> sheet = score(rubric, {"inputs": {...}, "facts": {...}})
>>> sheet.total, sheet.rating.label, sheet.categories[0].children[0].trace()

The names below are imported lazily: the rubric schema imports ``scoring.kinds`` while the engine
imports the rubric schema, and this keeps that one-way at import time.
"""

from importlib import import_module

_EXPORTS = {
    "score": "chuangxing.scoring.engine",
    "FindingError": "chuangxing.scoring.errors",
    "FindingsInvalid": "chuangxing.scoring.errors",
    "ScoringError": "chuangxing.scoring.errors",
    "Findings": "chuangxing.scoring.findings",
    "parse_findings": "chuangxing.scoring.findings",
    "ScoreSheet": "chuangxing.scoring.sheet",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(name)
