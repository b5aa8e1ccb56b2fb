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
A token list is shown once, when the survey is made; the database keeps only hashes.

One vote per token: the token is marked used with ``UPDATE … WHERE used_on IS NULL`` and the answer
inserted in the same transaction; of two submissions of one token at once, the second updates no
row and is refused (``token_used``), and nothing is written for it.

Anonymity: nothing stored joins a vote to its token, even for whoever printed the cards and then
reads a copy or a backup of the database (the issue this answers: the answers' increasing ids
followed the tokens' ``used_at`` to the microsecond, and the unsalted SHA-256 of a printed token found
its row). Now:

- an answer row holds its survey and the choice under a random UUID key: no token, no time, no
  session, no address, and its key's order is not the order of the votes;
- a token row keeps the *day* it was used (``used_on``), the same for everyone who voted that day;
- the token rows are written in random order, not the printed (sorted) order of the cards;
- the token hash is keyed and salted: ``HMAC-SHA256(key=SECRET_KEY, "survey-token:" + salt + ":" + token)``
  with ``Survey.salt``, 16 random bytes per survey. The key is what stops the printer: it is in the
  servers' environment, not in the database or its backups, so a copy alone cannot tell which row is
  which card, not even which cards were used. The salt makes each survey its own problem should the
  key leak as well: no hash can be computed once for all surveys, and equal hashes never show across
  surveys. A keyed hash rather than a slow one (PBKDF2): the tokens are 50 random bits, not
  passwords, and a vote must stay cheap.
- a token alone does not name its survey, so its row is found by ``lookup``: the first 4 hex digits
  (16 bits) of another keyed hash of the token, ``HMAC-SHA256(SECRET_KEY, "survey-token-lookup:" +
  token)``, which narrows ~10⁶ stored tokens to a dozen candidates whose salted hash is then checked.
  16 bits cannot confirm a token (each value is shared by 1/65,536 of all codes).
- Rotating ``SECRET_KEY``: keep the old key in ``SECRET_KEY_FALLBACKS`` until the surveys made with it
  have closed; the lookup tries every key.
- Surveys made before the salt (``salt`` empty) keep the plain SHA-256 their cards were printed with: a
  hash cannot be re-salted without the token. Their rows have no ``lookup`` and are found by that hash
  (the legacy fallback in :func:`_rows_for`); their answers were moved to random keys and their
  ``used_at`` cut to the day by migration ``0005``.

What the database engine itself records is beyond the application: the physical order of rows
(SQLite's rowid, PostgreSQL's heap) follows the order of writes, and PostgreSQL's ``xmin`` names the
transaction that wrote both the token's use and its answer. A logical dump (``pg_dump``,
``chuangxing backup``) does not carry ``xmin``, and without the key no row can be tied to a card.

Refusals are :class:`~chuangxing.assessments.workflow.Refused` with a stable code and a Chinese
message: ``token_unknown``, ``token_used``, ``survey_closed``, ``bad_answer`` (answering);
``bad_kind``, ``bad_token_count``, ``bad_closing``, ``survey_exists``, ``assessment_locked``
(creating); ``survey_open``, ``no_answers`` (applying the results).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

import segno
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q
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


def hash_token(token: str, salt: str = "", *, key: str | None = None) -> str:
    """What a token's row keeps: the keyed, salted hash (a survey made before salting has ``salt`` empty: the
    plain SHA-256 it was printed with). ``key`` is ``settings.SECRET_KEY`` unless given (a fallback key)."""
    text = normalize_token(token).encode("ascii", "replace")
    if not salt:
        return hashlib.sha256(text).hexdigest()
    return _keyed(b"survey-token:" + salt.encode("ascii") + b":" + text, key)


def lookup_tag(token: str, *, key: str | None = None) -> str:
    """16 bits of a keyed hash of the token, unsalted: finds a token's candidate rows without its survey."""
    return _keyed(b"survey-token-lookup:" + normalize_token(token).encode("ascii", "replace"), key)[:4]


def _keyed(message: bytes, key: str | None) -> str:
    secret = (settings.SECRET_KEY if key is None else key).encode("utf-8")
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def _keys() -> list[str]:
    return [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]


def new_salt() -> str:
    return secrets.token_hex(16)


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
            survey = Survey.objects.create(assessment=assessment, kind=kind, closes_at=closes_at, salt=new_salt())
    except IntegrityError:
        raise _exists(assessment, kind) from None
    plain = _fresh_tokens(tokens)
    stored = [SurveyToken(survey=survey, token_hash=hash_token(t, survey.salt), lookup=lookup_tag(t)) for t in plain]
    random.SystemRandom().shuffle(stored)          # the rows' order is not the printed (sorted) order
    SurveyToken.objects.bulk_create(stored)
    audit(by=by, action="create_survey", assessment=assessment, target=f"survey:{survey.pk}",
          new={"kind": kind, "tokens": tokens, "closes_at": closes_at.isoformat()})
    return survey, plain


def _exists(assessment: Assessment, kind: str) -> Refused:
    return Refused("survey_exists", f"“{assessment.branch.name}”已有{SurveyKind(kind).label}", "survey exists")


def _fresh_tokens(count: int) -> list[str]:
    """``count`` distinct tokens no survey uses yet (a clash is ~10⁻¹⁵ a token, but possible), sorted."""
    plain: set[str] = set()
    while len(plain) < count:
        batch = {new_token() for _ in range(count - len(plain))} - plain
        taken = {token for token, _ in _rows_for(batch)}
        plain |= batch - taken
    return sorted(plain)


def _rows_for(tokens) -> list[tuple[str, SurveyToken]]:
    """The stored rows of these plain, normalized tokens, as (token, row): the rows whose ``lookup`` tag
    matches under any key, checked against their survey's salted hash, and the legacy rows of unsalted
    surveys, found by plain SHA-256."""
    candidates: dict[str, set[str]] = {}
    for key in _keys():
        for token in tokens:
            candidates.setdefault(lookup_tag(token, key=key), set()).add(token)
    legacy = {hash_token(token): token for token in tokens}
    rows = (SurveyToken.objects.select_related("survey__assessment__branch")
            .filter(Q(lookup__in=candidates) | Q(lookup="", token_hash__in=legacy)))
    found = []
    for row in rows:
        if not row.lookup:
            found.append((legacy[row.token_hash], row))
            continue
        found += [(token, row) for token in candidates.get(row.lookup, ()) if _verifies(token, row)]
    return found


def _verifies(token: str, row: SurveyToken) -> bool:
    return any(hmac.compare_digest(row.token_hash, hash_token(token, row.survey.salt, key=key)) for key in _keys())


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
        row = next((found for _, found in _rows_for([text])), None)
    if row is None:
        raise Refused("token_unknown", "测评码无效，请核对后重新输入", "unknown token")
    return row


def _check_answerable(row: SurveyToken, *, now: datetime | None = None) -> None:
    if row.survey.closes_at <= (now or timezone.now()):
        closed = timezone.localtime(row.survey.closes_at)
        raise Refused("survey_closed", f"本次测评已于{closed:%Y年%m月%d日 %H:%M}截止", "survey closed")
    if row.used_on is not None:
        raise Refused("token_used", "该测评码已经使用过，每个测评码只能投票一次", "token already used")


def answer(*, token: str, answer: str, now: datetime | None = None) -> None:
    """Record one vote (``satisfied``, ``basic`` or ``unsatisfied``) for the token's survey, once.

    The token's use (its day) and the answer commit together; the answer row keeps nothing but the survey
    and the choice, under a random key. Refused with ``bad_answer``, ``token_unknown``, ``survey_closed`` or ``token_used``.
    """
    if answer not in Answer.values:
        raise Refused("bad_answer", f"请选择{'、'.join(Answer.labels)}之一", f"unknown answer {answer!r}")
    now = now or timezone.now()
    with transaction.atomic():
        row = _token_row(token)
        _check_answerable(row, now=now)
        # Conditional: of two submissions of one token at once, only one finds used_on still empty.
        # Only the day is kept: a time would order the tokens' uses, and so the votes.
        if not SurveyToken.objects.filter(pk=row.pk, used_on__isnull=True).update(used_on=timezone.localdate(now)):
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
