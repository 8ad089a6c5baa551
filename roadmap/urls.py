from django.urls import path

from . import views

app_name = "roadmap"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("phases/<int:number>/", views.phase_detail, name="phase_detail"),
    path("phases/<int:number>/evaluate/", views.gate_evaluate_now, name="gate_evaluate_now"),
    path("phases/<int:number>/decide/", views.gate_decide, name="gate_decide"),
    path("tasks/new/", views.task_edit, name="task_create"),
    path("tasks/<int:pk>/", views.task_edit, name="task_edit"),
    path("criteria/new/", views.criterion_edit, name="criterion_create"),
    path("criteria/<int:pk>/", views.criterion_edit, name="criterion_edit"),
    path("decisions/<int:pk>/", views.gate_decision_detail, name="gate_decision_detail"),
    path("conditions/<int:pk>/close/", views.condition_close, name="condition_close"),
    path("versions/", views.versions, name="versions"),
]
