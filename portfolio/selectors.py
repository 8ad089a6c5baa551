"""Reads of the portfolio element: progress rolled up to projects and to the portfolio, in the database."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.scoping import VIEW, restrict

from .choices import CARRIED, OPEN_REQUESTS, RequestStatus
from .models import CooperationContract, Milestone, Project, ProjectEffect, ProjectKpi, ServiceRequest

if TYPE_CHECKING:
    from typing import TypeAlias, TypedDict

    from django_stubs_ext import WithAnnotations

    from core.typing import AnyUser

    class _Progress(TypedDict):
        progress: float
        overdue_milestones: int

    # A project annotated by projects_with_progress().
    ProjectWithProgress: TypeAlias = WithAnnotations[Project, _Progress]


def projects_with_progress(
    *, user: AnyUser, queryset: QuerySet[Project] | None = None
) -> QuerySet[ProjectWithProgress]:
    """The projects `user` may see, each with its progress (mean of its milestones, %) and overdue milestones."""
    today = timezone.localdate()
    queryset = restrict(queryset if queryset is not None else Project.objects.all(), user, VIEW)
    return queryset.annotate(
        progress=Coalesce(Avg("milestones__progress"), Value(0.0)),
        overdue_milestones=Count(
            "milestones", filter=Q(milestones__due_on__lt=today, milestones__done_on__isnull=True)
        ),
    )


def portfolio_progress(*, user: AnyUser, cluster) -> Decimal | None:
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


def overdue_milestones(*, user: AnyUser, cluster, today: datetime.date | None = None) -> QuerySet[Milestone]:
    today = today or timezone.localdate()
    return restrict(
        Milestone.objects.filter(project__cluster=cluster, due_on__lt=today, done_on__isnull=True), user, VIEW
    ).select_related("project")


def milestones_of(*, user: AnyUser, projects) -> QuerySet[Milestone]:
    return restrict(Milestone.objects.filter(project__in=[p.pk for p in projects]), user, VIEW).order_by("due_on", "pk")


def selected_project_counts_by_date(*, clusters, dates: Mapping[str, datetime.date]) -> dict[tuple[int, str], int]:
    """Projects the council had selected by each date (key → date) and that are not cancelled, by (cluster id, key),
    in one query (the PROJSEL KPI)."""
    clusters = list(clusters)
    if not clusters or not dates:
        return {}
    keys = list(dates)
    columns = {
        f"n{i}": Count("pk", filter=Q(selection_decision__meeting__date__lte=dates[k])) for i, k in enumerate(keys)
    }
    # Plain mappings: the Django plugin does not see the names annotated through **.
    rows: Iterable[Mapping[str, Any]] = (
        Project.objects.filter(cluster__in=clusters, status__in=CARRIED)
        .order_by()
        .values("cluster_id")
        .annotate(**columns)
    )
    found = {row["cluster_id"]: row for row in rows}
    return {(c.pk, key): found[c.pk][f"n{i}"] if c.pk in found else 0 for c in clusters for i, key in enumerate(keys)}


# --- Cooperation contracts ----------------------------------------------------------------------------


def contracts_in_force(*, user: AnyUser, cluster, on: datetime.date | None = None) -> QuerySet[CooperationContract]:
    on = on or timezone.localdate()
    return restrict(
        CooperationContract.objects.filter(cluster=cluster, start_date__lte=on).filter(
            Q(end_date__isnull=True) | Q(end_date__gte=on)
        ),
        user,
        VIEW,
    ).select_related("supplier", "buyer")


@dataclass(frozen=True)
class Edge:
    supplier_id: int
    buyer_id: int
    value: Decimal
    contracts: int


def value_chain_network(*, user: AnyUser, cluster, on: datetime.date | None = None) -> list[Edge]:
    """The contracts in force as weighted edges between enterprises (one per supplier and buyer), summed in SQL."""
    rows = (
        contracts_in_force(user=user, cluster=cluster, on=on)
        .order_by()
        .values("supplier_id", "buyer_id")
        .annotate(value=Sum("annual_value"), contracts=Count("pk"))
        .order_by("supplier_id", "buyer_id")
    )
    return [Edge(r["supplier_id"], r["buyer_id"], r["value"], r["contracts"]) for r in rows]


def enterprise_partners(*, user: AnyUser, enterprise, on: datetime.date | None = None) -> tuple[list, list]:
    """The enterprise's in-cluster suppliers and buyers under contracts in force, largest first."""
    contracts = contracts_in_force(user=user, cluster=enterprise.cluster, on=on)
    suppliers = (
        contracts.filter(buyer=enterprise)
        .values("supplier_id", "supplier__name")
        .annotate(value=Sum("annual_value"))
        .order_by("-value", "supplier__name")
    )
    buyers = (
        contracts.filter(supplier=enterprise)
        .values("buyer_id", "buyer__name")
        .annotate(value=Sum("annual_value"))
        .order_by("-value", "buyer__name")
    )
    return list(suppliers), list(buyers)


# --- Shared-services centre ---------------------------------------------------------------------------


def service_queue(*, user: AnyUser, cluster) -> QuerySet[ServiceRequest]:
    """Open requests in the order they are served: priority first (the incentive tier), then arrival."""
    return (
        restrict(ServiceRequest.objects.filter(service__cluster=cluster, status__in=OPEN_REQUESTS), user, VIEW)
        .select_related("service", "enterprise")
        .order_by("-priority", "requested_at", "pk")
    )


@dataclass(frozen=True)
class ServiceRecord:
    requests: int
    done: int
    missed: int
    mean_turnaround_days: float | None


def service_record(*, user: AnyUser, cluster, now: datetime.datetime | None = None) -> dict[int, ServiceRecord]:
    """Per service: requests, done, promises missed (done late, or open past the promise), mean turnaround."""
    now = now or timezone.now()
    rows = (
        restrict(ServiceRequest.objects.filter(service__cluster=cluster), user, VIEW)
        .exclude(status=RequestStatus.CANCELLED)
        .order_by()
        .values("service_id")
        .annotate(
            requests=Count("pk"),
            done=Count("pk", filter=Q(status=RequestStatus.DONE)),
            missed=Count(
                "pk",
                filter=Q(done_at__gt=F("due_at")) | Q(done_at__isnull=True, due_at__lt=now),
            ),
            turnaround=Avg(
                ExpressionWrapper(F("done_at") - F("requested_at"), output_field=DurationField()),
                filter=Q(status=RequestStatus.DONE),
            ),
        )
    )
    return {
        r["service_id"]: ServiceRecord(
            r["requests"],
            r["done"],
            r["missed"],
            r["turnaround"].total_seconds() / 86400 if r["turnaround"] is not None else None,
        )
        for r in rows
    }


def service_use(*, clusters, start: datetime.datetime, end: datetime.datetime) -> dict[int, int]:
    """How many services each enterprise requested in [start, end) (not cancelled): participation, for
    other parts (incentives) to read."""
    rows = (
        ServiceRequest.objects.filter(enterprise__cluster__in=clusters, requested_at__gte=start, requested_at__lt=end)
        .exclude(status=RequestStatus.CANCELLED)
        .order_by()
        .values("enterprise_id")
        .annotate(n=Count("pk"))
    )
    return {r["enterprise_id"]: r["n"] for r in rows}


# --- The portfolio page -----------------------------------------------------------------------------

QUICK_WIN_AREAS = ("logistics", "quality", "skills")  # the model asks for quick wins there first
QUICK_WINS_WANTED = (3, 5)


@dataclass(frozen=True)
class QuickWinCheck:
    """Phase 1 of the model: 3–5 quick wins selected, first in logistics, quality and skills."""

    selected: int
    areas_covered: tuple[str, ...]

    @property
    def enough(self) -> bool:
        low, high = QUICK_WINS_WANTED
        return low <= self.selected <= high

    @property
    def areas_missing(self) -> tuple[str, ...]:
        return tuple(a for a in QUICK_WIN_AREAS if a not in self.areas_covered)


def quick_win_check(*, projects, scores) -> QuickWinCheck:
    """From the projects shown and their scores (already loaded): the phase-1 quick wins the council carries."""
    quick = [p for p in projects if p.phase == 1 and p.status in CARRIED and scores[p.pk].quick_win]
    areas = tuple(sorted({p.lead_group.area for p in quick if p.lead_group.area in QUICK_WIN_AREAS}))
    return QuickWinCheck(len(quick), areas)


# --- What a project should move, and what it did ------------------------------------------------------

TREND_MONTHS_BEFORE = 12


@dataclass
class KpiTrend:
    target: ProjectKpi
    start: datetime.date | None
    series: list  # the cluster's monthly KPI values, oldest first


def project_kpi_trends(*, user: AnyUser, project: Project) -> list[KpiTrend]:
    """For each KPI the project should move: the cluster's monthly values from a year before its start on."""
    from kpi.choices import PeriodKind, Scope
    from kpi.models import add_months
    from kpi.selectors import kpi_values

    targets = list(restrict(project.kpis.select_related("kpi"), user, VIEW))
    if not targets:
        return []
    start = project.started_on
    if not start and project.selection_decision_id:
        assert project.selection_decision is not None  # its id is set
        start = project.selection_decision.meeting.date
    first = add_months((start or timezone.localdate()).replace(day=1), -TREND_MONTHS_BEFORE)
    rows = (
        kpi_values(user)
        .filter(
            cluster_id=project.cluster_id,
            kpi_id__in=[t.kpi_id for t in targets],
            period_kind=PeriodKind.MONTH,
            scope=Scope.CLUSTER,
            enterprise__isnull=True,
            period_start__gte=first,
        )
        .order_by("period_start")
    )
    series: dict[int, list] = {t.kpi_id: [] for t in targets}
    for row in rows:
        series[row.kpi_id].append(row)
    return [KpiTrend(t, start, series[t.kpi_id]) for t in targets]


@dataclass(frozen=True)
class EffectYear:
    year: int
    expected: Decimal  # the expected effects a year of the projects that recorded this year
    actual: Decimal
    projects: int


def expected_against_actual(*, user: AnyUser, cluster) -> list[EffectYear]:
    """Per year with recorded effects: what the projects that recorded it expected a year, and what they did."""
    rows = (
        restrict(ProjectEffect.objects.filter(project__cluster=cluster), user, VIEW)
        .order_by()
        .values("year")
        .annotate(expected=Sum("project__expected_effect"), actual=Sum("actual_effect"), projects=Count("pk"))
        .order_by("year")
    )
    return [EffectYear(r["year"], r["expected"], r["actual"], r["projects"]) for r in rows]
