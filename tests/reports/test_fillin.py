"""The blank score sheet filled offline and read back: round trips, every problem with its cell, hostile files."""

from __future__ import annotations

import io
import random
import time
import zipfile
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from chuangxing.reports.fillin import (
    HEADER_ROW,
    INPUT_COL,
    REASON_COL,
    SHEET,
    blank_sheet,
    read_filled_sheet,
    read_filled_values,
    sheet_rules,
    to_cells,
)
from chuangxing.reports.uploads import SheetInvalid
from chuangxing.rubric import library
from chuangxing.scoring import score
from chuangxing.scoring.kinds import RuleBase

pytestmark = pytest.mark.django_db      # the upload checks are the record importers', which live in a Django app


# -- filling a sheet as a reviewer would ----------------------------------------------------------------
def fill(content: bytes, inputs: dict[str, Any], *, edit=None) -> bytes:
    book = load_workbook(io.BytesIO(content))
    sheet = book[SHEET]
    rows = {sheet.cell(r, 1).value: r for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    rubric_id = sheet["A2"].value
    rubric = library.load(rubric_id) if rubric_id in library.ids() else None
    for rule_id, raw in inputs.items():
        given, reason = to_cells(rubric.rule(rule_id), raw) if rubric else (raw, None)
        sheet.cell(rows[rule_id], INPUT_COL, given)
        sheet.cell(rows[rule_id], REASON_COL, reason)
    if edit:
        edit(sheet, rows)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def random_input(rule: RuleBase, rng: random.Random) -> Any:
    """A valid finding for ``rule``, often not the ideal one."""
    kind = rule.kind
    if kind in ("fixed", "zero_if"):
        return rng.random() < 0.3
    if kind == "veto":
        return rng.choice([False, False, True, "书记空缺半年以上"])
    if kind == "per_occurrence":
        return rng.randint(0, (rule.required or 3) + 1)
    if kind == "range":
        def one():
            points = rng.choice([Decimal(0), rule.min, rule.max, (rule.min + rule.max) / 2])
            return {"points": points, "reason": "评分人认定：材料不全" if points else ""}
        return [one() for _ in range(rng.randint(0, 2))] if rule.repeat else one()
    if kind == "banded":
        return "absent" if rule.absent_points is not None and rng.random() < 0.2 else Decimal(rng.randint(400, 1000)) / 10
    if kind == "threshold":
        return Decimal(rng.randint(600, 1000)) / 10
    if kind == "checklist":
        return [i.id for i in rule.items if rng.random() < 0.3]
    if kind == "events":
        return [_event(rule, rng) for _ in range(rng.randint(0, 2))]
    if kind == "expression":
        return rng.random() < 0.5 if rule.input_type == "bool" else Decimal(rng.randint(0, 100))
    raise AssertionError(kind)


def _event(rule, rng: random.Random) -> dict:
    etype = rng.choice(rule.types)
    event: dict[str, Any] = {"type": etype.id}
    if etype.max is not None:
        event |= {"points": etype.max, "reason": "事件核实"}
    if etype.per_person:
        event["persons"] = rng.randint(1, 3)
    if rule.best_per_project or rng.random() < 0.3:
        event["project"] = rng.choice(["先锋岗", "红旗党支部"])
    if rule.modifiers and rng.random() < 0.3:
        event["modifier"] = rng.choice(rule.modifiers).id
    return event


# -- round trips ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("rubric_id", library.ids())
def test_blank_filled_read_back_scores_the_same_as_the_findings_themselves(rubric_id):
    rubric = library.load(rubric_id)
    rng = random.Random(rubric_id)
    blank = blank_sheet(rubric, branch="甲一支部")
    for _ in range(3):
        inputs = {rule.id: random_input(rule, rng) for rule, _, _ in sheet_rules(rubric) if rng.random() < 0.8}
        findings = read_filled_sheet(rubric, fill(blank, inputs))
        assert findings["rubric"] == rubric_id and findings["branch"] == "甲一支部"
        assert score(rubric, findings).to_dict() == score(rubric, {"branch": "甲一支部", "inputs": inputs}).to_dict()


@pytest.mark.parametrize("rubric_id", library.ids())
def test_the_worked_examples_survive_the_sheet(rubric_id):
    rubric = library.load(rubric_id)
    blank = blank_sheet(rubric)
    for example in rubric.examples:
        if example.parameters or example.expect.error_codes:
            continue
        data = dict(example.findings)
        inputs = dict(data.get("inputs") or {})
        back = read_filled_sheet(rubric, fill(blank, inputs))
        assert score(rubric, {**data, "inputs": back["inputs"]}).to_dict() == score(rubric, data).to_dict(), example.id


def test_a_prefilled_sheet_reads_back_as_it_was_written_with_its_reasons():
    rubric = library.load("fujian-2018")
    inputs = {"fj-org-3-lost": 2, "fj-org-2-procedure": {"points": Decimal("1.5"), "reason": "材料不齐全"}}
    content = blank_sheet(rubric, branch="乙支部", values=inputs, reasons={"fj-org-3-lost": "2名失联党员"})
    values = read_filled_values(rubric, content)
    assert values["fj-org-3-lost"] == {"value": 2, "reason": "2名失联党员"}
    assert values["fj-org-2-procedure"]["value"] == {"points": Decimal("1.5"), "reason": "材料不齐全"}


def test_the_sheet_hides_and_locks_the_rule_ids_and_leaves_only_input_and_reason_open():
    sheet = load_workbook(io.BytesIO(blank_sheet(library.load("zhenjiang-2018"))))[SHEET]
    assert sheet.column_dimensions["A"].hidden
    assert sheet.protection.sheet
    row = HEADER_ROW + 1
    assert sheet.cell(row, 1).protection.locked and sheet.cell(row, 4).protection.locked
    assert not sheet.cell(row, INPUT_COL).protection.locked and not sheet.cell(row, REASON_COL).protection.locked
    assert [sheet.cell(HEADER_ROW, c).value for c in range(1, 9)] == [
        "规则编号", "项目", "指标", "评定标准", "类型", "填写要求", "填写", "理由/说明"]
    assert any("是,否" in (dv.formula1 or "") for dv in sheet.data_validations.dataValidation)


# -- every problem, with its cell, nothing applied ------------------------------------------------------------
def problems(call) -> list[tuple[str, str | None]]:
    with pytest.raises(SheetInvalid) as caught:
        call()
    return [(p.code, p.cell) for p in caught.value.problems]


def test_wrong_rubric_wrong_sheet_and_a_foreign_workbook_are_refused():
    zhenjiang, fujian = library.load("zhenjiang-2018"), library.load("fujian-2018")
    assert problems(lambda: read_filled_sheet(fujian, blank_sheet(zhenjiang))) == [("wrong_rubric", "评分表!A2")]

    def rename(sheet, rows):
        sheet.title = "Sheet1"

    assert problems(lambda: read_filled_sheet(zhenjiang, fill(blank_sheet(zhenjiang), {}, edit=rename))) == [
        ("wrong_sheet", None)]

    def unmark(sheet, rows):
        sheet["A1"] = "something else"

    assert problems(lambda: read_filled_sheet(zhenjiang, fill(blank_sheet(zhenjiang), {}, edit=unmark))) == [
        ("not_fill_sheet", "评分表!A1")]


def test_every_bad_cell_is_reported_at_once_with_its_address():
    rubric = library.load("fujian-2018")

    def tamper(sheet, rows):
        sheet.cell(rows["fj-org-1-committee"], 4, "有党员7人以上，扣1分")            # the wording edited
        sheet.cell(rows["fj-org-2-procedure"], INPUT_COL, 5)                      # range 1-2
        sheet.cell(rows["fj-org-3-lost"], INPUT_COL, "两个")                      # not a number
        sheet.cell(rows["fj-org-1-groups"], INPUT_COL, "也许")                  # not yes/no
        sheet.cell(rows["fj-org-2-vacancy"], INPUT_COL, "=1+1")                   # a formula

    found = problems(lambda: read_filled_sheet(rubric, fill(blank_sheet(rubric), {}, edit=tamper)))
    row = {rule.id: HEADER_ROW + 1 + i for i, (rule, _, _) in enumerate(sheet_rules(rubric))}
    assert sorted(found) == sorted([
        ("formula", f"评分表!G{row['fj-org-2-vacancy']}"),
        ("text_changed", f"评分表!D{row['fj-org-1-committee']}"),
        ("out_of_range", f"评分表!G{row['fj-org-2-procedure']}"),
        ("not_a_number", f"评分表!G{row['fj-org-3-lost']}"),
        ("not_yes_no", f"评分表!G{row['fj-org-1-groups']}"),
    ])


def test_a_reason_is_required_for_a_judgement_and_rows_may_not_be_added_or_removed():
    rubric = library.load("fujian-2018")

    def tamper(sheet, rows):
        sheet.cell(rows["fj-org-2-procedure"], INPUT_COL, 1)                      # no reason given
        sheet.delete_rows(rows["fj-org-3-lost"])                                  # a rule's row removed
        sheet.cell(sheet.max_row + 1, INPUT_COL, 3)                               # a row with no rule id

    found = problems(lambda: read_filled_sheet(rubric, fill(blank_sheet(rubric), {}, edit=tamper)))
    codes = {code for code, _ in found}
    assert codes == {"reason_required", "missing_rule", "no_rule_id"}
    assert all(cell is None or cell.startswith("评分表!") for _, cell in found)


# -- hostile uploads ---------------------------------------------------------------------------------------------
def refused(data: bytes) -> tuple[str, str]:
    rubric = library.load("fujian-2018")
    with pytest.raises(SheetInvalid) as caught:
        read_filled_sheet(rubric, data)
    problem = caught.value.problems[0]
    return problem.code, problem.message


def test_not_a_workbook_is_refused_with_a_clear_message():
    assert refused(b"%PDF-1.7 ...")[0] == "not_xlsx"
    assert "不是 Excel 工作簿" in refused(b"just some text")[1]
    assert refused(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600)[0] == "old_xls"
    assert refused(b"")[0] == "empty"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    assert refused(buffer.getvalue())[0] == "not_xlsx"


def _workbook_with(extra: dict[str, bytes | str], base: bytes | None = None) -> bytes:
    """A real workbook's parts (the blank sheet), plus or replacing ``extra`` parts."""
    base = base or blank_sheet(library.load("fujian-2018"))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            if info.filename not in extra:
                target.writestr(info, source.read(info))
        for name, data in extra.items():
            with target.open(name, "w", force_zip64=True) as part:
                if callable(data):
                    data(part)
                else:
                    part.write(data.encode() if isinstance(data, str) else data)
    return out.getvalue()


def test_a_zip_bomb_is_refused_before_openpyxl_inflates_it():
    def zeros(size: int):
        def write(part):
            chunk = b"\0" * (1 << 20)
            for _ in range(size):
                part.write(chunk)
        return write

    bomb = _workbook_with({"xl/media/image1.bin": zeros(100)})      # 100 MB of zeros in about 100 KB
    assert len(bomb) < 1_000_000
    code, message = refused(bomb)
    assert code in ("zip_too_large", "zip_ratio") and "拒绝" in message
    ratio = _workbook_with({"xl/media/image1.bin": zeros(8)})        # within the size limit, but 1000:1
    assert refused(ratio)[0] == "zip_ratio"


def test_xml_entity_declarations_are_refused():
    laughs = ('<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
              '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>&lol2;</t></si></sst>')
    assert refused(_workbook_with({"xl/sharedStrings.xml": laughs}))[0] == "xml_declarations"


def rows_part(count: int, *, dimension: bool):
    """A worksheet part of ``count`` one-cell rows, streamed (with or without its ``<dimension>``)."""
    def write(part):
        part.write(b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
                   b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        if dimension:
            part.write(f'<dimension ref="A1:A{count}"/>'.encode())
        part.write(b"<sheetData>")
        for start in range(1, count + 1, 10_000):
            part.write("".join(f'<row r="{n}"><c r="A{n}"><v>{n * 7919 % 1000003}</v></c></row>'
                               for n in range(start, min(start + 10_000, count + 1))).encode())
        part.write(b"</sheetData></worksheet>")
    return write


def test_a_million_rows_are_refused_before_openpyxl_parses_them():
    data = _workbook_with({"xl/worksheets/sheet1.xml": rows_part(1_000_000, dimension=True)})
    started = time.monotonic()
    code, message = refused(data)
    assert code == "sheet_too_large" and "拒绝打开" in message
    assert time.monotonic() - started < 5
    # openpyxl parses a whole sheet that does not declare its size before giving the first row
    undeclared = _workbook_with({"xl/worksheets/sheet1.xml": rows_part(100_000, dimension=False)})
    assert refused(undeclared)[0] == "no_dimension"


def test_rows_are_counted_as_they_are_read_and_the_reading_stops_past_the_limit():
    data = _workbook_with({"xl/worksheets/sheet1.xml": rows_part(150_000, dimension=True)})
    started = time.monotonic()
    code, message = refused(data)
    assert code == "too_many_rows" and "超过 2000 行" in message
    assert time.monotonic() - started < 5


def test_formulas_anywhere_in_the_sheet_are_refused_not_evaluated():
    rubric = library.load("fujian-2018")

    def formula(sheet, rows):
        sheet["B2"] = '=HYPERLINK("http://example.com","x")'

    found = problems(lambda: read_filled_sheet(rubric, fill(blank_sheet(rubric), {}, edit=formula)))
    assert ("formula", "评分表!B2") in found
