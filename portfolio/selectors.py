"""Reads of the portfolio element: progress rolled up to projects and to the portfolio, in the database."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.scoping import VIEW, restrict

from .choices import CARRIED
from .models import Milestone, Project


def projects_with_progress(*, user, queryset: QuerySet[Project] | None = None) -> QuerySet[Project]:
    """The projects `user` may see, each with its progress (mean of its milestones, %) and overdue milestones."""
    today = timezone.localdate()
    queryset = restrict(queryset if queryset is not None else Project.objects.all(), user, VIEW)
    return queryset.annotate(
        progress=Coalesce(Avg("milestones__progress"), Value(0.0)),
        overdue_milestones=Count(
            "milestones", filter=Q(milestones__due_on__lt=today, milestones__done_on__isnull=True)
        ),
    )


def portfolio_progress(*, user, cluster) -> Decimal | None:
    """Progress of the projects the council carries (selected, active, completed), weighted by budget, %.

    One query: a row per carried project (a portfolio holds tens of them), summed here.
    """
    rows = projects_with_progress(
        user=user, queryset=Project.objects.filter(cluster=cluster, status__in=CARRIED)
    ).values_list("budget", "progress")
    pairs = [(budget, Decimal(str(progress))) for budget, progress in rows]
    total = sum((budget for budget, _p in pairs), Decimal(0))
    if not total:
        return None
    return sum((budget * progress for budget, progress in pairs), Decimal(0)) / total


def overdue_milestones(*, user, cluster, today: datetime.date | None = None) -> QuerySet[Milestone]:
    today = today or timezone.localdate()
    return restrict(
        Milestone.objects.filter(project__cluster=cluster, due_on__lt=today, done_on__isnull=True), user, VIEW
    ).select_related("project")


def selected_project_counts(*, clusters, on: datetime.date) -> dict[int, int]:
    """Projects the council had selected by `on` and that are not cancelled, per cluster (the PROJSEL KPI)."""
    rows = (
        Project.objects.filter(cluster__in=clusters, status__in=CARRIED, selection_decision__meeting__date__lte=on)
        .order_by()
        .values("cluster_id")
        .annotate(n=Count("pk"))
    )
    found = {row["cluster_id"]: row["n"] for row in rows}
    return {c.pk: found.get(c.pk, 0) for c in clusters}
