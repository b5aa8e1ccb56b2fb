"""The organization tree (sheet 组织), keyed by 组织编码.

A row's 上级组织编码 may name an organization already stored or any row of the same file, in any
order: the rows are written parents first. Which kind may sit under which::

    工委, 党委      under 工委 or 党委 (or at the top)
    党总支          under 工委 or 党委
    党支部          under 工委, 党委 or 党总支
    党小组          under a 党支部 (required)

A stored organization whose parent changes is moved with its whole subtree
(:meth:`Organization.move_to`). Organizations absent from the file are left as they are: an import
never deletes.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from chuangxing.orgs.models import BranchType, Organization, OrgKind
from chuangxing.records.imports.columns import Choice, Code, Column, DateCell, SheetSpec, Text, text_length
from chuangxing.records.imports.common import BATCH, unique_rows, update_rows
from chuangxing.records.imports.problems import Counts, ImportProblem
from chuangxing.records.imports.sheets import Row

SHEET = SheetSpec("组织", (
    Column("组织编码", "code", Code(text_length(Organization, "code"), key=True), required=True, width=16),
    Column("组织名称", "name", Text(text_length(Organization, "name")), required=True, width=30),
    Column("组织类别", "kind", Choice(OrgKind), required=True),
    Column("上级组织编码", "parent", Code(text_length(Organization, "code")), width=16,
           note="最上级组织留空；可填已导入的组织，或本文件中任意一行的组织（不分先后）；党小组必填所在党支部"),
    Column("支部类型", "branch_type", Choice(BranchType), note="组织类别为党支部时必填"),
    Column("所在单位", "unit", Text(text_length(Organization, "unit")), width=30),
    Column("联系方式", "contact_phone", Text(text_length(Organization, "contact_phone")), width=16),
    Column("成立日期", "established_on", DateCell(), width=12),
), note="党组织：工委 → 党委/党总支 → 党支部 → 党小组")
SHEETS = (SHEET,)

FIELDS = ("name", "kind", "branch_type", "unit", "contact_phone", "established_on")
_UPPER = {OrgKind.WORK_COMMITTEE, OrgKind.PARTY_COMMITTEE}
ALLOWED_PARENTS = {
    OrgKind.WORK_COMMITTEE: _UPPER,
    OrgKind.PARTY_COMMITTEE: _UPPER,
    OrgKind.GENERAL_BRANCH: _UPPER,
    OrgKind.BRANCH: _UPPER | {OrgKind.GENERAL_BRANCH},
    OrgKind.PARTY_GROUP: {OrgKind.BRANCH},
}


def queryset() -> Any:
    return Organization.objects.all()


def export_rows(orgs: Any) -> dict[str, Any]:
    values = orgs.order_by("path").values("code", "name", "kind", "parent__code", "branch_type", "unit", "contact_phone",
                                          "established_on")
    return {SHEET.name: ({**v, "parent": v.pop("parent__code") or ""} for v in values.iterator(chunk_size=2000))}


def _label(kind: str) -> str:
    return OrgKind(kind).label


@dataclass
class _Tree:
    """The tree as it will be once the file is written: each code's parent code and kind."""

    parent: dict[str, str | None]
    kind: dict[str, str]

    def cycle(self, code: str) -> list[str] | None:
        path, seen = [code], {code}
        current = self.parent.get(code)
        while current is not None:
            path.append(current)
            if current == code:
                return path
            if current in seen:      # a cycle above, not through ``code``: reported on its own rows
                return None
            seen.add(current)
            current = self.parent.get(current)
        return None

    def depth(self, code: str, memo: dict[str, int]) -> int:
        """How many ancestors ``code`` will have (the tree has no cycle by then); ``memo`` keeps it linear."""
        chain: list[str] = []
        current: str | None = code
        while current is not None and current not in memo:
            chain.append(current)
            current = self.parent.get(current)
        depth = memo[current] if current is not None else -1
        for item in reversed(chain):
            depth += 1
            memo[item] = depth
        return memo[code]


def check(rows: dict[str, list[Row]], problems: list[ImportProblem]) -> Plan:
    file = unique_rows(rows.get(SHEET.name, []), key=lambda r: r["code"], fields=("code",), label="组织编码",
                       problems=problems)
    existing = {v["code"]: v for v in Organization.objects.order_by().values("id", "code", "parent_id", "path", "depth",
                                                                              *FIELDS)}
    code_of = {v["id"]: code for code, v in existing.items()}
    tree = _Tree({code: code_of.get(v["parent_id"]) for code, v in existing.items()},
                 {code: v["kind"] for code, v in existing.items()})
    for code, row in file.items():
        tree.parent[code] = row["parent"] or None
        tree.kind[code] = row["kind"]
    for code, row in file.items():
        _check_row(code, row, tree, problems)
    _check_stored_children(file, existing, tree, problems)
    return Plan(file, existing, tree)


def _check_row(code: str, row: Row, tree: _Tree, problems: list[ImportProblem]) -> None:
    kind, parent = row["kind"], row["parent"]
    if kind == OrgKind.BRANCH and not row["branch_type"] and row.ok("branch_type"):
        problems.append(row.problem("branch_type", "required", "党支部必须填写支部类型", "a branch needs its branch type"))
    if not row.ok("parent"):
        return
    if not parent:
        if kind == OrgKind.PARTY_GROUP:
            problems.append(row.problem("parent", "required", "党小组必须填写上级组织编码（所在党支部）",
                                        "a party group needs its branch as parent"))
        return
    if parent == code:
        problems.append(row.problem("parent", "parent_cycle", "上级组织不能是自己", "an organization cannot be its own parent"))
    elif parent not in tree.kind:
        problems.append(row.problem("parent", "unknown_org", f"上级组织编码“{parent}”不存在（数据库和本文件中都没有）",
                                    f"parent {parent!r} is neither stored nor in the file"))
    elif kind and tree.kind[parent] and tree.kind[parent] not in ALLOWED_PARENTS[kind]:
        problems.append(row.problem("parent", "wrong_org_kind",
                                    f"上级组织“{parent}”是{_label(tree.kind[parent])}，{_label(kind)}不能隶属于它",
                                    f"a {kind} cannot sit under a {tree.kind[parent]}"))
    else:
        cycle = tree.cycle(code)
        if cycle:
            problems.append(row.problem("parent", "parent_cycle", f"上级组织关系形成循环：{' → '.join(cycle)}",
                                        f"parent cycle: {' -> '.join(cycle)}"))


def _check_stored_children(file: dict[str, Row], existing: dict[str, dict], tree: _Tree,
                           problems: list[ImportProblem]) -> None:
    """A stored organization not in the file must still fit under its parent if the file changes the parent's kind."""
    changed = {code for code, row in file.items() if code in existing and row["kind"] and row["kind"] != existing[code]["kind"]}
    if not changed:
        return
    for code, parent in tree.parent.items():
        if parent not in changed or code in file or not tree.kind[code]:
            continue
        if tree.kind[parent] not in ALLOWED_PARENTS[tree.kind[code]]:
            problems.append(file[parent].problem(
                "kind", "wrong_org_kind",
                f"下级组织“{code}”是{_label(tree.kind[code])}，不能隶属于{_label(tree.kind[parent])}；请先调整下级组织",
                f"stored child {code!r} ({tree.kind[code]}) cannot sit under a {tree.kind[parent]}"))


@dataclass
class Plan:
    file: dict[str, Row]
    existing: dict[str, dict[str, Any]]
    tree: _Tree

    def write(self) -> dict[str, Counts]:
        """Create, move and update, level by level from the top, so a parent always exists before its children."""
        counts = Counts()
        ids = {code: v["id"] for code, v in self.existing.items()}
        paths = {code: (v["path"], v["depth"]) for code, v in self.existing.items()}
        levels: dict[int, list[str]] = defaultdict(list)
        memo: dict[str, int] = {}
        for code in self.file:
            levels[self.tree.depth(code, memo)].append(code)
        updates = []
        for depth in sorted(levels):
            new, moved = [], False
            for code in levels[depth]:
                row, parent = self.file[code], self.file[code]["parent"] or None
                wanted = {f: row[f] for f in FIELDS}
                stored = self.existing.get(code)
                if stored is None:
                    new.append(Organization(code=code, parent_id=ids[parent] if parent else None, **wanted))
                    continue
                parent_id = ids[parent] if parent else None
                if stored["parent_id"] != parent_id:
                    _move(stored["id"], parent_id)
                    moved = True
                if stored["parent_id"] != parent_id or any(stored[f] != wanted[f] for f in FIELDS):
                    updates.append((stored["id"], wanted))
                else:
                    counts.unchanged += 1
            if moved:
                stored = Organization.objects.order_by().values_list("code", "path", "depth")
                paths = {code: (path, d) for code, path, d in stored}
            _create(new, ids, paths)
            counts.created += len(new)
        update_rows(Organization, FIELDS, updates)
        counts.updated = len(updates)
        return {"organizations": counts}


    def branches(self) -> set[int]:
        """None: the tree is not a branch's records (``records.signals``)."""
        return set()


def _move(org_id: int, parent_id: int | None) -> None:
    org = Organization.objects.get(pk=org_id)
    org.move_to(Organization.objects.get(pk=parent_id) if parent_id else None)


def _create(new: list[Organization], ids: dict[str, int], paths: dict[str, tuple[str, int]]) -> None:
    """Insert one level, then give each its path as :meth:`Organization.save` would (the parent's path and its own id)."""
    if not new:
        return
    Organization.objects.bulk_create(new, batch_size=BATCH)
    code_of = {v: k for k, v in ids.items()}
    for org in new:
        parent_path, parent_depth = paths[code_of[org.parent_id]] if org.parent_id else ("", -1)
        org.path, org.depth = f"{parent_path}{org.pk:06d}/", parent_depth + 1
        ids[org.code] = org.pk
        paths[org.code] = (org.path, org.depth)
    update_rows(Organization, ("path", "depth"), [(org.pk, {"path": org.path, "depth": org.depth}) for org in new])
