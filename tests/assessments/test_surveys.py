"""党员群众测评: keyed, salted one-time tokens, one anonymous vote per token, exact rates that become facts.

The world is ``conftest.World`` (镇江 rubric): 甲党委's reviewer runs the surveys of 甲一支部.
"""

from __future__ import annotations

import hashlib
import hmac
import random
import threading
import time
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection, models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from chuangxing.assessments import surveys
from chuangxing.assessments.models import Answer as Choice
from chuangxing.assessments.models import AuditEntry, FactValue, Survey, SurveyAnswer, SurveyToken
from chuangxing.assessments.services import override_fact, sheet_of
from chuangxing.assessments.surveys import answer, apply_results, close_survey, create_survey, results
from chuangxing.assessments.workflow import NotAllowed, Refused

pytestmark = pytest.mark.django_db

USED = "该测评码已经使用过，每个测评码只能投票一次"
UNKNOWN = "测评码无效，请核对后重新输入"


def soon(days: int = 7):
    return timezone.now() + timedelta(days=days)


def make(world, *, kind="public", tokens=10, by=None, branch=None):
    a = world.assessment(branch or world.a1)
    return create_survey(assessment=a, kind=kind, tokens=tokens, closes_at=soon(), by=by or world.reviewer_a)


def vote(tokens, *answers):
    """The first tokens answer ``answers`` in order."""
    for token, choice in zip(tokens, answers, strict=False):
        answer(token=token, answer=choice)


def keyed(message: str, key: str | None = None) -> str:
    return hmac.new((key or settings.SECRET_KEY).encode(), message.encode(), hashlib.sha256).hexdigest()


def after(survey):
    return survey.closes_at + timedelta(seconds=1)


def entries_for(sheet, rule_id):
    found = [e for node in sheet.nodes() for e in node.entries if e.rule == rule_id]
    return found + [e for adj in sheet.adjustments for e in adj.entries if e.rule == rule_id]


# -- tokens ------------------------------------------------------------------------------------
def test_tokens_are_shown_once_and_stored_only_as_hashes(world):
    survey, tokens = make(world, tokens=25)

    assert len(tokens) == len(set(tokens)) == 25
    assert all(surveys.TOKEN_SHAPE.fullmatch(t) for t in tokens)
    assert not set("01OIL") & set("".join(tokens))
    stored = list(SurveyToken.objects.filter(survey=survey).values_list("token_hash", flat=True))
    assert len(survey.salt) == 32
    assert sorted(stored) == sorted(keyed(f"survey-token:{survey.salt}:{t}") for t in tokens)
    columns = [f.attname for f in SurveyToken._meta.concrete_fields]
    for row in SurveyToken.objects.filter(survey=survey).values_list(*columns):
        assert not any(t in str(value) for value in row for t in tokens)
    entry = AuditEntry.objects.get(action="create_survey")
    assert entry.actor == world.reviewer_a and entry.new["tokens"] == 25
    assert not any(t in str(entry.new) for t in tokens)


def test_typed_tokens_ignore_case_dashes_and_full_width(world):
    survey, tokens = make(world, tokens=2)

    full_width = "".join(chr(ord(c) + 0xFEE0) for c in tokens[1])         # typed with a Chinese IME

    answer(token=f"  {surveys.grouped(tokens[0]).lower()} ", answer=Choice.SATISFIED)
    answer(token=f"{full_width[:5]}－{full_width[5:]}", answer=Choice.BASIC)

    assert results(survey).answered == 2


# -- one vote per token, closing, unknown tokens ---------------------------------------------------
def test_a_token_votes_once(world):
    survey, tokens = make(world, tokens=2)
    answer(token=tokens[0], answer=Choice.BASIC)

    with pytest.raises(Refused) as second:
        answer(token=tokens[0], answer=Choice.UNSATISFIED)

    assert second.value.code == "token_used"
    assert second.value.message_zh == USED
    assert results(survey).counts == {Choice.SATISFIED: 0, Choice.BASIC: 1, Choice.UNSATISFIED: 0}
    assert SurveyToken.objects.filter(survey=survey, used_on__isnull=False).count() == 1


def test_a_token_read_as_unused_by_two_submissions_counts_once(world, monkeypatch):
    """The race on any database: both submissions read the token before either marks it; the
    conditional UPDATE lets only the first one count, and the second writes nothing."""
    survey, tokens = make(world, tokens=1)
    stale = SurveyToken.objects.select_related("survey__assessment__branch").get(survey=survey)
    answer(token=tokens[0], answer=Choice.SATISFIED)
    monkeypatch.setattr(surveys, "_token_row", lambda token: stale)     # still says used_on is None

    with pytest.raises(Refused) as second:
        answer(token=tokens[0], answer=Choice.UNSATISFIED)

    assert second.value.code == "token_used"
    assert SurveyAnswer.objects.filter(survey=survey).count() == 1


def test_a_closed_survey_refuses_votes(world):
    survey, tokens = make(world, tokens=2)

    with pytest.raises(Refused) as closed:
        answer(token=tokens[0], answer=Choice.SATISFIED, now=after(survey))

    assert closed.value.code == "survey_closed"
    assert closed.value.message_zh.startswith("本次测评已于") and closed.value.message_zh.endswith("截止")
    assert not SurveyAnswer.objects.exists()
    assert not SurveyToken.objects.filter(used_on__isnull=False).exists()


def test_closing_early(world):
    survey, tokens = make(world, tokens=2)
    answer(token=tokens[0], answer=Choice.SATISFIED)

    close_survey(survey=survey, by=world.reviewer_a)

    with pytest.raises(Refused) as closed:
        answer(token=tokens[1], answer=Choice.SATISFIED)
    assert closed.value.code == "survey_closed"
    assert AuditEntry.objects.filter(action="close_survey", target=f"survey:{survey.pk}").exists()


@pytest.mark.parametrize("token", ["", "ABCDEFGHJK", "abc", "../../etc/passwd", "K7M3Q9TXWP0", "１２３４５６７８９Ａ"])
def test_an_unknown_token_is_refused(world, token):
    make(world, tokens=3)

    with pytest.raises(Refused) as unknown:
        answer(token=token, answer=Choice.SATISFIED)

    assert unknown.value.code == "token_unknown"
    assert unknown.value.message_zh == UNKNOWN
    assert not SurveyAnswer.objects.exists()


def test_an_answer_outside_the_three_is_refused(world):
    survey, tokens = make(world, tokens=1)

    with pytest.raises(Refused) as bad:
        answer(token=tokens[0], answer="very_satisfied")

    assert bad.value.code == "bad_answer"
    assert bad.value.message_zh == "请选择满意、基本满意、不满意之一"
    assert SurveyToken.objects.get(survey=survey).used_on is None     # the token is still good


# -- anonymity -----------------------------------------------------------------------------------
def test_answers_hold_nothing_but_the_survey_and_the_choice():
    fields = {f.name: f for f in SurveyAnswer._meta.get_fields()}

    assert set(fields) == {"id", "survey", "answer"}
    assert fields["survey"].related_model is Survey
    assert not any(isinstance(f, models.DateField | models.DateTimeField | models.GenericIPAddressField)
                   for f in fields.values())
    assert not any(f.related_model is SurveyAnswer for f in SurveyToken._meta.get_fields() if f.is_relation)


# The surveys of five trials: (branch, kind, reviewer) — one survey of each kind per assessment.
TRIALS = [("a1", "public", "reviewer_a"), ("a1", "members", "reviewer_a"), ("a2", "public", "reviewer_a"),
          ("a2", "members", "reviewer_a"), ("b1", "public", "reviewer_b")]


def database_copy(survey) -> tuple[list[dict], list[dict]]:
    """What a dump of the database holds for a survey: every stored field of its token and answer rows, in
    primary-key order, which is also their insertion order for the tokens (written once, all together)."""
    tokens = list(SurveyToken.objects.filter(survey=survey).order_by("pk").values())
    answers = list(SurveyAnswer.objects.filter(survey=survey).order_by("pk").values())
    return tokens, answers


def test_a_database_copy_does_not_link_a_vote_to_its_printed_token(world):
    """Whoever printed the cards knows each token's holder; with a copy of the database they must not learn
    how any of them voted. Twelve holders vote in a known order (the first six 满意, the last six 不满意)."""
    same_order_as_votes, tokens_in_printed_order = 0, 0
    for branch, kind, reviewer in TRIALS:
        survey, printed = make(world, kind=kind, tokens=12, branch=getattr(world, branch), by=getattr(world, reviewer))
        voters = random.Random(f"{branch}{kind}").sample(printed, 12)
        choices = [Choice.SATISFIED] * 6 + [Choice.UNSATISFIED] * 6
        for token, choice in zip(voters, choices, strict=True):
            answer(token=token, answer=choice)
        token_rows, answer_rows = database_copy(survey)

        # no stored field holds a token or its plain hash: a printed card does not find its row
        unkeyed = {hashlib.sha256(v.encode()).hexdigest() for t in printed for v in (t, t.lower(), surveys.grouped(t))}
        stored = {str(value) for row in token_rows for value in row.values()}
        assert not stored & (unkeyed | set(printed))
        # the day of use only, the same for every voter of the day
        assert {row["used_on"] for row in token_rows} == {timezone.localdate()}
        assert set(token_rows[0]) == {"id", "survey_id", "token_hash", "lookup", "used_on"}
        assert set(answer_rows[0]) == {"id", "survey_id", "answer"}
        # the rows' order is not the cards' order (which rows are which card the test alone can tell)
        card_of = {keyed(f"survey-token:{survey.salt}:{t}"): t for t in printed}
        tokens_in_printed_order += [card_of[row["token_hash"]] for row in token_rows] == sorted(printed)
        # the answers' key order is not the order of the votes
        same_order_as_votes += [row["answer"] for row in answer_rows] == choices

    assert same_order_as_votes < len(TRIALS)         # by chance 1 in 924 a trial; all five: never
    assert tokens_in_printed_order < len(TRIALS)


def test_tokens_printed_before_salting_still_vote(world):
    """A survey made before the salt kept its tokens' plain SHA-256, with no lookup tag: they still answer once."""
    survey, _ = make(world, tokens=1)
    Survey.objects.filter(pk=survey.pk).update(salt="")
    old = ["K7M3Q9TXWP", "4HNRB2ZJ8C"]
    SurveyToken.objects.filter(survey=survey).delete()
    SurveyToken.objects.bulk_create([SurveyToken(survey=survey, token_hash=hashlib.sha256(t.encode()).hexdigest())
                                     for t in old])

    answer(token="k7m3q-9txwp", answer=Choice.SATISFIED)
    with pytest.raises(Refused) as again:
        answer(token=old[0], answer=Choice.BASIC)

    assert again.value.code == "token_used"
    assert surveys.survey_of(old[1]) == survey
    assert results(survey).counts[Choice.SATISFIED] == 1


def test_tokens_made_under_a_rotated_secret_key_still_vote(world, settings):
    survey, tokens = make(world, tokens=2)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]

    answer(token=tokens[0], answer=Choice.SATISFIED)
    settings.SECRET_KEY_FALLBACKS = []

    with pytest.raises(Refused) as unknown:
        answer(token=tokens[1], answer=Choice.SATISFIED)
    assert unknown.value.code == "token_unknown"
    assert results(survey).answered == 1


# -- results -------------------------------------------------------------------------------------
def test_rates_are_exact(world):
    survey, tokens = make(world, tokens=10)
    vote(tokens, *[Choice.SATISFIED] * 4, *[Choice.BASIC] * 3, *[Choice.UNSATISFIED] * 2)

    found = results(survey)

    assert found.counts == {Choice.SATISFIED: 4, Choice.BASIC: 3, Choice.UNSATISFIED: 2}
    assert found.answered == 9 and found.tokens == 10
    assert found.satisfaction_rate == Decimal("77.78")        # (4 + 3) / 9
    assert found.satisfied_rate == Decimal("44.44")
    assert found.turnout == Decimal("90.00")


def test_rates_round_half_up_and_are_empty_without_answers(world):
    assert surveys.percent(1, 8) == Decimal("12.50")
    assert surveys.percent(1, 800) == Decimal("0.13")         # 0.125 → 0.13, never binary floating point
    assert surveys.percent(2, 3) == Decimal("66.67")
    assert surveys.percent(3, 3) == Decimal("100.00")
    survey, _ = make(world, tokens=3)
    assert results(survey).satisfaction_rate is None
    assert results(survey).turnout == Decimal("0.00")


# -- the rate becomes a fact, and the 镇江 rules score from it ------------------------------------
def test_apply_results_feeds_the_fact_and_the_zhenjiang_deduction(world):
    survey, tokens = make(world, tokens=10)
    vote(tokens, *[Choice.SATISFIED] * 5, *[Choice.BASIC] * 2, *[Choice.UNSATISFIED] * 3)     # 70.00
    a = world.assessment(world.a1)
    version = a.version

    fact = apply_results(survey=survey, by=world.reviewer_a, now=after(survey))

    assert fact.name == "public_satisfaction_rate" and fact.value == "70"
    a.refresh_from_db()
    assert a.version == version + 1                           # anyone editing from an older copy is told
    deduction = entries_for(sheet_of(a, stage="review"), "zj-func-2-c")
    assert [(e.points, e.source) for e in deduction] == [(Decimal("-4"), "fact:public_satisfaction_rate")]
    assert not [v for v in sheet_of(a).vetoes if v.id == "zj-veto-satisfaction"]      # 70 ≥ 60
    entry = AuditEntry.objects.get(action="survey_results")
    assert entry.target == "fact:public_satisfaction_rate" and entry.new == "70" and entry.actor == world.reviewer_a
    assert entry.reason == "党员群众测评（党支部工作）：10 份答卷，满意 5，基本满意 2，不满意 3"


def test_below_sixty_percent_vetoes_the_stars(world):
    survey, tokens = make(world, tokens=10)
    vote(tokens, Choice.SATISFIED, Choice.BASIC, *[Choice.UNSATISFIED] * 2)                  # 2 of 4: 50.00
    assert "zj-veto-satisfaction" not in [v.id for v in sheet_of(world.assessment(world.a1)).vetoes]

    apply_results(survey=survey, by=world.reviewer_a, now=after(survey))

    sheet = sheet_of(world.assessment(world.a1))
    assert "zj-veto-satisfaction" in [v.id for v in sheet.vetoes]
    assert sheet.rating_of("stars").level is None
    assert "zj-veto-satisfaction" in sheet.rating_of("stars").blocked_by


def test_the_members_survey_feeds_the_secretarys_rate(world):
    survey, tokens = make(world, kind="members", tokens=5)
    vote(tokens, Choice.SATISFIED, Choice.SATISFIED, Choice.BASIC, Choice.UNSATISFIED, Choice.UNSATISFIED)   # 60.00

    apply_results(survey=survey, by=world.reviewer_a, now=after(survey))

    fact = FactValue.objects.get(assessment=world.assessment(world.a1), name="member_satisfaction_rate")
    assert fact.computed == "60"
    deduction = entries_for(sheet_of(world.assessment(world.a1)), "zj-team-1-b")
    assert [e.points for e in deduction] == [Decimal("-2")]


def test_apply_results_keeps_an_override(world):
    a = world.assessment(world.a1)
    override_fact(assessment=a, name="public_satisfaction_rate", value=Decimal("85"), reason="上级测评结果",
                  version=a.version, by=world.secretary_a1)
    survey, tokens = make(world, tokens=2)
    vote(tokens, Choice.UNSATISFIED)

    apply_results(survey=survey, by=world.reviewer_a, now=after(survey))

    fact = FactValue.objects.get(assessment=a, name="public_satisfaction_rate")
    assert (fact.computed, fact.override, fact.value) == ("0", "85", "85")
    assert "仍以修改值为准" in AuditEntry.objects.get(action="survey_results").reason


def test_apply_results_waits_for_the_close_and_for_answers(world):
    survey, _tokens = make(world, tokens=2)
    with pytest.raises(Refused) as running:
        apply_results(survey=survey, by=world.reviewer_a)
    assert running.value.code == "survey_open"
    assert running.value.message_zh == "测评尚未截止，截止（或提前结束）后才能采用结果"

    with pytest.raises(Refused) as empty:
        apply_results(survey=survey, by=world.reviewer_a, now=after(survey))
    assert empty.value.code == "no_answers"
    assert not FactValue.objects.filter(name="public_satisfaction_rate", computed__isnull=False).exists()


# -- who may run a survey, and what is refused when creating one --------------------------------
@pytest.mark.parametrize("who", ["secretary_a1", "reviewer_b", "inspector"])
def test_only_the_committee_above_runs_a_survey(world, who):
    with pytest.raises(NotAllowed) as refused:
        make(world, by=getattr(world, who))

    assert refused.value.code == "forbidden"
    assert not Survey.objects.exists()
    assert AuditEntry.objects.filter(actor=getattr(world, who), denied=True).exists()


def test_an_admin_runs_a_survey(world):
    survey, tokens = make(world, by=world.admin, tokens=3)
    assert len(tokens) == 3 and survey.assessment.branch == world.a1


@pytest.mark.parametrize(("change", "code", "message"), [
    ({"kind": "leaders"}, "bad_kind", "没有“leaders”这种测评（只有党员测评（支部书记）、党员群众测评（党支部工作））"),
    ({"tokens": 0}, "bad_token_count", "测评码数量应为 1 至 2000 个"),
    ({"tokens": 2001}, "bad_token_count", "测评码数量应为 1 至 2000 个"),
    ({"closes_at": "past"}, "bad_closing", "截止时间应晚于现在"),
])
def test_a_survey_that_cannot_be_made(world, change, code, message):
    args = {"assessment": world.assessment(world.a1), "kind": "public", "tokens": 5, "closes_at": soon(),
            "by": world.reviewer_a, **change}
    if args["closes_at"] == "past":
        args["closes_at"] = timezone.now() - timedelta(minutes=1)

    with pytest.raises(Refused) as refused:
        create_survey(**args)

    assert (refused.value.code, refused.value.message_zh) == (code, message)
    assert not Survey.objects.exists() and not SurveyToken.objects.exists()


def test_one_survey_of_each_kind_per_assessment(world):
    make(world, kind="public")
    make(world, kind="members")

    with pytest.raises(Refused) as twice:
        make(world, kind="public")

    assert twice.value.code == "survey_exists"
    assert twice.value.message_zh == "“甲一支部”已有党员群众测评（党支部工作）"
    assert SurveyToken.objects.count() == 20


def test_an_approved_assessment_takes_no_survey(world):
    from chuangxing.assessments.services import transition

    a = transition(assessment=world.under_review(world.a1), action="approve", by=world.reviewer_a)

    with pytest.raises(Refused) as locked:
        create_survey(assessment=a, kind="public", tokens=5, closes_at=soon(), by=world.reviewer_a)

    assert locked.value.code == "assessment_locked"
    assert locked.value.message_zh == "考评状态为“已审核”，不能再发起测评（审核通过前才可以）"


# -- two submissions of one token at the same time, for real -------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_connections_submitting_one_token_count_once(monkeypatch):
    """Thread A marks the token and, before committing, lets thread B in: B has read the token as
    unused, its UPDATE waits for A's row lock and then finds ``used_on`` set: refused, nothing written."""
    from tests.assessments.conftest import World

    world = World()
    survey, tokens = make(world, tokens=1)
    a_marked, outcomes = threading.Event(), {}
    real_create = SurveyAnswer.objects.create

    def create_then_wait(**kwargs):
        if threading.current_thread().name == "A":
            a_marked.set()
            time.sleep(0.5)                      # B reads the token and blocks on its UPDATE meanwhile
        return real_create(**kwargs)

    monkeypatch.setattr(SurveyAnswer.objects, "create", create_then_wait)

    def submit(choice):
        try:
            answer(token=tokens[0], answer=choice)
            outcomes[threading.current_thread().name] = "ok"
        except Refused as refusal:
            outcomes[threading.current_thread().name] = refusal.code
        finally:
            connection.close()

    first = threading.Thread(target=submit, args=(Choice.SATISFIED,), name="A")
    second = threading.Thread(target=submit, args=(Choice.UNSATISFIED,), name="B")
    first.start()
    assert a_marked.wait(10)
    second.start()
    first.join(20)
    second.join(20)

    assert outcomes == {"A": "ok", "B": "token_used"}
    assert results(survey).counts == {Choice.SATISFIED: 1, Choice.BASIC: 0, Choice.UNSATISFIED: 0}


# -- the pages ---------------------------------------------------------------------------------------
def test_the_survey_page_needs_no_sign_in_and_records_a_vote(world):
    survey, tokens = make(world, tokens=2)
    page = Client(enforce_csrf_checks=True)
    url = reverse("web:survey_answer", args=[tokens[0]])

    shown = page.get(url)

    assert shown.status_code == 200
    html = shown.content.decode()
    for text in ("甲一支部", "您对本党支部的工作是否满意？", "满意", "基本满意", "不满意", surveys.grouped(tokens[0])):
        assert text in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "no-store" in shown["Cache-Control"] and shown["Referrer-Policy"] == "same-origin"

    csrf = shown.cookies["csrftoken"].value
    voted = page.post(url, {"answer": Choice.BASIC, "csrfmiddlewaretoken": csrf})

    assert voted.status_code == 302 and voted["Location"] == reverse("web:survey_thanks")
    assert "感谢您参与测评" in page.get(voted["Location"]).content.decode()
    assert results(survey).counts[Choice.BASIC] == 1

    again = page.post(url, {"answer": Choice.SATISFIED, "csrfmiddlewaretoken": csrf})
    assert again.status_code == 409
    assert USED in again.content.decode()
    assert results(survey).answered == 1


def test_the_survey_page_refuses_a_post_without_csrf(world):
    survey, tokens = make(world, tokens=1)

    response = Client(enforce_csrf_checks=True).post(reverse("web:survey_answer", args=[tokens[0]]),
                                                     {"answer": Choice.SATISFIED})

    assert response.status_code == 403
    assert results(survey).answered == 0


def test_a_page_for_a_bad_token_names_no_branch(world):
    _survey, tokens = make(world, tokens=1)
    make(world, tokens=1, branch=world.a2)

    unknown = Client().get(reverse("web:survey_answer", args=["ABCDEFGHJK"]))
    assert unknown.status_code == 404
    html = unknown.content.decode()
    assert UNKNOWN in html
    assert not any(name in html for name in ("甲一支部", "甲二支部", "乙一支部", "甲党委"))

    answer(token=tokens[0], answer=Choice.SATISFIED)
    used = Client().get(reverse("web:survey_answer", args=[tokens[0]]))
    assert used.status_code == 409 and "甲一支部" not in used.content.decode()


def test_a_page_for_a_closed_survey(world):
    survey, tokens = make(world, tokens=1)
    close_survey(survey=survey, by=world.reviewer_a)

    response = Client().get(reverse("web:survey_answer", args=[tokens[0]]))

    assert response.status_code == 410
    assert "本次测评已于" in response.content.decode()


def test_a_missing_choice_asks_again(world):
    _survey, tokens = make(world, tokens=1)

    response = Client().post(reverse("web:survey_answer", args=[tokens[0]]), {})

    assert response.status_code == 400
    assert "请选择满意、基本满意、不满意之一" in response.content.decode()
    assert 'name="answer"' in response.content.decode()


def test_the_code_typed_from_paper_leads_to_the_survey(world):
    _survey, tokens = make(world, tokens=1)
    page = Client()

    assert page.get(reverse("web:survey_entry")).status_code == 200
    typed = page.get(reverse("web:survey_entry"), {"code": surveys.grouped(tokens[0]).lower()})
    assert typed.status_code == 302 and typed["Location"] == reverse("web:survey_answer", args=[tokens[0]])
    wrong = page.get(reverse("web:survey_entry"), {"code": "no/such code"})
    assert wrong.status_code == 404 and "测评码无效" in wrong.content.decode()


# -- the printable token list, once ---------------------------------------------------------------
def tokens_url(world, survey):
    a = survey.assessment
    return reverse("web:survey_tokens", args=[a.cycle_id, a.pk, survey.pk])


def test_the_token_list_prints_once(world, client):
    from chuangxing.web.views.surveys import SESSION_KEY

    survey, tokens = make(world, tokens=12)
    client.force_login(world.reviewer_a)
    session = client.session
    session[SESSION_KEY.format(survey.pk)] = tokens
    session.save()

    sheet = client.get(tokens_url(world, survey))

    assert sheet.status_code == 200
    html = sheet.content.decode()
    assert html.count('class="token-card"') == 12 and html.count("<svg") == 12
    for token in tokens:
        assert surveys.grouped(token) in html
        assert f"http://testserver/s/{token}/" in html
    assert "甲一支部" in html and "no-store" in sheet["Cache-Control"]

    again = client.get(tokens_url(world, survey))
    assert again.status_code == 410
    assert "测评码只在创建测评后显示一次" in again.content.decode()
    assert not any(token in again.content.decode() for token in tokens)


@pytest.mark.parametrize(("who", "status"), [("secretary_a1", 403), ("reviewer_b", 404)])
def test_the_token_list_is_for_the_committee(world, client, who, status):
    survey, _ = make(world, tokens=2)
    client.force_login(getattr(world, who))

    assert client.get(tokens_url(world, survey)).status_code == status


def test_the_token_list_needs_sign_in(world):
    survey, _ = make(world, tokens=2)

    response = Client().get(tokens_url(world, survey))

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_token_sheet_qr_codes_carry_the_survey_urls(world):
    import segno

    survey, tokens = make(world, tokens=2)

    html = surveys.token_sheet_html(survey, tokens, "https://dj.example.cn/")

    for token in tokens:
        url = f"https://dj.example.cn/s/{token}/"
        assert segno.make(url, error="m", micro=False).svg_inline(scale=4, omitsize=True, svgclass="qr", title=url) in html
    assert "https://dj.example.cn/s/" in html


# -- in a real browser, at a phone's width ------------------------------------------------------
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone_survey(world):
    """A survey of 甲一支部 with two tokens, made before the browser starts (see ``browser_page``)."""
    return make(world, tokens=2)


@pytest.mark.browser
def test_answering_on_a_phone(phone_survey, live_server, browser_page, screenshot):
    from playwright.sync_api import expect

    _survey, tokens = phone_survey
    page = browser_page
    page.set_viewport_size(PHONE)

    page.goto(f"{live_server.url}/s/")
    page.get_by_label("请输入测评卡上的测评码").fill(surveys.grouped(tokens[0]).lower())
    screenshot(page, "survey-entry-phone")
    page.get_by_role("button", name="进入测评").click()

    expect(page).to_have_url(f"{live_server.url}/s/{tokens[0]}/")
    expect(page.get_by_text("测评对象：甲一支部")).to_be_visible()
    choice = page.get_by_role("radio", name="基本满意", exact=True)
    box = page.locator("label.choice-basic").bounding_box()
    assert box["height"] >= 48 and box["width"] >= 300          # a thumb's target
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")   # no sideways scrolling
    choice.check()
    screenshot(page, "survey-answer-phone")
    page.get_by_role("button", name="提交").click()

    expect(page.get_by_role("heading", name="感谢您参与测评")).to_be_visible()
    assert "/s/thanks/" in page.url and tokens[0] not in page.url
    screenshot(page, "survey-thanks-phone")

    page.goto(f"{live_server.url}/s/{tokens[0]}/")
    expect(page.get_by_role("alert")).to_have_text(USED)
