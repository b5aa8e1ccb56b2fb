"""The rubric library page and one rubric as its official table."""

import html
import re

import pytest

from chuangxing.rubric import library
from chuangxing.web.tables import official_table

pytestmark = pytest.mark.django_db

LIBRARY_IDS = [entry.id for entry in library.list_entries()]


def test_home_lists_every_library_rubric(member_client):
    response = member_client.get("/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "评分标准库" in page
    for entry in library.list_entries():
        assert html.escape(entry.title) in page
        assert f'href="/rubrics/{entry.id}/"' in page


def test_zhenjiang_page_is_the_official_table(member_client):
    rubric = library.load("zhenjiang-2018")

    response = member_client.get("/rubrics/zhenjiang-2018/")

    assert response.status_code == 200
    page = response.content.decode()
    assert html.escape(rubric.title) in page
    assert "基本组织覆盖" in page
    assert "评定标准" in page
    for category in rubric.categories:
        assert html.escape(category.title) in page
        for indicator in category.indicators:
            assert html.escape(indicator.title) in page
    for rule, _owner in rubric.rules():
        assert html.escape(rule.text) in page, rule.id


def test_category_cells_span_their_rows(member_client):
    rubric = library.load("zhenjiang-2018")
    table = official_table(rubric)

    page = member_client.get("/rubrics/zhenjiang-2018/").content.decode()

    spans = [int(n) for n in re.findall(r'<th scope="rowgroup" rowspan="(\d+)"', page)]
    assert spans == [row.category_rowspan for row in table.rows if row.category_rowspan]
    assert sum(spans) == len(table.rows)
    assert len(spans) == len(rubric.categories)


@pytest.mark.parametrize("rubric_id", LIBRARY_IDS)
def test_every_library_rubric_renders(member_client, rubric_id):
    response = member_client.get(f"/rubrics/{rubric_id}/")

    assert response.status_code == 200
    assert html.escape(library.load(rubric_id).title) in response.content.decode()


def test_unknown_rubric_is_404_in_chinese(member_client):
    response = member_client.get("/rubrics/no-such-standard/")

    assert response.status_code == 404
    assert "页面不存在" in response.content.decode()
