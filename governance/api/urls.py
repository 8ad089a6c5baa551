"""The governance resources of the API under /api/v1/ (registered on the project's router)."""

from . import views

ROUTES = [
    ("clusters", views.ClusterViewSet, "cluster"),
    ("enterprises", views.EnterpriseViewSet, "enterprise"),
    ("bodies", views.BodyViewSet, "body"),
    ("memberships", views.MembershipViewSet, "membership"),
    ("regulations", views.RegulationViewSet, "regulation"),
    ("meetings", views.MeetingViewSet, "meeting"),
    ("decisions", views.DecisionViewSet, "decision"),
    ("action-items", views.ActionItemViewSet, "actionitem"),
]
