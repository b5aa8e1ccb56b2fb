"""What changed between two versions of a standard, matched by id, each change as a Chinese sentence.

>>> diff = diff_rubrics(load_rubric("old.yaml"), load_rubric("new.yaml"))     # doctest: +SKIP
>>> for change in diff.changes:                                              # doctest: +SKIP
...     print(change.message)
指标 zj-org-1“规范党组织设置”分值由 8 分改为 10 分
规则 zj-org-1-a（属于“规范党组织设置”）分值：3 → 2

Categories, indicators and items are matched by id anywhere in the tree (so a node that moved is
reported as moved, not as removed and added); rules and vetoes by id anywhere; rating levels by
their scheme and level id; per-category stars by their category. Both rubrics are compared as
loaded, so ``$name`` references are compared by the values they take (a parameter's changed value
shows under ``parameters`` and again where it is used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from chuangxing.rubric.export import rubric_tree
from chuangxing.rubric.schema import Rubric
from chuangxing.scoring.kinds import RULE_KINDS
from chuangxing.scoring.points import fmt

# Sections, in the order a reader goes through them.
METADATA, PARAMETERS, STRUCTURE, RULES, ADJUSTMENTS, VETOES, RATINGS, CONSTRAINTS, PROCESS = (
    "metadata", "parameters", "structure", "rules", "adjustments", "vetoes", "ratings", "constraints", "process")
SECTION_TITLES = {
    METADATA: "基本信息", PARAMETERS: "参数", STRUCTURE: "项目、指标与分项", RULES: "评定规则",
    ADJUSTMENTS: "加分项与减分项", VETOES: "否决项", RATINGS: "评定方案", CONSTRAINTS: "评定约束",
    PROCESS: "程序与目标",
}
LEVEL_NAMES = {"category": "项目", "indicator": "指标", "item": "分项"}

_METADATA_FIELDS = {
    "title": "标题", "version": "版本", "issuer": "发文单位", "document_number": "文号", "year": "年份",
    "applicability": "适用范围", "status": "完整程度", "limitations": "局限说明", "family": "标准族",
    "variant": "适用变体", "extends": "继承自", "mode": "默认计分方式", "max_total": "总分",
    "total_floor": "总分下限", "fraud": "弄虚作假处理", "source": "原文出处",
}
_NODE_FIELDS = {"standard": "标准及要求", "mode": "计分方式", "floor": "最低分", "reading": "读法说明",
                "note": "备注", "bottom_lines_text": "底线标准原文"}
FIELD_NAMES = {
    "text": "原文措辞", "kind": "规则类型", "effect": "扣分或得分", "fact": "绑定事实", "when": "条件表达式",
    "enabled": "是否启用", "fixable": "能否当年整改", "reading": "读法说明", "note": "备注",
    "points": "分值", "required": "应完成次数", "min": "下限", "max": "上限", "allow_zero": "允许不扣（0分）",
    "repeat": "逐次评定", "reason_required": "须写明理由", "bands": "分段", "absent_points": "缺少数值时的分值",
    "unit": "单位", "op": "比较方式", "value": "阈值", "items": "清单项目", "types": "事件类型",
    "modifiers": "折算方式", "best_per_project": "同一项目只取最高层级", "covers": "涵盖的规则",
    "input_type": "输入类型", "blocks": "否决的评定方案",
}
_SUBFIELDS = {"document": "文件", "title": "标题", "truncated": "是否截断", "notes": "说明", "id": "编号",
              "applies_to": "适用单位", "text": "原文", "factor": "倒扣倍数", "basis": "倒扣基数", "reading": "读法说明"}
# Fields of the tree's rule dicts that are derived from others (not compared on their own).
_DERIVED_RULE_FIELDS = {"id", "label", "max_points"}
_LEVEL_FIELDS = {"label": "名称", "stars": "星数", "threshold": "分数门槛", "requires": "需经程序",
                 "when": "附加条件", "text": "原文", "reading": "读法说明"}
_SCHEME_FIELDS = {"title": "名称", "kind": "方式", "value": "评定依据", "blocked_label": "被否决时的名称",
                  "text": "原文", "reading": "读法说明"}


@dataclass(frozen=True)
class Change:
    section: str            # one of the section names above
    action: str             # added, removed, changed, reweighted, retitled, moved
    target: str             # category, indicator, item, rule, veto, adjustment, scheme, level, star, ...
    id: str                 # the id of what changed (a level: "scheme/level")
    message: str            # the Chinese sentence
    field: str | None = None
    old: Any = None
    new: Any = None

    def to_dict(self) -> dict[str, Any]:
        return {"section": self.section, "action": self.action, "target": self.target, "id": self.id,
                "field": self.field, "old": self.old, "new": self.new, "message": self.message}


@dataclass
class RubricDiff:
    old: dict[str, str]     # id, version, title of each side
    new: dict[str, str]
    changes: list[Change] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.changes)

    def by_section(self) -> list[tuple[str, list[Change]]]:
        """(section, changes) in reading order, sections without changes left out."""
        return [(s, [c for c in self.changes if c.section == s]) for s in SECTION_TITLES
                if any(c.section == s for c in self.changes)]

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for change in self.changes:
            out[change.action] = out.get(change.action, 0) + 1
        return out

    def to_dict(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new, "counts": self.counts(),
                "changes": [c.to_dict() for c in self.changes]}


def show(value: Any) -> str:
    """A value as a person reads it in a sentence."""
    if value is None or value == [] or value == {}:
        return "（无）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return fmt(value)
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "、".join(value)
    from chuangxing.rubric.yamlio import dumps_json

    return dumps_json(value, indent=None)


def _list_change(old: Any, new: Any) -> str:
    """Two lists of sentences as what was added and removed; anything else as old → new."""
    if not (isinstance(old, list) and isinstance(new, list) and all(isinstance(v, str) for v in old + new)):
        return f"{show(old)} → {show(new)}"
    added = [v for v in new if v not in old]
    removed = [v for v in old if v not in new]
    parts = [f"新增“{v}”" for v in added] + [f"删除“{v}”" for v in removed]
    return "；".join(parts) if parts else "顺序调整"


def _field(key: str, value: Any) -> str:
    """A rule field's value as a person reads it: bands, checklist items and event types spelled out."""
    if not isinstance(value, list) or not value or not all(isinstance(v, dict) for v in value):
        return show(value)
    if key == "bands":
        parts = []
        for band in value:
            low, high = band.get("from"), band.get("to")
            where = (f"低于 {fmt(high)}" if low is None else f"{fmt(low)} 及以上" if high is None
                     else f"{fmt(low)} 至不足 {fmt(high)}")
            parts.append(f"{where}：{fmt(band['points'])} 分")
        return "；".join(parts)
    if key == "items":
        return "、".join(f"{i.get('label')}（{i.get('id')}）" for i in value)
    if key == "types":
        return "；".join(f"{t.get('label')} " + (f"{fmt(t['points'])} 分" if t.get("points") is not None
                                                else f"{fmt(t.get('min') or Decimal(0))}–{fmt(t.get('max'))} 分")
                        + ("/人" if t.get("per_person") else "") for t in value)
    if key == "modifiers":
        return "；".join(f"{m.get('label')} ×{fmt(m.get('factor'))}" for m in value)
    return show(value)


def _kind_label(kind: Any) -> str:
    cls = RULE_KINDS.get(kind) if isinstance(kind, str) else None
    return f"{kind}（{cls.label}）" if cls is not None else str(kind)


class _Differ:
    def __init__(self, old: dict, new: dict):
        self.old, self.new = old, new
        self.changes: list[Change] = []

    def add(self, section: str, action: str, target: str, id_: str, message: str, field_: str | None = None,
            old: Any = None, new: Any = None) -> None:
        self.changes.append(Change(section, action, target, id_, message, field_, old, new))

    # -- metadata, parameters ----------------------------------------------------------------
    def metadata(self) -> None:
        for key, name in _METADATA_FIELDS.items():
            a, b = self.old.get(key), self.new.get(key)
            if a == b:
                continue
            if isinstance(a, dict) and isinstance(b, dict):     # source, variant, fraud: field by field
                for sub in (*a, *(k for k in b if k not in a)):
                    x, y = a.get(sub), b.get(sub)
                    if x != y:
                        label = _SUBFIELDS.get(sub, sub)
                        self.add(METADATA, "changed", "metadata", f"{key}.{sub}", f"{name}的{label}：{_list_change(x, y)}",
                                 f"{key}.{sub}", x, y)
                continue
            self.add(METADATA, "changed", "metadata", key, f"{name}：{show(a)} → {show(b)}", key, a, b)
        if self.old["id"] != self.new["id"]:
            self.add(METADATA, "changed", "metadata", "id", f"编号：{self.old['id']} → {self.new['id']}", "id",
                     self.old["id"], self.new["id"])

    def parameters(self) -> None:
        self.mapping(PARAMETERS, "parameter", "参数", self.old["parameters"], self.new["parameters"],
                     lambda p: f"{show(p['value'])}（{p['description']}）",
                     {"value": "取值", "description": "说明"})
        self.mapping(PARAMETERS, "fact", "自定义事实", self.old["facts"], self.new["facts"],
                     lambda f: f"{f['unit']}（{f['description']}）", {"unit": "单位", "description": "说明"})
        self.mapping(PARAMETERS, "process_flag", "程序环节", self.old["process_flags"], self.new["process_flags"],
                     show, None)

    def mapping(self, section: str, target: str, noun: str, old: dict, new: dict, describe: Any,
                fields: dict[str, str] | None) -> None:
        for key in old.keys() - new.keys():
            self.add(section, "removed", target, key, f"删除{noun} {key}：{describe(old[key])}", old=old[key])
        for key in new:
            if key not in old:
                self.add(section, "added", target, key, f"新增{noun} {key}：{describe(new[key])}", new=new[key])
            elif old[key] != new[key]:
                if fields is None:
                    self.add(section, "changed", target, key, f"{noun} {key}：{show(old[key])} → {show(new[key])}",
                             None, old[key], new[key])
                    continue
                for name, label in fields.items():
                    a, b = old[key].get(name), new[key].get(name)
                    if a != b:
                        self.add(section, "changed", target, key, f"{noun} {key} 的{label}：{show(a)} → {show(b)}",
                                 name, a, b)

    # -- the tree ----------------------------------------------------------------------------
    def structure(self) -> None:
        old, new = _nodes(self.old), _nodes(self.new)
        for node_id, (node, parent) in old.items():
            if node_id not in new:
                self.add(STRUCTURE, "removed", node["level"], node_id,
                         f"删除{LEVEL_NAMES[node['level']]} {node_id}“{node['title']}”（{fmt(node['max'])} 分）"
                         f"{_under(parent, old)}", old=node["max"])
        for node_id, (node, parent) in new.items():
            if node_id not in old:
                self.add(STRUCTURE, "added", node["level"], node_id,
                         f"新增{LEVEL_NAMES[node['level']]} {node_id}“{node['title']}”（{fmt(node['max'])} 分）"
                         f"{_under(parent, new)}", new=node["max"])
                continue
            self.node(old[node_id], (node, parent), old, new)

    def node(self, before: tuple, after: tuple, old_index: dict, new_index: dict) -> None:
        (a, a_parent), (b, b_parent) = before, after
        noun, node_id = LEVEL_NAMES[b["level"]], b["id"]
        label = f"{noun} {node_id}“{b['title']}”"
        if a["level"] != b["level"] or a_parent != b_parent:
            self.add(STRUCTURE, "moved", b["level"], node_id,
                     f"{label}由{LEVEL_NAMES[a['level']]}{_under(a_parent, old_index, '（属于', '）')}"
                     f"移为{noun}{_under(b_parent, new_index, '（属于', '）')}", "parent", a_parent, b_parent)
        if a["title"] != b["title"]:
            self.add(STRUCTURE, "retitled", b["level"], node_id,
                     f"{noun} {node_id} 名称：“{a['title']}” → “{b['title']}”", "title", a["title"], b["title"])
        if a["max"] != b["max"]:
            self.add(STRUCTURE, "reweighted", b["level"], node_id,
                     f"{label}分值由 {fmt(a['max'])} 分改为 {fmt(b['max'])} 分", "max", a["max"], b["max"])
        for key, name in _NODE_FIELDS.items():
            if a.get(key) != b.get(key):
                self.add(STRUCTURE, "changed", b["level"], node_id,
                         f"{label}的{name}：{_mode(key, a.get(key))} → {_mode(key, b.get(key))}", key,
                         a.get(key), b.get(key))

    # -- rules -------------------------------------------------------------------------------
    def rules(self) -> None:
        old, new = _rules(self.old), _rules(self.new)
        for rule_id, (rule, owner, section) in old.items():
            if rule_id not in new:
                noun, target = _rule_noun(section)
                self.add(section, "removed", target, rule_id,
                         f"删除{noun} {rule_id}{_of(rule, owner)}：“{rule['text']}”", old=rule["text"])
        for rule_id, (rule, owner, section) in new.items():
            noun, target = _rule_noun(section)
            if rule_id not in old:
                self.add(section, "added", target, rule_id,
                         f"新增{noun} {rule_id}{_of(rule, owner)}：“{rule['text']}”", new=rule["text"])
                continue
            before, old_owner, _ = old[rule_id]
            label = f"{noun} {rule_id}（“{owner['title']}”）" if owner else f"{noun} {rule_id}"
            a_id, b_id = (old_owner or {}).get("id"), (owner or {}).get("id")
            if a_id != b_id:
                where = f"由“{(old_owner or {}).get('title', '否决项')}”移至“{(owner or {}).get('title', '否决项')}”"
                self.add(section, "moved", target, rule_id, f"{noun} {rule_id} {where}", "owner", a_id, b_id)
            keys = [k for k in (*before, *(k for k in rule if k not in before)) if k not in _DERIVED_RULE_FIELDS]
            for key in keys:
                a, b = before.get(key), rule.get(key)
                if a == b:
                    continue
                shown = f"{_kind_label(a)} → {_kind_label(b)}" if key == "kind" else f"{_field(key, a)} → {_field(key, b)}"
                self.add(section, "changed", target, rule_id, f"{label}的{FIELD_NAMES.get(key, key)}：{shown}", key, a, b)

    def adjustments(self) -> None:
        old = {a["id"]: a for a in self.old["adjustments"]}
        new = {a["id"]: a for a in self.new["adjustments"]}
        kinds = {"bonus": "加分项", "penalty": "减分项"}
        for adj_id, adj in old.items():
            if adj_id not in new:
                self.add(ADJUSTMENTS, "removed", "adjustment", adj_id,
                         f"删除{kinds.get(adj['type'], '')} {adj_id}“{adj['title']}”", old=adj["title"])
        for adj_id, adj in new.items():
            noun = kinds.get(adj["type"], "")
            if adj_id not in old:
                cap = f"（上限 {fmt(adj['cap'])} 分）" if adj["cap"] is not None else "（无上限）"
                self.add(ADJUSTMENTS, "added", "adjustment", adj_id, f"新增{noun} {adj_id}“{adj['title']}”{cap}",
                         new=adj["title"])
                continue
            before = old[adj_id]
            for key, name in (("title", "名称"), ("type", "类别"), ("cap", "上限"), ("text", "原文"), ("reading", "读法说明")):
                if before[key] != adj[key]:
                    a = kinds.get(before[key], before[key]) if key == "type" else before[key]
                    b = kinds.get(adj[key], adj[key]) if key == "type" else adj[key]
                    self.add(ADJUSTMENTS, "changed", "adjustment", adj_id,
                             f"{noun} {adj_id}“{adj['title']}”的{name}：{show(a)} → {show(b)}", key, before[key], adj[key])

    # -- ratings -----------------------------------------------------------------------------
    def ratings(self) -> None:
        old = {s["id"]: s for s in self.old["ratings"]}
        new = {s["id"]: s for s in self.new["ratings"]}
        for scheme_id, scheme in old.items():
            if scheme_id not in new:
                self.add(RATINGS, "removed", "scheme", scheme_id, f"删除评定方案 {scheme_id}“{scheme['title']}”")
        for scheme_id, scheme in new.items():
            if scheme_id not in old:
                levels = "、".join(lv["label"] for lv in scheme["levels"]) or "、".join(s["label"] for s in scheme["stars"])
                self.add(RATINGS, "added", "scheme", scheme_id, f"新增评定方案 {scheme_id}“{scheme['title']}”：{levels}")
                continue
            self.scheme(old[scheme_id], scheme)

    def scheme(self, a: dict, b: dict) -> None:
        sid, title = b["id"], b["title"]
        for key, name in _SCHEME_FIELDS.items():
            if a[key] != b[key]:
                self.add(RATINGS, "changed", "scheme", sid, f"评定方案 {sid} 的{name}：{show(a[key])} → {show(b[key])}",
                         key, a[key], b[key])
        self.levels(sid, title, a, b)
        self.stars(sid, title, a, b)

    def levels(self, sid: str, title: str, a: dict, b: dict) -> None:
        old_levels = {lv["id"]: lv for lv in a["levels"]}
        new_levels = {lv["id"]: lv for lv in b["levels"]}
        for level_id, level in old_levels.items():
            if level_id not in new_levels:
                self.add(RATINGS, "removed", "level", f"{sid}/{level_id}",
                         f"{title}删除等次“{level['label']}”（{_threshold(level)}）")
        for level_id, level in new_levels.items():
            key = f"{sid}/{level_id}"
            if level_id not in old_levels:
                self.add(RATINGS, "added", "level", key, f"{title}新增等次“{level['label']}”（{_threshold(level)}）")
                continue
            before = {**old_levels[level_id], "threshold": _threshold(old_levels[level_id])}
            after = {**level, "threshold": _threshold(level)}
            for name, label in _LEVEL_FIELDS.items():
                if before[name] != after[name]:
                    x, y = before[name], after[name]
                    shown = f"{x} → {y}" if name == "threshold" else f"{show(x)} → {show(y)}"
                    self.add(RATINGS, "changed", "level", key, f"{title}“{level['label']}”的{label}：{shown}", name,
                             _level_value(old_levels[level_id], name), _level_value(level, name))

    def stars(self, sid: str, title: str, a: dict, b: dict) -> None:
        old_stars = {s["category"]: s for s in a["stars"]}
        new_stars = {s["category"]: s for s in b["stars"]}
        for cat, star in old_stars.items():
            if cat not in new_stars:
                self.add(RATINGS, "removed", "star", f"{sid}/{cat}", f"{title}删除“{star['label']}”（项目 {cat}）")
        for cat, star in new_stars.items():
            if cat not in old_stars:
                self.add(RATINGS, "added", "star", f"{sid}/{cat}", f"{title}新增“{star['label']}”（项目 {cat}，{_star(star)}）")
            elif old_stars[cat] != star:
                self.add(RATINGS, "changed", "star", f"{sid}/{cat}",
                         f"{title}“{star['label']}”：{old_stars[cat]['label']}，{_star(old_stars[cat])} → {_star(star)}",
                         "threshold", old_stars[cat], star)

    # -- constraints, process, targets -------------------------------------------------------
    def constraints(self) -> None:
        old = {c["id"]: c for c in self.old["constraints"]}
        new = {c["id"]: c for c in self.new["constraints"]}
        self.mapping(CONSTRAINTS, "constraint", "约束", old, new, lambda c: f"“{c['text']}”（{c['when']} ⇒ {c['then']}）",
                     {"text": "原文", "when": "条件", "then": "要求"})

    def process(self) -> None:
        a, b = self.old["process"], self.new["process"]
        names = {"window": "考核时间", "spot_check_share": "抽验比例", "spot_check_priority": "优先抽验等次",
                 "recommendation_min_share": "推荐比例下限", "five_star_turnover_share": "五星动态调整比例",
                 "announce_days": "公示天数", "notes": "程序说明"}
        for key, name in names.items():
            if a.get(key) != b.get(key):
                self.add(PROCESS, "changed", "process", key, f"{name}：{show(a.get(key))} → {show(b.get(key))}", key,
                         a.get(key), b.get(key))
        self.mapping(PROCESS, "step", "程序步骤", {s["id"]: s for s in a["steps"]}, {s["id"]: s for s in b["steps"]},
                     lambda s: f"“{s['title']}”", {"title": "名称", "text": "原文"})
        self.mapping(PROCESS, "target", "分布目标", _targets(self.old), _targets(self.new),
                     lambda t: f"{fmt(t['share'] * 100)}%", {"share": "比例", "text": "原文"})


def _nodes(tree: dict) -> dict[str, tuple[dict, str | None]]:
    """id → (node, parent id) for every category, indicator and item, in document order."""
    out: dict[str, tuple[dict, str | None]] = {}
    for category in tree["categories"]:
        out.setdefault(category["id"], (category, None))
        for indicator in category["indicators"]:
            out.setdefault(indicator["id"], (indicator, category["id"]))
            for item in indicator["items"]:
                out.setdefault(item["id"], (item, indicator["id"]))
    return out


def _rules(tree: dict) -> dict[str, tuple[dict, dict | None, str]]:
    """id → (rule, the node or adjustment it belongs to (None for a veto), section) for every rule and veto."""
    out: dict[str, tuple[dict, dict | None, str]] = {}
    for node, _ in _nodes(tree).values():
        for rule in node["rules"]:
            out.setdefault(rule["id"], (rule, node, RULES))
    for adjustment in tree["adjustments"]:
        for rule in adjustment["rules"]:
            out.setdefault(rule["id"], (rule, adjustment, ADJUSTMENTS))
    for veto in tree["vetoes"]:
        out.setdefault(veto["id"], (veto, None, VETOES))
    return out


def _rule_noun(section: str) -> tuple[str, str]:
    return ("否决项", "veto") if section == VETOES else ("规则", "rule")


def _of(rule: dict, owner: dict | None) -> str:
    """"（按次扣分/得分，属于“组织设置”）" for a rule; nothing for a veto."""
    if owner is None:
        return ""
    return f"（{rule.get('label') or rule['kind']}，属于“{owner['title']}”）"


def _targets(tree: dict) -> dict[str, dict]:
    return {f"{t['scheme']}/{t['at_least']}": t for t in tree["targets"]}


def _under(parent: str | None, index: dict, before: str = "，属于", after: str = "") -> str:
    if parent is None:
        return ""
    node = index.get(parent, ({"title": parent},))[0]
    return f"{before}“{node['title']}”{after}"


def _mode(key: str, value: Any) -> str:
    if key == "mode":
        return {"deduct": "扣分制（从满分扣）", "award": "得分制（从0分加）"}.get(value, show(value))
    return show(value)


def _threshold(level: dict) -> str:
    if level.get("min") is None:
        return "无分数要求"
    return f"{'不低于' if level.get('min_inclusive', True) else '高于'} {fmt(level['min'])} 分"


def _level_value(level: dict, name: str) -> Any:
    if name == "threshold":
        return {"min": level.get("min"), "min_inclusive": level.get("min_inclusive", True)}
    return level.get(name)


def _star(star: dict) -> str:
    if star.get("min") is not None:
        return f"不低于 {fmt(star['min'])} 分"
    return f"不低于本项分值的 {fmt(star['min_ratio'] * 100)}%"


def diff_rubrics(old: Rubric, new: Rubric) -> RubricDiff:
    """Every change from ``old`` to ``new``, in reading order (metadata, tree, rules, ratings, process)."""
    a, b = rubric_tree(old), rubric_tree(new)
    differ = _Differ(a, b)
    differ.metadata()
    differ.parameters()
    differ.structure()
    differ.rules()
    differ.adjustments()
    differ.ratings()
    differ.constraints()
    differ.process()
    order = list(SECTION_TITLES)
    changes = sorted(differ.changes, key=lambda c: order.index(c.section))   # stable: document order kept
    side = {"id": "", "version": "", "title": ""}
    return RubricDiff(old={k: str(a.get(k, side[k])) for k in side}, new={k: str(b.get(k, side[k])) for k in side},
                      changes=changes)
