from django.urls import path

from . import views

app_name = "portfolio"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("ranking/", views.ranking, name="ranking"),
    path("projects/new/", views.ProjectCreateView.as_view(), name="project_create"),
    path("projects/<int:pk>/", views.project_detail, name="project_detail"),
    path("projects/<int:pk>/edit/", views.ProjectUpdateView.as_view(), name="project_update"),
    path("projects/<int:pk>/transition/", views.project_transition, name="project_transition"),
    path("projects/<int:pk>/milestones/", views.milestone_create, name="milestone_create"),
    path("milestones/<int:pk>/progress/", views.milestone_progress, name="milestone_progress"),
    path("projects/<int:pk>/kpis/", views.project_kpi_create, name="project_kpi_create"),
    path("projects/<int:pk>/effects/", views.project_effect_create, name="project_effect_create"),
    path("contracts/", views.contracts, name="contracts"),
    path("contracts/new/", views.ContractCreateView.as_view(), name="contract_create"),
    path("contracts/enterprise/<int:pk>/", views.enterprise_partners, name="enterprise_partners"),
    path("services/", views.services_centre, name="services"),
    path("services/new/", views.ServiceCreateView.as_view(), name="service_create"),
    path("service-requests/<int:pk>/move/", views.service_request_move, name="service_request_move"),
]
