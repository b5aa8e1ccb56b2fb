"""The JSON API serves the same data the pages show."""

import json
from decimal import Decimal

import pytest

from chuangxing.rubric import library
from chuangxing.rubric.export import rubric_tree

pytestmark = pytest.mark.django_db


def test_list_shape(member_client):
    response = member_client.get("/api/rubrics/")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    rubrics = response.json()["rubrics"]
    assert [r["id"] for r in rubrics] == [e.id for e in library.list_entries()]
    for item in rubrics:
        assert set(item) == {"id", "title", "issuer", "year", "version", "status", "family", "variant_title", "url"}
        assert item["status"] in {"complete", "partial", "process"}
        assert item["url"] == f"/api/rubrics/{item['id']}/"


def test_chinese_is_not_escaped(member_client):
    assert "镇江".encode() in member_client.get("/api/rubrics/").content


def test_detail_is_the_rubric_tree(member_client):
    rubric = library.load("zhenjiang-2018")

    data = member_client.get("/api/rubrics/zhenjiang-2018/").json()

    assert data["id"] == "zhenjiang-2018"
    assert data["title"] == rubric.title
    assert Decimal(str(data["max_total"])) == rubric.max_total == Decimal(100)
    assert [c["id"] for c in data["categories"]] == [c.id for c in rubric.categories]
    for category, expected in zip(data["categories"], rubric.categories, strict=True):
        assert {"id", "title", "max", "indicators"} <= set(category)
        assert Decimal(str(category["max"])) == expected.max
        assert [i["id"] for i in category["indicators"]] == [i.id for i in expected.indicators]
        for indicator in category["indicators"]:
            assert {"id", "title", "max"} <= set(indicator)


def test_detail_equals_export(member_client):
    data = member_client.get("/api/rubrics/zhenjiang-2018/").json()

    expected = json.loads(json.dumps(rubric_tree(library.load("zhenjiang-2018")), default=str))
    assert data == expected


def test_unknown_rubric_is_404_with_a_code(member_client):
    response = member_client.get("/api/rubrics/no-such-standard/")

    assert response.status_code == 404
    assert response.json() == {"error": {"code": "rubric_not_found", "message": "没有找到评分标准：no-such-standard"}}


def test_api_is_read_only(member_client):
    assert member_client.post("/api/rubrics/").status_code == 405
