"""Long lists shown a page at a time, with Django's Paginator.

>>> page = page_of(request, Member.objects.filter(branch=b).order_by("number"), per_page=50)
>>> page.object_list, page.number, page.paginator.num_pages          # doctest: +SKIP

Any ``?page=`` is answered, never with an error: not a positive whole number gives the first page,
past the end the last (``Paginator.get_page``). The template ``_partials/pager.html`` draws 上一页 · 第 2 / 20 页 · 下一页,
keeping the other query parameters (``?kind=``, ``?year=``).
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator

MEMBERS_PER_PAGE = 50
MEETINGS_PER_PAGE = 50
DUES_MEMBERS_PER_PAGE = 100


def page_of(request: Any, items: Any, *, per_page: int) -> Page:
    """The page of ``items`` (an ordered queryset or a list) that ``request.GET["page"]`` asks for."""
    page = Paginator(items, per_page).get_page(_asked(request.GET.get("page") or ""))
    query = request.GET.copy()
    query.pop("page", None)
    page.query = query.urlencode()       # the other parameters, for the pager's links
    return page


def _asked(text: str) -> int:
    if not (text.isascii() and text.isdigit()):
        return 1                         # "abc", "-1", "1e9", "²"
    return max(1, int(text[:18]))        # a longer number is past any last page anyway


def page_number(position: int, *, per_page: int) -> int:
    """The page (1-based) holding the item at ``position`` (0-based)."""
    return position // per_page + 1
