"""The site navigation's questions about the signed-in user."""

from django import template

from chuangxing.assessments import permissions

register = template.Library()


@register.filter
def runs_cycles(user) -> bool:
    """``{% if user|runs_cycles %}``: the 考评周期 link, shown exactly to those the cycle pages admit."""
    return permissions.runs_cycles(user)
