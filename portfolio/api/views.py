"""Viewsets of the portfolio API: scoped by `ScopedModelViewSet`, writes through the services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from core.api.base import ScopedModelViewSet, ScopedReadOnlyViewSet, service_errors
from governance.scoping import VIEW, restrict

from .. import filters, selectors, services
from ..models import CooperationContract, Milestone, PortfolioRules, Project, Service, ServiceRequest
from . import serializers


class ProjectViewSet(ScopedModelViewSet):
    """Joint projects with their progress and priority score (its parts shown); status moves by `transition`."""

    queryset = Project.objects.select_related("cluster").prefetch_related("enterprises")
    serializer_class = serializers.ProjectSerializer
    filterset_class = filters.ProjectFilterSet
    # No DELETE: a project leaves the portfolio by being cancelled, so its history stays.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]
    ordering_fields = ["title", "budget", "expected_effect", "months_to_first_result", "status", "phase"]
    search_fields = ["title"]

    order = ("cluster_id", "title", "pk")

    def rows(self, queryset):
        return selectors.projects_with_progress(user=self.request.user, queryset=queryset)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        rules = restrict(PortfolioRules.objects.all(), self.request.user, VIEW)
        context["quick_win_limits"] = dict(rules.values_list("cluster_id", "quick_win_max_budget"))
        return context

    @extend_schema(request=serializers.ProjectTransitionSerializer, responses=serializers.ProjectSerializer)
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        """Move the project: `{"to": "selected", "decision": <council decision id>}`; or active, completed,
        cancelled."""
        project = self.get_object()
        data = serializers.ProjectTransitionSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        with service_errors():
            services.project_transition(
                project=project,
                to=data.validated_data["to"],
                user=request.user,
                decision=data.validated_data.get("decision"),
            )
        return Response(self.get_serializer(self.get_queryset().get(pk=project.pk)).data)


class MilestoneViewSet(ScopedModelViewSet):
    queryset = Milestone.objects.select_related("project")
    serializer_class = serializers.MilestoneSerializer
    filterset_class = filters.MilestoneFilterSet
    ordering_fields = ["due_on", "progress"]


class CooperationContractViewSet(ScopedModelViewSet):
    """Contracts between participants; a party reads its own, office, council and working groups all."""

    queryset = CooperationContract.objects.all()
    serializer_class = serializers.CooperationContractSerializer
    filterset_class = filters.CooperationContractFilterSet
    ordering_fields = ["start_date", "annual_value"]
    search_fields = ["subject"]


class ServiceViewSet(ScopedModelViewSet):
    """The shared-services catalogue."""

    queryset = Service.objects.all()
    serializer_class = serializers.ServiceSerializer
    filterset_class = filters.ServiceFilterSet
    ordering_fields = ["name", "price", "turnaround_days"]
    search_fields = ["name"]


class ServiceRequestViewSet(ScopedReadOnlyViewSet):
    """Requests for shared services, in queue order; an enterprise requests for itself, the office for anyone."""

    queryset = ServiceRequest.objects.select_related("service", "enterprise")
    serializer_class = serializers.ServiceRequestSerializer
    filterset_class = filters.ServiceRequestFilterSet
    ordering_fields = ["requested_at", "due_at", "priority"]

    order = ("-priority", "requested_at", "pk")

    @extend_schema(request=serializers.ServiceRequestCreateSerializer, responses=serializers.ServiceRequestSerializer)
    def create(self, request):
        data = serializers.ServiceRequestCreateSerializer(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        with service_errors():
            created = services.service_request_create(user=request.user, **data.validated_data)
        return Response(self.get_serializer(created).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=serializers.ServiceRequestMoveSerializer, responses=serializers.ServiceRequestSerializer)
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Take the request on (`in_progress`), mark it `done`, or `cancelled`: the office or the provider."""
        service_request = self.get_object()
        data = serializers.ServiceRequestMoveSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        with service_errors():
            moved = services.service_request_move(
                request=service_request, to=data.validated_data["to"], user=request.user
            )
        return Response(self.get_serializer(moved).data)
