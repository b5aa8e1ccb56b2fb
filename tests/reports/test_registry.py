"""The registry the web and the command line share: declarations, parameters, errors, the CLI entry point."""

from __future__ import annotations

import io

import pytest

from chuangxing.reports.registry import FORMATS, ReportError, get, render, reports, run_report_cli, safe_filename

NAMES = ["score-sheet", "blank-sheet", "committee-summary", "recommendations", "unstarred", "distribution", "short-board",
         "rubric"]


def test_every_report_declares_a_chinese_title_parameters_and_formats():
    declared = {spec.name: spec for spec in reports()}
    assert list(declared) == NAMES
    for spec in declared.values():
        assert any("\u4e00" <= ch <= "\u9fff" for ch in spec.title), spec.name
        assert spec.description.strip(), spec.name
        assert set(spec.formats) <= set(FORMATS)
        assert all(p.label for p in spec.params)
    assert declared["blank-sheet"].formats == ("xlsx",)
    assert [p.name for p in declared["score-sheet"].params] == ["cycle", "branch", "stage"]


def code(call) -> str:
    with pytest.raises(ReportError) as caught:
        call()
    assert caught.value.message
    return caught.value.code


def test_errors_a_person_can_act_on():
    assert code(lambda: render("nope", "pdf", {})) == "unknown_report"
    assert code(lambda: render("rubric", "docx", {"rubric": "fujian-2018"})) == "unknown_format"
    assert code(lambda: render("rubric", "pdf", {})) == "missing_param"
    assert code(lambda: render("rubric", "pdf", {"rubric": "fujian-2018", "colour": "red"})) == "bad_param"
    assert code(lambda: get("committee-summary").parse({"cycle": "three"})) == "bad_param"
    assert code(lambda: get("score-sheet").parse({"cycle": "1", "branch": "2", "stage": "final"})) == "bad_param"
    assert code(lambda: render("rubric", "pdf", {"rubric": "no-such-rubric"})) == "not_found"
    assert get("score-sheet").parse({"cycle": " 3 ", "branch": 7})["cycle"] == 3


@pytest.mark.django_db
def test_a_cycle_that_does_not_exist():
    assert code(lambda: render("committee-summary", "xlsx", {"cycle": "999999"})) == "not_found"


def test_file_names_are_safe_and_keep_the_chinese():
    assert safe_filename('2026/年度:汇总"表*') == "2026_年度_汇总_表_"
    assert safe_filename("  ") == "报表"


def test_the_command_line_writes_the_file_and_shows_progress_on_stderr(tmp_path):
    stderr = io.StringIO()
    out = tmp_path / "福建.pdf"
    assert run_report_cli("rubric", "pdf", {"rubric": "fujian-2018"}, out, stderr=stderr) == 0
    assert out.read_bytes().startswith(b"%PDF")
    messages = stderr.getvalue()
    assert "评分标准：" in messages and f"已生成：{out}" in messages
    stream = io.BytesIO()
    assert run_report_cli("rubric", "csv", {"rubric": "fujian-2018"}, stream, stderr=io.StringIO()) == 0
    assert stream.getvalue().startswith(b"\xef\xbb\xbf")


def test_the_command_line_exit_status_says_what_went_wrong(tmp_path):
    stderr = io.StringIO()
    assert run_report_cli("rubric", "pdf", {}, tmp_path / "x.pdf", stderr=stderr) == 2
    assert "缺少参数“标准编号”（--rubric）" in stderr.getvalue()
    stderr = io.StringIO()
    assert run_report_cli("rubric", "pdf", {"rubric": "nope"}, tmp_path / "x.pdf", stderr=stderr) == 1
    assert "标准库中没有编号为“nope”的标准" in stderr.getvalue()
    assert not (tmp_path / "x.pdf").exists()
