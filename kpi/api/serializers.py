"""Serializers of the kpi API: the data-values, periods, submissions and KPI contracts of DESIGN.md."""

from __future__ import annotations

from typing import cast

from django.conf import settings
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.base import ScopedModelSerializer
from core.api.types import JSONTypesMixin
from governance.models import Cluster

from .. import services
from ..choices import KpiStatus
from ..models import Alert, AlertContributor, ClusterKpi, DataElement, DataValue, KpiValue, ReportingPeriod, Submission


class MonthField(serializers.Field):
    """A reporting period as "YYYY-MM"."""

    def to_representation(self, value):
        return value.key if isinstance(value, ReportingPeriod) else f"{value.year:04d}-{value.month:02d}"


class DataElementSerializer(serializers.ModelSerializer):
    name = serializers.CharField(source="label", read_only=True)

    class Meta:
        model = DataElement
        fields = ["code", "name", "unit", "aggregation", "group", "value_type"]


class ClusterKpiSerializer(ScopedModelSerializer):
    """A KPI of the catalogue as one cluster runs it: active or not, with its target and minimum."""

    code = serializers.CharField(source="kpi.code", read_only=True)
    name = serializers.CharField(source="kpi.label", read_only=True)
    unit = serializers.CharField(source="kpi.unit", read_only=True)
    direction = serializers.CharField(source="kpi.direction", read_only=True)
    formula = serializers.CharField(source="kpi.formula_label", read_only=True)
    # A declared field, which DRF's metaclass takes off the class: it does not replace Field.source (the stubs
    # read it as that attribute).
    source = serializers.CharField(source="kpi.source", read_only=True)  # type: ignore[assignment]

    class Meta:
        model = ClusterKpi
        fields = [
            "id",
            "cluster",
            "code",
            "name",
            "unit",
            "direction",
            "source",
            "formula",
            "active",
            "target",
            "minimum",
            "working_group",
        ]
        read_only_fields = ["cluster"]

    def save_instance(self, instance):
        setting = services.KpiSetting(
            kpi_id=instance.kpi_id,
            active=instance.active,
            target=instance.target,
            minimum=instance.minimum,
            working_group_id=instance.working_group_id,
            compare_links=instance.compare_links,
        )
        services.cluster_kpis_save(cluster=instance.cluster, settings=[setting])
        return instance


class PeriodSerializer(serializers.ModelSerializer):
    period = serializers.CharField(source="key", read_only=True)
    status = serializers.ChoiceField(choices=["open", "closed", "locked"], read_only=True)

    class Meta:
        model = ReportingPeriod
        fields = ["id", "cluster", "period", "deadline", "lock_date", "status"]


class SubmissionSerializer(serializers.ModelSerializer):
    enterprise = serializers.CharField(source="enterprise.taxpayer_id", read_only=True)
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    period = serializers.CharField(source="period.key", read_only=True)

    class Meta:
        model = Submission
        fields = [
            "id",
            "cluster",
            "enterprise",
            "enterprise_name",
            "period",
            "status",
            "submitted_at",
            "on_time",
            "returned_reason",
            "decided_at",
            "lock_version",
        ]
        read_only_fields = fields


class DecideSerializer(JSONTypesMixin, serializers.Serializer):
    """Approve (or return) the figures the office read: with their `lock_version`, a decision on figures that
    changed since is refused (409)."""

    lock_version = serializers.IntegerField(min_value=0, required=False)


class ReturnSerializer(DecideSerializer):
    reason = serializers.CharField(label=_("Reason"), max_length=2000)


class DataValueSerializer(serializers.ModelSerializer):
    """A stored figure, in the shape of a row of the bulk write."""

    enterprise = serializers.CharField(source="enterprise.taxpayer_id", read_only=True)
    period = serializers.CharField(source="period.key", read_only=True)
    data_element = serializers.CharField(source="data_element.code", read_only=True)

    class Meta:
        model = DataValue
        fields = ["enterprise", "period", "data_element", "value", "comment", "updated_at"]
        read_only_fields = fields


class DataValueRowSerializer(JSONTypesMixin, serializers.Serializer):
    """One row of a bulk write (documentation only: rows are validated in sets by the service)."""

    enterprise = serializers.CharField(help_text=_("Taxpayer id (9 digits)."))
    period = serializers.CharField(help_text=_("Month as YYYY-MM."))
    data_element = serializers.CharField(help_text=_("Code of the data element."))
    value = serializers.DecimalField(max_digits=20, decimal_places=4, allow_null=True)
    comment = serializers.CharField(required=False, allow_blank=True)


@extend_schema_field(DataValueRowSerializer(many=True))
class RowsField(serializers.ListField):
    """The rows, taken as they come: the service validates them together, far faster than one by one."""


class DataValuesWriteSerializer(JSONTypesMixin, serializers.Serializer):
    cluster = serializers.PrimaryKeyRelatedField(queryset=Cluster.objects.all())
    dry_run = serializers.BooleanField(default=False)
    atomic = serializers.BooleanField(default=False)
    rows = RowsField(allow_empty=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from governance.scoping import scoped_choices

        request = self.context.get("request")
        self.fields["cluster"].queryset = scoped_choices(Cluster.objects.all(), getattr(request, "user", None))

    def validate_rows(self, rows):
        limit = settings.KPI_MAX_BATCH_ROWS
        if len(rows) > limit:
            raise serializers.ValidationError(
                gettext("At most %(limit)s rows in one request: send the rest in another.") % {"limit": limit}
            )
        return rows


def rows_shape_problems(rows) -> list[dict]:
    """The rows' shape (their values are the service's): the problems of rows of the wrong kind, the first ones."""
    problems = []
    for index, row in enumerate(rows):
        problems += row_shape_problems(index, row)
        if len(problems) >= MAX_SHAPE_PROBLEMS:
            break
    return problems[:MAX_SHAPE_PROBLEMS]


MAX_SHAPE_PROBLEMS = 200  # a body wrong everywhere needs its first problems, not 20 000


# Translated only when a row has the problem: a batch of 100 000 good rows asked for 300 000 translations.
NAME_MESSAGES = {
    "enterprise": _("Give the taxpayer id as text."),
    "period": _("Give the month as text, YYYY-MM."),
    "data_element": _("Give the data element's code as text."),
}


def row_shape_problems(index: int, row) -> list[dict]:
    """What is of the wrong kind in one row of a bulk write: a row that is no object, a name (taxpayer id,
    month, code) that is no text, a value that is a list or an object, a comment that is no text."""
    from ..validation import MAX_COMMENT

    if not isinstance(row, dict):
        return [
            {
                "row": index,
                "field": "non_field_errors",
                "message": gettext("Each row is an object with enterprise, period, data_element and value."),
            }
        ]
    problems = []
    for field, message in NAME_MESSAGES.items():
        value = row.get(field)
        if value is not None and (isinstance(value, bool) or not isinstance(value, str | int)):
            problems.append({"row": index, "field": field, "message": str(message)})
    value = row.get("value")
    if isinstance(value, list | dict):
        problems.append(
            {"row": index, "field": "value", "message": gettext("Give the value as a number, text or null.")}
        )
    comment = row.get("comment")
    if comment is not None and not isinstance(comment, str):
        problems.append({"row": index, "field": "comment", "message": gettext("Give the comment as text.")})
    elif isinstance(comment, str) and len(comment) > MAX_COMMENT:
        problems.append(
            {
                "row": index,
                "field": "comment",
                "message": gettext("A comment is at most %(limit)s characters.") % {"limit": MAX_COMMENT},
            }
        )
    return problems


class ProblemSerializer(serializers.Serializer):
    row = serializers.IntegerField()
    field = serializers.CharField()
    message = serializers.CharField()


class DataValuesResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    rejected = serializers.IntegerField()
    conflicts = ProblemSerializer(many=True)
    warnings = ProblemSerializer(many=True)


class KpiValueSerializer(serializers.ModelSerializer):
    """A stored KPI value; the enterprise is named by its taxpayer id, periods as YYYY-MM or YYYY-Qn.

    `provisional`: the period's deadline has not passed yet (few firms have reported, none is approved);
    `expected_enterprises`: how many were expected to report in the row's scope, beside
    `reporting_enterprises`, how many count in it (null on an enterprise's own row).
    """

    kpi = serializers.CharField(source="kpi.code", read_only=True)
    enterprise = serializers.CharField(source="enterprise.taxpayer_id", read_only=True, allow_null=True)
    link = serializers.CharField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=KpiStatus.choices, read_only=True, allow_null=True)
    provisional = serializers.SerializerMethodField()
    expected_enterprises = serializers.SerializerMethodField()

    class Meta:
        model = KpiValue
        fields = [
            "kpi",
            "period",
            "scope",
            "link",
            "enterprise",
            "value",
            "numerator",
            "denominator",
            "target",
            "minimum",
            "status",
            "reporting_enterprises",
            "expected_enterprises",
            "provisional",
            "p25",
            "median",
            "p75",
        ]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["link"] = data["link"] or None
        data["status"] = data["status"] or None
        if instance.enterprise_id is None and not _reads_every_figure(self.context, instance.cluster_id):
            # Enterprises count in different KPIs: sums shared by two KPIs would give one enterprise's figure as
            # their difference. Everyone but the office reads the values.
            data["numerator"] = data["denominator"] = None
        return data

    def get_provisional(self, value) -> bool:
        from ..selectors import is_provisional

        return is_provisional(value, self.context.get("now"))

    def get_expected_enterprises(self, value) -> int | None:
        from ..selectors import expected_enterprises_of

        return expected_enterprises_of(value)


class RecomputeSerializer(JSONTypesMixin, serializers.Serializer):
    cluster = serializers.IntegerField()
    period = serializers.RegexField(
        r"^[0-9]{4}-((0[1-9]|1[0-2])|Q[1-4])$",
        error_messages={"invalid": _("Give the period as YYYY-MM or YYYY-Qn.")},
    )


class RecomputedSerializer(serializers.Serializer):
    cluster = serializers.IntegerField()
    period = serializers.CharField()
    queued = serializers.BooleanField()


def _reads_every_figure(context, cluster_id: int) -> bool:
    """The office (and platform administrators) read every figure of their cluster; others the published ones."""
    from governance.scoping import is_office

    request = context.get("request")
    return is_office(getattr(request, "user", None), cluster_id)


class AlertContributorSerializer(serializers.ModelSerializer):
    """An enterprise behind an alert: those who act on alerts read its name and rank, the office its figures."""

    enterprise = serializers.CharField(source="enterprise.taxpayer_id", read_only=True)
    name = serializers.CharField(source="enterprise.name", read_only=True)

    class Meta:
        model = AlertContributor
        fields = ["rank", "enterprise", "name", "value", "shortfall", "share"]
        read_only_fields = fields

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if not _reads_every_figure(self.context, instance.alert.cluster_id):
            data["value"] = data["shortfall"] = data["share"] = None
        return data


class AlertSerializer(serializers.ModelSerializer):
    """An alert; `contributors` lists only the enterprises the caller may see named."""

    kpi = serializers.CharField(source="kpi.code", read_only=True)
    link = serializers.CharField(read_only=True, allow_null=True)
    contributors = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "cluster",
            "kpi",
            "scope",
            "link",
            "working_group",
            "status",
            "opened_period",
            "period",
            "closed_period",
            "value",
            "minimum",
            "reporting_enterprises",
            "opened_at",
            "closed_at",
            "action_item",
            "contributors",
        ]
        read_only_fields = fields

    def get_contributors(self, alert) -> list[dict]:
        visible = self.context.get("visible_contributors", {})
        # many=True makes a ListSerializer (DRF's __new__), which the stubs do not follow.
        contributors = AlertContributorSerializer(visible.get(alert.pk, []), many=True, context=self.context)
        return cast(serializers.ListSerializer, contributors).data

    def to_representation(self, instance):
        data = super().to_representation(instance)
        data["link"] = data["link"] or None
        if not instance.disclosed and not _reads_every_figure(self.context, instance.cluster_id):
            data["value"] = None  # the value it is about is not published (too few firms, or dominated)
        return data
