"""The Jinja2 environment of the templates that repeat per rule (``web/jinja2/``).

The self-assessment, review and inspection pages draw the rubric's whole tree: about a hundred rules,
each with its wording, input, points and facts, and a hidden form per indicator and per fact. In
Django's template language that was ~3,000 variable lookups and ~26 ms of a 44 ms page (and ~5 ms
for the fifty hidden forms' CSRF tags); Jinja2 compiles the same templates to Python. The pages
themselves (layout, navigation, messages, the score panel) stay Django templates and take these
parts as safe strings (``render_parts``). The filters are the Django templates' own functions.
"""

from __future__ import annotations

from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat
from django.utils.safestring import mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment, Undefined

from chuangxing.web.templatetags.web_format import points
from chuangxing.web.templatetags.work_format import pts, signed


def environment(**options) -> Environment:
    options["undefined"] = Undefined        # as in Django's templates: a missing value is empty, also with DEBUG on
    env = Environment(**options)
    env.globals["url"] = url
    env.filters.update(pts=pts, signed=signed, points=points, filesizeformat=filesizeformat, date=date)
    return env


def url(name: str, *args) -> str:
    return reverse(name, args=args)


def date(value, format_string: str) -> str:
    """Django's ``date`` filter: a datetime in the local time zone, in Django's date format."""
    return dateformat.format(template_localtime(value), format_string) if value else ""


def render_parts(request, page, *, assessment, editable: bool, fraud_allowed: bool = False, stage_label: str = "") -> dict:
    """The parts of an assessment page drawn per rule and per indicator, as safe strings for a Django template:
    ``tree`` (``assessments/tree.html``, inside the findings form) and ``side_forms`` (the forms its inputs
    name, after it). ``page``: the ``assessment_page.Page`` of the stage; ``stage_label``: 审核 or 抽验 before
    得分 (none on 自评).
    """
    from django.template.loader import render_to_string

    context = {"page": page, "stage": page.stage, "stage_label": stage_label, "assessment": assessment,
               "editable": editable, "fraud_allowed": fraud_allowed, "version": assessment.version,
               "fraud_flags": assessment.fraud_flags}
    return {part: mark_safe(render_to_string(f"assessments/{part}.html", context, request=request, using="jinja2"))
            for part in ("tree", "side_forms")}
