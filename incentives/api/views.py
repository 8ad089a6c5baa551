"""Read-only resources of incentives, scoped as every other: an enterprise reads only its own evaluations and
awards; the office and the council read them all."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from core.api.base import ScopedReadOnlyViewSet
from governance.filters import ScopedFilterSet, cluster_filter

from ..choices import AwardStatus, Verdict
from ..filters import quarter_validator
from ..models import Award, Evaluation, IncentivePackage
from . import serializers


class PackageFilterSet(ScopedFilterSet):
    cluster = cluster_filter()

    class Meta:
        model = IncentivePackage
        fields = ["cluster", "active"]


class EvaluationApiFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    quarter = django_filters.CharFilter(label=_("Quarter"), validators=[quarter_validator])
    enterprise = django_filters.CharFilter(field_name="enterprise__taxpayer_id", label=_("Enterprise (taxpayer id)"))
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices, label=_("Verdict"))

    class Meta:
        model = Evaluation
        fields = ["cluster", "quarter", "enterprise", "package", "verdict"]


class AwardFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    quarter = django_filters.CharFilter(label=_("Quarter"), validators=[quarter_validator])
    enterprise = django_filters.CharFilter(field_name="enterprise__taxpayer_id", label=_("Enterprise (taxpayer id)"))
    status = django_filters.ChoiceFilter(choices=AwardStatus.choices, label=_("Status"))

    class Meta:
        model = Award
        fields = ["cluster", "quarter", "enterprise", "package", "status"]


class IncentivePackageViewSet(ScopedReadOnlyViewSet):
    """Packages in tiers with their benefits and every version of their rule, conditions included."""

    queryset = IncentivePackage.objects.prefetch_related("benefits", "rule_versions__conditions__kpi")
    serializer_class = serializers.IncentivePackageSerializer
    filterset_class = PackageFilterSet
    order = ("cluster", "tier", "pk")


class EvaluationViewSet(ScopedReadOnlyViewSet):
    """Each enterprise's evaluation for each package and quarter, with its condition rows."""

    queryset = Evaluation.objects.select_related("enterprise", "rule").prefetch_related("results")
    serializer_class = serializers.EvaluationSerializer
    filterset_class = EvaluationApiFilterSet
    order = ("-quarter", "enterprise__taxpayer_id", "package__tier", "pk")


class AwardViewSet(ScopedReadOnlyViewSet):
    """Awards proposed by the evaluations and decided by the council."""

    queryset = Award.objects.select_related("enterprise")
    serializer_class = serializers.AwardSerializer
    filterset_class = AwardFilterSet
    order = ("-quarter", "enterprise__taxpayer_id", "pk")
