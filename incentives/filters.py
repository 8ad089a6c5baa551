"""Filters of the evaluation results (quarter, package, verdict, participation level) and of the conditions
reviews (state, quarter, package)."""

from __future__ import annotations

import django_filters
from django.core.validators import RegexValidator
from django.db.models import OuterRef, Subquery
from django.utils.translation import gettext_lazy as _

from governance.filters import ScopedFilterSet

from .choices import Level, ReviewState, Verdict
from .models import ConditionsReview, Evaluation, IncentivePackage, Participation

quarter_validator = RegexValidator(r"^[0-9]{4}-Q[1-4]$", _("Give the quarter as YYYY-Qn."))


class EvaluationFilterSet(ScopedFilterSet):
    quarter = django_filters.CharFilter(label=_("Quarter"), validators=[quarter_validator])
    package = django_filters.ModelChoiceFilter(queryset=IncentivePackage.objects.all(), label=_("Package"))
    verdict = django_filters.ChoiceFilter(choices=Verdict.choices, label=_("Verdict"))
    level = django_filters.ChoiceFilter(choices=Level.choices, label=_("Participation level"), method="filter_level")

    class Meta:
        model = Evaluation
        fields = ["quarter", "package", "verdict", "level"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.form.fields["quarter"].widget.attrs.update(placeholder="2026-Q3")

    def filter_level(self, queryset, name, value):
        level = Participation.objects.filter(enterprise=OuterRef("enterprise"), quarter=OuterRef("quarter"))
        return queryset.annotate(_level=Subquery(level.values("level")[:1])).filter(_level=value)


class ReviewFilterSet(ScopedFilterSet):
    state = django_filters.ChoiceFilter(choices=ReviewState.choices, label=_("State"))
    quarter = django_filters.CharFilter(label=_("Quarter"), validators=[quarter_validator])
    package = django_filters.ModelChoiceFilter(
        queryset=IncentivePackage.objects.all(), field_name="award__package", label=_("Package")
    )

    class Meta:
        model = ConditionsReview
        fields = ["state", "quarter", "package"]
