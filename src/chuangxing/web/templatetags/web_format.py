"""Template filters for showing rubric data the way the standards print it."""

from decimal import Decimal

from django import template

from chuangxing.scoring.points import fmt

register = template.Library()

STATUS_LABELS = {
    "complete": "完整",
    "partial": "部分（原文不全）",
    "process": "流程（无评分表）",
}
ADJUSTMENT_LABELS = {"bonus": "加分项", "penalty": "减分项"}


@register.filter
def points(value: Decimal | int | None) -> str:
    """``Decimal("8.50")`` → ``8.5``; ``None`` → an empty string."""
    if value is None:
        return ""
    return fmt(Decimal(value))


@register.filter
def status_label(status: str) -> str:
    return STATUS_LABELS.get(status, status)


@register.filter
def adjustment_label(kind: str) -> str:
    return ADJUSTMENT_LABELS.get(kind, kind)


@register.filter
def get_item(mapping: dict, key: str):
    """``{{ rubric.process_flags|get_item:flag }}``: the value, or the key itself when absent."""
    return mapping.get(key, key)


@register.filter
def percent(ratio: Decimal | None) -> str:
    """``Decimal("0.8")`` → ``80%``."""
    if ratio is None:
        return ""
    return f"{fmt(Decimal(ratio) * 100)}%"
