"""Benchmark: a branch's records pages (members, meetings, dues by month), a page at a time, for a big branch.

    python bench/records_pages.py                          # 2,000 members on SQLite (var/bench/records-2000.sqlite3)
    python bench/records_pages.py --members 3000 --runs 20
    python bench/records_pages.py --postgres postgres://postgres@127.0.0.1:5432/bench_records

The database is built once (and reused): the demo city of one branch, then that branch grows to
``--members`` members (a tenth of them activists, a few transferred out) with a year of monthly dues
(every party member, one month in eight unpaid) and 150 meetings of the year. Each page is then
requested through Django's test client as the branch's secretary, ``--runs`` times after one warm-up
request. Printed in milliseconds: the wall-clock median and 95th percentile, the median CPU time of
this process (the figure to compare on a shared machine; with PostgreSQL the server's own work is
not in it), and the size of the answer. Pages: the members' first and last page, the meetings' first
page and one kind, the dues grid's first and last page (100 members x 12 months a page).

Run it with the checkout's sources first on the path (``PYTHONPATH=src``), as the other benchmarks
run in the checkout's ``.venv``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "bench"
YEAR = 2026


def setup(database_url: str) -> None:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chuangxing.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)


def prepare(members: int) -> None:
    """The branch and its records, unless a branch of ``members`` members is already there."""
    from chuangxing.orgs.models import Member, Organization, OrgKind

    branch = Organization.objects.filter(kind=OrgKind.BRANCH).first()
    if branch is not None and Member.objects.filter(branch=branch).count() >= members:
        return
    started = time.perf_counter()
    from chuangxing.demo.city import build_demo_city

    if branch is None:
        build_demo_city(branches=1, seed=2026, year=YEAR)
        branch = Organization.objects.get(kind=OrgKind.BRANCH)
    _grow(branch, members)
    print(f"  built a branch of {members} members in {time.perf_counter() - started:.0f} s", flush=True)


def _grow(branch, members: int) -> None:
    from django.contrib.auth import get_user_model

    from chuangxing.assessments.models import Role, RoleAssignment
    from chuangxing.orgs.models import Member, MemberCategory
    from chuangxing.records.models import Dues, Meeting, MeetingKind

    have = Member.objects.filter(branch=branch).count()
    added = Member.objects.bulk_create(
        (Member(branch=branch, number=f"BENCH-{i:05d}", name=f"党员{i:05d}",
                category=MemberCategory.ACTIVIST if i % 10 == 0 else MemberCategory.FULL,
                joined_party_on=date(2000 + i % 25, 7, 1),
                left_branch_on=date(YEAR, 9, 30) if i % 97 == 0 else None)
         for i in range(members - have)), batch_size=1000)
    party = [m for m in added if m.category != MemberCategory.ACTIVIST]
    Dues.objects.bulk_create(
        (Dues(member=m, month=date(YEAR, month, 1), amount_due=Decimal("20.00"),
              amount_paid=Decimal("0") if (m.pk + month) % 8 == 0 else Decimal("20.00"),
              paid_on=None if (m.pk + month) % 8 == 0 else date(YEAR, month, 10))
         for m in party for month in range(1, 13)), batch_size=2000, ignore_conflicts=True)
    kinds = list(MeetingKind.values)
    Meeting.objects.bulk_create(
        (Meeting(branch=branch, key=f"BENCH-{YEAR}-{i:03d}", kind=kinds[i % len(kinds)],
                 held_on=date(YEAR, 1 + i % 12, 1 + i % 28), topic=f"第 {i} 次组织生活", expected=members, present=members - i)
         for i in range(150)), batch_size=500, ignore_conflicts=True)
    user, _ = get_user_model().objects.get_or_create(username="bench-secretary")
    RoleAssignment.objects.get_or_create(user=user, role=Role.SECRETARY, organization=branch)


def pages(branch) -> list[tuple[str, str]]:
    from django.urls import reverse

    from chuangxing.orgs.models import Member
    from chuangxing.records.models import MeetingKind

    members = reverse("web:member_list", kwargs={"branch": branch.pk})
    meetings = reverse("web:meeting_list", kwargs={"branch": branch.pk})
    dues = reverse("web:dues_grid", kwargs={"branch": branch.pk})
    count = Member.objects.filter(branch=branch).count()
    return [("members, page 1", members), (f"members, last page ({count} members)", f"{members}?page=9999"),
            ("meetings, page 1", meetings), ("meetings of one kind", f"{meetings}?kind={MeetingKind.values[0]}"),
            ("dues grid, page 1", f"{dues}?year={YEAR}"), ("dues grid, last page", f"{dues}?year={YEAR}&page=9999")]


def measure(runs: int) -> list[tuple[str, float, float, float, int]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from chuangxing.orgs.models import Organization, OrgKind

    client = Client()
    client.force_login(get_user_model().objects.get(username="bench-secretary"))
    branch = Organization.objects.get(kind=OrgKind.BRANCH)
    figures = []
    for label, url in pages(branch):
        size = len(_get(client, url))                       # warm-up: templates, URL resolver, first queries
        times, cpu = [], []
        for _ in range(runs):
            started, started_cpu = time.perf_counter(), time.process_time()
            _get(client, url)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        times.sort()
        p95 = times[min(len(times) - 1, round(0.95 * (len(times) - 1)))]
        figures.append((label, statistics.median(times), p95, statistics.median(cpu), size))
    return figures


def _get(client, url: str) -> bytes:
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"{url}: HTTP {response.status_code}")
    return response.content


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database to build and measure in")
    args = parser.parse_args()
    CACHE.mkdir(parents=True, exist_ok=True)
    setup(args.postgres or f"sqlite:///{CACHE / f'records-{args.members}.sqlite3'}")
    prepare(args.members)
    from django.db import connection

    print(f"{connection.vendor}, a branch of {args.members} members, {args.runs} runs a page (ms)")
    print(f"{'page':<40} {'median':>8} {'p95':>8} {'CPU':>8} {'KB':>6}")
    for label, median, p95, cpu, size in measure(args.runs):
        print(f"{label:<40} {median:>8.1f} {p95:>8.1f} {cpu:>8.1f} {size / 1024:>6.0f}")


if __name__ == "__main__":
    main()
