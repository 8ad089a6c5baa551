"""Read-only resources of incentives, scoped as every other: an enterprise reads only its own evaluations, awards
and reviews; the office and the council read them all."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from core.api.base import ScopedReadOnlyViewSet
from governance.filters import ScopedFilterSet, cluster_filter

from ..choices import AwardStatus, ReviewState, Verdict
from ..filters import quarter_validator
from ..models import Award, ConditionsReview, Evaluation, IncentivePackage
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


class ReviewFilterSet(ScopedFilterSet):
    cluster = cluster_filter()
    quarter = django_filters.CharFilter(label=_("Quarter"), validators=[quarter_validator])
    enterprise = django_filters.CharFilter(field_name="enterprise__taxpayer_id", label=_("Enterprise (taxpayer id)"))
    state = django_filters.ChoiceFilter(choices=ReviewState.choices, label=_("State"))

    class Meta:
        model = ConditionsReview
        fields = ["cluster", "quarter", "enterprise", "award", "state"]


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


class ReviewViewSet(ScopedReadOnlyViewSet):
    """Conditions reviews: opened when an award's holder breaches a KPI minimum its package requires, answered by
    the enterprise, decided by the council. Evidence changes show what corrected figures changed."""

    queryset = ConditionsReview.objects.select_related("enterprise").prefetch_related("evaluation__evidence_changes")
    serializer_class = serializers.ReviewSerializer
    filterset_class = ReviewFilterSet
    order = ("-opened_on", "-pk")
