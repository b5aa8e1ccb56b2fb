"""The states of an assessment and who may move it where.

::

    draft ─self_assess→ self_assessed ─submit→ submitted ─start_review→ under_review ─approve→ reviewed
      ↑                      │                    │                        │
      └────── returned ←─────┴──────return────────┴────────return──────────┘
    reviewed ─sample→ sampled ─spot_check→ spot_checked
    reviewed | spot_checked ─announce→ announced ─finalize→ finalized ─rectify→ rectification ─reinspect→ reinspected

Every move names the role that may make it (scoped to the organization subtree by
``permissions``); anything else is refused with :class:`IllegalTransition`, code and Chinese message.
"""

from __future__ import annotations

from dataclasses import dataclass

from chuangxing.assessments.models import Role, State


class WorkflowError(Exception):
    code = "workflow"

    def __init__(self, message_zh: str, message_en: str = ""):
        self.message_zh = message_zh
        super().__init__(message_en or message_zh)


class IllegalTransition(WorkflowError):
    code = "illegal_transition"


class DeadlinePassed(WorkflowError):
    code = "deadline_passed"


class EditConflict(WorkflowError):
    """Someone else saved the assessment since this copy was read: nothing was written."""

    code = "conflict"


class NotAllowed(WorkflowError):
    code = "forbidden"


class Refused(WorkflowError):
    """A refusal whose code is named where it is raised: ``Refused("objections_open", "公示期间的异议尚未全部答复……")``."""

    def __init__(self, code: str, message_zh: str, message_en: str = ""):
        self.code = code
        super().__init__(message_zh, message_en or code)


@dataclass(frozen=True)
class Move:
    action: str
    label: str
    sources: tuple[str, ...]
    target: str
    roles: tuple[str, ...]
    needs_reason: bool = False


MOVES = {m.action: m for m in (
    Move("self_assess", "完成自评", (State.DRAFT, State.RETURNED), State.SELF_ASSESSED, (Role.SECRETARY,)),
    Move("edit_self", "修改自评", (State.SELF_ASSESSED,), State.DRAFT, (Role.SECRETARY,)),
    Move("submit", "提交", (State.SELF_ASSESSED,), State.SUBMITTED, (Role.SECRETARY,)),
    Move("start_review", "开始审核", (State.SUBMITTED,), State.UNDER_REVIEW, (Role.REVIEWER, Role.ADMIN)),
    Move("return", "退回修改", (State.SUBMITTED, State.UNDER_REVIEW), State.RETURNED, (Role.REVIEWER, Role.ADMIN), True),
    Move("approve", "审核通过", (State.UNDER_REVIEW,), State.REVIEWED, (Role.REVIEWER, Role.ADMIN)),
    Move("sample", "列入抽验", (State.REVIEWED,), State.SAMPLED, (Role.ADMIN,)),
    Move("spot_check", "完成抽验", (State.SAMPLED,), State.SPOT_CHECKED, (Role.INSPECTOR, Role.ADMIN)),
    Move("announce", "公示", (State.REVIEWED, State.SPOT_CHECKED), State.ANNOUNCED, (Role.ADMIN,)),
    Move("finalize", "评定", (State.ANNOUNCED,), State.FINALIZED, (Role.ADMIN,)),
    Move("rectify", "列入整改", (State.FINALIZED,), State.RECTIFICATION, (Role.ADMIN, Role.REVIEWER), True),
    Move("reinspect", "复检", (State.RECTIFICATION,), State.REINSPECTED, (Role.INSPECTOR, Role.REVIEWER, Role.ADMIN)),
)}

# Which stage of findings may be edited in which state, and by whom.
RATED = (State.FINALIZED, State.RECTIFICATION, State.REINSPECTED)     # rated by 评定 (and what follows it)

EDITABLE = {
    "self": ((State.DRAFT, State.RETURNED), (Role.SECRETARY,)),
    "review": ((State.UNDER_REVIEW,), (Role.REVIEWER, Role.ADMIN)),
    "inspection": ((State.SAMPLED,), (Role.INSPECTOR, Role.ADMIN)),
}


def move_for(action: str, state: str) -> Move:
    move = MOVES.get(action)
    if move is None:
        raise IllegalTransition(f"没有“{action}”这一操作", f"unknown action {action}")
    if state not in move.sources:
        raise IllegalTransition(
            f"当前状态为“{State(state).label}”，不能“{move.label}”（只能从{'、'.join(State(s).label for s in move.sources)}）",
            f"cannot {action} from {state}",
        )
    return move


def actions_from(state: str) -> list[Move]:
    return [m for m in MOVES.values() if state in m.sources]
