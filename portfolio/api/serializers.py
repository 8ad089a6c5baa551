"""Serializers of the portfolio API: validated by the models, written through the services."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

from core.api.base import ScopedModelSerializer, ScopedRelatedFieldsMixin
from core.api.types import JSONTypesMixin
from governance.models import Decision, Enterprise

from .. import services
from ..choices import ProjectStatus, RequestStatus
from ..models import CooperationContract, Milestone, Project, Service, ServiceRequest


def _user(serializer):
    return serializer.context["request"].user


class ProjectSerializer(ScopedModelSerializer):
    """A joint project; its status moves only through `POST /projects/{id}/transition/`."""

    create_only_fields = ("cluster",)
    progress = serializers.FloatField(read_only=True, label=_("Progress, %"))
    score = serializers.SerializerMethodField(label=_("Priority score"))

    class Meta:
        model = Project
        fields = [
            "id",
            "cluster",
            "title",
            "description",
            "category",
            "lead_group",
            "enterprises",
            "budget",
            "expected_effect",
            "months_to_first_result",
            "risk",
            "phase",
            "status",
            "selection_decision",
            "started_on",
            "completed_on",
            "progress",
            "score",
        ]
        read_only_fields = ["status", "selection_decision", "started_on", "completed_on"]

    def get_score(self, project) -> dict:
        limit = self.context.get("quick_win_limits", {}).get(project.cluster_id)
        score = services.project_score(
            project=project, **({"quick_win_max_budget": limit} if limit is not None else {})
        )
        return {
            "total": str(score.total),
            "effect": str(score.effect),
            "speed": str(score.speed),
            "risk": str(score.risk),
            "quick_win": score.quick_win,
        }

    def save_instance(self, instance):
        # The service checks that the participating enterprises are the project's cluster's.
        return services.project_save(
            project=instance, user=_user(self), enterprises=self.validated_data.get("enterprises")
        )


class ProjectTransitionSerializer(JSONTypesMixin, ScopedRelatedFieldsMixin, serializers.Serializer):
    to = serializers.ChoiceField(choices=ProjectStatus.choices, label=_("New status"))
    decision = serializers.PrimaryKeyRelatedField(
        queryset=Decision.objects.all(), required=False, allow_null=True, label=_("Council decision")
    )


class MilestoneSerializer(ScopedModelSerializer):
    clean_exclude = ("done_on",)  # the service sets it from the progress
    overdue = serializers.SerializerMethodField(label=_("Overdue"))

    class Meta:
        model = Milestone
        fields = ["id", "project", "title", "due_on", "progress", "done_on", "overdue"]
        read_only_fields = ["done_on"]

    def get_overdue(self, milestone) -> bool:
        return milestone.done_on is None and milestone.due_on < timezone.localdate()

    def save_instance(self, instance):
        return services.milestone_save(milestone=instance, user=_user(self))


class CooperationContractSerializer(ScopedModelSerializer):
    class Meta:
        model = CooperationContract
        fields = ["id", "cluster", "supplier", "buyer", "subject", "annual_value", "start_date", "end_date"]

    def save_instance(self, instance):
        return services.contract_save(contract=instance, user=_user(self))


class ServiceSerializer(ScopedModelSerializer):
    class Meta:
        model = Service
        fields = ["id", "cluster", "name", "description", "provider", "price", "turnaround_days", "is_active"]

    def save_instance(self, instance):
        return services.service_save(service=instance, user=_user(self))


@extend_schema_serializer(component_name="ServiceRequestRow")
class ServiceRequestSerializer(serializers.ModelSerializer):
    missed = serializers.BooleanField(read_only=True, label=_("Promise missed"))

    class Meta:
        model = ServiceRequest
        fields = [
            "id",
            "service",
            "enterprise",
            "note",
            "priority",
            "status",
            "requested_at",
            "due_at",
            "done_at",
            "missed",
            "price",
            "discount",
        ]
        read_only_fields = fields


class ServiceRequestCreateSerializer(JSONTypesMixin, ScopedRelatedFieldsMixin, serializers.Serializer):
    service = serializers.PrimaryKeyRelatedField(queryset=Service.objects.all(), label=_("Service"))
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.all(), label=_("Enterprise"))
    note = serializers.CharField(required=False, allow_blank=True, label=_("Note"))


class ServiceRequestMoveSerializer(JSONTypesMixin, serializers.Serializer):
    to = serializers.ChoiceField(choices=RequestStatus.choices, label=_("New status"))
