"""The people of the deadline-day load test (bench/load_city.py): branch secretaries and committee reviewers.

The driver starts the server and runs, from a second process::

    locust -f bench/locustfile.py --headless -u 100 -r 10 -t 360s --host http://127.0.0.1:8765 \\
        --csv var/bench/load-city.postgres --accounts var/bench/load-city.postgres.accounts.json --warmup 60

Everyone signs in through the real sign-in page (its CSRF token, the password checked by Argon2) and then
works as a browser would: the pages' own forms are read (lxml) and posted back with what changed.

Secretaries (``--secretary-weight``, default 85 of 100 users), each on the self-assessment of one branch
(``draft``, its facts computed from the records), pick one action after each think time:

- ``--w-open`` (2): open the self-assessment page again (the scores, the facts, the audit trail);
- ``--w-fill`` (6): fill ``--rules-min``..``--rules-max`` (3..6) of the rules still blank, one at a time,
  each followed by the live score (POST ``…/self/preview/``, as ``live_score.js`` sends the form) and a
  think time, then save the form (POST ``…/self/`` with the version read, redirected back to the page,
  which is read again, so the next save carries the current version: a 409 here is an error);
  when nothing is blank any more: 完成自评 and 提交 (POST ``…/move/``, each followed by the page), then
  sign out and take the next branch's secretary account;
- ``--w-work`` (1): open 我的工作.

Reviewers (``--reviewer-weight``, default 15), each a 党委 reviewer whose subtree has submitted
assessments (a third of the city was moved to ``submitted`` when the database was prepared):

- ``--w-queue`` (3): open 我的工作, the queue (up to 100 waiting, counts by state);
- ``--w-review`` (4): open the review page of one assessment of the queue;
- ``--w-start`` (1): 开始审核 on a submitted one (POST ``…/move/``, then its review page).

Think time between actions (and between the rules filled before a save): uniform in
``--think-min``..``--think-max`` seconds (2..8). Statistics are reset ``--warmup`` seconds after the start
(the sign-ins of the ramp-up and the cold caches are not counted). Any status other than 2xx/3xx is a
failure, and so is a sign-in or a save that does not redirect, or a move that does not reach its state.

The server runs in production mode behind a (simulated) TLS proxy: each request carries
``X-Forwarded-Proto: https`` and an ``Origin`` as nginx and the browser would send them, and the client's
cookie jar sends the ``Secure`` cookies over the loopback connection as a browser does over HTTPS.
"""

from __future__ import annotations

import json
import random
import re
from collections import deque

import gevent
import lxml.html
from browser_form import form_values  # locust puts the locustfile's folder on sys.path
from locust import HttpUser, events, task
from locust.exception import StopUser
from requests.cookies import RequestsCookieJar

ACCOUNTS: dict = {}
SECRETARIES: deque = deque()


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--accounts", default="", help="the accounts file written by bench/load_city.py")
    parser.add_argument("--warmup", type=float, default=60, help="seconds before the statistics are reset")
    parser.add_argument("--hosts", default="", help="several servers (comma-separated): each user sticks to one")
    parser.add_argument("--think-min", type=float, default=2.0)
    parser.add_argument("--think-max", type=float, default=8.0)
    parser.add_argument("--rules-min", type=int, default=3, help="rules filled before each save, at least")
    parser.add_argument("--rules-max", type=int, default=6)
    parser.add_argument("--secretary-weight", type=int, default=85)
    parser.add_argument("--reviewer-weight", type=int, default=15)
    for name, weight in (("open", 2), ("fill", 6), ("work", 1), ("queue", 3), ("review", 4), ("start", 1)):
        parser.add_argument(f"--w-{name}", type=int, default=weight)


@events.init.add_listener
def _init(environment, **_kwargs) -> None:
    options = environment.parsed_options
    if options is None or not options.accounts:
        return
    with open(options.accounts, encoding="utf-8") as file:
        ACCOUNTS.update(json.load(file))
    SECRETARIES.extend(ACCOUNTS["secretaries"])
    Secretary.weight, Reviewer.weight = options.secretary_weight, options.reviewer_weight


@events.test_start.add_listener
def _warmup(environment, **_kwargs) -> None:
    def reset() -> None:
        gevent.sleep(environment.parsed_options.warmup)
        environment.runner.stats.reset_all()
        print(f"[locustfile] warm-up over after {environment.parsed_options.warmup:.0f} s: statistics reset", flush=True)

    gevent.spawn(reset)


class BrowserCookies(RequestsCookieJar):
    """The browser's side of the TLS proxy: ``Secure`` cookies are sent back over the plain loopback connection."""

    def set_cookie(self, cookie, *args, **kwargs):
        cookie.secure = False
        return super().set_cookie(cookie, *args, **kwargs)


class Person(HttpUser):
    abstract = True

    started = 0

    def on_start(self) -> None:
        self.options = self.environment.parsed_options
        hosts = [h for h in self.options.hosts.split(",") if h] or [self.host]
        self.client.base_url = hosts[Person.started % len(hosts)]      # as a balancer keeps a user on one server
        Person.started += 1
        self.client.cookies = BrowserCookies()
        self.client.headers.update({"X-Forwarded-Proto": "https",
                                    "Origin": self.client.base_url.replace("http://", "https://")})

    def wait_time(self) -> float:
        return random.uniform(self.options.think_min, self.options.think_max)

    def think(self) -> None:
        gevent.sleep(self.wait_time())

    def sign_in(self, username: str) -> None:
        self.client.cookies.clear()
        page = self.client.get("/accounts/login/", name="sign-in page")
        token = _field(page.content, "csrfmiddlewaretoken")
        with self.client.post("/accounts/login/", name="sign in", allow_redirects=False, catch_response=True,
                              data={"csrfmiddlewaretoken": token, "username": username,
                                    "password": ACCOUNTS["password"]}) as response:
            if response.status_code != 302:
                response.failure(f"sign-in of {username} answered {response.status_code}, not a redirect")
                raise StopUser()
        self.client.get("/work/", name="my work")

    def sign_out(self) -> None:
        page = self.client.get("/work/", name="my work")
        token = _field(page.content, "csrfmiddlewaretoken")
        self.client.post("/accounts/logout/", name="sign out", data={"csrfmiddlewaretoken": token}, allow_redirects=False)

    def post_form(self, form, *, name: str, check: str | None = None, url: str | None = None, page_name: str,
                  page_url: str, values: list | None = None) -> bytes | None:
        """Post ``form`` (no redirect followed), then read the page it sends back to as the browser does."""
        data = values if values is not None else form_values(form)
        with self.client.post(url or form.get("action") or page_url, data=data, name=name, allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"{name} answered {response.status_code}, not a redirect")
                return None
        with self.client.get(page_url, name=page_name, catch_response=True) as page:
            if check and check not in page.text:
                page.failure(f"after {name}: the page does not show “{check}”")
                return None
        return page.content


def _field(content: bytes, name: str) -> str:
    found = lxml.html.fromstring(content).xpath(f"//input[@name='{name}']/@value")
    return found[0] if found else ""


def _move_form(doc, action: str):
    forms = doc.xpath(f"//form[contains(concat(' ', @class, ' '), ' move-{action} ')]")
    return forms[0] if forms else None


class Secretary(Person):
    """One branch's secretary at a time, from the accounts file's list (each used once)."""

    weight = 85

    def on_start(self) -> None:
        super().on_start()
        self.take_next()

    def take_next(self) -> None:
        if not SECRETARIES:
            print("[locustfile] no secretary account left: a secretary user stops", flush=True)
            raise StopUser()
        self.account = SECRETARIES.popleft()
        self.url = f"/assessments/{self.account['assessment']}/self/"
        self.sign_in(self.account["username"])
        self.doc = self.open()

    def open(self):
        page = self.client.get(self.url, name="self-assessment page")
        return lxml.html.fromstring(page.content)

    @task
    def act(self) -> None:
        options = self.options
        action = random.choices(["open", "fill", "work"], [options.w_open, options.w_fill, options.w_work])[0]
        if action == "open":
            self.doc = self.open()
        elif action == "work":
            self.client.get("/work/", name="my work")
        else:
            self.fill()

    def fill(self) -> None:
        form = self.doc.get_element_by_id("findings", None)
        if form is None:
            self.doc = self.open()
            return
        values = dict(form_values(form))
        present = set(form.inputs.keys())
        blank = [rule for rule, fields in ACCOUNTS["plan"].items() if _is_blank(present, values, rule, fields)]
        if not blank:
            self.finish()
            return
        preview = form.get("data-preview-url")
        for rule in blank[:random.randint(self.options.rules_min, self.options.rules_max)]:
            for name, value in ACCOUNTS["plan"][rule].items():
                if value is None:
                    values.pop(name, None)
                else:
                    values[name] = value
            self.think()
            with self.client.post(preview, data=values, name="live score", catch_response=True) as response:
                if response.ok and not response.json().get("ok", False):
                    response.failure(f"live score refused: {response.text[:200]}")
        content = self.post_form(form, name="save findings", url=self.url, page_name="self-assessment page",
                                 page_url=self.url, values=list(values.items()), check="已保存")
        if content is not None:
            self.doc = lxml.html.fromstring(content)

    def finish(self) -> None:
        for action, state in (("self_assess", "已自评"), ("submit", "已提交")):
            form = _move_form(self.doc, action)
            if form is None:
                self.environment.events.request.fire(
                    request_type="POST", name=f"move {action}", response_time=0, response_length=0, response=None,
                    context={}, exception=RuntimeError(f"no “{action}” on the page of {self.account['username']}"))
                break
            content = self.post_form(form, name=f"move {action}", page_name="self-assessment page", page_url=self.url,
                                     check=f"“{state}”")
            if content is None:
                break
            self.doc = lxml.html.fromstring(content)
            self.think()
        self.sign_out()
        self.take_next()


def _is_blank(present: set[str], values: dict, rule: str, fields: dict) -> bool:
    """The rule is on this branch's form (``present``: its fields' names) and none of its inputs holds a value yet."""
    if not any(name in present for name in fields):
        return False
    prefix = f"{rule}__"
    return not any(value not in ("", None) for name, value in values.items()
                   if name.startswith(prefix) and not name.endswith(("__reason", "__revert")))


REVIEW_LINK = re.compile(r'href="(/assessments/(\d+)/review/)"')


class Reviewer(Person):
    """A 党委 reviewer: the queue on 我的工作, review pages, 开始审核."""

    weight = 15
    count = 0

    def on_start(self) -> None:
        super().on_start()
        reviewers = ACCOUNTS["reviewers"]
        self.account = reviewers[Reviewer.count % len(reviewers)]
        Reviewer.count += 1
        self.sign_in(self.account["username"])
        self.queue: list[str] = []
        self.open_queue()

    def open_queue(self) -> None:
        page = self.client.get("/work/", name="my work (queue)")
        self.queue = [link for link, _ in REVIEW_LINK.findall(page.text)]

    @task
    def act(self) -> None:
        options = self.options
        action = random.choices(["queue", "review", "start"], [options.w_queue, options.w_review, options.w_start])[0]
        if action == "queue" or not self.queue:
            self.open_queue()
            return
        url = random.choice(self.queue)
        page = self.client.get(url, name="review page")
        if action == "start":
            form = _move_form(lxml.html.fromstring(page.content), "start_review")
            if form is not None:          # already started by this reviewer (or another): only the page was read
                self.think()
                self.post_form(form, name="move start_review", page_name="review page", page_url=url, check="“审核中”")
