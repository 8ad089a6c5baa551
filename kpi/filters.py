"""Filters of the kpi lists, shared by the pages and the API (django-filter).

Integrations know firms by taxpayer id, so wherever a filter names an enterprise it takes the
taxpayer id; months are given as YYYY-MM.
"""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from governance.choices import ValueChainLink
from governance.filters import ScopedFilterSet, cluster_filter

from .choices import AlertStatus, KpiStatus, PeriodKind, PeriodStatus, Scope, SubmissionStatus
from .models import Alert, ClusterKpi, DataValue, KpiValue, ReportingPeriod, Submission, parse_month

month_validator = RegexValidator(r"^[0-9]{4}-(0[1-9]|1[0-2])$", _("Give the month as YYYY-MM."))


class MonthFilter(django_filters.CharFilter):
    """`?period=2026-03`: the month of a reporting period (anything else is a 400 on the filter)."""

    def __init__(self, *, field_name: str, **kwargs):
        super().__init__(field_name=field_name, label=_("Month (YYYY-MM)"), validators=[month_validator], **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(**{self.field_name: parse_month(value)})


class ClusterKpiFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    active = django_filters.BooleanFilter(label=_("Active"))
    code = django_filters.CharFilter(field_name="kpi__code", label=_("Code"))

    class Meta:
        model = ClusterKpi
        fields = ["cluster", "active", "code"]


class PeriodFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    period = MonthFilter(field_name="month")
    status = django_filters.ChoiceFilter(choices=PeriodStatus.choices, method="filter_status", label=_("Status"))

    class Meta:
        model = ReportingPeriod
        fields = ["cluster", "period", "status"]

    def filter_status(self, queryset, name, value):
        # By the platform's date; a period's own status is exact in its cluster's time zone.
        today = timezone.localdate()
        if value == PeriodStatus.OPEN:
            return queryset.filter(deadline__gte=today)
        if value == PeriodStatus.CLOSED:
            return queryset.filter(deadline__lt=today, lock_date__gte=today)
        return queryset.filter(lock_date__lt=today)


class SubmissionFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    enterprise = django_filters.CharFilter(field_name="enterprise__taxpayer_id", label=_("Enterprise (taxpayer id)"))
    period = MonthFilter(field_name="period__month")
    status = django_filters.MultipleChoiceFilter(choices=SubmissionStatus.choices, label=_("Status"))

    class Meta:
        model = Submission
        fields = ["cluster", "enterprise", "period", "status"]


class DataValueFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    enterprise = django_filters.CharFilter(field_name="enterprise__taxpayer_id", label=_("Enterprise (taxpayer id)"))
    period = MonthFilter(field_name="period__month")
    data_element = django_filters.CharFilter(field_name="data_element__code", label=_("Data element (code)"))

    class Meta:
        model = DataValue
        fields = ["cluster", "enterprise", "period", "data_element"]


period_validator = RegexValidator(r"^[0-9]{4}-((0[1-9]|1[0-2])|Q[1-4])$", _("Give the period as YYYY-MM or YYYY-Qn."))


class KpiValueFilterSet(ScopedFilterSet):
    """`?cluster=&kpi=&period=&scope=&link=&enterprise=` as in the kpi-values contract."""

    cluster = cluster_filter()
    kpi = django_filters.CharFilter(field_name="kpi__code", label=_("KPI (code)"))
    period = django_filters.CharFilter(label=_("Period (YYYY-MM or YYYY-Qn)"), validators=[period_validator])
    period_kind = django_filters.ChoiceFilter(choices=PeriodKind.choices, label=_("Months or quarters"))
    scope = django_filters.ChoiceFilter(choices=Scope.choices, label=_("Scope"))
    link = django_filters.ChoiceFilter(choices=ValueChainLink.choices, label=_("Value-chain link"))
    enterprise = django_filters.CharFilter(field_name="enterprise__taxpayer_id", label=_("Enterprise (taxpayer id)"))
    status = django_filters.ChoiceFilter(choices=KpiStatus.choices, label=_("Status"))
    provisional = django_filters.BooleanFilter(
        method="filter_provisional", label=_("Provisional (the period's deadline has not passed)")
    )

    class Meta:
        model = KpiValue
        fields = ["cluster", "kpi", "period", "period_kind", "scope", "link", "enterprise", "status", "provisional"]

    def filter_provisional(self, queryset, name, value):
        """Needs the `final_at` of `selectors.with_coverage`: final rows have a `final_at` that has passed."""
        if value is None:
            return queryset
        final = Q(final_at__isnull=False, final_at__lte=timezone.now())
        return queryset.exclude(final) if value else queryset.filter(final)


class AlertFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    kpi = django_filters.CharFilter(field_name="kpi__code", label=_("KPI (code)"))
    status = django_filters.ChoiceFilter(choices=AlertStatus.choices, label=_("Status"))
    link = django_filters.ChoiceFilter(choices=ValueChainLink.choices, label=_("Value-chain link"))

    class Meta:
        model = Alert
        fields = ["cluster", "kpi", "status", "link", "working_group"]
