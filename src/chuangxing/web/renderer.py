"""The forms' renderer (``FORM_RENDERER``): plain inputs drawn in Python, the same HTML as Django's own templates.

>>> forms.NumberInput().render("zj-org-1-a__value", 3, {"id": "x"}, renderer=PlainInputs())
'<input type="number" name="zj-org-1-a__value" value="3" id="x">'

The self-assessment page draws about 250 widgets (each rule's inputs, each fact's override form), and
Django renders every one through its widget templates (``input.html`` including ``attrs.html``, one
template per radio button): about 50 of the page's 120 ms of CPU on the 300-branch load-test city. Here
the templates that are only ``input.html`` (text, number, hidden, checkbox, date…), the radio and
checkbox options (``input_option.html``) and the textarea are written out directly, escaping as the
templates do; every other template (selects, whole radio groups, the forms' own layouts) is Django's.
``tests/web/test_renderer.py`` renders every widget of the pages' forms both ways and compares.
"""

from __future__ import annotations

import html
from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.safestring import SafeData

_WIDGETS = "django/forms/widgets/"
INPUTS = frozenset(f"{_WIDGETS}{kind}.html" for kind in ("input", "text", "number", "hidden", "checkbox", "date",
                                                          "email", "password", "url", "time", "datetime"))
OPTIONS = frozenset(f"{_WIDGETS}{kind}.html" for kind in ("input_option", "radio_option", "checkbox_option"))
TEXTAREA = f"{_WIDGETS}textarea.html"


class PlainInputs(DjangoTemplates):
    """Django's template renderer, with the plain inputs, options and textareas drawn without a template."""

    def render(self, template_name: str, context: dict[str, Any], request=None) -> str:
        if template_name in INPUTS:
            return _input(context["widget"])
        if template_name in OPTIONS:
            return _option(context["widget"])
        if template_name == TEXTAREA:
            return _textarea(context["widget"])
        return super().render(template_name, context, request)


def _escape(value: Any) -> str:
    """Django's ``conditional_escape`` without its lazy-string wrapper (~1,800 calls a page): the same text."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}`` with autoescaping: safe text stays as it is."""
    text = "%s" % (str(value) if isinstance(value, tuple) else value)
    return text if isinstance(value, SafeData) else _escape(text)


def _attrs(attrs: dict[str, Any]) -> str:
    return "".join(f" {_escape(name)}" + ("" if value is True else f'="{_formatted(value)}"')
                   for name, value in attrs.items() if value is not False)


def _input(widget: dict[str, Any]) -> str:
    value = f' value="{_formatted(widget["value"])}"' if widget["value"] is not None else ""
    return f'<input type="{_escape(widget["type"])}" name="{_escape(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _option(widget: dict[str, Any]) -> str:
    if not widget.get("wrap_label"):
        return _input(widget)
    target = widget["attrs"].get("id")
    label_for = f' for="{_escape(target)}"' if target else ""
    # input_option.html includes input.html with its line break, kept inside the label
    return f"<label{label_for}>{_input(widget)}\n {_escape(widget['label'])}</label>"


def _textarea(widget: dict[str, Any]) -> str:
    value = _escape(widget["value"]) if widget["value"] else ""
    return f'<textarea name="{_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n{value}</textarea>'
