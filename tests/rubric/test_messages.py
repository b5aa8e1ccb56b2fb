"""Messages a rubric author can act on: YAML mistakes in Chinese with a hint, unknown fields named
against the format, a missing base said once, and none of pydantic's English."""

from __future__ import annotations

import re
import textwrap

import pytest

from chuangxing.cli.main import main
from chuangxing.rubric import check_text
from chuangxing.rubric.problems import render_path
from chuangxing.rubric.schema import Rubric
from chuangxing.rubric.schema_messages import message
from chuangxing.rubric.yamlio import YamlSyntaxError, read_data_file

ENGLISH = re.compile(r"[A-Za-z]{4,} [a-z]{3,}")

HEADER = """\
format: 1
id: t
version: "1"
title: 测试标准
issuer: 测试
year: 2018
applicability: 测试
"""

BODY = """\
max_total: 1
categories:
  - id: c1
    title: 一
    max: 1
    indicators:
      - id: i1
        title: 一
        max: 1
        rules:
          - {id: r1, kind: fixed, text: 扣1分, points: 1}
"""


def check(text: str):
    return check_text(textwrap.dedent(text), source="t.yaml")


def only(report):
    assert len(report.problems) == 1, [str(p) for p in report.problems]
    return report.problems[0]


# -- YAML syntax ------------------------------------------------------------------------------------
@pytest.mark.parametrize(("line", "why"), [
    ('title: *重点*', "以 “*” 开头"),
    ('title: &重点 工作', "以 “&” 开头"),
    ('title: !重点 工作', "以 “!” 开头"),
    ('title: @党支部', "以 “@” 开头"),
    ('title: `重点`', "以 “`” 开头"),
    ('title: %重点', "以 “%” 开头"),
    ('title: [重点] 工作', "含有方括号或花括号"),
    ('title: {重点} 工作', "含有方括号或花括号"),
    ('title: 要求: 全部做到', "含有 “: ”"),
])
def test_a_plain_value_yaml_misreads_gets_a_hint_to_quote_it(line, why):
    report, rubric = check(HEADER.replace("title: 测试标准", line) + BODY)

    problem = only(report)
    value = line.partition(": ")[2]
    assert rubric is None
    assert problem.code == "yaml_syntax"
    assert problem.line == 4 and problem.column is not None
    assert problem.message.startswith("不是有效的 YAML：")
    assert f"值 “{value}” {why}" in problem.message
    assert f'请把整个值用引号括起来，例如 title: "{value}"' in problem.message
    assert not ENGLISH.search(problem.message), problem.message


@pytest.mark.parametrize(("text", "said"), [
    ("a: b\n\tc: d\n", "不能用制表符（Tab）缩进，请改用空格"),
    ("a: 'x\n", "引号没有配对"),
    ("a: [1, 2\n", "方括号 [ 没有配对的 ]"),
    ("a:\n  - b\n c: d\n", "缩进不一致"),
    ("a: b\n  c: d\n", "这里不能出现 “: ”"),
])
def test_yaml_mistakes_are_said_in_chinese_with_line_and_column(text, said):
    report, _ = check_text(text, source="t.yaml")

    problem = only(report)
    assert said in problem.message
    assert problem.line is not None and problem.column is not None
    assert not ENGLISH.search(problem.message), problem.message
    assert "invalid YAML" in problem.message_en      # PyYAML's English stays, for the log


def test_a_cell_of_a_rubric_workbook_is_refused_in_chinese():
    from chuangxing.reports.rubric_xlsx import load_yaml

    with pytest.raises(ValueError) as raised:
        load_yaml("{id: r1, text: @扣1分}")

    assert str(raised.value) == "不是有效的 YAML第 1 行第 16 列：字符 “@” 不能作为值的开头"


def test_a_bound_of_the_guarded_loader_is_not_mistaken_for_an_unquoted_value():
    report, _ = check_text("x: " + "[" * 60 + "\n", source="t.yaml")

    problem = only(report)
    assert "嵌套超过 50 层" in problem.message
    assert "引号" not in problem.message


def test_a_json_findings_file_is_refused_in_chinese(tmp_path):
    path = tmp_path / "f.json"
    path.write_text('{"inputs": {"a": 1,}}', encoding="utf-8")

    with pytest.raises(YamlSyntaxError) as raised:
        read_data_file(path)

    assert raised.value.message_zh.endswith("第 1 行第 20 列不是有效的 JSON：键须用双引号括起来")
    assert "Expecting property name" in str(raised.value)


# -- unknown fields ---------------------------------------------------------------------------------
@pytest.mark.parametrize(("mistake", "path", "nearest"), [
    (("title: 测试标准", "titel: 测试标准"), "titel", "title"),
    (("points: 1}", "pointz: 1}"), "categories[0].indicators[0].rules[0].pointz", "points"),
    (("    max: 1\n    indicators", "    max: 1\n    standrad: x\n    indicators"), "categories[0].standrad", "standard"),
])
def test_an_unknown_field_is_not_part_of_the_format_and_the_nearest_field_is_named(mistake, path, nearest):
    report, _ = check((HEADER + BODY).replace(*mistake, 1))

    [problem] = [p for p in report.problems if p.code == "schema_extra_forbidden"]
    assert problem.where == path
    assert problem.message == f"“{path.rsplit('.', 1)[-1]}” 不是评分标准格式中的字段，最接近的字段是 “{nearest}”"
    assert "拼写" not in problem.message


def test_an_unknown_field_like_no_other_lists_the_fields_of_its_place():
    report, _ = check(HEADER + BODY + "ratings:\n  - {id: s, title: 星级, levels: [{id: a, label: 一, qqqq: 1}]}\n")

    [problem] = [p for p in report.problems if p.code == "schema_extra_forbidden"]
    assert problem.where == "ratings[0].levels[0].qqqq"
    assert problem.message.startswith("“qqqq” 不是评分标准格式中的字段（这里可用的字段：id、label、stars、min、")


# -- extends ----------------------------------------------------------------------------------------
def test_extends_of_a_missing_base_is_one_problem():
    report, rubric = check(HEADER + "extends: nowhere-2020\n")

    problem = only(report)
    assert rubric is None
    assert problem.code == "unknown_base" and problem.where == "extends"
    assert "nowhere-2020 不在标准库中" in problem.message


def test_extends_cannot_reach_outside_the_library():
    report, _ = check(HEADER + "extends: ../../../tests/rubric/data/mini\n")

    assert only(report).code == "unknown_base"


def test_extends_of_a_library_base_still_works():
    report, rubric = check(HEADER + "extends: zhenjiang-2018\n")

    assert rubric is not None, [str(p) for p in report.problems]
    assert rubric.max_total == 100


# -- pydantic's types, in Chinese -------------------------------------------------------------------
BROKEN_TYPES = """\
format: 2
id: 测试 X
version: "1"
title: [一, 二]
issuer: 测试
year: 二〇一八
applicability: 测试
mode: both
max_total: -1
total_floor: 许多
parameters: [p]
categories:
  - id: c1
    title: 一
    max: 1
    indicators:
      - id: i1
        max: 1
        rules:
          - {id: r1, kind: fixed, text: 扣1分, points: 1, fact: [x]}
          - {id: r2, kind: teleport, text: 扣1分}
          - {id: r3, text: 扣1分}
ratings:
  - {id: s, title: 星级, levels: [{id: a, label: 一, stars: 9}], kind: sideways}
process: {spot_check_share: 2}
"""

EXPECTED = {
    "format": ("schema_literal_error", "取值不在允许范围内（可用：1）"),
    "id": ("schema_string_pattern_mismatch", "格式不符（只能用小写字母、数字和连字符，且以字母或数字开头）"),
    "title": ("schema_string_type", "应为文字"),
    "year": ("schema_int_parsing", "应为整数"),
    "mode": ("schema_literal_error", "取值不在允许范围内（可用：deduct、award）"),
    "max_total": ("schema_greater_than", "应大于 0"),
    "parameters": ("schema_dict_type", "应为键值映射"),
    "categories[0].indicators[0].title": ("schema_missing", "缺少必填字段 “title”"),
    "categories[0].indicators[0].rules[0].fact": ("schema_string_type", "应为文字"),
    "categories[0].indicators[0].rules[2]": ("schema_union_tag_not_found", "缺少 kind（规则类型）"),
    "ratings[0].levels[0].stars": ("schema_less_than_equal", "应不大于 5"),
    "ratings[0].kind": ("schema_literal_error", "取值不在允许范围内（可用：levels、per_category）"),
    "process.spot_check_share": ("schema_less_than_equal", "应不大于 1"),
}


def test_pydantic_errors_are_said_in_chinese():
    report, _ = check_text(BROKEN_TYPES, source="t.yaml")

    got = {p.where: (p.code, p.message) for p in report.problems}
    for where, expected in EXPECTED.items():
        assert got.get(where) == expected, (where, got.get(where))
    assert "未知的规则类型 “teleport”" in got["categories[0].indicators[0].rules[1]"][1]
    assert "应为数字" in got["total_floor"][1]


def test_an_error_type_without_a_sentence_gets_a_general_one_naming_the_field():
    error = {"type": "some_new_type", "loc": ("process", "window"), "msg": "Input should be something else", "ctx": {}}

    said = message(error, ("process", "window"), root=Rubric)

    assert said == "process.window 的取值不符合格式要求"


def test_a_value_error_in_english_is_not_shown():
    error = {"type": "value_error", "loc": ("year",), "msg": "Value error, bad thing happened",
             "ctx": {"error": ValueError("bad thing happened")}}

    assert message(error, ("year",), root=Rubric) == "取值不符合要求"


BROKEN_FILES = {
    "syntax": HEADER.replace("title: 测试标准", "title: *重点*") + BODY,
    "unknown fields": (HEADER + BODY).replace("title: 测试标准", "titel: 测试标准").replace("points: 1}", "pointz: 1}"),
    "missing base": HEADER + "extends: nowhere-2020\n",
    "types": BROKEN_TYPES,
    "empty": "",
    "a list": "- a\n- b\n",
    "everything missing": "format: 1\n",
    "bad values": HEADER + BODY.replace("max_total: 1", "max_total: {a: 1}").replace("max: 1", "max: 一分"),
    "bad rules": HEADER + BODY.replace("kind: fixed", "kind: range").replace("points: 1", "min: 2, max: 1"),
    "bad parameter": HEADER + "parameters: {p: {value: 1}}\n" + BODY.replace("max_total: 1", "max_total: $q"),
}


@pytest.mark.parametrize("name", BROKEN_FILES)
def test_no_english_sentence_reaches_the_author(name):
    report, rubric = check_text(BROKEN_FILES[name], source="t.yaml")

    assert rubric is None
    assert report.problems
    for problem in report.problems:
        assert not ENGLISH.search(problem.message), (render_path(problem.path), problem.message)


def test_the_cli_says_the_hint(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(HEADER.replace("title: 测试标准", "title: @党支部") + BODY, encoding="utf-8")

    code = main(["rubric", "check", str(path)])
    out = capsys.readouterr().out

    assert code == 1
    assert ("第 4 行第 8 列：不是有效的 YAML：字符 “@” 不能作为值的开头。"
            '值 “@党支部” 以 “@” 开头：请把整个值用引号括起来，例如 title: "@党支部"（yaml_syntax）') in out
