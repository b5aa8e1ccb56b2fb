"""A rubric as plain data: the tree the JSON API, ``chuangxing rubric show --json`` and the diff use.

>>> tree = rubric_tree(load_rubric("zhenjiang-2018"))           # doctest: +SKIP
>>> tree["max_total"], [c["max"] for c in tree["categories"]]   # doctest: +SKIP
(Decimal('100'), [Decimal('15'), ...])

Points stay ``Decimal`` (exact); write the tree with ``yamlio.dumps_json`` (numbers) or any JSON
encoder that knows Decimal. ``rubric_document`` is the rubric as a file again (``$name`` references
already replaced by the parameters' values), for ``chuangxing rubric export``.

The tree::

    id, title, version, issuer, document_number, year, applicability, status, limitations,
    family, variant, extends, source, mode, max_total, total_floor, fraud, facts, parameters,
    process_flags
    categories[]   id, title, max, mode, floor, standard, reading, note, bottom_lines_text, rules[],
                   indicators[]  (same node fields, rules[], items[] (same node fields, rules[]))
    rules[]        id, kind, label, text, effect, max_points, fact, when, enabled, fixable, reading,
                   note, and the kind's own fields (points, required, min, max, bands, items, types...)
    adjustments[]  id, title, type, cap, text, reading, rules[]
    vetoes[]       a rule each (kind veto, blocks)
    ratings[]      id, title, kind, value, levels[] / stars[], blocked_label, text, reading
    constraints[], process, targets[], examples[] (id, title)
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from chuangxing.rubric.schema import Adjustment, Category, Indicator, Item, Node, Rubric
from chuangxing.scoring.kinds import RuleBase

_RULE_BASE_ORDER = ("id", "kind", "label", "text", "effect", "max_points", "fact", "when", "enabled", "fixable",
                    "reading", "note")


def rule_dict(rule: RuleBase) -> dict[str, Any]:
    """One rule: the common fields first, then its kind's own (``from`` for a band's lower bound)."""
    data = rule.model_dump(mode="python", by_alias=True)
    out: dict[str, Any] = {"id": rule.id, "kind": rule.kind, "label": type(rule).label, "text": rule.text,
                           "effect": rule.effect, "max_points": rule.max_points()}
    for key in _RULE_BASE_ORDER[6:]:
        out[key] = data.pop(key, None)
    for key in _RULE_BASE_ORDER:
        data.pop(key, None)
    out.update(data)
    return out


def _node(rubric: Rubric, node: Node, level: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": node.id, "level": level, "title": node.title, "max": node.max, "mode": rubric.mode_of(node),
        "floor": node.floor, "standard": node.standard, "reading": node.reading, "note": node.note,
        "rules": [rule_dict(r) for r in node.rules],
    }
    if isinstance(node, Category):
        data["bottom_lines_text"] = node.bottom_lines_text
        data["indicators"] = [_node(rubric, i, "indicator") for i in node.indicators]
    elif isinstance(node, Indicator):
        data["items"] = [_node(rubric, i, "item") for i in node.items]
    elif not isinstance(node, Item):  # pragma: no cover - the schema has three node levels
        raise TypeError(type(node).__name__)
    return data


def _adjustment(adjustment: Adjustment) -> dict[str, Any]:
    return {"id": adjustment.id, "title": adjustment.title, "type": adjustment.type, "cap": adjustment.cap,
            "text": adjustment.text, "reading": adjustment.reading,
            "rules": [rule_dict(r) for r in adjustment.rules]}


def rubric_tree(rubric: Rubric) -> dict[str, Any]:
    """The whole rubric as JSON-able data (Decimals for points), in document order."""
    return {
        "format": rubric.format,
        "id": rubric.id,
        "title": rubric.title,
        "version": rubric.version,
        "issuer": rubric.issuer,
        "document_number": rubric.document_number,
        "year": rubric.year,
        "applicability": rubric.applicability,
        "status": rubric.status,
        "limitations": rubric.limitations,
        "family": rubric.family,
        "variant": rubric.variant.model_dump() if rubric.variant else None,
        "extends": rubric.extends,
        "source": rubric.source.model_dump(),
        "mode": rubric.mode,
        "max_total": rubric.max_total,
        "total_floor": rubric.total_floor,
        "fraud": rubric.fraud.model_dump() if rubric.fraud else None,
        "facts": {name: decl.model_dump() for name, decl in rubric.facts.items()},
        "parameters": {name: p.model_dump() for name, p in rubric.parameters.items()},
        "process_flags": dict(rubric.process_flags),
        "categories": [_node(rubric, c, "category") for c in rubric.categories],
        "adjustments": [_adjustment(a) for a in rubric.adjustments],
        "vetoes": [rule_dict(v) for v in rubric.vetoes],
        "ratings": [s.model_dump(by_alias=True) for s in rubric.ratings],
        "constraints": [c.model_dump() for c in rubric.constraints],
        "process": rubric.process.model_dump(),
        "targets": [t.model_dump() for t in rubric.targets],
        "examples": [{"id": e.id, "title": e.title} for e in rubric.examples],
    }


def rubric_document(rubric: Rubric) -> dict[str, Any]:
    """The rubric as a rubric file again (loadable): defaults left out, ``from`` for band bounds."""
    return _document(rubric)


_ALWAYS = {"format", "kind"}


def _document(value: Any) -> Any:
    if isinstance(value, BaseModel):
        out: dict[str, Any] = {}
        for name, field in type(value).model_fields.items():
            item = getattr(value, name)
            if name not in _ALWAYS and not field.is_required() and item == field.get_default(call_default_factory=True):
                continue
            out[field.alias or name] = _document(item)
        return out
    if isinstance(value, dict):
        return {k: _document(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_document(v) for v in value]
    return value
