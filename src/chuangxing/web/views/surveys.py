"""党员群众测评 on the web: the public survey page (no sign-in, made for a phone) and the printable token list.

::

    /s/                       type the code from the paper (or ?code=… from the form) → /s/<token>/
    /s/<token>/               GET: the question with 满意 / 基本满意 / 不满意 as big buttons; POST: the vote
    /s/thanks/                after a vote (the token is not in this URL, so it leaves no trace in history)
    /cycles/<c>/assessments/<a>/surveys/<s>/tokens/
                              the printable list, once, right after the survey is made (staff only)

A token page tells only what its own token may: its branch and question, or why it cannot vote. An
unknown code, a used one and a closed survey are told apart, but an unknown code names no branch. The
pages are not cached and not indexed (the token is in the URL).

The staff page that creates a survey passes the tokens on with :func:`remember_tokens` and redirects
to the token list, which shows them once (they are popped from the session), or renders
``surveys.token_sheet_html`` in its own POST response.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_GET, require_http_methods

from chuangxing.assessments import surveys
from chuangxing.assessments.models import Answer, Survey, SurveyKind
from chuangxing.assessments.services import _require_role, get_assessment
from chuangxing.assessments.workflow import NotAllowed, Refused

# The status a refusal is answered with (the page says why, in Chinese).
STATUS_OF = {"token_unknown": 404, "token_used": 409, "survey_closed": 410, "bad_answer": 400}
SESSION_KEY = "survey_tokens:{}"


def _private(response: HttpResponse) -> HttpResponse:
    """A token page: never cached, never indexed. The site's ``same-origin`` referrer policy already keeps
    the token's URL from other sites (``no-referrer`` would make the browser send ``Origin: null`` with
    the vote, which Django's CSRF check refuses)."""
    add_never_cache_headers(response)
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@login_not_required
@require_GET
def survey_entry(request):
    typed = request.GET.get("code", "")
    code = surveys.normalize_token(typed)
    if code and surveys.TOKEN_SHAPE.fullmatch(code):
        return redirect("web:survey_answer", token=code)
    context = {"entry": True, "typed": typed[:40]}
    if typed:
        context["error"] = "测评码无效，请核对后重新输入（共 10 位字母和数字）"
    return _private(render(request, "surveys/survey_answer.html", context, status=404 if typed else 200))


@login_not_required
@require_http_methods(["GET", "POST"])
def survey_answer(request, token: str):
    token = surveys.normalize_token(token)
    survey = None
    try:
        survey = surveys.survey_of(token)
        if request.method == "POST":
            surveys.answer(token=token, answer=request.POST.get("answer", ""))
            return _private(redirect("web:survey_thanks"))
    except Refused as refusal:
        return _refused(request, refusal, survey, token)
    return _private(render(request, "surveys/survey_answer.html", _question(survey, token)))


def _question(survey: Survey, token: str) -> dict:
    return {
        "survey": survey, "token": token, "code": surveys.grouped(token), "branch": survey.assessment.branch,
        "kind_label": SurveyKind(survey.kind).label, "question": surveys.QUESTION_OF[SurveyKind(survey.kind)],
        "choices": Answer.choices,
    }


def _refused(request, refusal: Refused, survey: Survey | None, token: str) -> HttpResponse:
    context = {"error": refusal.message_zh, "error_code": refusal.code}
    if refusal.code == "bad_answer" and survey is not None:        # the token is still good: ask again
        context.update(_question(survey, token))
    response = render(request, "surveys/survey_answer.html", context, status=STATUS_OF.get(refusal.code, 400))
    return _private(response)


@login_not_required
@require_GET
def survey_thanks(request):
    return _private(render(request, "surveys/survey_thanks.html"))


# -- staff: the token list, once ---------------------------------------------------------------
def remember_tokens(request, survey: Survey, tokens: list[str]) -> None:
    """Keep the plain tokens for the next request only (the token list pops them)."""
    request.session[SESSION_KEY.format(survey.pk)] = list(tokens)


@require_GET
def survey_tokens(request, cycle: int, assessment: int, survey: int):
    try:
        found = get_assessment(pk=assessment, by=request.user)
    except NotAllowed:
        raise Http404("没有找到该考评") from None
    target = Survey.objects.filter(pk=survey, assessment=found).first()
    if found.cycle_id != cycle or target is None:
        raise Http404("没有找到该测评")
    try:
        _require_role(request.user, surveys.RUNS, found)
    except NotAllowed as refusal:
        raise PermissionDenied(refusal.message_zh) from None
    tokens = request.session.pop(SESSION_KEY.format(target.pk), None)
    if not tokens:
        context = {"gone": True, "survey": target, "branch": found.branch, "cycle": found.cycle,
                   "kind_label": SurveyKind(target.kind).label}
        return _private(render(request, "surveys/survey_tokens.html", context, status=410))
    return _private(HttpResponse(surveys.token_sheet_html(target, tokens, request.build_absolute_uri("/"))))
