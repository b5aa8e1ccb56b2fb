"""What one request of the deadline-day mix costs the server: CPU per request type, in one process (not a test).

    python bench/request_cpu.py                       # load_city.py's 30,000-branch PostgreSQL database
    python bench/request_cpu.py --branches 300 --db sqlite --repeat 20
    python bench/request_cpu.py --profile self_page   # cProfile of one request type: the top 40 by own and by total time

The load test (``load_city.py``) says how long people wait; this says where the server's time goes, one request
at a time, with nothing else running: the database ``load_city.py --prepare-only`` made (copied, never written
to: SQLite with the online backup API, PostgreSQL as ``CREATE DATABASE … TEMPLATE bench_load``), Django's test
client in production settings (DEBUG off, the database cache), signed in as one of its secretaries and
reviewers. Per request type: the median and best process CPU (``time.thread_time``) and wall over
``--repeat`` requests after two warm-up ones, and the queries each made.

- ``self_page``: GET the self-assessment page of a draft branch;
- ``live_score``: POST the form with one rule changed to ``…/self/preview/`` (as ``live_score.js`` does);
- ``save``: POST the form with one rule changed (then the same rule back, so every save changes something);
- ``my_work``: GET 我的工作 as the secretary;
- ``review_page``: GET the review page of a submitted assessment as a reviewer of its committee;
- ``reviewing_page``: the same page once the reviewer has started the review (开始审核): every rule an input.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import load_city  # noqa: E402  (the prepared databases and their accounts)

KINDS = ("self_page", "live_score", "save", "my_work", "review_page", "reviewing_page")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--branches", type=int, default=load_city.DEFAULT_BRANCHES)
    parser.add_argument("--db", default="postgres", choices=("sqlite", "postgres"))
    parser.add_argument("--pg", default=load_city.PG_SERVER)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--only", default=",".join(KINDS), help="which request types")
    parser.add_argument("--profile", choices=KINDS, help="cProfile this request type instead of timing all")
    parser.add_argument("--top", type=int, default=40)
    return parser.parse_args()


def copy_database(args: argparse.Namespace) -> str:
    """A fresh copy of the prepared database, as load_city.py makes for each run."""
    ns = argparse.Namespace(branches=args.branches, pg=args.pg)
    if not Path(load_city.accounts_path(ns, args.db)).exists():
        raise SystemExit(f"not prepared: python bench/load_city.py --branches {args.branches} --only {args.db} "
                         "--prepare-only")
    source, target = load_city.prepared_url(ns, args.db), load_city.prepared_url(ns, args.db, run=True)
    target = target.replace("load-city", "request-cpu").replace("bench_load_run", "bench_request_cpu")
    load_city.copy_database(ns, args.db, source, target)
    return target


def setup(url: str) -> None:
    os.environ["CHUANGXING_ALLOWED_HOSTS"] = "testserver"      # the test client's host
    load_city._django(url)
    from django.core.management import call_command

    call_command("createcachetable", verbosity=0)


class Session:
    """One person signed in through the test client, with the CSRF token a browser would send."""

    def __init__(self, username: str, password: str):
        from django.test import Client

        self.client = Client(enforce_csrf_checks=True)
        page = self.client.get("/accounts/login/")
        self.token = page.cookies["csrftoken"].value if "csrftoken" in page.cookies else \
            self.client.cookies["csrftoken"].value
        response = self.client.post("/accounts/login/", {"username": username, "password": password,
                                                         "csrfmiddlewaretoken": self.token})
        if response.status_code != 302:
            raise SystemExit(f"{username} could not sign in ({response.status_code})")
        self.token = self.client.cookies["csrftoken"].value

    def get(self, url: str):
        return self.client.get(url)

    def post(self, url: str, data: dict):
        """Urlencoded, as the page's form and live_score.js post."""
        body = urlencode({**data, "csrfmiddlewaretoken": self.token}, doseq=True)
        return self.client.post(url, body, content_type="application/x-www-form-urlencoded")


def form_of(html: bytes, form_id: str) -> dict[str, list[str]]:
    """The fields a browser would post from the page's form, as the locustfile reads them."""
    from browser_form import form_values
    from lxml import html as lhtml

    data: dict[str, list[str]] = {}
    for name, value in form_values(lhtml.fromstring(html).get_element_by_id(form_id)):
        data.setdefault(name, []).append(value)
    return data


def requests(args: argparse.Namespace, accounts: dict) -> tuple[dict, int]:
    """Each request type's (prepare, send, expected status), and the secretary's assessment."""
    from chuangxing.assessments.models import Assessment, State

    secretary = next(s for s in accounts["secretaries"]
                     if Assessment.objects.filter(pk=s["assessment"], state=State.DRAFT).exists())
    sec = Session(secretary["username"], accounts["password"])
    pk = secretary["assessment"]
    page_url, preview_url = f"/assessments/{pk}/self/", f"/assessments/{pk}/self/preview/"
    blank = form_of(sec.get(page_url).content, "findings")      # a rule still blank on the form: typed, then cleared
    fields = next(fields for fields in accounts["plan"].values()
                  if all(blank.get(name, [""]) == [""] for name in fields) and any(name in blank for name in fields))

    def filled() -> dict[str, list[str]]:
        """The page's form with the rule typed in when it is blank on the page, cleared when it is not."""
        data = form_of(sec.get(page_url).content, "findings")
        typing = all(data.get(name, [""]) == [""] for name in fields)
        for name, value in fields.items():
            data.pop(name, None)
            if typing and value is not None:
                data[name] = [value]
        return data

    reviewer = accounts["reviewers"][0]
    rev = Session(reviewer["username"], accounts["password"])
    queued = Assessment.objects.filter(state=State.SUBMITTED, branch__parent__parent_id=reviewer["committee"]) \
        .values_list("pk", flat=True).first() or Assessment.objects.filter(
        state=State.SUBMITTED, branch__parent_id=reviewer["committee"]).values_list("pk", flat=True).first()
    from django.contrib.auth import get_user_model

    from chuangxing.assessments import services

    reviewing = Assessment.objects.filter(state=State.SUBMITTED, branch__parent__parent_id=reviewer["committee"]) \
        .exclude(pk=queued).values_list("pk", flat=True).first() or queued
    services.transition(assessment=Assessment.objects.get(pk=reviewing), action="start_review",
                        by=get_user_model().objects.get(username=reviewer["username"]))
    return {
        "self_page": (lambda: None, lambda _: sec.get(page_url), 200),
        "live_score": (filled, lambda data: sec.post(preview_url, data), 200),
        "save": (filled, lambda data: sec.post(page_url, data), 302),
        "my_work": (lambda: None, lambda _: sec.get("/work/"), 200),
        "review_page": (lambda: None, lambda _: rev.get(f"/assessments/{queued}/review/"), 200),
        "reviewing_page": (lambda: None, lambda _: rev.get(f"/assessments/{reviewing}/review/"), 200),
    }, pk


def main() -> int:
    args = parse_args()
    ns = argparse.Namespace(branches=args.branches, pg=args.pg)
    accounts = json.loads(Path(load_city.accounts_path(ns, args.db)).read_text())
    url = copy_database(args)
    try:
        setup(url)
        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext

        table, assessment = requests(args, accounts)
        kinds = [args.profile] if args.profile else args.only.split(",")
        results = {}
        for kind in kinds:
            prepare, send, status = table[kind]
            cpu, wall, queries = [], [], []
            profiler = cProfile.Profile() if args.profile else None
            for i in range(args.repeat + 2):
                data = prepare()
                reset_queries()
                with CaptureQueriesContext(connection) as captured:
                    c0, w0 = time.thread_time(), time.perf_counter()
                    if profiler and i >= 2:
                        profiler.enable()
                    response = send(data)
                    if profiler:
                        profiler.disable()
                    c1, w1 = time.thread_time(), time.perf_counter()
                if response.status_code != status:
                    raise SystemExit(f"{kind}: {response.status_code}, expected {status}")
                if i >= 2:
                    cpu.append((c1 - c0) * 1000)
                    wall.append((w1 - w0) * 1000)
                    queries.append(len(captured))
            if kind == "save":          # each save changed one finding: its audit entry says it was written
                from chuangxing.assessments.models import AuditEntry

                written = AuditEntry.objects.filter(assessment=assessment, action="finding_self").count()
                if written < args.repeat + 2:
                    raise SystemExit(f"save: {written} findings written by {args.repeat + 2} saves")
            if profiler:
                pstats.Stats(profiler).sort_stats("tottime").print_stats(args.top)
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(args.top)
            results[kind] = {"cpu_ms": round(statistics.median(cpu), 1), "cpu_best_ms": round(min(cpu), 1),
                             "wall_ms": round(statistics.median(wall), 1), "queries": max(queries)}
            print(f"{kind:12} CPU median {results[kind]['cpu_ms']:6.1f} ms (best {results[kind]['cpu_best_ms']:6.1f})"
                  f"  wall {results[kind]['wall_ms']:6.1f} ms  queries {results[kind]['queries']}", flush=True)
        print(json.dumps({"db": args.db, "branches": args.branches, "repeat": args.repeat, "results": results}))
    finally:
        from django.db import connections

        connections.close_all()
        load_city.drop_database(ns, args.db, url)
    return 0


if __name__ == "__main__":
    sys.exit(main())
