"""Filters of the portfolio's pages and API lists; related choices are scoped to the user's rows."""

import django_filters
from django.utils.translation import gettext_lazy as _

from governance.choices import BodyKind
from governance.filters import ScopedFilterSet, cluster_filter
from governance.models import Body, Enterprise

from .choices import Phase, ProjectCategory, ProjectStatus, RequestStatus
from .models import CooperationContract, Milestone, Project, Service, ServiceRequest


class ProjectFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    category = django_filters.ChoiceFilter(choices=ProjectCategory.choices, label=_("Category"))
    status = django_filters.ChoiceFilter(choices=ProjectStatus.choices, label=_("Status"))
    phase = django_filters.ChoiceFilter(choices=Phase.choices, label=_("Roadmap phase"))
    lead_group = django_filters.ModelChoiceFilter(
        queryset=Body.objects.filter(kind=BodyKind.WORKING_GROUP), label=_("Lead working group")
    )

    class Meta:
        model = Project
        fields = ["cluster", "category", "status", "phase", "lead_group"]


class MilestoneFilterSet(ScopedFilterSet):
    cluster = cluster_filter("project__cluster")
    project = django_filters.ModelChoiceFilter(queryset=Project.objects.all(), label=_("Project"))

    class Meta:
        model = Milestone
        fields = ["cluster", "project"]


class CooperationContractFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    supplier = django_filters.ModelChoiceFilter(queryset=Enterprise.objects.all(), label=_("Supplier"))
    buyer = django_filters.ModelChoiceFilter(queryset=Enterprise.objects.all(), label=_("Buyer"))

    class Meta:
        model = CooperationContract
        fields = ["cluster", "supplier", "buyer"]


class ServiceFilterSet(ScopedFilterSet):
    cluster = cluster_filter()

    class Meta:
        model = Service
        fields = ["cluster", "is_active"]


class ServiceRequestFilterSet(ScopedFilterSet):
    cluster = cluster_filter("service__cluster")
    service = django_filters.ModelChoiceFilter(queryset=Service.objects.all(), label=_("Service"))
    enterprise = django_filters.ModelChoiceFilter(queryset=Enterprise.objects.all(), label=_("Enterprise"))
    status = django_filters.ChoiceFilter(choices=RequestStatus.choices, label=_("Status"))

    class Meta:
        model = ServiceRequest
        fields = ["cluster", "service", "enterprise", "status"]
