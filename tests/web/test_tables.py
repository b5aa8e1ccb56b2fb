"""The official table layout: which cells span which rows."""

from chuangxing.rubric.schema import Rubric
from chuangxing.web.tables import official_table


def _rule(rule_id: str, text: str) -> dict:
    return {"kind": "fixed", "id": rule_id, "text": text, "points": "1"}


def _rubric(categories: list[dict]) -> Rubric:
    return Rubric.model_validate({
        "id": "sample", "version": "1", "title": "示例标准", "issuer": "示例", "year": 2024,
        "applicability": "示例", "max_total": "20", "categories": categories,
    })


def test_one_row_per_indicator_and_the_category_spans_them():
    rubric = _rubric([
        {"id": "a", "title": "基本组织", "max": "10", "indicators": [
            {"id": "a1", "title": "设置", "max": "6", "rules": [_rule("r1", "未设立扣1分")]},
            {"id": "a2", "title": "换届", "max": "4", "rules": [_rule("r2", "未换届扣1分")]},
        ]},
        {"id": "b", "title": "基本队伍", "max": "10", "indicators": [
            {"id": "b1", "title": "发展", "max": "10", "rules": [_rule("r3", "违规扣1分")]},
        ]},
    ])

    table = official_table(rubric)

    assert not table.has_items
    assert table.columns == 4
    assert [(r.category.id, r.category_rowspan, r.indicator.id, r.indicator_rowspan) for r in table.rows] == [
        ("a", 2, "a1", 1), ("a", 0, "a2", 1), ("b", 1, "b1", 1),
    ]
    assert [rule.id for rule in table.rows[0].rules] == ["r1"]


def test_items_get_rows_and_bottom_lines_close_the_category():
    rubric = _rubric([
        {"id": "a", "title": "学习星", "max": "20", "bottom_lines_text": "不得缺席", "mode": "award",
         "rules": [_rule("bl", "违反底线标准的，扣1分")],
         "indicators": [
             {"id": "a1", "title": "学习制度", "max": "4", "rules": [_rule("whole", "否则，不得分")], "items": [
                 {"id": "a1a", "title": "方案", "max": "1", "rules": [_rule("p", "方案1分")]},
                 {"id": "a1b", "title": "实施", "max": "3", "rules": [_rule("i", "实施3分")]},
             ]},
             {"id": "a2", "title": "学习活动", "max": "16"},
         ]},
    ])

    table = official_table(rubric)

    assert table.has_items
    assert table.columns == 5
    rows = [(r.category_rowspan, r.indicator and r.indicator.id, r.indicator_rowspan, r.node and r.node.id,
             r.is_item, r.is_bottom_lines) for r in table.rows]
    assert rows == [
        (5, "a1", 3, None, False, False),     # the indicator's own rule, above its items
        (0, "a1", 0, "a1a", True, False),
        (0, "a1", 0, "a1b", True, False),
        (0, "a2", 1, "a2", False, False),
        (0, None, 1, "a", False, True),       # 底线标准
    ]
    assert table.rows[-1].standard == "不得缺席"
    assert [rule.id for rule in table.rows[-1].rules] == ["bl"]
