"""The command line, called as ``main([...])``: exit status and what a person (or a program) reads."""

import json
import logging
from decimal import Decimal
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from chuangxing.cli.main import main
from chuangxing.rubric import library, load_rubric

HERE = Path(__file__).parent
MINI = HERE.parent / "rubric" / "data" / "mini.yaml"
MINI_V2 = HERE.parent / "rubric" / "data" / "mini-v2.yaml"
BROKEN = HERE / "data" / "broken.yaml"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def as_json(text):
    return json.loads(text, parse_float=Decimal)


@pytest.fixture
def findings(tmp_path):
    def write(text, name="findings.yaml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


GOOD = """\
branch: 第一党支部
facts: {committee_required_missing: true, theme_days_held: 10, term_overdue: false}
inputs: {r3: 65, a1: {points: 3, reason: 扎实}, a2: true}
"""


# -- rubric list ---------------------------------------------------------------------------------
def test_list_json_is_the_library(capsys):
    code, out, _ = run(capsys, "rubric", "list", "--json")

    assert code == 0
    rubrics = as_json(out)["rubrics"]
    assert [r["id"] for r in rubrics] == library.ids()
    for entry in rubrics:
        assert {"id", "title", "issuer", "year", "version", "status", "variant"} <= set(entry)


def test_list_text(capsys):
    code, out, _ = run(capsys, "rubric", "list")

    assert code == 0
    assert "编号" in out and "发文单位" in out
    for rubric_id in library.ids():
        assert rubric_id in out


# -- rubric check --------------------------------------------------------------------------------
def test_check_valid_rubric(capsys):
    code, out, _ = run(capsys, "rubric", "check", MINI)

    assert code == 0
    assert "有效：mini" in out and "2 个算例全部通过" in out


def test_check_broken_rubric_prints_every_problem(capsys):
    code, out, _ = run(capsys, "rubric", "check", BROKEN)

    assert code == 1
    assert "无效：6 个错误，1 个警告" in out
    assert "第 9 行  max_total：各项目分值合计 10 分，与总分 20 分不符（sum_mismatch）" in out
    assert "第 20 行  categories[0].indicators[0].rules[1].fact：规则 r2 引用了未知的事实 no_such_fact" in out
    assert "第 21 行" in out and "未知的规则类型 “magic”" in out
    for code_name in ("duplicate_id", "rule_exceeds_item", "no_rating"):
        assert f"（{code_name}）" in out


def test_check_json(capsys):
    code, out, _ = run(capsys, "rubric", "check", BROKEN, "--json")

    assert code == 1
    report = as_json(out)
    assert (report["ok"], report["errors"], report["warnings"]) == (False, 6, 1)
    unknown = next(p for p in report["problems"] if p["code"] == "unknown_fact")
    assert unknown["line"] == 20 and unknown["path"] == "categories[0].indicators[0].rules[1].fact"
    assert unknown["severity"] == "error" and "no_such_fact" in unknown["message"]


def test_check_malformed_yaml_gives_line_and_column(capsys, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: x\ncategories:\n  - {id: c1, title: [没有闭合\n", encoding="utf-8")

    code, out, err = run(capsys, "rubric", "check", bad)

    assert code == 1
    assert "第 4 行第 1 列" in out and "（yaml_syntax）" in out
    assert "Traceback" not in out + err


def test_check_unknown_file(capsys):
    code, out, _ = run(capsys, "rubric", "check", "no/such/file.yaml")

    assert code == 1
    assert "找不到标准 no/such/file.yaml" in out


def test_check_with_a_parameter(capsys):
    assert run(capsys, "rubric", "check", MINI, "--param", "one_star_at_60=true")[0] == 0
    code, out, _ = run(capsys, "rubric", "check", MINI, "--param", "no_such=1")
    assert code == 1 and "本标准没有参数 no_such" in out


def test_check_logs_in_english_with_v(capsys):
    code, _, err = run(capsys, "-v", "rubric", "check", BROKEN)

    assert code == 1
    assert "WARNING chuangxing.cli" in err and "unknown fact no_such_fact" in err


# -- rubric show ---------------------------------------------------------------------------------
def test_show_json_is_the_tree(capsys):
    code, out, _ = run(capsys, "rubric", "show", MINI, "--json")

    assert code == 0
    tree = as_json(out)
    assert (tree["id"], tree["title"], tree["max_total"]) == ("mini", "测试", 10)
    [category] = tree["categories"]
    assert (category["title"], category["max"]) == ("基本组织", 10)
    assert [(i["id"], i["title"], i["max"]) for i in category["indicators"]] == [("i1", "组织设置", 6), ("i2", "活动", 4)]
    assert category["indicators"][0]["rules"][1]["points"] == Decimal("0.5")


def test_show_text_table(capsys):
    code, out, _ = run(capsys, "rubric", "show", MINI, "--rules")

    assert code == 0
    assert "总分 10 分" in out
    assert "组织设置" in out and "活动" in out
    assert "有党员7人以上，未按要求设立支部委员会，扣3分" in out
    assert "四星（≥9，市委直属党（工）委审核认定）" in out


def test_show_unknown_id(capsys):
    code, _, err = run(capsys, "rubric", "show", "no-such-standard")

    assert code == 1
    assert "找不到标准 no-such-standard" in err


@pytest.mark.parametrize("rubric_id", library.ids())
def test_show_every_library_rubric(capsys, rubric_id):
    code, out, _ = run(capsys, "rubric", "show", rubric_id, "--json")

    assert code == 0
    tree = as_json(out)
    assert tree["id"] == rubric_id
    assert sum(c["max"] for c in tree["categories"]) == tree["max_total"]


# -- rubric diff, export -------------------------------------------------------------------------
def test_diff_text(capsys):
    code, out, _ = run(capsys, "rubric", "diff", MINI, MINI_V2)

    assert code == 0
    assert "比较 mini（版本 1）→ mini（版本 2）" in out
    assert "【项目、指标与分项】" in out and "指标 i1“组织设置与换届”分值由 6 分改为 7 分" in out
    assert "规则 r1（“组织设置与换届”）的分值：3 → 2" in out


def test_diff_json_and_no_change(capsys):
    code, out, _ = run(capsys, "rubric", "diff", MINI, MINI_V2, "--json")
    assert code == 0
    data = as_json(out)
    assert data["old"]["version"] == "1" and data["new"]["version"] == "2"
    assert any(c["action"] == "reweighted" and c["id"] == "i1" for c in data["changes"])

    code, out, _ = run(capsys, "rubric", "diff", MINI, MINI)
    assert code == 0 and "没有差别" in out


@pytest.mark.parametrize("fmt", ["yaml", "json"])
def test_export_loads_back(capsys, tmp_path, fmt):
    target = tmp_path / f"mini.{fmt}"

    code, _, _ = run(capsys, "rubric", "export", MINI, "--format", fmt, "-o", target)

    assert code == 0
    assert load_rubric(target) == load_rubric(MINI)


def test_export_yaml_keeps_decimals_exact(capsys):
    code, out, _ = run(capsys, "rubric", "export", MINI)

    assert code == 0
    assert "points: 0.5" in out and "kind: per_occurrence" in out


# -- score ---------------------------------------------------------------------------------------
def test_score_text(capsys, findings):
    code, out, _ = run(capsys, "score", MINI, findings(GOOD))

    assert code == 0
    assert "支部：第一党支部" in out
    assert "i1 组织设置" in out and "0 / 6" in out
    assert "[r2] 应 12 次、实际 10 次，少 2 次 × 0.5 分，扣 1 分（来自记录事实 theme_days_held）" in out
    assert "扣完为止" in out
    assert "总分 4 / 10" in out
    assert "星级：不予评星" in out


def test_score_json_keys(capsys, findings):
    code, out, _ = run(capsys, "score", MINI, findings(GOOD), "--json")

    assert code == 0
    sheet = as_json(out)
    assert {"rubric", "total", "rating", "vetoes", "bonus", "penalty", "categories"} <= set(sheet)
    assert sheet["total"] == 4 and sheet["rubric"] == "mini"
    [category] = sheet["categories"]
    assert {"title", "score", "max", "indicators"} <= set(category)
    i1 = category["indicators"][0]
    assert {"id", "score", "max", "trace"} <= set(i1)
    assert [e["rule"] for e in i1["trace"] if e["rule"]] == ["r1", "r2", "r3"]


def test_score_json_findings_file(capsys, findings):
    data = {"facts": {"committee_required_missing": False, "theme_days_held": 12, "secretary_test_score": 95,
                      "term_overdue": False}, "inputs": {"a1": {"points": 3, "reason": "扎实"}, "a2": True},
            "process": {"four_star_confirmed": False}}
    path = findings(json.dumps(data, ensure_ascii=False), name="findings.json")

    code, out, _ = run(capsys, "score", MINI, path)

    assert code == 0
    assert "总分 10 / 10" in out
    assert "按分数可达“四星”，尚待：市委直属党（工）委审核认定" in out


def test_score_veto_and_parameter(capsys, findings):
    text = GOOD.replace("term_overdue: false", "term_overdue: true")
    code, out, _ = run(capsys, "score", MINI, findings(text))
    assert code == 0
    assert "否决项：" in out and "v1：未按期换届的" in out and "不予评定" in out

    path = findings("facts: {committee_required_missing: false, theme_days_held: 12, secretary_test_score: 95,"
                    " term_overdue: false}\ninputs: {a1: 0, a2: false}\n")
    assert "星级：不予评星" in run(capsys, "score", MINI, path)[1]    # 6 points: not above 6
    code, out, _ = run(capsys, "score", MINI, path, "--param", "one_star_at_60=true")
    assert code == 0 and "星级：一星" in out


def test_score_unassessed_rules_are_listed(capsys, findings):
    code, out, _ = run(capsys, "score", MINI, findings("inputs: {r1: false}\n"))

    assert code == 0
    assert "尚未评定的规则" in out and "r2" in out


def test_refused_findings_name_the_rule(capsys, findings):
    path = findings("inputs: {r2: -1, a1: {points: 9}, zz: 1}\n")

    code, out, err = run(capsys, "score", MINI, path)

    assert code == 1
    assert out == ""
    assert "有误，共 3 处" in err
    assert "inputs.r2：“少一次扣0.5分”：次数不能为负数：-1（negative_count）" in err
    assert "inputs.a1：" in err and "（out_of_range）" in err
    assert "inputs.zz：本标准没有编号为 zz 的规则（unknown_rule）" in err


def test_refused_findings_json(capsys, findings):
    code, out, _ = run(capsys, "score", MINI, findings("inputs: {r2: -1}\n"), "--json")

    assert code == 1
    [error] = as_json(out)["error"]["errors"]
    assert (error["code"], error["rule"], error["path"]) == ("negative_count", "r2", "inputs.r2")


def test_refused_findings_logged_in_english(capsys, findings, caplog):
    with caplog.at_level(logging.WARNING, logger="chuangxing"):
        code, _, err = run(capsys, "-v", "score", MINI, findings("inputs: {r2: -1}\n"))

    assert code == 1
    assert "count must not be negative" in err


def test_malformed_findings(capsys, findings):
    code, _, err = run(capsys, "score", MINI, findings("inputs: {r2: [1\n"))

    assert code == 1
    assert "第 2 行第 1 列不是有效的 YAML" in err
    assert "Traceback" not in err


def test_missing_findings_file(capsys, tmp_path):
    code, _, err = run(capsys, "score", MINI, tmp_path / "nothing.yaml")

    assert code == 1 and "找不到评分数据文件" in err


def test_score_with_a_rubric_that_does_not_load(capsys, findings):
    code, _, err = run(capsys, "score", BROKEN, findings(GOOD))

    assert code == 1 and "无法载入标准" in err and "sum_mismatch" in err


# -- usage, the demo server ----------------------------------------------------------------------
def test_usage_errors_exit_2(capsys):
    assert run(capsys, "score", MINI)[0] == 2
    assert run(capsys, "rubric", "frobnicate")[0] == 2
    assert run(capsys)[0] == 2
    code, _, err = run(capsys, "score", MINI, "x.yaml", "--param", "no-equals-sign")
    assert code == 2 and "名称=值" in err


def test_help_exits_0(capsys):
    code, out, _ = run(capsys, "--help")
    assert code == 0 and "rubric" in out and "score" in out and "demo-server" in out


def test_demo_server_runs_the_web_module(capsys, monkeypatch):
    import chuangxing.web.serve as serve

    calls = []
    monkeypatch.setattr(serve, "run_demo_server", lambda host, port: calls.append((host, port)))

    assert run(capsys, "demo-server", "--port", "8123")[0] == 0
    assert calls == [("127.0.0.1", 8123)]


def test_the_script_is_declared():
    [script] = entry_points(group="console_scripts", name="chuangxing")
    assert script.value == "chuangxing.cli.main:main"


# -- facts, failures inside the engine -----------------------------------------------------------
def test_facts(capsys):
    from chuangxing.cli.facts import markdown
    from chuangxing.facts.catalogue import FACTS

    code, out, _ = run(capsys, "facts", "--json")
    assert code == 0
    assert [f["name"] for f in as_json(out)["facts"]] == list(FACTS)

    code, out, _ = run(capsys, "facts", "--markdown")
    assert code == 0 and out == markdown()

    code, out, _ = run(capsys, "facts")
    assert code == 0 and "six_musts_missing" in out


def test_a_rating_condition_that_cannot_be_computed_is_reported(capsys, tmp_path, findings):
    text = MINI.read_text(encoding="utf-8").split("examples:")[0].replace(
        "requires: [four_star_confirmed]}", "requires: [four_star_confirmed], when: \"level['nope'] == 'x'\"}")
    rubric = tmp_path / "when.yaml"
    rubric.write_text(text, encoding="utf-8")

    full = ("facts: {committee_required_missing: false, theme_days_held: 12, secretary_test_score: 95, term_overdue: false}\n"
            "inputs: {a1: {points: 3, reason: 扎实}, a2: true}\n")
    assert run(capsys, "rubric", "check", rubric)[0] == 0     # the checker cannot see it (nothing reaches 9 points here)

    code, _, err = run(capsys, "score", rubric, findings(full))

    assert code == 1
    assert "计分失败" in err and "level['nope']" in err and "Traceback" not in err


def test_points_that_are_not_numbers_are_problems_not_a_crash(capsys, tmp_path):
    text = MINI.read_text(encoding="utf-8")
    bad = tmp_path / "points.yaml"
    bad.write_text(text.replace("扣3分, points: 3,", "扣3分, points: abc,").replace("points: 0.5,", "points: [1],"),
                   encoding="utf-8")

    code, out, err = run(capsys, "rubric", "check", bad)

    assert code == 1 and "内部错误" not in err
    assert "rules[0].points：应为数字，收到 'abc'" in out
    assert "rules[1].points：应为数字，收到 [1]" in out
