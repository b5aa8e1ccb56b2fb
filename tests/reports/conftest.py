"""Helpers for the report tests: a cycle built straight in the database, PDFs looked at as a person would.

The cycle is made without ``open_cycle`` (which also computes facts from records these branches do
not have): organizations, a cycle pinning the rubric snapshot, one assessment per branch; then
``demo.reviewed.review_all`` generates self and review findings, and :func:`finalize` announces and
finalizes the cycle with the publicity services, as an admin would.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from tests.conftest import ARTIFACTS, in_ci


# -- PDFs -----------------------------------------------------------------------------------------------
def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"needs {name} (apt-get install poppler-utils)"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


def pdf_text(content: bytes, tmp_path: Path) -> str:
    """The PDF's text layer (pdftotext, layout kept), after checking that every page renders to PNG."""
    for page in pdf_pages(content, tmp_path, name="look", dpi=20):
        assert_png(page, minimum=200)
    source = tmp_path / "text.pdf"
    source.write_bytes(content)
    return subprocess.run([_tool("pdftotext"), "-layout", str(source), "-"], capture_output=True, check=True,
                          text=True).stdout


def pdf_pages(content: bytes, tmp_path: Path, *, name: str = "page", dpi: int = 50, keep: bool = False) -> list[Path]:
    """Every page rendered to PNG by pdftoppm (poppler: a real renderer); ``keep`` also copies them to
    test-artifacts/reports/ for a person to look at."""
    source = tmp_path / f"{name}.pdf"
    source.write_bytes(content)
    for earlier in tmp_path.glob(f"{name}-*.png"):
        earlier.unlink()
    subprocess.run([_tool("pdftoppm"), "-r", str(dpi), "-png", str(source), str(tmp_path / name)], check=True,
                   capture_output=True)
    pages = sorted(tmp_path.glob(f"{name}-*.png"))
    assert pages, "pdftoppm rendered no page"
    if keep:
        folder = ARTIFACTS / "reports"
        folder.mkdir(parents=True, exist_ok=True)
        for page in pages:
            shutil.copy(page, folder / page.name)
    return pages


def pdf_fonts(content: bytes, tmp_path: Path) -> str:
    source = tmp_path / "fonts.pdf"
    source.write_bytes(content)
    return subprocess.run([_tool("pdffonts"), str(source)], capture_output=True, check=True, text=True).stdout


def fonts_drawn(content: bytes) -> set[str]:
    """The base font names the PDF's page content actually draws with (its ``Tf`` operators)."""
    names = {m.group(1).decode(): int(m.group(2)) for m in re.finditer(rb"/(F[\w+]+) (\d+) 0 R", content)}
    bases = {}
    for name, number in names.items():
        found = re.search(rb"\n%d 0 obj\s*<<(.*?)>>" % number, content, re.S)
        base = re.search(rb"/BaseFont /([\w+-]+)", found.group(1)) if found else None
        bases[name] = base.group(1).decode() if base else name
    used = set()
    for match in re.finditer(rb"/Filter \[ /ASCII85Decode /FlateDecode \] /Length (\d+)\s*>>\s*stream\r?\n", content):
        data = content[match.end():match.end() + int(match.group(1))]
        text = zlib.decompress(base64.a85decode(data.strip().removesuffix(b"~>")))
        used |= {bases.get(n.decode(), n.decode()) for n in re.findall(rb"/(F[\w+]+) [\d.]+ Tf", text)}
    return used


def assert_png(path: Path, *, minimum: int = 1000) -> None:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > minimum, path


# -- a cycle --------------------------------------------------------------------------------------------
@dataclass
class CycleWorld:
    root: object
    committees: list
    branches: list
    cycle: object
    users: dict = field(default_factory=dict)

    def assessment(self, branch):
        from chuangxing.assessments.models import Assessment

        return Assessment.objects.select_related("cycle", "branch__parent", "snapshot").get(cycle=self.cycle, branch=branch)


BRANCH_TYPES = ("organ", "soe", "community", "rural", "private", "social")


def build_world(rubric_id: str = "jiaozuo-2019", *, per_committee: int = 3, seed: int = 7) -> CycleWorld:
    from chuangxing.assessments.models import Assessment, Cycle, CycleStatus, Role, RubricSnapshot
    from chuangxing.assessments.services import sheet_of, snapshot_source
    from chuangxing.demo.reviewed import review_all
    from chuangxing.orgs.models import CommitteePost, CommitteeTerm, Duty, Member, Organization, OrgKind
    from chuangxing.rubric import library

    root = Organization.objects.create(code="root", name="市直机关工委", kind=OrgKind.WORK_COMMITTEE)
    committees, branches = [], []
    for c, name in enumerate(("市财政局机关党委", "市教育局机关党委")):
        committee = Organization.objects.create(code=f"C{c}", name=name, kind=OrgKind.PARTY_COMMITTEE, parent=root)
        committees.append(committee)
        for b in range(per_committee):
            branch = Organization.objects.create(
                code=f"B{c}{b}", name=f"{name[:4]}第{b + 1}党支部", kind=OrgKind.BRANCH, parent=committee,
                branch_type=BRANCH_TYPES[(c * per_committee + b) % len(BRANCH_TYPES)], contact_phone=f"0391-35{c}{b}123")
            member = Member.objects.create(branch=branch, number=f"M{c}{b}", name=f"书记{c}{b}号")
            term = CommitteeTerm.objects.create(branch=branch, elected_on=date(2024, 3, 1))
            CommitteePost.objects.create(term=term, member=member, duty=Duty.SECRETARY, started_on=date(2024, 3, 1))
            branches.append(branch)
    cycle = Cycle.objects.create(name="2026年度达标创星", root=root, rubric_id=rubric_id, period_start=date(2025, 12, 16),
                                 period_end=date(2026, 12, 15), status=CycleStatus.OPEN)
    snapshot = RubricSnapshot.objects.create(cycle=cycle, rubric_id=rubric_id, version=library.load(rubric_id).version,
                                             source=snapshot_source(rubric_id))
    Assessment.objects.bulk_create([Assessment(cycle=cycle, branch=b, snapshot=snapshot) for b in branches])
    review_all(cycle=cycle, seed=seed, defect_rate=Decimal("0.15"))
    for assessment in Assessment.objects.filter(cycle=cycle).select_related("cycle", "snapshot", "branch"):
        Assessment.objects.filter(pk=assessment.pk).update(self_total=sheet_of(assessment, stage="self").total)
    users = {"admin": _user("admin", (Role.ADMIN, root)), "reviewer": _user("reviewer", (Role.REVIEWER, committees[0])),
             "secretary": _user("secretary", (Role.SECRETARY, branches[0]))}
    return CycleWorld(root, committees, branches, cycle, users)


def _user(name: str, *roles):
    from django.contrib.auth import get_user_model

    from chuangxing.assessments.models import RoleAssignment

    user = get_user_model().objects.create_user(username=name)
    for role, org in roles:
        RoleAssignment.objects.create(user=user, role=role, organization=org)
    return user


def finalize(world: CycleWorld) -> None:
    """Announce and finalize the cycle the way an admin does (notice in December, finalized after it)."""
    from django.utils import timezone

    from chuangxing.assessments.publicity import announce
    from chuangxing.assessments.publicity import finalize as finalize_cycle

    admin = world.users["admin"]
    announce(cycle=world.cycle, title="达标创星结果公示", starts_on=date(2026, 12, 16), ends_on=date(2026, 12, 22), by=admin)
    finalize_cycle(cycle=world.cycle, by=admin, now=timezone.make_aware(datetime(2026, 12, 23, 9, 0)))


def veto(world: CycleWorld, branch, rule_id: str = "zj-veto-secretary", reason: str = "书记空缺半年") -> None:
    """A review finding that one veto holds for ``branch`` (before finalization)."""
    from chuangxing.assessments.models import Finding, Stage

    Finding.objects.update_or_create(assessment=world.assessment(branch), stage=Stage.REVIEW, rule_id=rule_id,
                                     defaults={"value": True, "reason": reason})


@pytest.fixture
def cycle_world(db) -> CycleWorld:
    return build_world()


@pytest.fixture
def finalized_world(cycle_world) -> CycleWorld:
    veto(cycle_world, cycle_world.branches[-1])
    finalize(cycle_world)
    return cycle_world
