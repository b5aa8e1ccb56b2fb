"""The forms' renderer draws the plain inputs in Python: the same HTML as Django's templates, widget by widget."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from chuangxing.rubric import library
from chuangxing.web.findings_form import FactOverrideForm, FindingsForm, canonical
from chuangxing.web.renderer import PlainInputs
from chuangxing.web.views.assessment_actions import ReportForm

HOSTILE = "<b>\"x\" & 'y'</b>"


def both_ways(make: Callable[[], forms.Form]) -> list[tuple[str, str, str]]:
    """(what, Django's templates, ours) for every widget of the form ``make()`` gives, whole and option by option
    (a form of its own for each renderer: a bound field keeps its options once drawn)."""
    out = []
    for renderer in (DjangoTemplates(), PlainInputs()):
        form = make()
        form.renderer = renderer
        drawn = []
        for bound in form:
            drawn.append((bound.name, str(bound)))
            for i, option in enumerate(bound.subwidgets):
                drawn.append((f"{bound.name}[{i}]", option.tag()))
                drawn.append((f"{bound.name}[{i}] labelled", option.tag(wrap_label=True)))
        out.append(drawn)
    return [(name, theirs, ours) for (name, theirs), (_, ours) in zip(*out, strict=True)]


def assert_same(make: Callable[[], forms.Form]) -> int:
    compared = both_ways(make)
    for name, theirs, ours in compared:
        assert ours == theirs, name
    return len(compared)


def findings_forms(rubric_id: str) -> list[Callable[[], FindingsForm]]:
    rubric = library.load(rubric_id)
    blank = [(rule, {"input": None, "source": None}) for rule, _ in rubric.rules() if rule.enabled]
    filled = []
    for rule, _ in rubric.rules():
        ideal = rule.ideal_input()
        if rule.enabled and ideal is not None:
            filled.append((rule, {"input": canonical(rule, ideal), "source": "finding", "reason": HOSTILE, "own": True}))
    posted = {f"{rule.id}__{part}": HOSTILE for rule, _ in blank for part in ("value", "reason", "points_0", "why_0")}
    return [lambda: FindingsForm(rules=blank, stage="self"), lambda: FindingsForm(rules=filled, stage="self"),
            lambda: FindingsForm(rules=filled, stage="review"), lambda: FindingsForm(posted, rules=blank, stage="self")]


@pytest.mark.parametrize("rubric_id", library.ids())
def test_every_widget_of_the_findings_forms_is_drawn_as_django_draws_it(rubric_id):
    assert sum(assert_same(make) for make in findings_forms(rubric_id)) > 200


@pytest.mark.parametrize("unit", ["count", "days", "percent", "number", "bool", "items", "text"])
def test_fact_override_and_report_forms_are_drawn_as_django_draws_them(unit):
    items = [("flag", "党旗"), ("oath", "<入党誓词>")] if unit == "items" else None
    assert assert_same(lambda: FactOverrideForm(unit=unit, items=items, form_id="fact-r1-x",
                                                initial={"version": 3, "value": HOSTILE}))
    assert assert_same(lambda: FactOverrideForm({"version": "4", "value": HOSTILE, "reason": HOSTILE}, unit=unit,
                                                items=items, form_id="fact-r1-x"))
    assert assert_same(lambda: ReportForm(initial={"text": HOSTILE, "passed_on": None, "version": 1}))


def test_attributes_true_false_safe_and_odd_values_are_drawn_as_django_draws_them():
    class Odd(forms.Form):
        flag = forms.BooleanField(widget=forms.CheckboxInput(attrs={"disabled": True, "hidden": False, "data-x": 0}))
        safe = forms.CharField(widget=forms.TextInput(attrs={"title": mark_safe("<i>kept</i>"), "placeholder": HOSTILE}))
        choice = forms.ChoiceField(choices=[("", "—"), ("a", HOSTILE), ("b", mark_safe("<b>safe</b>"))],
                                   widget=forms.RadioSelect(attrs={"id": ""}))
        many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二")], widget=forms.CheckboxSelectMultiple)
        text = forms.CharField(widget=forms.Textarea)
        day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
        secret = forms.CharField(widget=forms.PasswordInput(render_value=True))

    assert_same(Odd)
    assert_same(lambda: Odd(initial={"flag": True, "safe": mark_safe("<s>"), "choice": "a", "many": ["2"], "text": "",
                                     "day": "2026-12-15", "secret": HOSTILE}))
    assert_same(lambda: Odd({"flag": "on", "safe": HOSTILE, "choice": "b", "many": ["1", "2"], "text": HOSTILE,
                             "day": "x", "secret": (1, 2)}))


@pytest.mark.parametrize(("unit", "value"), [("count", 5), ("days", None), ("percent", "87.5"), ("number", HOSTILE),
                                             ("bool", True), ("bool", False), ("items", ["oath"]), ("items", []),
                                             ("text", HOSTILE)])
def test_a_fact_override_form_drawn_once_per_value_is_the_form_drawn_for_the_fact(unit, value):
    from django.template.loader import render_to_string

    from chuangxing.web.assessment_page import _fact_initial, override_fields

    items = (("flag", "党旗"), ("oath", "<入党誓词>")) if unit == "items" else None
    for form_id, version in [("fact-r1-x", 3), ("fact-r2-x", 4), ("fact-r1-x", 3)]:     # the last one from the cache
        form = FactOverrideForm(unit=unit, items=list(items) if items else None, form_id=form_id,
                                initial={"version": version, "value": _fact_initial(value, unit)})
        direct = render_to_string("assessments/fact_override.html", {"form": form, "form_id": form_id}, using="jinja2")
        assert override_fields(unit, items, value, form_id=form_id, version=version) == direct
        assert f'form="{form_id}"' in direct and f'value="{version}"' in direct


def test_values_equal_in_python_but_drawn_differently_get_their_own_form():
    """1, 1.0 and Decimal("1.0") are equal (and hash alike) in Python but a form shows them as typed."""
    from decimal import Decimal

    from django.template.loader import render_to_string

    from chuangxing.web.assessment_page import override_fields

    for value in (1, Decimal("1.0"), 1.0, {"a": 1}):
        form = FactOverrideForm(unit="number", items=None, form_id="fact-r9-x", initial={"version": 2, "value": value})
        direct = render_to_string("assessments/fact_override.html", {"form": form, "form_id": "fact-r9-x"}, using="jinja2")
        assert override_fields("number", None, value, form_id="fact-r9-x", version=2) == direct, value
