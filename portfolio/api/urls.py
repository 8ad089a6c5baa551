"""The portfolio resources of the API under /api/v1/ (registered on the project's router)."""

from . import views

ROUTES = [
    ("projects", views.ProjectViewSet, "project"),
    ("milestones", views.MilestoneViewSet, "milestone"),
    ("cooperation-contracts", views.CooperationContractViewSet, "cooperationcontract"),
    ("services", views.ServiceViewSet, "service"),
    ("service-requests", views.ServiceRequestViewSet, "servicerequest"),
]
