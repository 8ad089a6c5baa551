"""The governance API under /api/v1/: the token endpoint and one resource per noun."""

from django.urls import include, path
from rest_framework.authtoken.views import obtain_auth_token
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("clusters", views.ClusterViewSet, basename="cluster")
router.register("enterprises", views.EnterpriseViewSet, basename="enterprise")
router.register("bodies", views.BodyViewSet, basename="body")
router.register("memberships", views.MembershipViewSet, basename="membership")
router.register("regulations", views.RegulationViewSet, basename="regulation")
router.register("meetings", views.MeetingViewSet, basename="meeting")
router.register("decisions", views.DecisionViewSet, basename="decision")
router.register("action-items", views.ActionItemViewSet, basename="actionitem")

urlpatterns = [
    path("auth/token/", obtain_auth_token, name="api-token"),
    path("", include(router.urls)),
]
