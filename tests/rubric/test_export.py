"""rubric_tree: the rubric as plain data; rubric_document: the rubric as a loadable file again."""

import json
from decimal import Decimal
from pathlib import Path

from chuangxing.rubric import check_text, load_rubric
from chuangxing.rubric.export import rubric_document, rubric_tree
from chuangxing.rubric.yamlio import dumps_json

DATA = Path(__file__).parent / "data"


def test_tree_has_the_whole_rubric():
    rubric = load_rubric(DATA / "mini.yaml")

    tree = rubric_tree(rubric)

    assert {"id", "title", "version", "issuer", "document_number", "year", "status", "limitations", "max_total",
            "family", "variant", "categories", "adjustments", "vetoes", "ratings", "parameters"} <= set(tree)
    assert tree["max_total"] == Decimal(10)
    [category] = tree["categories"]
    assert (category["id"], category["max"], category["level"]) == ("c1", Decimal(10), "category")
    i1, i2 = category["indicators"]
    assert (i1["id"], i1["max"], i1["mode"], i2["mode"]) == ("i1", Decimal(6), "deduct", "award")
    r1, r2, r3 = i1["rules"]
    assert r1.items() >= {"id": "r1", "kind": "fixed", "text": "有党员7人以上，未按要求设立支部委员会，扣3分",
                          "effect": "deduct", "max_points": Decimal(3), "fact": "committee_required_missing",
                          "reading": None, "points": Decimal(3)}.items()
    assert r2["required"] == 12 and r2["max_points"] == Decimal(6)
    assert r3["bands"][1] == {"from": Decimal(60), "to": Decimal(70), "points": Decimal(3)}
    assert tree["vetoes"][0]["kind"] == "veto"
    assert tree["ratings"][0]["levels"][1]["min_inclusive"] is False
    assert tree["parameters"]["one_star_at_60"] == {"value": False, "description": "60分是否评一星"}


def test_tree_is_json_with_exact_numbers():
    text = dumps_json(rubric_tree(load_rubric(DATA / "mini.yaml")))

    data = json.loads(text, parse_float=Decimal)
    assert data["categories"][0]["indicators"][0]["rules"][1]["points"] == Decimal("0.5")


def test_document_loads_back_to_the_same_rubric():
    rubric = load_rubric(DATA / "mini.yaml")

    document = rubric_document(rubric)

    assert document["format"] == 1
    assert all("kind" in rule for rule in document["categories"][0]["indicators"][0]["rules"])
    report, again = check_text(dumps_json(document))
    assert report.ok, report.problems
    assert again == rubric
