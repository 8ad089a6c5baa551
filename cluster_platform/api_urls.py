"""/api/v1/: the token endpoint and one router over every app's resources."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from governance.api.auth import ObtainTokenView
from governance.api.urls import ROUTES as GOVERNANCE_ROUTES
from incentives.api.urls import ROUTES as INCENTIVE_ROUTES
from kpi.api.urls import ROUTES as KPI_ROUTES
from portfolio.api.urls import ROUTES as PORTFOLIO_ROUTES
from roadmap.api.urls import ROUTES as ROADMAP_ROUTES

router = DefaultRouter()
for prefix, viewset, basename in [
    *GOVERNANCE_ROUTES,
    *KPI_ROUTES,
    *PORTFOLIO_ROUTES,
    *INCENTIVE_ROUTES,
    *ROADMAP_ROUTES,
]:
    router.register(prefix, viewset, basename=basename)

urlpatterns = [
    path("auth/token/", ObtainTokenView.as_view(), name="api-token"),
    path("", include(router.urls)),
]
