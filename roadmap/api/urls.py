"""The roadmap's resources of the API under /api/v1/ (registered on the project's router)."""

from . import views

ROUTES = [
    ("phases", views.PhaseViewSet, "phase"),
    ("roadmap-tasks", views.RoadmapTaskViewSet, "roadmaptask"),
    ("gate-criteria", views.GateCriterionViewSet, "gatecriterion"),
    ("gate-evaluations", views.GateEvaluationViewSet, "gateevaluation"),
    ("gate-decisions", views.GateDecisionViewSet, "gatedecision"),
]
