from django.urls import include, path

from chuangxing.web.api import rubrics as rubrics_api
from chuangxing.web.views import rubrics, surveys

app_name = "web"

urlpatterns = [
    path("", rubrics.rubric_list, name="home"),
    path("rubrics/<slug:rubric_id>/", rubrics.rubric_detail, name="rubric_detail"),
    path("api/rubrics/", rubrics_api.rubric_list, name="api_rubric_list"),
    path("api/rubrics/<slug:rubric_id>/", rubrics_api.rubric_detail, name="api_rubric_detail"),
    # 党员群众测评: public, no sign-in (the token is the key); the token list for staff, once
    path("s/", surveys.survey_entry, name="survey_entry"),
    path("s/thanks/", surveys.survey_thanks, name="survey_thanks"),
    path("s/<str:token>/", surveys.survey_answer, name="survey_answer"),
    path("cycles/<int:cycle>/assessments/<int:assessment>/surveys/<int:survey>/tokens/", surveys.survey_tokens,
         name="survey_tokens"),
    path("", include("chuangxing.web.urls_work")),     # 我的工作, branch records, self-assessment, review, spot check
    path("", include("chuangxing.web.urls_cycles")),   # 考评周期 (admin), 公示 notice, dashboards
]
