"""Findings: what is known about one branch, in the shape the engine takes.

::

    rubric: zhenjiang-2018          # optional: checked against the rubric scored
    branch: 市财政局第一党支部
    facts:                           # named facts (from the records, or typed in)
      party_members: 12
      secretary_test_score: 72
    inputs:                          # one entry per rule id; the shape depends on the rule kind
      zj-org-1-a: 1                  # per_occurrence: a count
      zj-team-1-test: absent         # banded: a value, or absent
      zj-guarantee-1: [flag]         # checklist: the missing items
      zj-func-1-d: {points: 1, reason: 组织生活主题政治性不强}   # range: points and a reason
      zj-bonus: [{type: provincial, project: 先锋岗}]            # events
    fraud: [{target: sx-study-2-b, reason: 学习记录造假}]
    process: {four_star_confirmed: true}

Every problem is reported at once (:class:`FindingsInvalid`), each naming the rule and the path;
nothing that does not fit the rubric is silently ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chuangxing.facts.catalogue import fact_units
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring.errors import FindingError, FindingsInvalid, InputError
from chuangxing.scoring.limits import check_fact

_KEYS = {"rubric", "branch", "facts", "inputs", "fraud", "process", "note"}


@dataclass(frozen=True)
class FraudFlag:
    target: str
    reason: str


@dataclass
class Findings:
    """Findings checked against one rubric: inputs parsed by their rule kinds."""

    branch: str | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    inputs: dict[str, Any] = field(default_factory=dict)      # rule id → parsed value
    raw_inputs: dict[str, Any] = field(default_factory=dict)
    fraud: list[FraudFlag] = field(default_factory=list)
    process: dict[str, bool] = field(default_factory=dict)


def _error(code: str, zh: str, en: str, *, rule: str | None = None, path: str = "") -> FindingError:
    return FindingError(code=code, message_zh=zh, message_en=en, rule=rule, path=path)


def parse_findings(rubric: Rubric, data: Mapping[str, Any]) -> Findings:
    """Check ``data`` against ``rubric``; raise FindingsInvalid listing every problem."""
    if not isinstance(data, Mapping):
        raise FindingsInvalid([_error("not_a_mapping", "评分数据应为键值映射", "findings must be a mapping")])
    errors: list[FindingError] = []
    for key in data:
        if key not in _KEYS:
            errors.append(_error("unknown_field", f"不认识的字段 {key}（可用：{'、'.join(sorted(_KEYS))}）",
                                 f"unknown field {key}", path=str(key)))
    declared = data.get("rubric")
    if declared not in (None, rubric.id):
        errors.append(_error("wrong_rubric", f"评分数据针对的是 {declared}，不是 {rubric.id}",
                             f"findings are for {declared}, not {rubric.id}", path="rubric"))
    findings = Findings(branch=data.get("branch"))
    findings.facts = _facts(rubric, data.get("facts") or {}, errors)
    findings.raw_inputs = dict(data.get("inputs") or {})
    findings.inputs = _inputs(rubric, findings.raw_inputs, errors)
    findings.fraud = _fraud(rubric, data.get("fraud") or [], errors)
    findings.process = _process(rubric, data.get("process") or {}, errors)
    if errors:
        raise FindingsInvalid(errors)
    return findings


def _short(text: str, size: int = 30) -> str:
    """A rule named by its own words, as people know it (its id is in the error's ``rule`` and ``path``)."""
    return text if len(text) <= size else text[:size] + "…"


def _facts(rubric: Rubric, facts: Any, errors: list[FindingError]) -> dict[str, Any]:
    if not isinstance(facts, Mapping):
        errors.append(_error("not_a_mapping", "facts 应为键值映射", "facts must be a mapping", path="facts"))
        return {}
    known = fact_units({name: decl.unit for name, decl in rubric.facts.items()})
    out = {}
    for name, value in facts.items():
        if name not in known:
            errors.append(_error("unknown_fact", f"未知的事实 {name}", f"unknown fact {name}", path=f"facts.{name}"))
            continue
        try:
            out[name] = check_fact(known[name], value, what=f"事实 {name} ")
        except InputError as exc:
            errors.append(_error(exc.code, exc.message_zh, f"fact {name}: {exc.message_en}", path=f"facts.{name}"))
    return out


def _inputs(rubric: Rubric, inputs: Any, errors: list[FindingError]) -> dict[str, Any]:
    if not isinstance(inputs, Mapping):
        errors.append(_error("not_a_mapping", "inputs 应为以规则编号为键的映射", "inputs must be a mapping",
                             path="inputs"))
        return {}
    parsed = {}
    for rule_id, raw in inputs.items():
        rule = rubric.rule(str(rule_id))
        if rule is None:
            errors.append(_error("unknown_rule", f"本标准没有编号为 {rule_id} 的规则", f"unknown rule {rule_id}",
                                 rule=str(rule_id), path=f"inputs.{rule_id}"))
            continue
        if not rule.enabled:
            errors.append(_error("rule_disabled", f"规则 {rule_id} 在当前参数下不适用，不能填写",
                                 f"rule {rule_id} is disabled", rule=rule.id, path=f"inputs.{rule_id}"))
            continue
        try:
            parsed[rule.id] = rule.parse_input(raw)
        except InputError as exc:
            errors.append(_error(exc.code, f"“{_short(rule.text)}”：{exc.message_zh}",
                                 f"rule {rule.id}: {exc.message_en}", rule=rule.id, path=f"inputs.{rule_id}"))
    return parsed


def _fraud(rubric: Rubric, flags: Any, errors: list[FindingError]) -> list[FraudFlag]:
    if not isinstance(flags, list):
        errors.append(_error("not_a_list", "fraud 应为清单", "fraud must be a list", path="fraud"))
        return []
    out = []
    for i, flag in enumerate(flags):
        path = f"fraud[{i}]"
        if not isinstance(flag, Mapping) or not flag.get("target"):
            errors.append(_error("bad_fraud", "每条弄虚作假记录须有 target（项目编号）和 reason",
                                 "fraud entries need a target and a reason", path=path))
            continue
        target, reason = str(flag["target"]), str(flag.get("reason") or "").strip()
        if rubric.fraud is None:
            errors.append(_error("no_fraud_policy", "本标准没有规定弄虚作假的扣分办法，不能按此计分",
                                 "this rubric has no fraud rule", path=path))
        elif rubric.node(target) is None or any(c.id == target for c in rubric.categories):
            errors.append(_error("unknown_target", f"弄虚作假所涉项目 {target} 不是本标准的指标或分项",
                                 f"fraud target {target} is not an indicator or item", path=path))
        elif not reason:
            errors.append(_error("reason_required", "认定弄虚作假须写明理由", "fraud needs a reason", path=path))
        else:
            out.append(FraudFlag(target, reason))
    return out


def _process(rubric: Rubric, process: Any, errors: list[FindingError]) -> dict[str, bool]:
    if not isinstance(process, Mapping):
        errors.append(_error("not_a_mapping", "process 应为键值映射", "process must be a mapping", path="process"))
        return {}
    out = {}
    for name, value in process.items():
        if name not in rubric.process_flags:
            known = "、".join(rubric.process_flags) or "无"
            errors.append(_error("unknown_process_flag", f"本标准没有程序环节 {name}（可用：{known}）",
                                 f"unknown process flag {name}", path=f"process.{name}"))
        elif not isinstance(value, bool):
            errors.append(_error("not_yes_no", f"程序环节 {name} 应为 true 或 false", f"{name} must be a boolean",
                                 path=f"process.{name}"))
        else:
            out[name] = value
    return out
