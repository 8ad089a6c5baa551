"""Serializers of the governance API.

The fields integrations rely on are named in DESIGN.md ("REST API"): more may be added, none renamed.
Model serializers derive from `ScopedModelSerializer` (governance/api/base.py): their foreign keys
offer only rows the caller may see, and the instance is validated by the model (`full_clean()`,
constraints included) before a service writes it.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.base import ScopedModelSerializer, ScopedRelatedFieldsMixin
from core.api.types import JSONTypesMixin

from .. import services
from ..choices import ActionItemStatus
from ..filters import people_of_clusters
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
from ..models.meetings import Quorum, quorum_required
from ..scoping import sees_contacts


def _is_person_of_cluster(person, cluster_id: int) -> bool:
    return people_of_clusters(Cluster.objects.filter(pk=cluster_id)).filter(pk=person.pk).exists()


# --- Clusters and enterprises ---------------------------------------------------------------------


class ClusterSerializer(ScopedModelSerializer):
    """A cluster: name, sector, region, start date (month 0 of the roadmap), currency, time zone, leading enterprise."""

    class Meta:
        model = Cluster
        fields = [
            "id",
            "name",
            "sector",
            "region",
            "start_date",
            "currency",
            "time_zone",
            "leading_enterprise",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def save_instance(self, instance):
        return services.cluster_save(cluster=instance)


class EnterpriseSerializer(ScopedModelSerializer):
    """A participant enterprise, known to integrations by its taxpayer id; its cluster is set when it joins."""

    create_only_fields = ("cluster",)

    class Meta:
        model = Enterprise
        fields = [
            "id",
            "cluster",
            "name",
            "taxpayer_id",
            "kind",
            "value_chain_link",
            "status",
            "joined_on",
            "address",
            "contact_email",
            "phone",
        ]
        # The model's 9-digit validator says what is wrong with any length; DRF's own length check
        # would add a second, vaguer message.
        extra_kwargs = {"taxpayer_id": {"max_length": None}}

    def to_representation(self, instance):
        data = super().to_representation(instance)
        request = self.context.get("request")
        if request is not None and not sees_contacts(request.user, instance):
            for name in ("address", "contact_email", "phone"):
                data[name] = ""  # another participant's contact details are not a representative's to read
        return data

    def save_instance(self, instance):
        return services.enterprise_save(enterprise=instance)


# --- Bodies, memberships, regulations -------------------------------------------------------------


class BodySerializer(ScopedModelSerializer):
    """A council, office or working group, with its members today and its open action items."""

    create_only_fields = ("cluster",)
    member_count = serializers.IntegerField(read_only=True, label=_("Members today"))
    open_items = serializers.IntegerField(read_only=True, label=_("Open action items"))

    class Meta:
        model = Body
        fields = [
            "id",
            "cluster",
            "kind",
            "name",
            "area",
            "description",
            "established_on",
            "is_active",
            "member_count",
            "open_items",
        ]

    def save_instance(self, instance):
        return services.body_save(body=instance)


class MembershipSerializer(ScopedModelSerializer):
    """A person's seat in a body; saving it gives or withdraws the cluster role the seat brings."""

    create_only_fields = ("body", "person")
    constraint_error_fields = {"membership_ends_after_start": "end_date"}

    cluster = serializers.IntegerField(source="body.cluster_id", read_only=True, label=_("Cluster"))
    person_name = serializers.CharField(read_only=True, label=_("Person"))
    active = serializers.SerializerMethodField(label=_("Active today"))

    class Meta:
        model = Membership
        fields = [
            "id",
            "cluster",
            "body",
            "person",
            "person_name",
            "enterprise",
            "role",
            "start_date",
            "end_date",
            "active",
        ]

    def get_active(self, membership: Membership) -> bool:
        return membership.is_active_on(timezone.localdate())

    def validate(self, attrs):
        if self.instance is None and not _is_person_of_cluster(attrs["person"], attrs["body"].cluster_id):
            raise serializers.ValidationError({"person": [_("Choose a person of the body's cluster.")]})
        return super().validate(attrs)

    def save_instance(self, instance):
        return services.membership_save(membership=instance)


class RegulationSerializer(ScopedModelSerializer):
    """A version of a regulation; drafts are edited, then approved with the approve action."""

    create_only_fields = ("cluster",)

    version = serializers.IntegerField(
        min_value=1, required=False, label=_("version"), help_text=_("By default the next version of this regulation.")
    )

    class Meta:
        model = Regulation
        fields = [
            "id",
            "cluster",
            "body",
            "kind",
            "title",
            "version",
            "status",
            "text",
            "effective_from",
            "approved_by",
            "created_at",
        ]
        # A regulation is approved, and its predecessor superseded, by the approve action only.
        read_only_fields = ["status", "effective_from", "approved_by", "created_at"]

    def validate(self, attrs):
        if self.instance is None and "version" not in attrs:
            attrs["version"] = services.regulation_next_version(
                cluster=attrs["cluster"], kind=attrs["kind"], body=attrs.get("body")
            )
        return super().validate(attrs)

    def save_instance(self, instance):
        return services.regulation_save(regulation=instance)


class RegulationApproveSerializer(JSONTypesMixin, ScopedRelatedFieldsMixin, serializers.Serializer):
    """The request of `POST regulations/{id}/approve/`."""

    decision = serializers.PrimaryKeyRelatedField(
        queryset=Decision.objects.all(),
        label=_("Approved by decision"),
        help_text=_("An adopted decision of the council of the regulation's cluster."),
    )
    effective_from = serializers.DateField(
        required=False, allow_null=True, label=_("Effective from"), help_text=_("By default the meeting's date.")
    )


# --- Meetings -------------------------------------------------------------------------------------


class AgendaItemSerializer(serializers.ModelSerializer):
    """An item on a meeting's agenda; `action_item` is set for the follow-up of an open action item."""

    class Meta:
        model = AgendaItem
        fields = ["id", "position", "title", "notes", "action_item"]
        read_only_fields = fields


class AttendanceSerializer(serializers.ModelSerializer):
    """Whether a member of the body attended the meeting."""

    person_name = serializers.SerializerMethodField(label=_("Person"))

    class Meta:
        model = Attendance
        fields = ["person", "person_name", "present"]
        read_only_fields = fields

    def get_person_name(self, attendance: Attendance) -> str:
        return attendance.person.get_full_name() or attendance.person.username


class QuorumSerializer(serializers.Serializer):
    """Attendance against the meeting's quorum rule."""

    eligible = serializers.IntegerField(label=_("Members on the meeting's date"))
    present = serializers.IntegerField(label=_("Members present"))
    # A declared field, which DRF's metaclass takes off the class: it does not replace Field.required (the stubs
    # read it as that attribute).
    required = serializers.IntegerField(label=_("Members needed"))  # type: ignore[assignment]
    met = serializers.BooleanField(label=_("Quorum met"))


class MeetingSerializer(ScopedModelSerializer):
    """A meeting of a body, with its agenda, attendance and quorum."""

    create_only_fields = ("body",)

    cluster = serializers.IntegerField(source="body.cluster_id", read_only=True, label=_("Cluster"))
    quorum = serializers.SerializerMethodField(label=_("Quorum"))
    agenda_items = AgendaItemSerializer(many=True, read_only=True)
    attendances = AttendanceSerializer(many=True, read_only=True)
    agenda = serializers.ListField(
        child=serializers.CharField(max_length=255),
        write_only=True,
        required=False,
        label=_("Agenda"),
        help_text=_("Titles of the agenda items, in order, when the meeting is created."),
    )

    class Meta:
        model = Meeting
        fields = [
            "id",
            "cluster",
            "body",
            "title",
            "date",
            "time",
            "location",
            "status",
            "quorum_rule",
            "minutes",
            "quorum",
            "agenda_items",
            "attendances",
            "agenda",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    @extend_schema_field(QuorumSerializer)
    def get_quorum(self, meeting: Meeting) -> dict:
        if hasattr(meeting, "eligible") and hasattr(meeting, "present"):
            # Counted in the list's own query (selectors.meetings_with_quorum), not one query per row.
            quorum = Quorum(
                eligible=meeting.eligible,
                present=meeting.present,
                required=quorum_required(meeting.quorum_rule, meeting.eligible),
            )
        else:
            quorum = meeting.quorum()
        return QuorumSerializer(
            {"eligible": quorum.eligible, "present": quorum.present, "required": quorum.required, "met": quorum.met}
        ).data

    def save_instance(self, instance):
        return services.meeting_save(meeting=instance, agenda=self.validated_data.get("agenda", ()))


class MeetingAttendanceSerializer(JSONTypesMixin, serializers.Serializer):
    """The request of `POST meetings/{id}/attendance/`."""

    present = serializers.ListField(
        child=serializers.IntegerField(min_value=1),
        allow_empty=True,
        label=_("Present"),
        help_text=_("Ids of the body's members who attended; the other members are recorded absent."),
    )


# --- Decisions and action items -------------------------------------------------------------------


class DecisionSerializer(ScopedModelSerializer):
    """A decision taken at a meeting; the outcome follows from the votes for and the members present."""

    create_only_fields = ("meeting",)
    # decision_save sets the outcome from the votes and the members present.
    clean_exclude = ("outcome",)

    body = serializers.IntegerField(source="meeting.body_id", read_only=True, label=_("Body"))
    cluster = serializers.IntegerField(source="meeting.body.cluster_id", read_only=True, label=_("Cluster"))
    action_items: serializers.PrimaryKeyRelatedField[ActionItem] = serializers.PrimaryKeyRelatedField(
        many=True, read_only=True, label=_("Action items")
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "cluster",
            "meeting",
            "body",
            "number",
            "title",
            "text",
            "kind",
            "votes_for",
            "votes_against",
            "votes_abstain",
            "by_consensus",
            "outcome",
            "action_items",
            "created_at",
        ]
        read_only_fields = ["outcome", "created_at"]

    def save_instance(self, instance):
        return services.decision_save(decision=instance)


class ActionItemSerializer(ScopedModelSerializer):
    """An action item with one owner (a person or a working group), a deadline and a status."""

    create_only_fields = ("cluster",)

    cluster = serializers.PrimaryKeyRelatedField(
        queryset=Cluster.objects.all(),
        required=False,
        label=_("Cluster"),
        help_text=_("By default the cluster of the decision."),
    )
    body = serializers.PrimaryKeyRelatedField(
        queryset=Body.objects.all(),
        required=False,
        label=_("Followed up by"),
        help_text=_("By default the owning working group, else the body that took the decision."),
    )
    owner_name = serializers.CharField(read_only=True, label=_("Owner"))
    overdue = serializers.SerializerMethodField(label=_("Overdue"))

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "cluster",
            "decision",
            "body",
            "title",
            "description",
            "owner_person",
            "owner_group",
            "owner_name",
            "deadline",
            "status",
            "done_on",
            "overdue",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def get_overdue(self, item: ActionItem) -> bool:
        annotated = getattr(item, "overdue", None)
        return item.is_overdue if annotated is None else annotated

    def validate(self, attrs):
        if self.instance is None and attrs.get("cluster") is None:
            decision = attrs.get("decision")
            if decision is None:
                raise serializers.ValidationError({"cluster": [_("Choose the cluster or the decision.")]})
            attrs["cluster"] = decision.meeting.body.cluster
        cluster_id = attrs["cluster"].pk if "cluster" in attrs else self.instance.cluster_id
        owner = attrs.get("owner_person")
        if owner is not None and not _is_person_of_cluster(owner, cluster_id):
            raise serializers.ValidationError({"owner_person": [_("Choose a person of this cluster.")]})
        return super().validate(attrs)

    def get_clean_exclude(self, instance):
        exclude = super().get_clean_exclude(instance)
        if instance.body_id is None:
            exclude.add("body")  # action_item_save chooses it, then validates it
        return exclude

    def save_instance(self, instance):
        return services.action_item_save(item=instance)


class ActionItemStatusSerializer(JSONTypesMixin, serializers.Serializer):
    """The request of `POST action-items/{id}/status/`."""

    status = serializers.ChoiceField(choices=ActionItemStatus.choices, label=_("Status"))
    done_on = serializers.DateField(
        required=False, allow_null=True, label=_("Done on"), help_text=_("For a done item; by default today.")
    )
