"""Viewsets of the governance API: scoped by `ScopedModelViewSet`, writes through the services.

Each queryset carries what its serializer shows (select_related, prefetch_related, annotations),
so a list costs the same number of queries for 3 rows as for 50.
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action

from core.api.base import Conflict, ScopedModelViewSet, service_errors

from .. import filters, selectors, services
from ..models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Body,
    Cluster,
    Decision,
    Enterprise,
    Meeting,
    Membership,
    Regulation,
)
from ..scoping import is_platform_admin
from . import serializers

# --- Clusters and enterprises ---------------------------------------------------------------------


class ClusterViewSet(ScopedModelViewSet):
    """Clusters the caller belongs to. Platform administrators add and delete them; office staff edit their own."""

    queryset = Cluster.objects.all()
    serializer_class = serializers.ClusterSerializer
    filterset_class = filters.ClusterFilterSet
    ordering_fields = ["name", "region", "start_date"]
    search_fields = ["name", "sector", "region"]

    def may_create_somewhere(self) -> bool:
        return is_platform_admin(self.request.user)

    def may_create(self, cluster_id) -> bool:
        return is_platform_admin(self.request.user)

    def may_destroy(self, obj) -> bool:
        return is_platform_admin(self.request.user)


class EnterpriseViewSet(ScopedModelViewSet):
    """Participant enterprises. A representative changes only the contact details of their own enterprise."""

    queryset = Enterprise.objects.all()
    serializer_class = serializers.EnterpriseSerializer
    filterset_class = filters.EnterpriseFilterSet
    ordering_fields = ["name", "taxpayer_id", "joined_on", "kind", "value_chain_link", "status"]

    search_fields = ["name", "taxpayer_id"]
    owner_fields = frozenset({"address", "contact_email", "phone"})


# --- Bodies, memberships, regulations -------------------------------------------------------------


class BodyViewSet(ScopedModelViewSet):
    """The council, the office and the working groups, with their members today and open action items."""

    queryset = Body.objects.all()
    serializer_class = serializers.BodySerializer
    filterset_class = filters.BodyFilterSet
    ordering_fields = ["kind", "name", "established_on"]
    search_fields = ["name"]

    order = ("cluster_id", "kind", "name", "pk")  # Meta.ordering does not apply to a grouped query

    def rows(self, queryset):
        return selectors.bodies_with_counts(queryset)


class MembershipViewSet(ScopedModelViewSet):
    """Seats in the bodies. A seat ends with its `end_date` (ending the cluster role it gave), not by deletion."""

    queryset = Membership.objects.select_related("person", "body")
    serializer_class = serializers.MembershipSerializer
    filterset_class = filters.MembershipFilterSet
    ordering_fields = ["start_date", "end_date", "role", "body"]
    # membership_save keeps the seat's cluster role in step; deleting a row would leave the role behind.
    http_method_names = ["get", "post", "put", "patch", "head", "options"]


class RegulationViewSet(ScopedModelViewSet):
    """Versioned regulations: drafts are edited, then approved by a council decision."""

    queryset = Regulation.objects.all()
    serializer_class = serializers.RegulationSerializer
    filterset_class = filters.RegulationFilterSet
    ordering_fields = ["kind", "title", "version", "status", "effective_from"]
    search_fields = ["title"]

    def perform_destroy(self, instance):
        if not instance.is_draft:
            raise Conflict(_("Only a draft can be deleted; an approved regulation stays on record."))
        super().perform_destroy(instance)

    @extend_schema(
        summary=_("Approve a draft regulation"),
        description=_("Approve a draft by an adopted council decision; the version approved before it is superseded."),
        request=serializers.RegulationApproveSerializer,
        responses=serializers.RegulationSerializer,
    )
    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        regulation = self.get_object()
        data = serializers.RegulationApproveSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        with service_errors(rename={"approved_by": "decision"}):
            services.regulation_approve(
                regulation=regulation,
                decision=data.validated_data["decision"],
                effective_from=data.validated_data.get("effective_from"),
            )
        return self.respond(regulation)


# --- Meetings, decisions, action items ------------------------------------------------------------


class MeetingViewSet(ScopedModelViewSet):
    """Meetings with their agenda, attendance and quorum; `agenda` on creation adds the agenda items."""

    queryset = Meeting.objects.select_related("body").prefetch_related(
        Prefetch("agenda_items", queryset=AgendaItem.objects.order_by("position", "pk")),
        Prefetch("attendances", queryset=Attendance.objects.select_related("person")),
    )
    serializer_class = serializers.MeetingSerializer
    filterset_class = filters.MeetingFilterSet
    ordering_fields = ["date", "title", "status"]
    search_fields = ["title", "location"]

    def rows(self, queryset):
        return selectors.meetings_with_quorum(queryset)

    @extend_schema(
        summary=_("Record the attendance of a meeting"),
        description=_(
            "Record which members of the body attended (the others are recorded absent) and mark the meeting held; "
            "the answer carries the quorum."
        ),
        request=serializers.MeetingAttendanceSerializer,
        responses=serializers.MeetingSerializer,
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, pk=None):
        meeting = self.get_object()
        data = serializers.MeetingAttendanceSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        with service_errors(field="present"):
            services.meeting_record_attendance(meeting=meeting, present_ids=data.validated_data["present"])
        return self.respond(meeting)


class DecisionViewSet(ScopedModelViewSet):
    """Decisions taken at meetings; refused at a meeting without quorum. The outcome follows from the votes."""

    queryset = Decision.objects.select_related("meeting__body").prefetch_related(
        Prefetch("action_items", queryset=ActionItem.objects.only("pk", "decision_id"))
    )
    serializer_class = serializers.DecisionSerializer
    filterset_class = filters.DecisionFilterSet
    ordering_fields = ["meeting__date", "number", "title", "kind", "outcome"]
    search_fields = ["number", "title"]


class ActionItemViewSet(ScopedModelViewSet):
    """Action items, overdue ones first. Their owners set the status with the status action."""

    queryset = ActionItem.objects.all()
    serializer_class = serializers.ActionItemSerializer
    filterset_class = filters.ActionItemFilterSet
    ordering_fields = ["deadline", "status", "title", "done_on"]
    search_fields = ["title"]
    owner_refusal = _("The owner of an action item changes its status, with the status action.")

    def rows(self, queryset):
        return selectors.action_items_overdue_first(queryset)

    @extend_schema(
        summary=_("Set the status of an action item"),
        description=_("Office staff and the item's owners (the person, or the working group's members) may do this."),
        request=serializers.ActionItemStatusSerializer,
        responses=serializers.ActionItemSerializer,
    )
    @action(detail=True, methods=["post"])
    def status(self, request, pk=None):
        item = self.get_object()
        data = serializers.ActionItemStatusSerializer(data=request.data, context=self.get_serializer_context())
        data.is_valid(raise_exception=True)
        with service_errors():
            services.action_item_set_status(
                item=item, status=data.validated_data["status"], done_on=data.validated_data.get("done_on")
            )
        return self.respond(item)
