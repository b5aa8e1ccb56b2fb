from django.urls import path

from chuangxing.web.api import rubrics as rubrics_api
from chuangxing.web.views import rubrics

app_name = "web"

urlpatterns = [
    path("", rubrics.rubric_list, name="home"),
    path("rubrics/<slug:rubric_id>/", rubrics.rubric_detail, name="rubric_detail"),
    path("api/rubrics/", rubrics_api.rubric_list, name="api_rubric_list"),
    path("api/rubrics/<slug:rubric_id>/", rubrics_api.rubric_detail, name="api_rubric_detail"),
]
