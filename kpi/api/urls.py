"""The kpi resources of the API under /api/v1/ (registered on the project's router)."""

from . import views

ROUTES = [
    ("data-elements", views.DataElementViewSet, "dataelement"),
    ("kpis", views.ClusterKpiViewSet, "clusterkpi"),
    ("periods", views.PeriodViewSet, "period"),
    ("submissions", views.SubmissionViewSet, "submission"),
    ("data-values", views.DataValueViewSet, "datavalue"),
    ("kpi-values", views.KpiValueViewSet, "kpivalue"),
    ("alerts", views.AlertViewSet, "alert"),
]
