from django.urls import path

from . import views

app_name = "incentives"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("packages/new/", views.package_edit, name="package_create"),
    path("packages/<int:pk>/", views.package_edit, name="package_edit"),
    path("packages/<int:pk>/draft/", views.rule_draft_create, name="rule_draft_create"),
    path("rules/<int:pk>/", views.rule_edit, name="rule_edit"),
    path("rules/<int:pk>/approve/", views.rule_approve, name="rule_approve"),
    path("mine/", views.mine, name="mine"),
    path("awards/", views.awards, name="awards"),
    path("awards/<int:pk>/decide/", views.award_decide, name="award_decide"),
    path("evaluations/", views.EvaluationList.as_view(), name="evaluation_list"),
    path("evaluate/", views.evaluate_now, name="evaluate_now"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("reviews/", views.ReviewList.as_view(), name="review_list"),
    path("reviews/<int:pk>/", views.review_detail, name="review_detail"),
]
