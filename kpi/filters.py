"""Filters of the kpi lists, shared by the pages and the API (django-filter).

Integrations know firms by taxpayer id, so wherever a filter names an enterprise it takes the
taxpayer id; months are given as YYYY-MM.
"""

from __future__ import annotations

import django_filters
from django import forms
from django.core.validators import RegexValidator
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from governance.choices import BodyKind, ValueChainLink
from governance.filters import ScopedFilterSet, cluster_filter
from governance.models import Body

from .choices import AlertStatus, KpiStatus, PeriodKind, PeriodStatus, Scope, SubmissionStatus
from .models import Alert, ClusterKpi, DataValue, KpiValue, ReportingPeriod, Submission, parse_month

MONTH = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
month_validator = RegexValidator(MONTH, _("Give the month as YYYY-MM."))


@extend_schema_field({"type": "string", "pattern": MONTH, "example": "2026-03"})
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


class MonthInput(forms.TextInput):
    """The browser's month picker (`<input type="month">` sends YYYY-MM); where a browser has none, the
    placeholder says what to type."""

    input_type = "month"

    def __init__(self, attrs=None):
        super().__init__({"placeholder": "YYYY-MM", "pattern": "[0-9]{4}-[0-9]{2}", **(attrs or {})})


class SubmissionQueueFilterSet(ScopedFilterSet):
    """The office's review queue on its page: an enterprise by name (or taxpayer id), a month from a picker and a
    status. The API keeps `SubmissionFilterSet`, which integrations use by taxpayer id."""

    q = django_filters.CharFilter(method="filter_q", label=_("Enterprise"))
    period = MonthFilter(field_name="period__month", widget=MonthInput)
    status = django_filters.ChoiceFilter(choices=SubmissionStatus.choices, label=_("Status"), empty_label=_("Any"))

    class Meta:
        model = Submission
        fields = ["q", "period", "status"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["period"].label = _("Month")
        self.form.fields["q"].widget.attrs.update(placeholder=_("Name or taxpayer id"), type="search")

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(enterprise__name__icontains=value) | Q(enterprise__taxpayer_id__startswith=value))


class DataValueFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    enterprise = django_filters.CharFilter(field_name="enterprise__taxpayer_id", label=_("Enterprise (taxpayer id)"))
    period = MonthFilter(field_name="period__month")
    data_element = django_filters.CharFilter(field_name="data_element__code", label=_("Data element (code)"))

    class Meta:
        model = DataValue
        fields = ["cluster", "enterprise", "period", "data_element"]


PERIOD = r"^[0-9]{4}-((0[1-9]|1[0-2])|Q[1-4])$"
period_validator = RegexValidator(PERIOD, _("Give the period as YYYY-MM or YYYY-Qn."))


@extend_schema_field({"type": "string", "pattern": PERIOD, "example": "2026-Q1"})
class PeriodFilter(django_filters.CharFilter):
    """`?period=2026-03` or `?period=2026-Q1`."""


class KpiValueFilterSet(ScopedFilterSet):
    """`?cluster=&kpi=&period=&scope=&link=&enterprise=` as in the kpi-values contract."""

    cluster = cluster_filter()
    kpi = django_filters.CharFilter(field_name="kpi__code", label=_("KPI (code)"))
    period = PeriodFilter(label=_("Period (YYYY-MM or YYYY-Qn)"), validators=[period_validator])
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


class AlertListFilterSet(ScopedFilterSet):
    """The alert list on its page: by KPI (the cluster's, by name), value-chain link, working group and state
    (open by default)."""

    kpi = django_filters.ChoiceFilter(field_name="kpi__code", label=_("KPI"), empty_label=_("Every KPI"))
    link = django_filters.ChoiceFilter(
        method="filter_link",
        choices=[("cluster", _("Whole cluster")), *ValueChainLink.choices],
        label=_("Where"),
        empty_label=_("Everywhere"),
    )
    working_group = django_filters.ModelChoiceFilter(
        queryset=Body.objects.filter(kind=BodyKind.WORKING_GROUP).order_by("name"),
        label=_("Working group"),
        empty_label=_("Every working group"),
    )
    status = django_filters.ChoiceFilter(
        method="filter_status", choices=[*AlertStatus.choices, ("all", _("All"))], label=_("State"), empty_label=None
    )

    class Meta:
        model = Alert
        fields = ["kpi", "link", "working_group", "status"]

    def __init__(self, data=None, *args, cluster=None, **kwargs):
        data = data.copy() if data is not None else QueryDict(mutable=True)
        data.setdefault("status", AlertStatus.OPEN)
        super().__init__(data, *args, cluster=cluster, **kwargs)
        settings = ClusterKpi.objects.filter(cluster=cluster).select_related("kpi").order_by("kpi__position")
        self.filters["kpi"].extra["choices"] = [(s.kpi.code, s.kpi.label) for s in settings]

    def filter_link(self, queryset, name, value):
        if value == "cluster":
            return queryset.filter(scope=Scope.CLUSTER)
        return queryset.filter(scope=Scope.LINK, link=value) if value else queryset

    def filter_status(self, queryset, name, value):
        return queryset if value in ("", "all") else queryset.filter(status=value)
