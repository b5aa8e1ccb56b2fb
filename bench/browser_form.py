"""What a browser posts from a form of a page read with lxml (the locustfile and request_cpu.py both post so)."""

from __future__ import annotations


def form_values(form) -> list[tuple[str, str]]:
    """What the browser posts for ``form`` (lxml's own ``form_values`` turns a ticked ``value=""`` into "on")."""
    out = []
    for element in form.inputs:
        name = element.get("name")
        if not name or element.get("disabled") is not None:
            continue
        if element.tag == "select":
            out += [(name, value) for value in (element.value if element.multiple else [element.value]) if value is not None]
        elif element.tag == "textarea":
            out.append((name, element.text or ""))
        elif (kind := (element.get("type") or "text").lower()) in ("radio", "checkbox"):
            if element.get("checked") is not None:
                out.append((name, element.get("value", "on")))
        elif kind not in ("submit", "image", "reset", "button", "file"):
            out.append((name, element.get("value", "")))
    return out
