"""What the API takes and answers, for the OpenAPI description. Exact numbers are strings."""

from __future__ import annotations

from typing import Any, Literal

from ninja import Schema
from pydantic import Field

Stage = Literal["self", "review", "inspection"]


class ErrorDetail(Schema):
    code: str
    message: str


class Error(Schema):
    error: ErrorDetail


class RubricSummary(Schema):
    id: str
    title: str
    issuer: str | None = None
    year: int | None = None
    version: str
    status: str | None = None
    family: str | None = None
    variant_title: str | None = None


class StateCount(Schema):
    state: str
    label: str
    count: int


class CycleSummary(Schema):
    id: int
    name: str
    root: str
    rubric_id: str
    period_start: str
    period_end: str
    self_assessment_due: str | None
    status: str


class CycleDetail(CycleSummary):
    total: int = Field(description="用户可查看的考评数")
    submitted: int
    counts: list[StateCount]


class AssessmentSummary(Schema):
    id: int
    cycle: int
    branch: str
    branch_id: int
    committee: str | None
    state: str
    state_label: str
    version: int
    self_total: str | None
    reviewed_total: str | None
    inspected_total: str | None


class AssessmentDetail(AssessmentSummary):
    stage: Stage
    actions: dict[str, Any] = Field(description="当前用户可做的操作（services.allowed_actions）")
    sheet: dict[str, Any] = Field(description="该阶段的评分表（ScoreSheet.to_dict）")


class FindingChange(Schema):
    value: Any = Field(None, description="规则的输入；null 表示清除")
    reason: str = ""


class FindingsIn(Schema):
    stage: Stage
    version: int = Field(ge=0)
    values: dict[str, FindingChange]


class TransitionIn(Schema):
    action: str = Field(max_length=40)
    reason: str = Field("", max_length=4000)
    version: int | None = Field(None, ge=0)


class ReviewRows(Schema):
    assessment: int
    rows: list[dict[str, Any]]
