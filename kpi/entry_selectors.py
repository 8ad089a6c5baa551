"""Reads for the data-entry pages: a submission's figures, last month's, and the office's month at a glance."""

from __future__ import annotations

import datetime

from django.db.models import Count, Q, QuerySet

from governance.models import Enterprise

from .choices import SubmissionStatus
from .models import DataValue, DataValueChange, ReportingPeriod, Submission, add_months


def figures_of(*, enterprise: Enterprise, month: datetime.date) -> dict[int, DataValue]:
    """The enterprise's stored figures of a month, by data element id."""
    return {
        v.data_element_id: v
        for v in DataValue.objects.filter(
            enterprise=enterprise, period__cluster_id=enterprise.cluster_id, period__month=month
        )
    }


def previous_values(*, enterprise: Enterprise, month: datetime.date) -> dict:
    """Last month's values, by data element id, shown beside each field of the form."""
    return {
        element_id: value
        for element_id, value in DataValue.objects.filter(
            enterprise=enterprise, period__cluster_id=enterprise.cluster_id, period__month=add_months(month, -1)
        ).values_list("data_element_id", "value")
    }


def changes_of(*, submission: Submission) -> QuerySet[DataValueChange]:
    return DataValueChange.objects.filter(
        enterprise_id=submission.enterprise_id, period_id=submission.period_id
    ).select_related("data_element", "changed_by")


def status_counts(periods: QuerySet[ReportingPeriod]) -> QuerySet[ReportingPeriod]:
    """Periods with the number of submissions in each status (one grouped query)."""
    return periods.annotate(
        **{
            f"n_{status}": Count("submissions", filter=Q(submissions__status=status))
            for status in SubmissionStatus.values
        },
        n_late=Count("submissions", filter=Q(submissions__on_time=False)),
    )
