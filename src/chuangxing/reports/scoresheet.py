"""The per-branch score sheet in the standard's own table layout, from any ScoreSheet and its Rubric.

>>> document = score_sheet_document(rubric, score(rubric, findings), context=SheetContext(branch="甲一支部"))
>>> render_xlsx(document), render_pdf(document)
>>> assessment_document(assessment, stage="review")     # the same, for one branch of a cycle
>>> render("score-sheet", "pdf", {"cycle": 3, "branch": 17})

The layout follows the standards' tables (项目 / 标准及要求 / 分值 / 评定标准 / 得分)::

    项目        标准及要求            分值  [分项]  评定标准（每条规则的原文）  扣分/加分  得分  扣分（加分）原因
    基本组织    （一）组织覆盖 …       3            有1名党员未纳入…扣1分       -1        2     1 次 × 1 分，扣 1 分
    （15分）                                        ……
                本项目小计                                                             13
    加分项 …    否决项 …    总计（各项目合计、加分、减分、总分）、评定等次（待完成的程序）、提示

The category cell is merged over its indicators, the indicator's cells (standard, max, score) over
its rules; a sub-item (方案1分、实施3分) gets its own column when the rubric has any. Each rule's row
carries the points its trace entries give and their explanations, followed by the written reason of
the reviewer or inspector whose finding the sheet scores (情形成立，扣 1 分（审核理由：……）); what the
engine itself did to a node (capped at the max, 扣完为止, fraud voided and doubled) is a row of its own under the rules.
The signature lines (支部书记（签字）、审核人、日期) close the sheet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chuangxing.reports.document import Column, Document, Table
from chuangxing.reports.progress import Progress
from chuangxing.reports.registry import Param, ReportError, report
from chuangxing.rubric.schema import Node, Rubric
from chuangxing.scoring.points import ZERO, fmt
from chuangxing.scoring.sheet import NodeScore, RatingResult, ScoreSheet
from chuangxing.scoring.trace import CAP, FLOOR, FRAUD_DOUBLE, FRAUD_VOID, START, Entry

STAGE_LABELS = {"self": "自评", "review": "审核", "inspection": "抽验"}
REASON_LABELS = {"review": "审核理由", "inspection": "抽验理由"}     # whose written reason a sheet row quotes
SYSTEM_LABELS = {CAP: "得分以分值为上限", FLOOR: "扣完为止", FRAUD_VOID: "弄虚作假：本项得分作废",
                 FRAUD_DOUBLE: "弄虚作假：加倍倒扣"}
NUMERALS = "一二三四五六七八九十"
SIGNATURES = "支部书记（签字）：＿＿＿＿＿＿＿＿　　审核人（签字）：＿＿＿＿＿＿＿＿　　日期：＿＿＿＿年＿＿月＿＿日"


@dataclass
class SheetContext:
    """What the sheet says about where it comes from (all optional: a plain ``chuangxing score`` has none)."""

    branch: str | None = None
    committee: str | None = None
    cycle: str | None = None
    stage: str | None = None                     # self, review, inspection
    final: list[str] = field(default_factory=list)   # the final ratings of record, as lines
    reasons: dict[str, str] = field(default_factory=dict)   # rule id → "审核理由：…" (see :func:`stage_reasons`)


def columns(rubric: Rubric) -> list[Column]:
    out = [
        Column("category", "项目", 9, merge_on="_cat"),
        Column("indicator", "标准及要求", 26, merge_on="_ind"),
        Column("max", "分值", 5, "points", merge_on="_ind"),
    ]
    if any(indicator.items for category in rubric.categories for indicator in category.indicators):
        out.append(Column("item", "分项", 12, merge_on="_item"))
    out += [
        Column("rule", "评定标准", 34),
        Column("points", "扣分/加分", 7, "signed"),
        Column("score", "得分", 6, "points", merge_on="_ind"),
        Column("reason", "扣分（加分）原因", 26),
    ]
    return out


def score_sheet_document(rubric: Rubric, sheet: ScoreSheet, *, context: SheetContext | None = None) -> Document:
    """The score sheet of one branch as a document (render it with any renderer)."""
    context = context or SheetContext(branch=sheet.branch)
    branch = context.branch or sheet.branch
    rows = _Rows(rubric, sheet, context.reasons).all()
    rows += [{"category": line, "_span": True, "_style": "strong"} for line in context.final]
    preamble = [f"考评标准：{rubric.title}" + (f"（{rubric.document_number}）" if rubric.document_number else "")
                + f"　版本 {rubric.version}"]
    where = [f"党支部：{branch or '＿＿＿＿＿＿＿＿'}"]
    if context.committee:
        where.append(f"上级党组织：{context.committee}")
    if context.cycle:
        where.append(f"考评周期：{context.cycle}")
    if context.stage:
        where.append(f"评分阶段：{STAGE_LABELS.get(context.stage, context.stage)}")
    preamble.append("　　".join(where))
    table = Table(columns(rubric), rows, sheet="评分表", count=len(rows))
    stage = f"（{STAGE_LABELS.get(context.stage, context.stage)}）" if context.stage else ""
    stem = f"{branch or rubric.id}-考评评分表{stage}"
    return Document(title="党支部考评评分表", filename=stem, tables=[table],
                    preamble=preamble, footer=[SIGNATURES], landscape=True)


def score_sheet_xlsx(rubric: Rubric, sheet: ScoreSheet, *, context: SheetContext | None = None) -> bytes:
    from chuangxing.reports.render import render_xlsx

    return render_xlsx(score_sheet_document(rubric, sheet, context=context))


def score_sheet_pdf(rubric: Rubric, sheet: ScoreSheet, *, context: SheetContext | None = None) -> bytes:
    from chuangxing.reports.render import render_pdf

    return render_pdf(score_sheet_document(rubric, sheet, context=context))


# -- rows -----------------------------------------------------------------------------------------
class _Rows:
    def __init__(self, rubric: Rubric, sheet: ScoreSheet, reasons: dict[str, str] | None = None):
        self.rubric, self.sheet, self.reasons = rubric, sheet, reasons or {}
        self.scores = {node.id: node for node in sheet.nodes()}
        self.unassessed = set(sheet.unassessed)
        self.rows: list[dict[str, Any]] = []

    def all(self) -> list[dict[str, Any]]:
        for number, category in enumerate(self.rubric.categories):
            self.category(number, category)
        self.adjustments()
        self.vetoes()
        self.totals()
        return self.rows

    def category(self, number: int, category) -> None:
        score = self.scores[category.id]
        base = {"category": f"{_numeral(number)}、{category.title}\n（{fmt(category.max)}分）", "_cat": category.id}
        for indicator in category.indicators:
            node = self.scores[indicator.id]
            row = {**base, "indicator": _node_text(indicator), "max": indicator.max, "score": node.score,
                   "_ind": indicator.id}
            before = len(self.rows)
            self.rules(row, indicator, node)
            for item in indicator.items:
                part = self.scores[item.id]
                item_row = {**row, "item": f"{item.title}（{fmt(item.max)}分）\n得 {fmt(part.score)} 分", "_item": item.id}
                self.rules(item_row, item, part)
            if len(self.rows) == before:
                self.rows.append({**row, "rule": "（本指标没有单列的评定标准）"})
        own = [e for e in score.entries if e.kind != START]
        if category.rules or own:
            row = {**base, "indicator": category.bottom_lines_text or "本项目的评定标准", "score": _sum(own),
                   "_ind": f"{category.id}:own"}
            self.rules(row, category, score)
        self.rows.append({**base, "indicator": "本项目小计", "max": category.max, "score": score.score,
                          "_ind": f"{category.id}:total", "_style": "strong"})

    def rules(self, base: dict[str, Any], node: Node, score: NodeScore) -> None:
        by_rule: dict[str, list[Entry]] = defaultdict(list)
        for entry in score.entries:
            if entry.rule is not None:
                by_rule[entry.rule].append(entry)
        for rule in node.rules:
            self.rows.append({**base, **self.rule_cells(rule, by_rule.get(rule.id, []))})
        self.system(base, score.entries)

    def rule_cells(self, rule, entries: list[Entry]) -> dict[str, Any]:
        if not rule.enabled:
            reason = "本读法下不适用"
        elif not entries and rule.id in self.unassessed:
            reason = "未评定"
        else:
            reason = self.with_reason("；".join(e.explanation for e in entries if e.points or e.explanation), rule.id)
        return {"rule": rule.text, "points": _sum(entries) if entries else None, "reason": reason, "_rule": rule.id}

    def with_reason(self, text: str, rule_id: str) -> str:
        """``text`` followed by the written reason of the finding in force for ``rule_id``, if any."""
        written = self.reasons.get(rule_id)
        if not written:
            return text
        return f"{text}（{written}）" if text else written

    def system(self, base: dict[str, Any], entries: Iterable[Entry]) -> None:
        for entry in entries:
            if entry.rule is None and entry.kind != START and entry.points:
                self.rows.append({**base, "rule": SYSTEM_LABELS.get(entry.kind, entry.text), "points": entry.points,
                                  "reason": entry.explanation, "_rule": f"{entry.kind}:{entry.node}"})

    def adjustments(self) -> None:
        results = {a.id: a for a in self.sheet.adjustments}
        for adjustment in self.rubric.adjustments:
            result = results[adjustment.id]
            sign = Decimal(1) if adjustment.type == "bonus" else Decimal(-1)
            base = {"category": adjustment.title, "_cat": f"adjustment:{adjustment.id}",
                    "indicator": adjustment.text or ("加分项" if adjustment.type == "bonus" else "减分项"),
                    "max": f"上限{fmt(adjustment.cap)}" if adjustment.cap is not None else None,
                    "score": sign * result.points, "_ind": f"adjustment:{adjustment.id}"}
            by_rule: dict[str, list[Entry]] = defaultdict(list)
            for entry in result.entries:
                if entry.rule is not None:
                    by_rule[entry.rule].append(entry)
            for rule in adjustment.rules:
                self.rows.append({**base, **self.rule_cells(rule, by_rule.get(rule.id, []))})
            self.system(base, result.entries)

    def vetoes(self) -> None:
        hits = {v.id: v for v in self.sheet.vetoes}
        for veto in self.rubric.vetoes:
            hit = hits.get(veto.id)
            if hit is not None:
                status, reason = "成立", "" if hit.reason in (True, "情形成立") else str(hit.reason)
            elif not veto.enabled:
                status, reason = "", "本读法下不适用"
            elif veto.id in self.unassessed:
                status, reason = "", "未评定"
            else:
                status, reason = "不成立", ""
            reason = self.with_reason(reason, veto.id) if veto.enabled else reason
            self.rows.append({"category": "否决项", "_cat": "vetoes", "indicator": "有下列情形之一的，不予评定",
                              "_ind": "vetoes", "rule": veto.text, "points": status, "reason": reason, "_rule": veto.id})

    def totals(self) -> None:
        sheet = self.sheet
        base = {"category": "总计", "_cat": "totals", "_style": "strong"}
        self.rows.append({**base, "indicator": "各项目得分合计", "max": sheet.max_total, "score": sheet.subtotal,
                          "_ind": "totals:subtotal"})
        if self.rubric.adjustments:
            self.rows.append({**base, "indicator": "加分", "score": sheet.bonus, "_ind": "totals:bonus"})
            self.rows.append({**base, "indicator": "减分", "score": -sheet.penalty, "_ind": "totals:penalty"})
        self.rows.append({**base, "indicator": "总分", "score": sheet.total, "_ind": "totals:total"})
        for line in rating_lines(sheet):
            self.rows.append({"category": line, "_span": True, "_style": "strong"})
        for warning in sheet.warnings:
            self.rows.append({"category": f"提示：{warning}", "_span": True})
        if sheet.unassessed:
            shown = "、".join(sheet.unassessed[:12]) + ("等" if len(sheet.unassessed) > 12 else "")
            self.rows.append({"category": f"尚有 {len(sheet.unassessed)} 条规则未评定（{shown}），以上得分按未扣分（未得分）计",
                              "_span": True})


def rating_lines(sheet: ScoreSheet) -> list[str]:
    """One line per rating scheme: the level, and what still stands between it and the level the score reaches."""
    texts = {v.id: v.text for v in sheet.vetoes}
    return [rating_line(r, texts) for r in sheet.ratings]


def rating_line(result: RatingResult, veto_texts: dict[str, str] | None = None) -> str:
    text = f"{result.title}：{result.label}"
    if result.earned:
        text += f"（获得：{'、'.join(result.earned)}）"
    if result.blocked_by:
        reasons = [(veto_texts or {}).get(v, v) for v in result.blocked_by]
        text += f"（否决项：{'；'.join(reasons)}）"
    if result.eligible and result.eligible != result.level and result.pending:
        text += f"；按得分可评“{result.eligible_label}”，尚需：{'；'.join(result.pending)}"
    return text


def _numeral(number: int) -> str:
    return NUMERALS[number] if number < len(NUMERALS) else str(number + 1)


def _node_text(node: Node) -> str:
    if node.standard and node.standard.strip() != node.title.strip():
        return f"{node.title}\n{node.standard}"
    return node.title


def _sum(entries: Iterable[Entry]) -> Decimal:
    return sum((e.points for e in entries), ZERO)


# -- one branch of a cycle -------------------------------------------------------------------------
def default_stage(assessment) -> str:
    """The stage a sheet shows unless asked: self before review, review after, inspection for a spot-checked branch."""
    from chuangxing.assessments.models import State

    if assessment.state in (State.DRAFT, State.SELF_ASSESSED, State.SUBMITTED, State.RETURNED):
        return "self"
    if assessment.state in (State.UNDER_REVIEW, State.REVIEWED):
        return "review"
    return "inspection" if assessment.sampled else "review"


def final_lines(assessment, titles: dict[str, str]) -> list[str]:
    """The final ratings of record (FinalRating), with their reasons (vetoes, a spot-check downgrade)."""
    lines = []
    for rating in assessment.ratings.order_by("pk"):
        text = f"最终评定（{titles.get(rating.scheme, rating.scheme)}）：{rating.label or '不予评定'}"
        reasons = [r.get("text", "") for r in rating.reasons or [] if r.get("text")]
        if reasons:
            text += f"（{'；'.join(reasons)}）"
        lines.append(text)
    return lines


def stage_reasons(assessment, stage: str) -> dict[str, str]:
    """The reviewer's or inspector's written reason of each rule whose finding is in force at ``stage``.

    The layers are the scoring's own (``services.STAGE_ORDER``): at the inspection a rule the inspector
    did not touch keeps the reviewer's finding, and so the reviewer's reason. Self-assessment findings
    carry no reason of their own to quote.
    """
    from chuangxing.assessments.services import STAGE_ORDER

    in_force = {}
    findings = list(assessment.findings.all())
    for layer in STAGE_ORDER[stage]:
        in_force.update({f.rule_id: f for f in findings if f.stage == layer})
    return {rule: f"{REASON_LABELS[f.stage]}：{f.reason.strip()}" for rule, f in in_force.items()
            if f.stage in REASON_LABELS and f.reason.strip()}


def assessment_document(assessment, *, stage: str | None = None) -> Document:
    """The score sheet of one assessment at ``stage`` (default: :func:`default_stage`)."""
    from chuangxing.assessments.services import rubric_of, sheet_of

    stage = stage or default_stage(assessment)
    rubric = rubric_of(assessment)
    parent = assessment.branch.parent
    context = SheetContext(branch=assessment.branch.name, committee=parent.name if parent else None,
                           cycle=assessment.cycle.name, stage=stage,
                           final=final_lines(assessment, {s.id: s.title for s in rubric.ratings}),
                           reasons=stage_reasons(assessment, stage))
    return score_sheet_document(rubric, sheet_of(assessment, stage=stage), context=context)


def find_assessment(params: dict[str, Any]):
    """The assessment of ``params['branch']`` in ``params['cycle']``, if ``params['_by']`` may read it."""
    from chuangxing.assessments.models import Assessment
    from chuangxing.assessments.permissions import can_see

    assessment = (Assessment.objects.select_related("cycle", "branch__parent", "snapshot")
                  .filter(cycle_id=params["cycle"], branch_id=params["branch"]).first())
    by = params.get("_by")
    if assessment is None or (by is not None and not can_see(by, assessment)):
        raise ReportError("not_found", "找不到该党支部在本考评周期的考评（或没有权限查看）",
                          f"no visible assessment for branch {params['branch']} in cycle {params['cycle']}")
    return assessment


CYCLE = Param("cycle", "考评周期")
BRANCH = Param("branch", "党支部")
STAGE = Param("stage", "评分阶段", str, required=False, choices=tuple(STAGE_LABELS))


@report("score-sheet", title="党支部考评评分表", params=(CYCLE, BRANCH, STAGE))
def score_sheet_report(params: dict[str, Any], progress: Progress) -> Document:
    """一个党支部的评分表：按标准原表的格式，逐条列出评定标准、扣分（加分）及原因、总分和评定等次，附签字栏。"""
    document = assessment_document(find_assessment(params), stage=params.get("stage"))
    progress(1, 1, "评分表")
    return document


def sheet_file(assessment, name: str = "score-sheet", fmt: str = "pdf", *, stage: str | None = None,
               by: Any = None) -> tuple[bytes, str, str]:
    """One assessment's ``score-sheet`` (pdf, xlsx) or ``blank-sheet`` (xlsx) through the registry, scoped to ``by``.

    >>> content, filename, content_type = sheet_file(assessment, "score-sheet", "pdf", stage="review", by=user)

    The score sheet without ``stage`` is the current stage's (:func:`default_stage`); the blank sheet
    without ``stage`` is blank. The web's downloads and the API serve what this returns.
    """
    from chuangxing.reports.registry import render

    if name == "score-sheet":
        stage = stage or default_stage(assessment)
    params = {"cycle": assessment.cycle_id, "branch": assessment.branch_id, "stage": stage}
    return render(name, fmt, params, by=by)
