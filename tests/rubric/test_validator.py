"""The validator reports every problem of a rubric at once, each with its path, line and Chinese message."""

from __future__ import annotations

import textwrap

import pytest

from chuangxing.rubric import check_text, load_rubric
from chuangxing.rubric.problems import RubricInvalid

HEADER = """\
format: 1
id: t
version: "1"
title: 测试标准
issuer: 测试
year: 2018
applicability: 测试
"""


def check(body: str):
    report, rubric = check_text(HEADER + textwrap.dedent(body), source="t.yaml")
    return report, rubric


def codes(report) -> list[str]:
    return sorted(p.code for p in report.problems)


def test_every_problem_is_reported_at_once_with_paths_and_lines():
    report, rubric = check("""\
        max_total: 10
        categories:
          - id: c1
            title: 基本组织
            max: 8
            indicators:
              - id: i1
                title: 组织设置
                max: 3
                rules:
                  - {id: r1, kind: fixed, text: 扣5分, points: 5}
                  - {id: r2, kind: range, text: 扣2-1分, min: 2, max: 1}
                  - {id: r3, kind: fixed, text: 扣1分, points: 1, fact: no_such_fact}
                  - {id: r4, kind: teleport, text: 不存在的类型}
                  - {id: r1, kind: per_occurrence, text: 每例扣1分, points: 1}
              - id: i2
                title: 活动
                max: 4
        ratings:
          - id: stars
            title: 星级
            levels:
              - {id: none, label: 不予评星}
              - {id: five, label: 五星, min: 11}
        """)
    assert rubric is None
    got = codes(report)
    for code in ("sum_mismatch", "rule_exceeds_item", "schema_value_error", "unknown_fact",
                 "schema_union_tag_invalid", "duplicate_id", "unreachable_level"):
        assert code in got, (code, got)
    by_code = {p.code: p for p in report.problems}
    assert by_code["schema_value_error"].where == "categories[0].indicators[0].rules[1]"
    assert "区间下限 2 大于上限 1" in by_code["schema_value_error"].message
    assert "teleport" in by_code["schema_union_tag_invalid"].message
    assert by_code["rule_exceeds_item"].message.startswith("规则 r1 最多 5 分，超过所属“组织设置”的 3 分")
    assert by_code["unknown_fact"].where.endswith("rules[2].fact")
    assert "五星" in by_code["unreachable_level"].message
    # each problem points at its line in the file
    assert by_code["schema_union_tag_invalid"].line == 21     # the line of rule r4
    assert by_code["unknown_fact"].line == 20
    # the two sums that fail: categories vs total (8 ≠ 10) and indicators vs category (7 ≠ 8)
    assert sum(p.code == "sum_mismatch" for p in report.problems) == 2


def test_malformed_yaml_gives_line_and_column_not_a_traceback():
    report, rubric = check_text("id: x\ncategories: [\n  - a: b\n", source="bad.yaml")
    assert rubric is None
    [problem] = report.problems
    assert problem.code == "yaml_syntax"
    assert problem.line == 3 and problem.column is not None
    assert "不是有效的 YAML" in problem.message


def test_parts_that_add_to_less_than_their_item_are_a_warning_with_the_reading():
    report, rubric = check("""\
        mode: award
        max_total: 10
        categories:
          - id: c1
            title: 社区党建
            max: 10
            indicators:
              - id: i1
                title: 提升年活动
                max: 10
                reading: 原文两部分合计8分而本项10分，按原文保留10分
                rules:
                  - {id: a, kind: range, effect: award, text: 得3—5分, min: 3, max: 5}
                  - {id: b, kind: fixed, effect: award, text: 得3分, points: 3}
        """)
    assert rubric is not None, report.problems
    [warning] = [w for w in report.warnings if w.code == "parts_short"]
    assert "最多合计 8 分，少于本项 10 分" in warning.message
    assert "按原文保留10分" in warning.message


def test_unknown_parameter_reference_and_override_are_errors():
    report, _ = check("""\
        max_total: 1
        parameters: {p: {value: 1, description: x}}
        categories:
          - id: c1
            title: 一
            max: 1
            indicators:
              - id: i1
                title: 一
                max: 1
                rules:
                  - {id: r1, kind: fixed, text: 扣1分, points: $nope}
        """)
    assert "unknown_parameter" in codes(report)


def test_bad_expression_is_reported_at_load_not_at_run():
    report, _ = check("""\
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
                  - {id: r1, kind: fixed, text: 扣1分, points: 1, when: "party_members >= 7 and"}
                  - {id: r2, kind: fixed, text: 扣1分, points: 1, when: "widgets > 3"}
        """)
    got = codes(report)
    assert "bad_expression" in got and "unknown_fact" in got


def test_fact_of_the_wrong_unit_is_refused():
    report, _ = check("""\
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
                  - {id: r1, kind: fixed, text: 扣1分, points: 1, fact: party_members}
        """)
    assert [p.code for p in report.errors] == ["fact_unit"]


def test_a_failing_worked_example_makes_the_rubric_invalid():
    with pytest.raises(RubricInvalid) as raised:
        load_rubric_text("""\
            max_total: 2
            categories:
              - id: c1
                title: 一
                max: 2
                indicators:
                  - id: i1
                    title: 一
                    max: 2
                    rules:
                      - {id: r1, kind: per_occurrence, text: 少一次扣0.5分, points: 0.5, required: 4}
            examples:
              - id: e1
                title: 少三次
                findings: {inputs: {r1: 1}}
                expect: {total: 1}
            """)
    [problem] = raised.value.report.errors
    assert problem.code == "example_failed"
    assert "总分 应为 1，实际为 0.5" in problem.message


def load_rubric_text(body: str):
    report, rubric = check(body)
    if rubric is None:
        raise RubricInvalid(report)
    return rubric


def test_unknown_library_id_is_a_clear_problem():
    from chuangxing.rubric import check_rubric

    report, rubric = check_rubric("no-such-standard")
    assert rubric is None
    assert report.problems[0].code == "not_found"
    with pytest.raises(RubricInvalid):
        load_rubric("no-such-standard")
