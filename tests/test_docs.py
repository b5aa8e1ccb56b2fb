"""The documentation keeps up with the code: every rule kind, problem code, findings error code and fact is documented.

docs/rubric-format.md documents each rule kind (a ``### `kind` `` section naming the kind's own fields) and each
validator problem code; docs/findings.md each findings error code and each library standard's example file;
docs/facts.md is generated from the fact catalogue (``chuangxing facts --markdown > docs/facts.md``).
"""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, TypeAdapter

from chuangxing.cli.facts import markdown
from chuangxing.facts.catalogue import FACTS
from chuangxing.rubric import library, load_rubric, schema
from chuangxing.rubric.yamlio import parse_yaml
from chuangxing.scoring import score
from chuangxing.scoring.kinds import RULE_KINDS, Rule, RuleBase, Veto

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SRC = ROOT / "src" / "chuangxing"
FORMAT = (DOCS / "rubric-format.md").read_text(encoding="utf-8")
FINDINGS = (DOCS / "findings.md").read_text(encoding="utf-8")


def _codes(folder: Path, patterns: list[str]) -> set[str]:
    found: set[str] = set()
    for path in folder.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for pattern in patterns:
            found.update(m for m in re.findall(pattern, text) if m)
    return found


def problem_codes() -> set[str]:
    """Every problem code the rubric checker can report: ``self.add("code"``, ``Problem("code"``, ``code = "a" if … else "b"``."""
    found = _codes(SRC / "rubric", [r'(?:self\.add|Problem)\(\s*"([a-z_]+)"', r'\bcode = "([a-z_]+)"',
                                    r'\bcode = "[a-z_]+" if .* else "([a-z_]+)"'])
    assert {"sum_mismatch", "unknown_fact", "yaml_syntax", "bad_expression"} <= found   # the patterns still work
    return found


def finding_error_codes() -> set[str]:
    found = _codes(SRC / "scoring", [r'(?:InputError|FindingError|_error)\((?:[a-z_]+,\s*)?"([a-z_]+)"',
                                     r'getattr\(exc, "code", "([a-z_]+)"\)'])
    assert {"negative_count", "out_of_range", "unknown_rule", "expression_failed"} <= found
    return found


def kind_section(kind: str) -> str:
    match = re.search(rf"^### `{kind}`\n(.*?)(?=^#{{2,3}} )", FORMAT, re.S | re.M)
    assert match, f"docs/rubric-format.md has no section ### `{kind}`"
    return match.group(1)


@pytest.mark.parametrize("kind", sorted(RULE_KINDS))
def test_every_rule_kind_is_documented_with_its_fields(kind):
    section = kind_section(kind)
    cls = RULE_KINDS[kind]
    own = [f.alias or name for name, f in cls.model_fields.items() if name not in RuleBase.model_fields]
    missing = [name for name in own if f"`{name}`" not in section]
    assert not missing, f"the section on `{kind}` does not mention its fields {missing}"
    assert "例" in section and "输入" in section, f"the section on `{kind}` needs its input shape and an example"


def test_common_rule_fields_are_documented():
    missing = [name for name in RuleBase.model_fields if f"`{name}`" not in FORMAT]
    assert not missing


def test_every_schema_field_is_documented():
    models = [obj for obj in vars(schema).values()
              if isinstance(obj, type) and issubclass(obj, BaseModel) and obj.__module__ == schema.__name__]
    missing = sorted({f"{m.__name__}.{f.alias or n}" for m in models for n, f in m.model_fields.items()
                      if f"`{f.alias or n}`" not in FORMAT})
    assert not missing, f"docs/rubric-format.md does not mention {missing}"


def test_every_problem_code_is_documented():
    missing = sorted(code for code in problem_codes() if f"`{code}`" not in FORMAT)
    assert not missing, f"validator problem codes missing from docs/rubric-format.md: {missing}"


def test_every_findings_error_code_is_documented():
    missing = sorted(code for code in finding_error_codes() if f"`{code}`" not in FINDINGS)
    assert not missing, f"findings error codes missing from docs/findings.md: {missing}"


def test_every_fact_is_in_facts_md():
    facts_md = (DOCS / "facts.md").read_text(encoding="utf-8")
    missing = [name for name in FACTS if f"`{name}`" not in facts_md]
    assert not missing, f"facts missing from docs/facts.md: {missing} (run: chuangxing facts --markdown > docs/facts.md)"
    assert facts_md == markdown(), "docs/facts.md is out of date: run chuangxing facts --markdown > docs/facts.md"


def _yaml_blocks(text: str) -> list:
    return [parse_yaml(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def _has_parameter(item: dict) -> bool:
    return any(isinstance(v, str) and v.startswith("$") for v in item.values())


def test_rule_examples_in_the_format_doc_are_valid_rules():
    rule, veto = TypeAdapter(Rule), TypeAdapter(Veto)
    checked = 0
    for block in _yaml_blocks(FORMAT):
        items = block if isinstance(block, list) else block.get("vetoes", [block]) if isinstance(block, dict) else []
        for item in items:
            if isinstance(item, dict) and "text" in item and "id" in item and ("kind" in item or "vetoes" in block) \
                    and not _has_parameter(item):
                (veto if item.get("kind", "veto") == "veto" else rule).validate_python(item)
                checked += 1
    assert checked >= len(RULE_KINDS)


def test_the_findings_example_scores():
    examples = [b for b in _yaml_blocks(FINDINGS) if isinstance(b, dict) and "rubric" in b]
    assert examples
    for data in examples:
        if library.path_of(data["rubric"]) is None:
            pytest.skip(f"{data['rubric']} is not in the library yet")
        sheet = score(load_rubric(data["rubric"]), data)
        assert sheet.total is not None


@pytest.mark.parametrize("rubric_id", library.ids())
def test_every_library_standard_has_its_findings_linked(rubric_id):
    assert f"(findings/{rubric_id}.yaml)" in FINDINGS


@pytest.mark.parametrize("rubric_id", library.ids())
def test_example_findings_files_score(rubric_id):
    path = DOCS / "findings" / f"{rubric_id}.yaml"
    if not path.exists():
        pytest.skip(f"docs/findings/{rubric_id}.yaml not written yet")
    sheet = score(load_rubric(rubric_id), parse_yaml(path.read_text(encoding="utf-8"), source=str(path)))
    assert sheet.total is not None
