"""No input breaks a cycle: every rule input is bounded by kind and unit (``scoring.limits``), a total the
column cannot hold is refused before anything is written, the batch scorer never overflows, a dashboard that
meets a bad stored row shows the rest and names the branch, and every API error has the JSON error body.

Each refusal is checked from outside (the page, the API) and from the database: nothing is stored, and the
pages that read the assessment afterwards still answer.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chuangxing.assessments.models import Assessment, Finding, Stage
from chuangxing.web import cycle_stats

from .work_world import WorkWorld, bearer, body

pytestmark = pytest.mark.django_db

BONUS = "zj-bonus-awards"            # 国家级加5分……: no cap in 镇江's text
PENALTY = "zj-penalty-member"        # 每人每次扣1–3分: per person
CAPPED = "zj-org-1-a"                # a per_occurrence rule


@pytest.fixture
def world():
    caches[cycle_stats.CACHE].clear()
    return WorkWorld()


def put(client, a, values: str, auth: dict, version: int | None = None):
    text = f'{{"stage": "self", "version": {a.version if version is None else version}, "values": {values}}}'
    return client.put(f"/api/v1/assessments/{a.pk}/findings", text, content_type="application/json", **auth)


def stored(a: Assessment) -> tuple:
    row = Assessment.objects.filter(pk=a.pk).values_list("version", "self_total").get()
    return row, sorted(Finding.objects.filter(assessment_id=a.pk).values_list("rule_id", "stage", "value"))


def readable(client: Client, world: WorkWorld, a: Assessment) -> None:
    """Every page and endpoint that reads the assessment still answers."""
    client.force_login(world.secretary_a1)
    assert client.get(reverse("web:self_assessment", kwargs={"assessment": a.pk})).status_code == 200
    assert client.get(reverse("web:my_work")).status_code == 200
    client.force_login(world.admin)
    assert client.get(f"/api/v1/cycles/{world.cycle.pk}/assessments").status_code == 200
    assert client.get(f"/api/cycles/{world.cycle.pk}/dashboard/").status_code == 200


@pytest.mark.parametrize(("raw", "code"), [
    ('[{"type": "national", "count": 20000}]', "too_large"),
    ('[{"type": "national", "count": 19999}]', "too_large"),
    ('[{"type": "national", "count": 1e308}]', "too_large"),
    ('[{"type": "national", "count": -3}]', "negative_count"),
    ('[{"type": "national", "count": 2.5}]', "fractional_count"),
    ('[{"type": "national", "count": "NaN"}]', "not_a_number"),
    ('[{"type": "national", "count": {"nested": [[[1]]]}}]', "not_a_number"),
    ('[{"type": "national", "count": 1, "reason": "' + "长" * 2001 + '"}]', "too_long"),
    ("[" + ", ".join(['{"type": "national"}'] * 101) + "]", "too_many"),
])
def test_an_absurd_bonus_count_is_refused_naming_the_rule_and_nothing_is_stored(client, world, raw, code):
    a = world.assessment(world.a1)
    before = stored(a)

    response = put(client, a, f'{{"{BONUS}": {{"value": {raw}}}}}', bearer(world.secretary_a1))

    assert response.status_code == 422, response.content
    error = body(response)["error"]
    assert error["code"] == "findings_invalid"
    assert [(e["code"], e["rule"]) for e in error["errors"]] == [(code, BONUS)]
    assert "近一年，党支部工作" in error["errors"][0]["message"]          # the rule, in the standard's words
    assert stored(a) == before
    readable(client, world, a)


@pytest.mark.parametrize("raw", ["1" + "0" * 30, "1e30", '"1' + "0" * 100000 + '"', "-1", "0.5", '"abc"', "true",
                                 "[1, 2]", '{"a": 1}', '"Infinity"'])
def test_counts_of_any_shape_are_refused_on_a_capped_rule(client, world, raw):
    a = world.assessment(world.a1)
    before = stored(a)

    response = put(client, a, f'{{"{CAPPED}": {{"value": {raw}}}}}', bearer(world.secretary_a1))

    assert response.status_code == 422, response.content[:300]
    assert [e["rule"] for e in body(response)["error"]["errors"]] == [CAPPED]
    assert stored(a) == before


@pytest.mark.parametrize("text", [
    "[" * 100000 + "]" * 100000,                                       # nested past any parser's recursion
    '{"stage": "self", "version": 1' + "0" * 100000 + ', "values": {}}',  # an integer of 100,000 digits
    '{"stage": "self", "version": 0, "values": ' + "{" * 50000 + "}" * 50000 + "}",
    "not json at all",
])
def test_bodies_that_are_not_readable_json_are_400_with_the_error_body(client, world, text):
    a = world.assessment(world.a1)
    before = stored(a)

    response = client.put(f"/api/v1/assessments/{a.pk}/findings", text, content_type="application/json",
                          **bearer(world.secretary_a1))

    assert response.status_code == 400
    assert body(response)["error"]["code"] in ("bad_json", "validation")
    assert body(response)["error"]["message"]
    assert stored(a) == before


@pytest.mark.parametrize("version", ["99999999999999999999999999999", "-1", "1e308"])
def test_a_version_that_no_column_holds_is_refused_not_queried(client, world, version):
    a = world.assessment(world.a1)

    response = put(client, a, "{}", bearer(world.secretary_a1), version=version)

    assert response.status_code == 400
    assert body(response)["error"]["code"] == "validation"


def test_a_total_the_column_cannot_hold_is_refused_before_anything_is_written(client, world):
    """Each input within its bounds, together too much: 10,000 members removed 100 times each, 3 points a time."""
    a = world.assessment(world.a1)
    before = stored(a)
    events = [{"type": "member_removed", "persons": 10000, "count": 100}]

    response = put(client, a, json.dumps({PENALTY: {"value": events}}), bearer(world.secretary_a1))

    assert response.status_code == 422
    error = body(response)["error"]["errors"][0]
    assert error["code"] == "total_out_of_range" and error["rule"] == PENALTY
    assert "超出可保存的范围" in error["message"] and "99999.99" in error["message"]
    assert stored(a) == before
    readable(client, world, a)


def test_the_page_shows_the_bound_at_the_rule_and_saves_nothing(client, world):
    a = world.assessment(world.a1)
    before = stored(a)
    client.force_login(world.secretary_a1)

    response = client.post(reverse("web:self_assessment", kwargs={"assessment": a.pk}), {
        "version": a.version, f"{BONUS}__type_0": "national", f"{BONUS}__count_0": "20000",
        f"{BONUS}__why_0": "省委通报"})

    assert response.status_code == 400
    html = response.content.decode()
    assert "有填写不正确的地方" in html and "确保该值小于或等于100" in html
    assert stored(a) == before
    readable(client, world, a)


# -- a bad row already stored: the rest is shown, the branch is named ---------------------------------
def test_a_dashboard_that_meets_a_bad_stored_row_shows_the_rest_and_names_the_branch(client, world):
    """A finding written before the bounds (or by a restore): the engine refuses it now."""
    good = world.fill_self(world.a2)
    bad = world.fill_self(world.a1)
    Finding.objects.filter(assessment=bad, rule_id=BONUS).delete()
    Finding.objects.create(assessment=bad, stage=Stage.SELF, rule_id=BONUS, value=[{"type": "national", "count": 10**30}])
    client.force_login(world.admin)

    with override_settings(CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                                   "dashboards": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}):
        page = client.get(reverse("web:dashboard", kwargs={"cycle": world.cycle.pk}))
        data = client.get(f"/api/cycles/{world.cycle.pk}/dashboard/").json()

    assert page.status_code == 200
    html = page.content.decode()
    assert "个党支部的评分数据无法计分" in html and "甲一支部" in html
    assert [r["branch"] for r in data["unscored"]] == ["甲一支部"]
    assert data["short_board"]                        # the other branches are still counted
    assert sum(r["branches"] for r in data["short_board"][:1]) == 2       # 甲二支部 and 乙一支部, not 甲一支部
    assert good.pk not in {r["assessment"] for r in data["unscored"]}


def test_the_batch_scorer_refuses_a_count_no_int64_holds_instead_of_overflowing(world):
    from chuangxing.assessments.services import rubric_of
    from chuangxing.scoring.batch import Columns, compile_rubric, score_batch
    from chuangxing.scoring.errors import FindingsInvalid

    plan = compile_rubric(rubric_of(world.assessment(world.a1)))
    for column in ([1, 10**30, 2], [1, 2**63, 2], [[{"type": "national", "count": 10**30}], [], []]):
        rule = BONUS if isinstance(column[0], list) else CAPPED
        with pytest.raises(FindingsInvalid) as refused:
            score_batch(plan, Columns(n=3, inputs={rule: column}))
        assert refused.value.errors[0].rule == rule


# -- every API error has the error body ------------------------------------------------------------
@pytest.mark.parametrize("debug", [False, True])
def test_a_server_error_in_the_api_is_the_json_error_body(world, monkeypatch, debug):
    from chuangxing.web.api.v1 import cycles

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(cycles, "visible_cycles", broken, raising=False)
    monkeypatch.setattr(cycles, "cycle_for", broken)
    client = Client(raise_request_exception=False)
    with override_settings(DEBUG=debug):
        response = client.get(f"/api/v1/cycles/{world.cycle.pk}", **bearer(world.admin))

    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/json")
    assert body(response)["error"]["code"] == "server_error"
    assert "服务器出错" in body(response)["error"]["message"] and "database" not in response.content.decode()


def test_a_server_error_outside_the_ninja_api_is_json_under_api_too(world, monkeypatch):
    from chuangxing.web.views import dashboards

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(dashboards, "dashboard_data", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)

    api = client.get(f"/api/cycles/{world.cycle.pk}/dashboard/")
    page = client.get(reverse("web:dashboard", kwargs={"cycle": world.cycle.pk}))

    assert api.status_code == 500 and body(api)["error"]["code"] == "server_error"
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


# -- fuzzing: whatever is sent, no 500 and nothing stored when refused ---------------------------------
HUGE = st.sampled_from(["1" + "0" * 40, "1" * 5000, "1e308", "-1e308", "NaN", "Infinity", "-0", "1e-30", "0.0000001"])
ODD = st.recursive(
    st.one_of(st.integers(min_value=-(10**40), max_value=10**40), HUGE, st.booleans(), st.none(),
              st.text(max_size=30), st.decimals(allow_nan=False, allow_infinity=False, places=8).map(str)),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(
        ["type", "count", "persons", "points", "reason", "project", "triggered", "x"]), inner, max_size=4)),
    max_leaves=12)
RULES = st.sampled_from([BONUS, PENALTY, CAPPED, "zj-team-1-test", "zj-func-1-d", "zj-guarantee-1", "zj-veto-other",
                         "zj-org-1-c", "zj-team-3-e"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(values=st.dictionaries(RULES, st.fixed_dictionaries({"value": ODD}), min_size=1, max_size=3))
def test_fuzzed_findings_never_give_a_500_and_a_refusal_stores_nothing(client, world, values):
    a = Assessment.objects.get(pk=world.assessment(world.a1).pk)
    before = stored(a)
    auth = bearer(world.secretary_a1)

    def encode(value):
        return json.dumps(value, default=str).replace('"1e308"', "1e308").replace('"-1e308"', "-1e308")

    response = put(client, a, encode(values), auth)

    assert response.status_code in (200, 400, 422), response.content[:500]
    assert "error" in body(response) or response.status_code == 200
    if response.status_code != 200:
        assert stored(a) == before
    else:
        total = Assessment.objects.filter(pk=a.pk).values_list("self_total", flat=True).get()
        assert total is None or abs(total) <= Decimal("99999.99")
    assert client.get(f"/api/v1/assessments/{a.pk}?stage=self", **auth).status_code == 200


def test_the_secretary_opens_a_page_with_a_bad_stored_value_and_puts_it_right(client, world):
    bad = world.fill_self(world.a1)
    Finding.objects.filter(assessment=bad, rule_id=BONUS).delete()
    Finding.objects.create(assessment=bad, stage=Stage.SELF, rule_id=BONUS, value=[{"type": "national", "count": 20000}])
    client.force_login(world.secretary_a1)
    url = reverse("web:self_assessment", kwargs={"assessment": bad.pk})

    shown = client.get(url)

    assert shown.status_code == 200
    html = shown.content.decode()
    assert "已保存的部分内容超出允许的范围" in html and "第 1 个事件的次数过大" in html
    version = Assessment.objects.get(pk=bad.pk).version
    fixed = client.post(url, {"version": version, f"{BONUS}__type_0": "national", f"{BONUS}__count_0": "1",
                              f"{BONUS}__why_0": "中组部表彰"})
    assert fixed.status_code == 302
    assert Finding.objects.get(assessment=bad, stage=Stage.SELF, rule_id=BONUS).value == [
        {"type": "national", "count": 1, "reason": "中组部表彰"}]
    assert "超出允许的范围" not in client.get(url).content.decode()


PAGE_FIELDS = st.sampled_from([f"{BONUS}__count_0", f"{PENALTY}__persons_0", f"{PENALTY}__count_0", "zj-team-1-test__value",
                               "zj-team-3-e__value", "zj-func-2-c__value", "zj-func-1-d__points", f"{BONUS}__why_0"])
PAGE_VALUES = st.one_of(HUGE, st.integers(min_value=-(10**40), max_value=10**40).map(str), st.text(max_size=40),
                        st.sampled_from(["1" * 100000, "-5", "2.5", "[[[[1]]]]", '{"a": 1}', "1e308", "NaN", ""]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                   HealthCheck.too_slow])
@given(posted=st.dictionaries(PAGE_FIELDS, PAGE_VALUES, min_size=1, max_size=4))
def test_fuzzed_page_entries_never_give_a_500_and_a_refusal_stores_nothing(client, world, posted):
    a = Assessment.objects.get(pk=world.assessment(world.a1).pk)
    before = stored(a)
    client.force_login(world.secretary_a1)
    url = reverse("web:self_assessment", kwargs={"assessment": a.pk})
    form = {"version": a.version, f"{BONUS}__type_0": "national", f"{PENALTY}__type_0": "member_removed", **posted}

    response = client.post(url, form)

    assert response.status_code in (302, 400), response.status_code
    if response.status_code == 400:
        assert stored(a) == before
    else:
        total = Assessment.objects.filter(pk=a.pk).values_list("self_total", flat=True).get()
        assert total is None or abs(total) <= Decimal("99999.99")
    assert client.get(url).status_code == 200
