"""The incentives resources of the API under /api/v1/ (registered on the project's router)."""

from . import views

ROUTES = [
    ("incentive-packages", views.IncentivePackageViewSet, "incentivepackage"),
    ("evaluations", views.EvaluationViewSet, "evaluation"),
    ("awards", views.AwardViewSet, "award"),
    ("reviews", views.ReviewViewSet, "conditionsreview"),
]
