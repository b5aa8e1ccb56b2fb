"""The library of official standards shipped with the system: ``rubric/library/<id>.yaml``.

>>> [e.id for e in list_entries()][:2]
['fujian-2018', 'jiaozuo-2019']
>>> load("zhenjiang-2018").max_total
Decimal('100')
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from chuangxing.rubric import yamlio
from chuangxing.rubric.schema import Rubric

LIBRARY_DIR = Path(__file__).with_name("library")


@dataclass(frozen=True)
class Entry:
    id: str
    title: str
    issuer: str
    year: int
    version: str
    status: str
    family: str | None
    variant_title: str | None
    path: Path


def path_of(rubric_id: str) -> Path | None:
    path = LIBRARY_DIR / f"{rubric_id}.yaml"
    return path if path.is_file() else None


def ids() -> list[str]:
    return sorted(p.stem for p in LIBRARY_DIR.glob("*.yaml"))


def list_entries() -> list[Entry]:
    """The library's standards, read from their headers (each file parsed once while it is unchanged)."""
    return [_entry(rubric_id, (LIBRARY_DIR / f"{rubric_id}.yaml").stat().st_mtime) for rubric_id in ids()]


@lru_cache(maxsize=64)
def _entry(rubric_id: str, mtime: float) -> Entry:
    path = LIBRARY_DIR / f"{rubric_id}.yaml"
    raw = yamlio.parse_yaml(path.read_text(encoding="utf-8"), source=str(path))
    variant = raw.get("variant") or {}
    return Entry(id=raw["id"], title=raw["title"], issuer=raw["issuer"], year=raw["year"],
                 version=str(raw["version"]), status=raw.get("status", "complete"),
                 family=raw.get("family"), variant_title=variant.get("title"), path=path)


@lru_cache(maxsize=64)
def _load(rubric_id: str, mtime: float) -> Rubric:
    from chuangxing.rubric.loader import load_rubric

    return load_rubric(LIBRARY_DIR / f"{rubric_id}.yaml")


def load(rubric_id: str) -> Rubric:
    """A library rubric by id (cached while its file is unchanged); KeyError when unknown."""
    path = path_of(rubric_id)
    if path is None:
        raise KeyError(rubric_id)
    return _load(rubric_id, path.stat().st_mtime)
