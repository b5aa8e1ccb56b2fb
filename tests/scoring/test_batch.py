"""The batch path gives the per-branch engine's numbers: totals, every node, ratings, vetoes, unassessed."""

from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangxing.rubric import check_rubric, library
from chuangxing.rubric.examples import rubric_for
from chuangxing.rubric.yamlio import parse_yaml
from chuangxing.scoring import FindingsInvalid, score
from chuangxing.scoring.batch import (
    NOT_GIVEN,
    Column,
    Columns,
    columns_from_findings,
    compile_rubric,
    score_batch,
)

from .strategies import findings_for, load, rubrics

DATA = Path(__file__).with_name("data")
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                           HealthCheck.data_too_large])


def fixture(name: str):
    report, rubric = check_rubric(DATA / f"{name}.yaml")
    assert rubric is not None, [str(p) for p in report.problems]
    return rubric


ZHENJIANG = library.load("zhenjiang-2018")
FIXTURES = {name: fixture(name) for name in ("mini", "kinds")}


def assert_same(rubric, findings: list[dict]) -> None:
    """Score every branch both ways and compare everything the batch path reports."""
    sheets = [score(rubric, f) for f in findings]
    plan = compile_rubric(rubric)
    result = score_batch(plan, columns_from_findings(plan, findings))
    assert result.totals() == [s.total for s in sheets]
    for i, sheet in enumerate(sheets):
        got = result.branch(i)
        assert got["total"] == sheet.total
        assert got["subtotal"] == sheet.subtotal
        assert (got["bonus"], got["penalty"]) == (sheet.bonus, sheet.penalty)
        assert got["nodes"] == {n.id: n.score for n in sheet.nodes()}
        assert got["ratings"] == {r.scheme: r.level or "blocked" for r in sheet.ratings}
        assert got["vetoes"] == [v.id for v in sheet.vetoes]
        assert bool(result.vetoed[i]) == bool(sheet.vetoes)
        assert got["unassessed"] == sorted(sheet.unassessed)
        for r in sheet.ratings:
            ids = result.level_ids[r.scheme]
            assert ids[result.eligible[r.scheme][i]] == r.eligible


# -- random findings ----------------------------------------------------------------------------


@SETTINGS
@given(st.data())
def test_zhenjiang_random_findings(data):
    assert_same(ZHENJIANG, data.draw(st.lists(findings_for(ZHENJIANG), min_size=1, max_size=12)))


@pytest.mark.parametrize("name", sorted(FIXTURES))
@SETTINGS
@given(data=st.data())
def test_fixture_random_findings(name, data):
    rubric = FIXTURES[name]
    assert_same(rubric, data.draw(st.lists(findings_for(rubric), min_size=1, max_size=20)))


@settings(max_examples=50, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_generated_rubrics_random_findings(data):
    rubric = data.draw(rubrics())
    assert_same(rubric, data.draw(st.lists(findings_for(rubric), min_size=1, max_size=10)))


# -- the worked examples of the library ---------------------------------------------------------


def _library_examples():
    for rubric_id in library.ids():
        raw = parse_yaml(library.path_of(rubric_id).read_text(encoding="utf-8"))
        for example in raw.get("examples") or []:
            yield pytest.param(rubric_id, example["id"], id=f"{rubric_id}:{example['id']}")


@pytest.mark.parametrize(("rubric_id", "example_id"), list(_library_examples()))
def test_library_examples(rubric_id, example_id):
    """Every library example the batch path can score gives the engine's numbers, or the same refusal."""
    rubric = library.load(rubric_id)
    example = next(e for e in rubric.examples if e.id == example_id)
    raw = parse_yaml(library.path_of(rubric_id).read_text(encoding="utf-8"))
    target = rubric_for(rubric, example, raw)
    try:
        plan = compile_rubric(target)
    except NotImplementedError:
        plan = compile_rubric(target, schemes=[])        # the rubric scores; only its rating is per-branch
    if example.expect.error_codes:
        with pytest.raises(FindingsInvalid) as refused:
            score_batch(plan, columns_from_findings(plan, [example.findings]))
        assert set(refused.value.codes) == set(example.expect.error_codes)
        return
    if plan.schemes or not target.ratings:
        assert_same(target, [example.findings])
    result = score_batch(plan, columns_from_findings(plan, [example.findings]))
    sheet = score(target, example.findings)
    assert result.branch(0)["nodes"] == {n.id: n.score for n in sheet.nodes()}
    assert result.totals() == [sheet.total]


def test_zhenjiang_compiles_whole():
    plan = compile_rubric(ZHENJIANG)
    assert [s.id for s in plan.schemes] == ["stars"]
    assert plan.scale == 3


# -- columns built by hand ----------------------------------------------------------------------


def test_numpy_columns_and_facts():
    rubric = FIXTURES["mini"]
    columns = Columns(
        n=4,
        inputs={"r1": np.array([False, True, False, False]),
                "a1": [D(3), {"points": 3, "reason": "x"}, 0, NOT_GIVEN],
                "a2": np.array([True, True, False, True])},
        facts={"theme_days_held": np.ma.masked_array([12, 10, 12, 0], mask=[False, False, False, True]),
               "secretary_test_score": Column(np.array([955, 595, 700, 0]), places=1,
                                              absent=np.array([False, False, False, True])),
               "term_overdue": [False, False, True, NOT_GIVEN]},
        process={"four_star_confirmed": np.array([True, False, False, False])},
    )
    result = score_batch(rubric, columns)
    # i1 (deduct, 6): 0; r1 -3, 2 days short -1, 59.5 -4 → 0; 0; no theme days known, absent -4 → 2.
    # i2 (award, 4, all or nothing): 3 + 1; 3 + 1; 0 + 0 → 0; a1 unassessed → 0.
    assert result.totals() == [D(10), D(4), D(6), D(2)]
    assert result.scores("i1") == [D(6), D(0), D(6), D(2)]
    assert result.rating_ids() == ["four", "none", "blocked", "none"]
    assert result.branch(3)["unassessed"] == ["a1", "r2", "v1"]


def test_off_scale_and_floats_are_refused_not_rounded():
    rubric = FIXTURES["mini"]
    off = Columns(n=2, facts={"secretary_test_score": Column(np.array([595001, 700000]), places=4)})
    with pytest.raises(FindingsInvalid) as refused:
        score_batch(rubric, off)
    assert refused.value.codes == ["off_scale"]
    floats = Columns(n=2, facts={"secretary_test_score": np.array([59.5, 70.0])})
    with pytest.raises(FindingsInvalid) as refused:
        score_batch(rubric, floats)
    assert refused.value.codes == ["not_exact"]
    with pytest.raises(FindingsInvalid) as refused:
        score_batch(rubric, Columns(n=2, inputs={"r2": np.array([3, -1])}))
    assert refused.value.codes == ["negative_count"]
    with pytest.raises(FindingsInvalid) as refused:
        score_batch(rubric, Columns(n=2, inputs={"a1": [D("3.5"), 5]}))
    assert refused.value.codes == ["out_of_range"]
    with pytest.raises(FindingsInvalid) as refused:
        score_batch(rubric, Columns(n=3, inputs={"r1": [True, False]}))
    assert refused.value.codes == ["wrong_length"]


def test_refusals_name_the_branch():
    findings = [{"inputs": {"r2": 3}}, {"inputs": {"r2": -1}}, {"inputs": {"nope": 1}}]
    with pytest.raises(FindingsInvalid) as refused:
        columns_from_findings(FIXTURES["mini"], findings)
    assert [(e.code, e.path) for e in refused.value.errors] == [("unknown_rule", "branches[2].inputs.nope"),
                                                                ("negative_count", "inputs.r2")]
    assert "branches 1:" in refused.value.errors[1].message_en


def test_exact_decimals_in_batch():
    rubric = FIXTURES["kinds"]
    ten = [{"inputs": {"k1-b-plan-a": True, "k1-b-plan-b": n}} for n in range(11)]
    result = score_batch(rubric, columns_from_findings(rubric, ten))
    assert result.scores("k1-b-plan") == [D(1) + min(D("0.1") * n, D("0.5")) for n in range(11)]
    assert result.scores("k1-b-plan")[3] == D("1.3")


def test_what_if_a_parameter_moves_the_distribution():
    """The product use: same findings, two readings of the 60-point boundary, see the stars move."""
    criticism = {"type": "unit_public_criticism"}                       # 减分项: 每次扣5分
    findings = [{"inputs": {"zj-penalty-unit": [criticism] * k}} for k in (6, 7, 8, 9)]   # 70, 65, 60, 55
    stars, columns = {}, columns_from_findings(ZHENJIANG, findings)      # converted once, scored under each reading
    for at_60 in (False, True):
        _, rubric = check_rubric("zhenjiang-2018", parameters={"one_star_at_60": at_60}, run_examples=False)
        result = score_batch(compile_rubric(rubric), columns)
        assert result.totals() == [D(70), D(65), D(60), D(55)]
        stars[at_60] = result.rating_ids()
    assert stars == {False: ["two", "one", "none", "none"], True: ["two", "one", "one", "none"]}


def test_unsupported_rules_and_schemes_are_named():
    raw = {"format": 1, "id": "x", "version": "1", "title": "x", "issuer": "x", "year": 2018, "applicability": "x",
           "max_total": 2,
           "categories": [{"id": "c", "title": "c", "max": 2, "indicators": [{"id": "i", "title": "i", "max": 2, "rules": [
               {"id": "expr-rule", "kind": "expression", "text": "按表达式", "points": "value < 60 ? 1 : 0"}]}]}],
           "ratings": [{"id": "dims", "title": "星", "kind": "per_category",
                        "stars": [{"category": "c", "label": "星", "min": 1}]}]}
    rubric = load(raw)
    with pytest.raises(NotImplementedError, match="expr-rule"):
        compile_rubric(rubric)
    raw["categories"][0]["indicators"][0]["rules"][0] = {"id": "f", "kind": "fixed", "text": "扣1分", "points": 1}
    with pytest.raises(NotImplementedError, match="dims"):
        compile_rubric(load(raw))
    assert compile_rubric(load(raw), schemes=[]).schemes == []
