from django.urls import path

from . import views

app_name = "incentives"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("evaluations/", views.EvaluationList.as_view(), name="evaluation_list"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
]
