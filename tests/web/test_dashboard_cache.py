"""The dashboards' cache (``web/cycle_stats.py``): the cached figures are the computed ones, every change
through the services shows at once, and a cache hit never lets anyone past the permission check."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import caches
from django.test import Client, override_settings
from django.utils import timezone

from chuangxing.assessments import lists, publicity, sampling, services
from chuangxing.assessments.models import Assessment, Cycle, Role, Stage, State
from chuangxing.web import cycle_stats

from .cycle_world import CycleWorld, make_user

pytestmark = pytest.mark.django_db

NO_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
            "dashboards": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
RULE, INDICATOR = "zj-func-2-b", "zj-func-2"       # 未有载体或方法的扣6分, under 服务群众


@pytest.fixture
def world():
    caches[cycle_stats.CACHE].clear()
    return CycleWorld()


@pytest.fixture
def admin(world):
    client = Client()
    client.force_login(world.admin)
    return client


def urls(cycle: Cycle, indicator: str = INDICATOR) -> list[str]:
    return [f"/api/cycles/{cycle.pk}/dashboard/", f"/api/cycles/{cycle.pk}/dashboard/short-board/{indicator}/"]


def served(client: Client, cycle: Cycle, indicator: str = INDICATOR) -> list[dict]:
    responses = [client.get(url) for url in urls(cycle, indicator)]
    assert [r.status_code for r in responses] == [200, 200]
    return [r.json() for r in responses]


def fresh(client: Client, cycle: Cycle, indicator: str = INDICATOR) -> list[dict]:
    """The same endpoints with no cache at all: everything computed for this request."""
    with override_settings(CACHES=NO_CACHE):
        return served(client, cycle, indicator)


def lost_on(data: list[dict]) -> str:
    return next(r["lost"] for r in data[0]["short_board"] if r["indicator"] == INDICATOR)


def counts(data: list[dict]) -> dict[str, int]:
    return {c["state"]: c["count"] for c in data[0]["progress"]["counts"]}


def test_the_cached_dashboard_is_the_computed_one(admin, world):
    cycle = world.open(targets=[{"scheme": "stars", "at_least": "three", "share": "0.5", "text": ""}])
    world.reviewed()
    top = cycle_stats.short_board(cycle)[0]["indicator"]
    first = served(admin, cycle, top)
    assert caches[cycle_stats.CACHE].get(f"cycle-stats:{cycle_stats.stamp(cycle)}:short_board") is not None
    again = served(admin, cycle, top)
    assert first == again == fresh(admin, cycle, top)
    assert first[1]["rows"] and first[0]["distribution"] and first[0]["progress"]["counts"]


def test_a_hit_answers_without_scoring_again(admin, world, monkeypatch):
    cycle = world.open()
    world.reviewed()
    served(admin, cycle)
    monkeypatch.setattr(cycle_stats, "_groups", lambda *a, **k: pytest.fail("scored again on a cache hit"))
    assert served(admin, cycle)[0]["short_board"]


def test_findings_a_move_and_a_fact_override_show_at_once(admin, world):
    cycle = world.open()
    before = served(admin, cycle)

    # the branch's own self-assessment: a deduction it reports
    a = Assessment.objects.select_related("cycle", "branch", "snapshot").get(cycle=cycle, branch=world.branch)
    services.save_findings(assessment=a, stage=Stage.SELF, version=a.version, by=world.secretary,
                           values={RULE: {"value": True}})
    after_finding = served(admin, cycle)
    assert lost_on(after_finding) != lost_on(before)
    assert after_finding == fresh(admin, cycle)

    # a fact typed over: 群众基本满意率 50% (below 80%: a further deduction on the same indicator)
    a.refresh_from_db()
    services.override_fact(assessment=a, name="public_satisfaction_rate", value="50", reason="测评结果", version=a.version,
                           by=world.secretary)
    after_fact = served(admin, cycle)
    assert lost_on(after_fact) != lost_on(after_finding)
    assert after_fact == fresh(admin, cycle)

    # a move: another branch, submitted, taken into review by the admin
    other = cycle.assessments.exclude(pk=a.pk).order_by("pk").first()
    Assessment.objects.filter(pk=other.pk).update(state=State.SUBMITTED, submitted_at=timezone.now())
    Cycle.data_changed(cycle.pk)              # the test's own shortcut past the self-assessment, counted as services do
    submitted = served(admin, cycle)
    other = Assessment.objects.select_related("cycle", "branch", "snapshot").get(pk=other.pk)
    services.transition(assessment=other, action="start_review", by=world.admin)
    moved = served(admin, cycle)
    assert counts(submitted)[State.SUBMITTED] == 1 and counts(moved)[State.SUBMITTED] == 0
    assert counts(moved)[State.UNDER_REVIEW] == 1
    assert moved == fresh(admin, cycle)

    # the reviewer's finding on it
    other.refresh_from_db()
    services.save_findings(assessment=other, stage=Stage.REVIEW, version=other.version, by=world.admin,
                           values={RULE: {"value": True, "reason": "未见服务群众的载体"}})
    reviewed = served(admin, cycle)
    assert lost_on(reviewed) != lost_on(moved)
    assert other.pk in {r["assessment"] for r in reviewed[1]["rows"]}
    assert reviewed == fresh(admin, cycle)


def test_a_stale_cycle_instance_still_reads_the_new_numbers(world):
    cycle = world.open()
    held = Cycle.objects.get(pk=cycle.pk)              # read before the change, as a long-lived object would be
    before = cycle_stats.short_board(held)
    a = Assessment.objects.select_related("cycle", "branch", "snapshot").get(branch=world.branch, cycle=cycle)
    services.save_findings(assessment=a, stage=Stage.SELF, version=a.version, by=world.secretary,
                           values={RULE: {"value": True}})
    after = cycle_stats.short_board(held)
    assert next(r for r in after if r["indicator"] == INDICATOR) != next(r for r in before if r["indicator"] == INDICATOR)


def test_figures_are_computed_with_the_cycle_as_stored_not_as_an_old_instance_holds_it(world):
    cycle = world.open(targets=[{"scheme": "stars", "at_least": "three", "share": "0.5", "text": "三星及以上过半"}])
    held = Cycle.objects.get(pk=cycle.pk)
    assert {r["target_text"] for r in cycle_stats.distribution(held)} == {"三星及以上过半"}
    Cycle.objects.filter(pk=cycle.pk).update(
        targets=[{"scheme": "stars", "at_least": "four", "share": "0.25", "text": "四星及以上四分之一"}])
    assert {r["target_text"] for r in cycle_stats.distribution(held)} == {"四星及以上四分之一"}
    assert {r["target_text"] for r in cycle_stats.distribution(Cycle.objects.get(pk=cycle.pk))} == {"四星及以上四分之一"}


def test_the_cycle_wide_services_count_their_changes(world):
    cycle = world.open(spot_check_share="0.2")

    def version() -> int:
        return Cycle.objects.values_list("data_version", flat=True).get(pk=cycle.pk)

    seen = [version()]

    def changed() -> None:
        seen.append(version())
        assert seen[-1] > seen[-2]

    world.reviewed()
    changed()
    sampling.draw_sample(cycle=cycle, seed="s", by=world.admin)
    changed()
    world.inspected()                                     # complete_inspection: a move
    changed()
    a = cycle.assessments.filter(state=State.REVIEWED).select_related("cycle", "branch", "snapshot").first()
    lists.set_process_flag(a, "four_star_confirmed", True, by=world.admin, version=None, action="confirm", reason="审核认定")
    changed()
    today = timezone.localdate()
    publicity.announce(cycle=cycle, title="公示", starts_on=today - timedelta(days=8), ends_on=today - timedelta(days=2),
                       by=world.admin)
    changed()
    publicity.finalize(cycle=cycle, by=world.admin)
    changed()


def test_refreshed_facts_count_as_a_change_and_an_unchanged_refresh_does_not(world):
    cycle = world.open()
    start = Cycle.objects.values_list("data_version", flat=True).get(pk=cycle.pk)
    services.refresh_facts(cycle=cycle)                   # the records have not changed: nothing moves
    assert Cycle.objects.values_list("data_version", flat=True).get(pk=cycle.pk) == start
    a = cycle.assessments.get(branch=world.branch)
    a.facts.all().delete()                               # as if never computed: the refresh writes them
    services.refresh_facts(cycle=cycle)
    assert Cycle.objects.values_list("data_version", flat=True).get(pk=cycle.pk) == start + 1


# -- who may read: checked on every request, before the cache -------------------------------------
@pytest.mark.parametrize("who", ["reviewer", "secretary", "inspector", "other_admin"])
def test_a_warm_cache_lets_nobody_else_in(admin, world, who):
    cycle = world.open()
    world.reviewed()
    a = cycle.assessments.order_by("pk").first()
    top = cycle_stats.short_board(cycle)[0]["indicator"]
    warm = served(admin, cycle, top)                   # the admin's requests filled the cache
    assert warm[1]["rows"]
    user = make_user("other_admin", "另一工委", (Role.ADMIN, world.committee)) if who == "other_admin" \
        else getattr(world, who)
    client = Client()
    client.force_login(user)
    for url in [*urls(cycle, top), f"/cycles/{cycle.pk}/dashboard/", f"/cycles/{cycle.pk}/dashboard/short-board/{top}/",
                f"/api/cycles/{cycle.pk}/dashboard/branches/{a.pk}/", f"/cycles/{cycle.pk}/lists/"]:
        response = client.get(url)
        assert response.status_code == 403, url
        assert warm[1]["rows"][0]["branch"] not in response.content.decode()
    assert Client().get(urls(cycle)[0]).status_code == 401


def test_an_unknown_indicator_is_404_cached_or_not(admin, world):
    cycle = world.open()
    served(admin, cycle)
    assert admin.get(f"/api/cycles/{cycle.pk}/dashboard/short-board/no-such-indicator/").status_code == 404
    caches[cycle_stats.CACHE].clear()
    assert admin.get(f"/api/cycles/{cycle.pk}/dashboard/short-board/no-such-indicator/").status_code == 404


def test_the_drill_down_page_lists_the_losing_branches_page_by_page(admin, world, monkeypatch):
    from chuangxing.web.views import dashboards

    cycle = world.open()
    world.reviewed()
    top = cycle_stats.short_board(cycle)[0]
    rows = admin.get(f"/api/cycles/{cycle.pk}/dashboard/short-board/{top['indicator']}/").json()["rows"]
    assert len(rows) == top["losing"] >= 3
    monkeypatch.setattr(dashboards, "LOSING_PER_PAGE", 2)
    url = f"/cycles/{cycle.pk}/dashboard/short-board/{top['indicator']}/"
    first, second = admin.get(url).content.decode(), admin.get(url + "?page=2").content.decode()
    link = "/cycles/{}/dashboard/branches/{}/"
    assert all(link.format(cycle.pk, r["assessment"]) in first for r in rows[:2])
    assert not any(link.format(cycle.pk, r["assessment"]) in first for r in rows[2:])
    assert all(link.format(cycle.pk, r["assessment"]) in second for r in rows[2:4])
    assert '?page=2">下一页' in first and f"（{len(rows)}）" in first
