"""Filters of the governance lists, shared by the pages and the API (django-filter).

Every FilterSet here derives from `ScopedFilterSet`: the rows a related-object filter offers (and
accepts) are the ones the requesting user may see, so neither a page's drop-down nor the API's
`?body=` answer names or confirms another cluster's rows. Each has a `cluster` filter: a query
parameter in the API; the pages, which show the current cluster's rows already, pass that cluster
and leave the filter out of their forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .choices import (
    OPEN_ACTION_STATUSES,
    ActionItemStatus,
    Area,
    BodyKind,
    DecisionKind,
    DecisionOutcome,
    EnterpriseKind,
    EnterpriseStatus,
    MeetingStatus,
    MemberRole,
    RegulationKind,
    RegulationStatus,
    ValueChainLink,
)
from .models import (
    ActionItem,
    Body,
    Cluster,
    ClusterRole,
    Decision,
    Enterprise,
    Meeting,
    Membership,
    Regulation,
)
from .scoping import VIEW, is_platform_admin, restrict, scoped_choices

if TYPE_CHECKING:
    from core.typing import AnyUser

User = get_user_model()

DATE_INPUT = django_filters.widgets.DateRangeWidget(attrs={"type": "date"})


# --- People ---------------------------------------------------------------------------------------


def people_of_clusters(clusters: QuerySet[Cluster]) -> QuerySet:
    """People with a role in one of `clusters` or a seat in one of their bodies."""
    # Subqueries rather than joins: a person with several roles or seats is still one row.
    return User.objects.filter(
        Q(pk__in=ClusterRole.objects.filter(cluster__in=clusters).values("user"))
        | Q(pk__in=Membership.objects.filter(body__cluster__in=clusters).values("person"))
    )


def visible_people(user: AnyUser) -> QuerySet:
    """The people `user` may see: those of the user's clusters (everyone, for a platform administrator)."""
    if is_platform_admin(user):
        return User.objects.all()
    return people_of_clusters(restrict(Cluster.objects.all(), user, VIEW))


def choose_people(queryset: QuerySet, user: AnyUser, *, cluster: Cluster | None = None) -> QuerySet:
    """The people `user` may pick (`core.scoping.scoped_choices` for the user model): those of the user's clusters.

    cluster: only that cluster's people.
    """
    people = visible_people(user)
    if cluster is not None:
        people = people.filter(pk__in=people_of_clusters(Cluster.objects.filter(pk=cluster.pk)).values("pk"))
    return queryset.filter(pk__in=people.values("pk"))


# --- Base -----------------------------------------------------------------------------------------


class ScopedFilterSet(django_filters.FilterSet):
    """A FilterSet whose related-object filters offer only the rows the requesting user may see.

    Without a request (or with an anonymous user) they offer nothing. A page that lists one
    cluster's rows passes `cluster`, and the choices are that cluster's only.
    """

    def __init__(self, data=None, queryset=None, *, request=None, prefix=None, cluster: Cluster | None = None):
        super().__init__(data, queryset, request=request, prefix=prefix)
        user = getattr(request, "user", None)
        for filter_ in self.filters.values():
            if isinstance(filter_, django_filters.ModelChoiceFilter | django_filters.ModelMultipleChoiceFilter):
                if filter_.queryset is not None and not callable(filter_.queryset):
                    filter_.queryset = scoped_choices(filter_.queryset, user, cluster=cluster)


def cluster_filter(field_name: str = "cluster") -> django_filters.ModelChoiceFilter:
    """The `cluster` filter, by the path from the model to its cluster."""
    return django_filters.ModelChoiceFilter(field_name=field_name, queryset=Cluster.objects.all(), label=_("Cluster"))


def _active_on(day, prefix: str = "") -> Q:
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


# --- Clusters and enterprises ---------------------------------------------------------------------


class ClusterFilterSet(ScopedFilterSet):
    cluster = cluster_filter("id")
    region = django_filters.CharFilter(label=_("Region"))
    sector = django_filters.CharFilter(label=_("Sector"))

    class Meta:
        model = Cluster
        fields = ["cluster", "region", "sector"]


class EnterpriseFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    q = django_filters.CharFilter(method="search", label=_("Name or taxpayer id"))
    kind = django_filters.ChoiceFilter(choices=EnterpriseKind.choices, label=_("Type"))
    value_chain_link = django_filters.ChoiceFilter(choices=ValueChainLink.choices, label=_("Value-chain link"))
    status = django_filters.ChoiceFilter(choices=EnterpriseStatus.choices, label=_("Status"))
    taxpayer_id = django_filters.CharFilter(label=_("Taxpayer id (STIR)"))

    class Meta:
        model = Enterprise
        fields = ["cluster", "q", "kind", "value_chain_link", "status", "taxpayer_id"]

    def search(self, queryset, name, value: str):
        return queryset.filter(Q(name__icontains=value) | Q(taxpayer_id__startswith=value))


# --- Bodies, memberships, regulations -------------------------------------------------------------


class BodyFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    kind = django_filters.ChoiceFilter(choices=BodyKind.choices, label=_("Kind"))
    area = django_filters.ChoiceFilter(choices=Area.choices, label=_("Area"))
    is_active = django_filters.BooleanFilter(label=_("Active"))

    class Meta:
        model = Body
        fields = ["cluster", "kind", "area", "is_active"]


class MembershipFilterSet(ScopedFilterSet):
    cluster = cluster_filter("body__cluster")
    body = django_filters.ModelChoiceFilter(queryset=Body.objects.all(), label=_("Body"))
    person = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Person"))
    enterprise = django_filters.ModelChoiceFilter(queryset=Enterprise.objects.all(), label=_("Enterprise represented"))
    role = django_filters.ChoiceFilter(choices=MemberRole.choices, label=_("Role"))
    active = django_filters.BooleanFilter(method="filter_active", label=_("Active today"))

    class Meta:
        model = Membership
        fields = ["cluster", "body", "person", "enterprise", "role", "active"]

    def filter_active(self, queryset, name, value: bool):
        active = _active_on(timezone.localdate())
        return queryset.filter(active) if value else queryset.exclude(active)


class RegulationFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    kind = django_filters.ChoiceFilter(choices=RegulationKind.choices, label=_("Kind"))
    status = django_filters.ChoiceFilter(choices=RegulationStatus.choices, label=_("Status"))
    body = django_filters.ModelChoiceFilter(queryset=Body.objects.all(), label=_("Body"))

    class Meta:
        model = Regulation
        fields = ["cluster", "kind", "status", "body"]


# --- Meetings, decisions, action items ------------------------------------------------------------


class MeetingFilterSet(ScopedFilterSet):
    cluster = cluster_filter("body__cluster")
    body = django_filters.ModelChoiceFilter(queryset=Body.objects.all(), label=_("Body"))
    status = django_filters.ChoiceFilter(choices=MeetingStatus.choices, label=_("Status"))
    date = django_filters.DateFromToRangeFilter(label=_("Date"), widget=DATE_INPUT)

    class Meta:
        model = Meeting
        fields = ["cluster", "body", "status", "date"]


class DecisionFilterSet(ScopedFilterSet):
    cluster = cluster_filter("meeting__body__cluster")
    meeting = django_filters.ModelChoiceFilter(queryset=Meeting.objects.all(), label=_("Meeting"))
    body = django_filters.ModelChoiceFilter(field_name="meeting__body", queryset=Body.objects.all(), label=_("Body"))
    kind = django_filters.ChoiceFilter(choices=DecisionKind.choices, label=_("Kind"))
    outcome = django_filters.ChoiceFilter(choices=DecisionOutcome.choices, label=_("Outcome"))

    class Meta:
        model = Decision
        fields = ["cluster", "meeting", "body", "kind", "outcome"]


class ActionItemFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    body = django_filters.ModelChoiceFilter(queryset=Body.objects.all(), label=_("Followed up by"))
    decision = django_filters.ModelChoiceFilter(queryset=Decision.objects.all(), label=_("Decision"))
    owner_group = django_filters.ModelChoiceFilter(
        queryset=Body.objects.filter(kind=BodyKind.WORKING_GROUP), label=_("Owner (working group)")
    )
    owner_person = django_filters.ModelChoiceFilter(queryset=User.objects.all(), label=_("Owner (person)"))
    status = django_filters.ChoiceFilter(choices=ActionItemStatus.choices, label=_("Status"))
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))
    deadline = django_filters.DateFromToRangeFilter(label=_("Deadline"), widget=DATE_INPUT)

    class Meta:
        model = ActionItem
        fields = ["cluster", "body", "decision", "owner_group", "owner_person", "status", "overdue", "deadline"]

    def filter_overdue(self, queryset, name, value: bool):
        overdue = Q(status__in=OPEN_ACTION_STATUSES, deadline__lt=timezone.localdate())
        return queryset.filter(overdue) if value else queryset.exclude(overdue)
