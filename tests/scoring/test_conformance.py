"""The conformance corpus: every worked example of every library rubric, hand-computed from the source.

Each example lives in its rubric file (``examples:``) with the findings, the expected sheet and
the hand computation. This runs them one by one, and checks that together they exercise every
rule kind the standard uses, so a kind cannot go untested in a standard.
"""

from __future__ import annotations

import pytest

from chuangxing.rubric import library, yamlio
from chuangxing.rubric.examples import check_example, rubric_for
from chuangxing.rubric.loader import _apply_extends
from chuangxing.rubric.problems import Report
from chuangxing.scoring import FindingsInvalid, score

LIBRARY = library.ids()
CASES = [(rubric_id, example.id) for rubric_id in LIBRARY for example in library.load(rubric_id).examples]


def raw_of(rubric_id: str) -> dict:
    path = library.path_of(rubric_id)
    return _apply_extends(yamlio.parse_yaml(path.read_text(encoding="utf-8")), Report(rubric_id))


def test_the_library_holds_the_five_standards():
    assert set(LIBRARY) >= {"fujian-2018", "shaoxing-2018", "jiaozuo-2019", "yintai-towns", "yintai-sanlidong",
                            "zhenjiang-2018"}


@pytest.mark.parametrize(("rubric_id", "example_id"), CASES)
def test_worked_example(rubric_id: str, example_id: str):
    rubric = library.load(rubric_id)
    example = next(e for e in rubric.examples if e.id == example_id)
    assert check_example(rubric, example, raw_of(rubric_id)) == []


def kinds_exercised(rubric_id: str) -> tuple[set[str], bool]:
    """The entry kinds the rubric's examples produce (and those of the rubric it extends), and
    whether some example shows refused findings."""
    rubric = library.load(rubric_id)
    seen: set[str] = set()
    raw = raw_of(rubric_id)
    refused = False
    for example in rubric.examples:
        target = rubric_for(rubric, example, raw)
        try:
            sheet = score(target, example.findings)
        except FindingsInvalid:
            refused = True
            continue
        seen |= {e.kind for node in sheet.nodes() for e in node.trace()}
        seen |= {e.kind for a in sheet.adjustments for e in a.entries}
        if sheet.vetoes:
            seen.add("veto")
    if rubric.extends:
        # the inherited scoring table is exercised by the examples of the rubric it comes from
        seen |= kinds_exercised(rubric.extends)[0]
    return seen, refused


@pytest.mark.parametrize("rubric_id", LIBRARY)
def test_examples_cover_every_rule_kind_the_standard_uses(rubric_id: str):
    rubric = library.load(rubric_id)
    assert len(rubric.examples) >= 5, "每个标准至少五个算例"
    used = {rule.kind for rule, _ in rubric.rules() if rule.enabled}
    seen, refused = kinds_exercised(rubric_id)
    assert refused, "至少一个算例演示被拒绝的评分数据"
    assert used - seen == set(), f"这些规则类型没有算例触发：{sorted(used - seen)}"
    if rubric.fraud is not None:
        assert "fraud_double" in seen, "本标准规定了弄虚作假，须有算例"
    if any(level.min is not None for scheme in rubric.ratings for level in scheme.levels):
        assert any(example.expect.ratings for example in rubric.examples), "须有评定边界的算例"
