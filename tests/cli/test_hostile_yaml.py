"""Hostile YAML and JSON (alias bombs, deep nesting, 100,000-digit numbers) are refused within a second.

Each command runs in a child process with a timeout, so that the code before the bounds (which spent
minutes and gigabytes on a "billion laughs") fails the test instead of hanging it; the child times the
command itself, without the interpreter's start-up, in CPU seconds (the work it did: a busy machine's wall
clock would say more about the machine than about the bounds).
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from chuangxing.rubric import yamlio

SRC = Path(__file__).resolve().parents[2] / "src"

CHILD = """
import sys, time, json
from chuangxing.cli.main import main
start = time.process_time()
code = main(sys.argv[1:])
print(json.dumps({"code": code, "seconds": time.process_time() - start}), file=sys.stderr)
"""


def laughs(levels=9):
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 10) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE = {
    "laughs.yaml": (laughs(), "展开后超过"),
    "deep.yaml": ("id: " + "[" * 100_000 + "]" * 100_000 + "\n", "嵌套超过 50 层"),
    "digits.yaml": ("id: x\nvalue: " + "9" * 100_000 + "\n", "数字超过 50 位"),
    "decimal.yaml": ("id: x\nvalue: 0." + "1" * 100_000 + "\n", "数字超过 50 位"),
}
HOSTILE_JSON = {
    "deep.json": ("[" * 100_000 + "]" * 100_000, "嵌套超过 50 层"),
    "digits.json": ('{"a": ' + "9" * 100_000 + "}", "数字超过 50 位"),
}


def command(tmp_path, *argv):
    env = {"PYTHONPATH": str(SRC), "PATH": "/usr/bin:/bin"}
    done = subprocess.run([sys.executable, "-c", CHILD, *map(str, argv)], capture_output=True, text=True,
                          timeout=60, env=env, cwd=tmp_path)
    *messages, timing = done.stderr.strip().splitlines()
    return json.loads(timing), done.stdout + "\n".join(messages)


@pytest.mark.parametrize("name", HOSTILE)
def test_rubric_check_refuses_a_hostile_yaml_within_a_second(tmp_path, name):
    text, expected = HOSTILE[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    result, said = command(tmp_path, "rubric", "check", path)

    assert result["code"] == 1
    assert result["seconds"] < 1.0
    assert expected in said and "不是有效的 YAML" in said
    assert "第 " in said and "行" in said            # where in the file
    assert "内部错误" not in said


@pytest.mark.parametrize("name", {**HOSTILE, **HOSTILE_JSON})
def test_score_refuses_a_hostile_findings_file_within_a_second(tmp_path, name):
    text, expected = {**HOSTILE, **HOSTILE_JSON}[name]
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")

    result, said = command(tmp_path, "score", "zhenjiang-2018", path)

    assert result["code"] == 1
    assert result["seconds"] < 1.0
    assert str(path) in said and expected in said
    assert "内部错误" not in said


def test_a_file_over_the_size_limit_is_refused_unread(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * yamlio.MAX_BYTES + "\nid: x\n", encoding="utf-8")

    with pytest.raises(yamlio.YamlSyntaxError) as raised:
        yamlio.read_data_file(path)

    assert "超过 2 MB" in raised.value.message_zh


def test_bounds_leave_ordinary_documents_alone():
    text = "shared: &s {points: 1.5, n: 12345678901234567890}\nuses: [*s, *s, *s]\nbig: " + "9" * 50 + "\n"

    data = yamlio.parse_yaml(text)

    assert data["uses"] == [data["shared"]] * 3
    assert data["big"] == int("9" * 50)
    assert str(data["shared"]["points"]) == "1.5"


def test_nesting_up_to_the_limit_is_read():
    depth = yamlio.MAX_DEPTH - 1
    assert yamlio.parse_yaml("[" * depth + "]" * depth) is not None
    with pytest.raises(yamlio.YamlSyntaxError):
        yamlio.parse_yaml("[" * (yamlio.MAX_DEPTH + 1) + "]" * (yamlio.MAX_DEPTH + 1))


def test_cells_of_a_rubric_workbook_share_the_bounds():
    from chuangxing.reports.rubric_xlsx import load_yaml

    with pytest.raises(ValueError, match="数字超过 50 位"):
        load_yaml("points: " + "9" * 10_000)
