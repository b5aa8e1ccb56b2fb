"""What the API takes and answers, for the OpenAPI description. Exact numbers are strings."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, StringConstraints

from chuangxing.scoring.limits import MAX_TEXT

VERSION_MAX = 2 ** 31 - 1      # a version beyond what the column holds is refused as invalid, never queried

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
    value: Any = Field(None, description="规则的输入；null 表示清除（数值的范围见 scoring.limits：次数、人数、数值、小数位）")
    reason: str = Field("", max_length=MAX_TEXT)


class FindingsIn(Schema):
    stage: Stage
    version: int = Field(ge=0, le=VERSION_MAX)
    values: dict[str, FindingChange] = Field(max_length=1000)


class TransitionIn(Schema):
    action: str = Field(max_length=40)
    reason: str = Field("", max_length=4000)
    version: int | None = Field(None, ge=0, le=VERSION_MAX)


class ReviewRows(Schema):
    assessment: int
    rows: list[dict[str, Any]]


class Branches(Schema):
    count: int
    rows: list[dict[str, Any]] = Field(description="至多 200 个：assessment, branch, committee, state, submitted_at")


class CycleProgress(Schema):
    cycle: int
    total: int
    submitted: int
    counts: list[StateCount]
    not_submitted: Branches
    waiting_review: Branches


# -- evidence, facts, the report -----------------------------------------------------------------
class EvidenceOut(Schema):
    id: int
    node: str = Field(description="指标或分项的编号")
    name: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: int | None
    uploaded_at: datetime


class FactOut(Schema):
    name: str
    description: str
    unit: str
    value: Any = Field(None, description="生效的值：人工修改的值，否则为计算值")
    computed: Any = None
    override: Any = None
    reason: str = ""
    overridden_by: int | None = None


class FactOverrideIn(Schema):
    value: Any = Field(None, description="人工认定的值（按事实的单位）；null 表示撤销修改，恢复计算值")
    reason: str = Field(max_length=500)
    version: int = Field(ge=0, le=VERSION_MAX)


class FactOverrideOut(Schema):
    assessment: int
    version: int
    fact: FactOut


class ReportIn(Schema):
    text: str = Field("", max_length=20000)
    passed_on: date | None = Field(None, description="支委会讨论通过日期")
    version: int = Field(ge=0, le=VERSION_MAX)


class ReportOut(Schema):
    assessment: int
    version: int
    state: str
    text: str
    passed_on: date | None


# -- the cycle-wide moves ------------------------------------------------------------------------
class SampleIn(Schema):
    seed: str = Field("", max_length=64, description="留空则由系统生成并记录")


class SampledBranch(Schema):
    assessment: int
    branch: str


class DrawOut(Schema):
    id: int
    seed: str
    share: str
    algorithm: str
    drawn_at: datetime
    population: int
    verified: bool = Field(description="按记录的种子与总体重新抽取，结果一致")
    sample: list[SampledBranch]


class NoticeIn(Schema):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    starts_on: date
    ends_on: date
    body: str = Field("", max_length=4000)


class NoticeOut(Schema):
    id: int
    cycle: int
    title: str
    starts_on: date
    ends_on: date
    body: str
    announced: int = Field(description="进入公示的党支部数")
    url: str = Field(description="公示页面（无需登录）")


class ObjectionOut(Schema):
    id: int
    notice: int
    assessment: int
    branch: str
    submitted_at: datetime
    status: Literal["open", "answered", "dismissed", "spam"] = Field(
        description="open 待答复，answered 已答复，dismissed 不予受理，spam 不予受理（恶意或重复提交）")
    text: str
    answer: str = Field(description="答复，或不予受理的理由（公示页面上显示）")


class DismissIn(Schema):
    objections: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] = Field(min_length=1, max_length=10000,
                                                                       description="要关闭的未答复异议的编号")
    reason: str = Field("", max_length=2000, description="不予受理的理由；spam 时可空（记为“恶意或重复提交”）")
    spam: bool = False


class DismissOut(Schema):
    closed: int


class FinalizeOut(Schema):
    finalized: int
    ratings: dict[str, dict[str, int]] = Field(description="每个评定方案的各等级数量")
    closed: bool = Field(description="周期是否已结束（全部考评均已评定）")


# -- a branch's records, a page at a time (records.py) --------------------------------------------------------
class MemberRow(Schema):
    id: int
    number: str
    name: str
    category: str
    category_label: str
    group: str | None
    is_leader: bool
    joined_party_on: date | None
    joined_branch_on: date | None
    left_branch_on: date | None


class MeetingRow(Schema):
    id: int
    key: str
    kind: str
    kind_label: str
    held_on: date
    topic: str
    group: str | None
    expected: int
    present: int


class DuesMonth(Schema):
    month: int
    status: Literal["paid", "unpaid", "none", "out"]
    label: str
    due: str | None = Field(description="应交金额（元），字符串")
    paid: str | None = Field(description="实交金额（元），字符串")


class DuesRow(Schema):
    member: int
    number: str
    name: str
    unpaid: int
    months: list[DuesMonth]


class Paged(Schema):
    total: int = Field(description="全部条数")
    limit: int
    offset: int


class MemberPage(Paged):
    items: list[MemberRow]


class MeetingPage(Paged):
    items: list[MeetingRow]


class DuesPage(Paged):
    year: int
    unpaid_months: int = Field(description="全支部该年未交的人月数")
    items: list[DuesRow]
