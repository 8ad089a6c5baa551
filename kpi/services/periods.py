"""Opening and locking the monthly reporting periods."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from governance.models import Cluster

from ..choices import SubmissionStatus
from ..models import ReportingPeriod, Submission, add_months
from .ingest import collection_rules


def period_dates(*, cluster: Cluster, month: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The deadline and the lock date of a month under the cluster's data-collection rules."""
    rules = collection_rules(cluster)
    deadline = add_months(month, 1).replace(day=rules.deadline_day)
    return deadline, deadline + datetime.timedelta(days=rules.lock_delay_days)


def period_open(*, cluster: Cluster, month: datetime.date) -> ReportingPeriod:
    """Open a month for reporting (idempotent: an open month is returned as it is)."""
    month = month.replace(day=1)
    existing = ReportingPeriod.objects.filter(cluster=cluster, month=month).first()
    if existing is not None:
        return existing
    deadline, lock_date = period_dates(cluster=cluster, month=month)
    period = ReportingPeriod(cluster=cluster, month=month, deadline=deadline, lock_date=lock_date)
    period.full_clean()
    with transaction.atomic():
        ReportingPeriod.objects.bulk_create([period], ignore_conflicts=True)  # a concurrent opener may win
    return ReportingPeriod.objects.get(cluster=cluster, month=month)


def periods_open_due(*, now: datetime.datetime | None = None, clusters=None) -> int:
    """Open, in every cluster, the months that have ended and are not open yet (back to the cluster's start).

    Run daily by beat and by `manage.py open_periods`: the month that just ended opens on the 1st of the next
    one in the cluster's time zone.
    """
    opened = 0
    for cluster in clusters if clusters is not None else Cluster.objects.all():
        last = add_months(cluster.today(now).replace(day=1), -1)
        first = max(cluster.start_date.replace(day=1), add_months(last, -23))
        have = set(ReportingPeriod.objects.filter(cluster=cluster, month__gte=first).values_list("month", flat=True))
        month = first
        while month <= last:
            if month not in have:
                period_open(cluster=cluster, month=month)
                opened += 1
            month = add_months(month, 1)
    return opened


def submissions_lock(*, now: datetime.datetime | None = None) -> int:
    """Mark approved submissions of locked months as locked (a conditional UPDATE: safe to run twice)."""
    now = now or timezone.now()
    locked = 0
    candidates = (
        ReportingPeriod.objects.filter(
            lock_date__lt=now.date() + datetime.timedelta(days=1),
            submissions__status=SubmissionStatus.APPROVED,
        )
        .select_related("cluster")
        .distinct()
    )
    for period in candidates:
        if period.is_locked(now):
            locked += Submission.objects.filter(period=period, status=SubmissionStatus.APPROVED).update(
                status=SubmissionStatus.LOCKED, lock_version=F("lock_version") + 1
            )
    return locked
