"""What the importers share: keyed look-ups in chunks, duplicate keys, the organization index, the diff.

Every importer works the same way: read the existing rows for the file's keys (a few queries per
kind, never one per row), report what is wrong, then compute the :class:`Changes` and write them
with ``bulk_create`` / ``bulk_update`` in batches.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections, models, router

from chuangxing.orgs.models import Organization, OrgKind
from chuangxing.records.imports.problems import Counts, ImportProblem
from chuangxing.records.imports.sheets import Row

CHUNK = 2000          # keys per ``__in`` query (well under SQLite's and PostgreSQL's parameter limits)
BATCH = 1000          # rows per bulk_create / bulk_update statement


def fetch_in(queryset: models.QuerySet, field_name: str, keys: Iterable[Any]) -> Iterator[Any]:
    """``queryset`` filtered on ``field_name__in=keys``, in chunks of :data:`CHUNK` keys."""
    keys = list(keys)
    for start in range(0, len(keys), CHUNK):
        yield from queryset.filter(**{f"{field_name}__in": keys[start:start + CHUNK]})


def unique_rows(rows: Iterable[Row], *, key: Callable[[Row], Hashable], fields: tuple[str, ...], label: str,
                problems: list[ImportProblem]) -> dict[Hashable, Row]:
    """The first row for each key; each later row with the same key is a ``duplicate_key`` problem.

    Rows whose key fields could not be read are left out (their problem is already reported).
    """
    first: dict[Hashable, Row] = {}
    for row in rows:
        if not row.ok(*fields) or any(row[f] in (None, "") for f in fields):
            continue
        value = key(row)
        if value in first:
            shown = "、".join(_shown(row, f) for f in fields)
            problems.append(row.problem(fields[-1], "duplicate_key",
                                        f"{label}“{shown}”在本文件中重复（第 {first[value].number} 行已有）",
                                        f"duplicate key {value!r} (first at row {first[value].number})"))
        else:
            first[value] = row
    return first


def _shown(row: Row, field_name: str) -> str:
    column = next(c for c in row.layout.spec.columns if c.field == field_name)
    return str(column.cell.render(row[field_name]))


@dataclass(frozen=True)
class OrgInfo:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None


@dataclass
class OrgIndex:
    """Every organization by code and by id: one query, enough to check any reference in a file."""

    by_code: dict[str, OrgInfo]
    by_id: dict[int, OrgInfo]

    @classmethod
    def load(cls) -> OrgIndex:
        infos = [OrgInfo(*values) for values in
                 Organization.objects.order_by().values_list("id", "code", "name", "kind", "parent_id")]
        return cls({o.code: o for o in infos}, {o.id: o for o in infos})

    def branch(self, row: Row, field_name: str, problems: list[ImportProblem]) -> OrgInfo | None:
        """The 党支部 ``row[field_name]`` names, or None with a problem."""
        code = row[field_name]
        org = self.by_code.get(code)
        if org is None:
            problems.append(row.problem(field_name, "unknown_org", f"党支部编码“{code}”不存在，请先导入组织",
                                        f"no organization with code {code!r}"))
            return None
        if org.kind != OrgKind.BRANCH:
            problems.append(row.problem(field_name, "wrong_org_kind",
                                        f"“{code}”（{org.name}）是{OrgKind(org.kind).label}，不是党支部",
                                        f"{code!r} is a {org.kind}, not a branch"))
            return None
        return org

    def group(self, row: Row, field_name: str, branch: OrgInfo | None, problems: list[ImportProblem]) -> OrgInfo | None:
        """The 党小组 ``row[field_name]`` names (None when empty), which must belong to ``branch``."""
        code = row[field_name]
        if not code or branch is None:
            return None
        org = self.by_code.get(code)
        if org is None:
            problems.append(row.problem(field_name, "unknown_org", f"党小组编码“{code}”不存在，请先导入组织",
                                        f"no organization with code {code!r}"))
        elif org.kind != OrgKind.PARTY_GROUP:
            problems.append(row.problem(field_name, "wrong_org_kind",
                                        f"“{code}”（{org.name}）是{OrgKind(org.kind).label}，不是党小组",
                                        f"{code!r} is a {org.kind}, not a party group"))
        elif org.parent_id != branch.id:
            problems.append(row.problem(field_name, "group_not_in_branch",
                                        f"党小组“{code}”不属于党支部“{branch.code}”（{branch.name}）",
                                        f"group {code!r} is not under branch {branch.code!r}"))
        else:
            return org
        return None


@dataclass
class Changes:
    """What writing a kind will do: rows to create, rows to update (by the fields that changed), rows left as they are."""

    model: type[models.Model]
    fields: tuple[str, ...]
    create: list[dict[str, Any]] = field(default_factory=list)
    update: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    unchanged: int = 0

    def add(self, existing: dict[str, Any] | None, wanted: dict[str, Any]) -> bool:
        """Compare ``wanted`` (field → value) with ``existing`` (the stored values, with ``id``; None: new);
        True when the row will be written."""
        if existing is None:
            self.create.append(wanted)
            return True
        changed = tuple(f for f in self.fields if existing[f] != wanted[f])
        if changed:
            self.update.setdefault(changed, []).append((existing["id"], wanted))
        else:
            self.unchanged += 1
        return bool(changed)

    def write(self) -> Counts:
        created = self.model.objects.bulk_create([self.model(**values) for values in self.create], batch_size=BATCH)
        for changed, rows in self.update.items():
            update_rows(self.model, changed, rows)
        return Counts(created=len(created), updated=sum(len(rows) for rows in self.update.values()), unchanged=self.unchanged)


def update_rows(model: type[models.Model], fields: tuple[str, ...], rows: list[tuple[int, dict[str, Any]]]) -> None:
    """Set ``fields`` of each ``(id, values)`` row: on PostgreSQL one ``UPDATE … FROM (VALUES …)`` per batch,
    elsewhere one prepared ``UPDATE … WHERE id = %s`` run through ``executemany``.

    Django's ``bulk_update`` builds one ``CASE WHEN id = … THEN …`` per field over the whole batch,
    which the database evaluates row by row: 100,000 changed rows took minutes. These take seconds, as
    long as only the fields that changed are set (setting an unchanged key or foreign key column still
    costs its index and constraint checks: 60 times slower on SQLite). Values go through each field's
    ``get_db_prep_save``, as the ORM would.
    """
    if not rows:
        return
    connection = connections[router.db_for_write(model)]
    quote = connection.ops.quote_name
    columns = [model._meta.get_field(name) for name in fields]
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)

    def params(batch: list[tuple[int, dict[str, Any]]]) -> list[list[Any]]:
        return [[pk_value] + [f.get_db_prep_save(values[f.name] if f.name in values else values[f.attname], connection)
                              for f in columns] for pk_value, values in batch]

    with connection.cursor() as cursor:
        for start in range(0, len(rows), BATCH):
            batch = params(rows[start:start + BATCH])
            if connection.vendor == "postgresql":
                casts = [model._meta.pk.rel_db_type(connection)] + [f.db_type(connection) for f in columns]
                row_sql = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
                names = ", ".join(["_pk"] + [quote(f.column) for f in columns])
                sets = ", ".join(f"{quote(f.column)} = v.{quote(f.column)}" for f in columns)
                cursor.execute(f"UPDATE {table} SET {sets} FROM (VALUES {', '.join([row_sql] * len(batch))}) AS v({names}) "
                               f"WHERE {table}.{pk} = v._pk", [value for row in batch for value in row])
            else:
                sets = ", ".join(f"{quote(f.column)} = %s" for f in columns)
                cursor.executemany(f"UPDATE {table} SET {sets} WHERE {pk} = %s", [row[1:] + row[:1] for row in batch])
