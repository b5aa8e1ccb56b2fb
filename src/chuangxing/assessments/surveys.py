"""党员群众测评: satisfaction surveys with one-time tokens, anonymous answers and their rates as facts.

>>> survey, tokens = create_survey(assessment=a, kind="public", tokens=40, closes_at=deadline, by=reviewer)
>>> tokens[:2]                                   # shown ONCE (print them: token_sheet_html); only hashes are kept
['K7M3Q9TXWP', '4HNRB2ZJ8C']
>>> answer(token="k7m3q-9txwp", answer="satisfied")        # anyone holding a token; case and dashes ignored
>>> answer(token="K7M3Q9TXWP", answer="basic")             # Refused, code "token_used"
>>> results(survey).satisfaction_rate
Decimal('100.00')
>>> apply_results(survey=survey, by=reviewer)    # after closing: the rate becomes public_satisfaction_rate

Who: a committee reviewer (党委) or an admin on the branch creates a survey, closes it and applies its
results (镇江 and 焦作 both leave the 党员群众测评 to the committee above the branch); nobody does it for the
branch they are secretary of. Anyone holding a token answers, without signing in.

Tokens: 10 characters from an alphabet without look-alikes (no 0/O, 1/I/L), drawn with ``secrets``
(31¹⁰ ≈ 8 × 10¹⁴ codes, about 50 bits): short enough to type from paper, URL-safe for the QR code.
Only the SHA-256 of a token is stored, so a token list is shown once, when the survey is made.

One vote per token: the token is marked used with ``UPDATE … WHERE used_at IS NULL`` and the answer
inserted in the same transaction; of two submissions of one token at once, the second updates no
row and is refused (``token_used``), and nothing is written for it.

Anonymity, as far as the application goes: an answer row holds its survey and the choice, nothing
else: no token, no time, no session, no address. Results are counts. What the database itself
could still tell its administrator (insertion order of rows, PostgreSQL's transaction ids) is
outside what the application can hide while a vote and its token's use commit together.

Refusals are :class:`~chuangxing.assessments.workflow.Refused` with a stable code and a Chinese
message: ``token_unknown``, ``token_used``, ``survey_closed``, ``bad_answer`` (answering);
``bad_kind``, ``bad_token_count``, ``bad_closing``, ``survey_exists``, ``assessment_locked``
(creating); ``survey_open``, ``no_answers`` (applying the results).
"""

from __future__ import annotations

import hashlib
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import segno
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe

from chuangxing.assessments import permissions
from chuangxing.assessments.models import (
    Answer,
    Assessment,
    FactValue,
    Stage,
    State,
    Survey,
    SurveyAnswer,
    SurveyKind,
    SurveyToken,
)
from chuangxing.assessments.services import _require_role, _store_total, audit, cycle_changed, service, to_stored
from chuangxing.assessments.workflow import Refused

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"     # no 0/O, 1/I/L: read from paper, typed on a phone
TOKEN_LENGTH = 10
MAX_TOKENS = 2000
TOKEN_SHAPE = re.compile(f"[{ALPHABET}]{{{TOKEN_LENGTH}}}")

# The fact each kind of survey feeds (the catalogue's SURVEYS facts) and the question it asks.
FACT_OF = {SurveyKind.MEMBERS: "member_satisfaction_rate", SurveyKind.PUBLIC: "public_satisfaction_rate"}
QUESTION_OF = {
    SurveyKind.MEMBERS: "您对本支部党支部书记的工作是否满意？",
    SurveyKind.PUBLIC: "您对本党支部的工作是否满意？",
}

# A survey belongs to the self-assessment and review: once a branch is approved its facts are fixed.
OPEN_STATES = (State.DRAFT, State.SELF_ASSESSED, State.RETURNED, State.SUBMITTED, State.UNDER_REVIEW)
RUNS = (permissions.Role.REVIEWER, permissions.Role.ADMIN)


# -- tokens ------------------------------------------------------------------------------------
def new_token() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(TOKEN_LENGTH))


def normalize_token(text: str) -> str:
    """What a person typed, as stored: upper case, without spaces or dashes, full-width characters from a
    Chinese keyboard made plain (``"k7m3q-9txwp"``, ``"Ｋ７Ｍ３Ｑ－９ＴＸＷＰ"`` → ``"K7M3Q9TXWP"``)."""
    return re.sub(r"[\s\-_.]", "", unicodedata.normalize("NFKC", str(text or ""))).upper()


def hash_token(token: str) -> str:
    return hashlib.sha256(normalize_token(token).encode("ascii", "replace")).hexdigest()


def grouped(token: str) -> str:
    """``"K7M3Q9TXWP"`` → ``"K7M3Q-9TXWP"``: easier to read out and type; the dash is ignored when answering."""
    half = len(token) // 2
    return f"{token[:half]}-{token[half:]}"


# -- creating ------------------------------------------------------------------------------------
@service
def create_survey(*, assessment: Assessment, kind: str, tokens: int, closes_at: datetime, by,
                  now: datetime | None = None) -> tuple[Survey, list[str]]:
    """A survey of ``kind`` (``members`` or ``public``) with ``tokens`` one-time tokens, open until ``closes_at``.

    Returns the survey and the plain tokens: this is the only time they exist outside a printout.
    """
    _require_role(by, RUNS, assessment)
    _check_open(assessment, "发起测评")
    if kind not in SurveyKind.values:
        raise Refused("bad_kind", f"没有“{kind}”这种测评（只有{'、'.join(SurveyKind.labels)}）", f"unknown kind {kind}")
    if isinstance(tokens, bool) or not isinstance(tokens, int) or not 1 <= tokens <= MAX_TOKENS:
        raise Refused("bad_token_count", f"测评码数量应为 1 至 {MAX_TOKENS} 个", f"token count {tokens!r}")
    if closes_at <= (now or timezone.now()):
        raise Refused("bad_closing", "截止时间应晚于现在", "closes_at is not in the future")
    try:
        with transaction.atomic():
            survey = Survey.objects.create(assessment=assessment, kind=kind, closes_at=closes_at)
    except IntegrityError:
        raise _exists(assessment, kind) from None
    plain = _fresh_tokens(tokens)
    SurveyToken.objects.bulk_create([SurveyToken(survey=survey, token_hash=hash_token(t)) for t in plain])
    audit(by=by, action="create_survey", assessment=assessment, target=f"survey:{survey.pk}",
          new={"kind": kind, "tokens": tokens, "closes_at": closes_at.isoformat()})
    return survey, plain


def _exists(assessment: Assessment, kind: str) -> Refused:
    return Refused("survey_exists", f"“{assessment.branch.name}”已有{SurveyKind(kind).label}", "survey exists")


def _fresh_tokens(count: int) -> list[str]:
    """``count`` distinct tokens whose hashes no survey uses yet (a clash is ~10⁻¹⁵ a token, but possible)."""
    plain: set[str] = set()
    while len(plain) < count:
        batch = {new_token() for _ in range(count - len(plain))} - plain
        taken = set(SurveyToken.objects.filter(token_hash__in=[hash_token(t) for t in batch])
                    .values_list("token_hash", flat=True))
        plain |= {t for t in batch if hash_token(t) not in taken}
    return sorted(plain)


def _check_open(assessment: Assessment, doing: str) -> None:
    if assessment.state not in OPEN_STATES:
        raise Refused("assessment_locked",
                      f"考评状态为“{State(assessment.state).label}”，不能再{doing}（审核通过前才可以）",
                      f"assessment is {assessment.state}")


@service
def close_survey(*, survey: Survey, by, now: datetime | None = None) -> Survey:
    """Close a survey before its date (everyone has answered); the tokens left unused are refused from now on."""
    assessment = survey.assessment
    _require_role(by, RUNS, assessment)
    now = now or timezone.now()
    if survey.closes_at <= now:
        return survey
    old = survey.closes_at
    Survey.objects.filter(pk=survey.pk).update(closes_at=now)
    survey.closes_at = now
    audit(by=by, action="close_survey", assessment=assessment, target=f"survey:{survey.pk}", old=old.isoformat(),
          new=now.isoformat())
    return survey


# -- answering -----------------------------------------------------------------------------------
def survey_of(token: str, *, now: datetime | None = None) -> Survey:
    """The survey a token may still answer, or Refused: ``token_unknown``, ``survey_closed``, ``token_used``."""
    row = _token_row(token)
    _check_answerable(row, now=now)
    return row.survey


def _token_row(token: str) -> SurveyToken:
    text = normalize_token(token)
    row = None
    if TOKEN_SHAPE.fullmatch(text):
        row = (SurveyToken.objects.select_related("survey__assessment__branch")
               .filter(token_hash=hash_token(text)).first())
    if row is None:
        raise Refused("token_unknown", "测评码无效，请核对后重新输入", "unknown token")
    return row


def _check_answerable(row: SurveyToken, *, now: datetime | None = None) -> None:
    if row.survey.closes_at <= (now or timezone.now()):
        closed = timezone.localtime(row.survey.closes_at)
        raise Refused("survey_closed", f"本次测评已于{closed:%Y年%m月%d日 %H:%M}截止", "survey closed")
    if row.used_at is not None:
        raise Refused("token_used", "该测评码已经使用过，每个测评码只能投票一次", "token already used")


def answer(*, token: str, answer: str, now: datetime | None = None) -> None:
    """Record one vote (``satisfied``, ``basic`` or ``unsatisfied``) for the token's survey, once.

    The token's use and the answer commit together; the answer row keeps nothing but the survey and
    the choice. Refused with ``bad_answer``, ``token_unknown``, ``survey_closed`` or ``token_used``.
    """
    if answer not in Answer.values:
        raise Refused("bad_answer", f"请选择{'、'.join(Answer.labels)}之一", f"unknown answer {answer!r}")
    now = now or timezone.now()
    with transaction.atomic():
        row = _token_row(token)
        _check_answerable(row, now=now)
        # Conditional: of two submissions of one token at once, only one finds used_at still empty.
        if not SurveyToken.objects.filter(pk=row.pk, used_at__isnull=True).update(used_at=now):
            raise Refused("token_used", "该测评码已经使用过，每个测评码只能投票一次", "token already used")
        SurveyAnswer.objects.create(survey_id=row.survey_id, answer=answer)


# -- results -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SurveyResults:
    """The counts of a survey and its rates, exact percentages (0–100, two places, half up).

    ``satisfaction_rate`` is the 基本满意率 of the standards: the share of answers that are 满意 or
    基本满意, over all answers given (unused tokens do not count). ``satisfied_rate`` is the share of
    满意 alone, ``turnout`` the share of tokens used. A rate is None while no answer was given.
    """

    survey_id: int
    kind: str
    tokens: int
    counts: dict[str, int]         # every answer value, 0 included
    answered: int
    satisfaction_rate: Decimal | None
    satisfied_rate: Decimal | None
    turnout: Decimal | None

    @property
    def fact(self) -> str:
        return FACT_OF[SurveyKind(self.kind)]

    def counts_zh(self) -> str:
        return "，".join(f"{label} {self.counts[value]}" for value, label in Answer.choices)


def percent(part: int, whole: int) -> Decimal | None:
    """``part / whole`` as a percentage with two places, exactly: ``percent(7, 9)`` → ``Decimal('77.78')``."""
    if not whole:
        return None
    return (Decimal(100 * part) / Decimal(whole)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def results(survey: Survey) -> SurveyResults:
    """Counts per answer and the rates. 满意率 here is the 基本满意率 of the standards (镇江: “群众对党支部
    基本满意率低于80%扣4分”, “基本满意度低于60%的” vetoes): (满意 + 基本满意) ÷ all answers, × 100."""
    rows = dict(SurveyAnswer.objects.filter(survey=survey).values_list("answer").annotate(n=Count("id")))
    counts = {value: rows.get(value, 0) for value in Answer.values}
    answered = sum(counts.values())
    tokens = SurveyToken.objects.filter(survey=survey).count()
    return SurveyResults(
        survey_id=survey.pk, kind=survey.kind, tokens=tokens, counts=counts, answered=answered,
        satisfaction_rate=percent(counts[Answer.SATISFIED] + counts[Answer.BASIC], answered),
        satisfied_rate=percent(counts[Answer.SATISFIED], answered),
        turnout=percent(answered, tokens),
    )


@service
def apply_results(*, survey: Survey, by, now: datetime | None = None) -> FactValue:
    """Write the closed survey's 基本满意率 into the assessment's fact (``public_satisfaction_rate`` or
    ``member_satisfaction_rate``) as its computed value; an override typed in by a person keeps winning.
    Audited with the counts. Refused while the survey runs (``survey_open``), with no answer
    (``no_answers``), and once the assessment is approved (``assessment_locked``)."""
    assessment = Assessment.objects.select_related("cycle", "branch", "snapshot").get(pk=survey.assessment_id)
    _require_role(by, RUNS, assessment)
    _check_open(assessment, "采用测评结果")
    if survey.closes_at > (now or timezone.now()):
        raise Refused("survey_open", "测评尚未截止，截止（或提前结束）后才能采用结果", "survey still open")
    found = results(survey)
    if found.satisfaction_rate is None:
        raise Refused("no_answers", "本次测评没有收到任何答卷，无法计算满意率", "no answers")
    fact, _ = FactValue.objects.get_or_create(assessment=assessment, name=found.fact)
    old = fact.computed
    fact.computed = to_stored(found.satisfaction_rate)
    fact.save(update_fields=["computed"])
    Assessment.objects.filter(pk=assessment.pk).update(version=F("version") + 1)
    cycle_changed(assessment.cycle_id)
    note = "（该事实已由人工修改，评分仍以修改值为准）" if fact.override is not None else ""
    audit(by=by, action="survey_results", assessment=assessment, target=f"fact:{found.fact}", old=old,
          new=fact.computed, reason=f"{SurveyKind(survey.kind).label}：{found.answered} 份答卷，{found.counts_zh()}{note}")
    assessment.refresh_from_db()
    stage = Stage.REVIEW if assessment.state == State.UNDER_REVIEW else Stage.SELF
    if stage == Stage.REVIEW or assessment.state in (State.DRAFT, State.RETURNED):
        _store_total(assessment, stage)     # a submitted self-assessment keeps the total it was submitted with
    return fact


# -- the printable token list ------------------------------------------------------------------
@dataclass(frozen=True)
class TokenCard:
    token: str
    code: str          # grouped for reading: K7M3Q-9TXWP
    url: str
    qr_svg: str


def survey_url(token: str, base_url: str) -> str:
    return f"{base_url.rstrip('/')}{reverse('web:survey_answer', args=[token])}"


def qr_svg(url: str) -> str:
    """The URL as a QR code, an inline SVG that scales with its box (error correction M: survives a crease)."""
    return segno.make(url, error="m", micro=False).svg_inline(scale=4, omitsize=True, svgclass="qr", title=url)


def token_sheet_html(survey: Survey, tokens: list[str], base_url: str) -> str:
    """A printable page: one card per token with the survey's URL, the code to type and a QR code (no
    network needed: the QR codes are inline SVG). ``base_url`` is the site's address, e.g. ``https://dj.example.cn``."""
    cards = [TokenCard(token=t, code=grouped(t), url=survey_url(t, base_url), qr_svg=mark_safe(qr_svg(survey_url(t, base_url))))
             for t in tokens]
    assessment = survey.assessment
    return render_to_string("surveys/survey_tokens.html", {
        "survey": survey, "kind_label": SurveyKind(survey.kind).label, "question": QUESTION_OF[SurveyKind(survey.kind)],
        "branch": assessment.branch, "cycle": assessment.cycle, "cards": cards,
        "entry_url": f"{base_url.rstrip('/')}{reverse('web:survey_entry')}",
    })
