"""Every parameter of every library rubric can be set by the caller: ``load_rubric(..., parameters=)``
and ``chuangxing score --param``. The rubric's worked examples run under their own parameters, never
under the caller's, so an override does not make the file's own examples fail."""

from decimal import Decimal

import pytest

from chuangxing.cli.main import main
from chuangxing.rubric import library, load_rubric
from chuangxing.rubric.yamlio import dumps_json
from chuangxing.scoring import score

# Another allowed value of each library parameter (booleans are flipped), with its --param text.
OTHER = {
    "missing_part_scores": ("deduct", "deduct"),
    "pass_min": (Decimal(85), "85"),
    "advanced_min": (Decimal(90), "90"),
    "one_star_at_60": (None, None),
    "five_star_min": (Decimal(95), "95"),
    "bonus_cap": (Decimal(5), "5"),
    "bonus_best_per_project": (None, None),
    "term_veto_when": ("term_overdue_days > 365", "term_overdue_days > 365"),
    "dimension_star_ratio": (Decimal(1), "1"),
    "bonus2_best_per_project": (None, None),
    "otherwise_all_or_nothing": (None, None),
    "sld_comm1_plan_min": (Decimal("3.75"), "3.75"),
    "sld_comm1_plan_max": (Decimal("6.25"), "6.25"),
    "sld_comm1_duty": (Decimal("3.75"), "3.75"),
    "sld_comm2_meeting": (Decimal(5), "5"),
    "sld_comm2_joint": (Decimal("2.5"), "2.5"),
    "sld_comm2_activities": (Decimal("2.5"), "2.5"),
}

# Per rubric, the example whose findings show one reading's effect, and what the sheet gives under
# the default and under the other value (hand-checked from the examples' explanations):
#   zhenjiang 60 分：默认“60分及以下不予评星”，one_star_at_60 时评一星;
#   jiaozuo 82 分：默认达标线 60 分为达标，pass_min=85 时未达标;
#   fujian 全部达标：缺失的基本制度 18 分默认按 0 分（75 分），deduct 按满分计（93 分）;
#   shaoxing 民主星 12/15、服务星 15.5/20：得星线 0.8 时 4 星，比例为 1 时只有满分的 3 星;
#   yintai 第2、4项缺一部分：默认整项 0 分（83 / 91 分），false 时只扣缺的部分（93 / 97 分）.
DIFFERENCES = [
    ("zhenjiang-2018", "boundary-60-default", "one_star_at_60", True, "true",
     (Decimal(60), {"stars": "none"}), (Decimal(60), {"stars": "one"})),
    ("jiaozuo-2019", "three-star-not-pass-warning", "pass_min", Decimal(85), "85",
     (Decimal(82), {"stars": "three", "grade": "pass"}), (Decimal(82), {"stars": "three", "grade": "unmet"})),
    ("fujian-2018", "all-met", "missing_part_scores", "deduct", "deduct", (Decimal(75), {}), (Decimal(93), {})),
    ("shaoxing-2018", "sx-ex-star-line", "dimension_star_ratio", Decimal(1), "1",
     (Decimal("92.5"), {"dimensions": "4"}), (Decimal("92.5"), {"dimensions": "3"})),
    ("yintai-sanlidong", "otherwise-gate-on", "otherwise_all_or_nothing", False, "false",
     (Decimal(83), {}), (Decimal(93), {})),
    ("yintai-towns", "otherwise-gate-on", "otherwise_all_or_nothing", False, "false",
     (Decimal(91), {}), (Decimal(97), {})),
]


def _every_parameter():
    return [(rubric_id, name) for rubric_id in library.ids() for name in library.load(rubric_id).parameters]


def _other(rubric_id, name):
    value, text = OTHER[name]
    if value is None:       # a yes/no reading: the other answer
        value = not library.load(rubric_id).parameters[name].value
        text = "true" if value else "false"
    return value, text


def _findings_file(tmp_path, rubric_id, example_id=None):
    rubric = library.load(rubric_id)
    example = _example(rubric, example_id)
    path = tmp_path / f"{rubric_id}.json"
    path.write_text(dumps_json(example.findings), encoding="utf-8")
    return path


def _example(rubric, example_id=None):
    if example_id:
        return next(e for e in rubric.examples if e.id == example_id)
    return next(e for e in rubric.examples if not e.parameters and not e.expect.error_codes)


def _sheet(capsys, *argv):
    import json

    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out, parse_float=Decimal)


def test_every_library_parameter_has_another_value():
    assert {name for _, name in _every_parameter()} <= set(OTHER)


@pytest.mark.parametrize(("rubric_id", "name"), _every_parameter())
def test_every_parameter_can_be_set_by_the_caller(rubric_id, name, tmp_path, capsys):
    value, text = _other(rubric_id, name)

    rubric = load_rubric(rubric_id, parameters={name: value})
    sheet = _sheet(capsys, "score", rubric_id, _findings_file(tmp_path, rubric_id), "--json", "--param", f"{name}={text}")

    assert rubric.parameters[name].value == value
    assert sheet["parameters"][name] == value
    assert sheet["total"] is not None


@pytest.mark.parametrize(("rubric_id", "example_id", "name", "value", "text", "default", "other"), DIFFERENCES,
                         ids=[d[0] for d in DIFFERENCES])
def test_a_reading_changes_the_sheet_as_the_standard_implies(rubric_id, example_id, name, value, text, default,
                                                             other, tmp_path, capsys):
    path = _findings_file(tmp_path, rubric_id, example_id)
    findings = _example(library.load(rubric_id), example_id).findings

    plain = _sheet(capsys, "score", rubric_id, path, "--json")
    read = _sheet(capsys, "score", rubric_id, path, "--json", "--param", f"{name}={text}")
    in_python = score(load_rubric(rubric_id, parameters={name: value}), findings).to_dict()

    def summary(sheet):
        return Decimal(sheet["total"]), {r["scheme"]: r["level"] for r in sheet["ratings"] if r["scheme"] in default[1]}

    assert summary(plain) == default
    assert summary(read) == other
    assert summary(in_python) == other


def test_the_command_in_the_findings_guide_runs(tmp_path, capsys):
    path = _findings_file(tmp_path, "zhenjiang-2018", "boundary-60-default")

    code = main(["score", "zhenjiang-2018", str(path), "--param", "one_star_at_60=true"])
    captured = capsys.readouterr()

    assert code == 0, captured.err
    assert "一星" in captured.out
