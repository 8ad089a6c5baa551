"""Platform KPIs: read from the platform's own records (participants, regulations, working groups, projects,
execution discipline, reporting timeliness), not from the enterprises' figures.

Each source answers, for a batch of clusters and a span, (numerator, denominator) per cluster id; the KPI's
value is their ratio, or the numerator alone when the denominator is None. A source reads its records for
the whole batch in one query grouped by cluster, so a national recomputation does not query per cluster.
A higher app that knows a source (the portfolio knows the selected projects) registers it from its
`AppConfig.ready()`: kpi never imports upward.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q

from governance.choices import BodyKind, EnterpriseStatus, RegulationStatus
from governance.models import Body, Cluster, Enterprise, Regulation
from governance.selectors import execution_discipline_by_cluster

from .models import Span, Submission

Figures = tuple[Decimal | int, Decimal | int | None]
Source = Callable[[list[Cluster], Span], dict[int, Figures]]

_SOURCES: dict[str, Source] = {}


def register_platform_source(code: str, source: Source) -> None:
    """Let another app compute a platform KPI (the portfolio: PROJSEL)."""
    _SOURCES[code] = source


def platform_figures(code: str, clusters: list[Cluster], span: Span) -> dict[int, Figures] | None:
    """The KPI's figures for each of the clusters, or None where no source knows the KPI."""
    source = _SOURCES.get(code)
    return source(clusters, span) if source else None


def _counts(queryset, clusters: list[Cluster]) -> dict[int, Figures]:
    """Rows per cluster (zero where none), as numerators without a denominator."""
    found = dict(queryset.order_by().values("cluster_id").annotate(n=Count("pk")).values_list("cluster_id", "n"))
    return {c.pk: (found.get(c.pk, 0), None) for c in clusters}


def _participants(clusters: list[Cluster], span: Span) -> dict[int, Figures]:
    return _counts(
        Enterprise.objects.filter(cluster__in=clusters, joined_on__lte=span.end).exclude(status=EnterpriseStatus.LEFT),
        clusters,
    )


def _regulations(clusters: list[Cluster], span: Span) -> dict[int, Figures]:
    return _counts(
        Regulation.objects.filter(cluster__in=clusters, status=RegulationStatus.APPROVED).filter(
            Q(effective_from__lte=span.end) | Q(effective_from__isnull=True)
        ),
        clusters,
    )


def _working_groups(clusters: list[Cluster], span: Span) -> dict[int, Figures]:
    return _counts(
        Body.objects.filter(cluster__in=clusters, kind=BodyKind.WORKING_GROUP, is_active=True).filter(
            Q(established_on__lte=span.end) | Q(established_on__isnull=True)
        ),
        clusters,
    )


def _selected_projects(clusters: list[Cluster], span: Span) -> dict[int, Figures]:
    """Zero until the portfolio registers its own source."""
    return {c.pk: (0, None) for c in clusters}


def _discipline(clusters: list[Cluster], span: Span) -> dict[int, Figures]:
    found = execution_discipline_by_cluster(clusters=clusters, start=span.start, end=span.end)
    return {pk: (d.on_time, d.due) for pk, d in found.items()}


def _timeliness(clusters: list[Cluster], span: Span) -> dict[int, Figures]:
    """Months submitted by the deadline over months expected (participants that had joined by each month's end)."""
    months = span.months
    # Plain mappings: the Django plugin does not see the names annotated through **.
    expected: Iterable[Mapping[str, Any]] = (
        Enterprise.objects.filter(cluster__in=clusters)
        .exclude(status=EnterpriseStatus.LEFT)
        .order_by()
        .values("cluster_id")
        .annotate(**{f"m{i}": Count("pk", filter=Q(joined_on__lte=Span.month(m).end)) for i, m in enumerate(months)})
    )
    # Only months an enterprise was expected to report count, so the share cannot pass 100 %.
    on_time: Iterable[Mapping[str, Any]] = (
        Submission.objects.filter(cluster__in=clusters, on_time=True, period__month__in=months)
        .exclude(enterprise__status=EnterpriseStatus.LEFT)
        .order_by()
        .values("cluster_id")
        .annotate(
            **{
                f"m{i}": Count("pk", filter=Q(period__month=m, enterprise__joined_on__lte=Span.month(m).end))
                for i, m in enumerate(months)
            }
        )
    )
    keys = [f"m{i}" for i in range(len(months))]
    expected_by = {row["cluster_id"]: sum(row[k] for k in keys) for row in expected}
    on_time_by = {row["cluster_id"]: sum(row[k] for k in keys) for row in on_time}
    return {c.pk: (on_time_by.get(c.pk, 0), expected_by.get(c.pk, 0)) for c in clusters}


# Defaults; setdefault, so a source another app registered first is kept.
for _code, _source in (
    ("PARTIC", _participants),
    ("REGS", _regulations),
    ("WGS", _working_groups),
    ("PROJSEL", _selected_projects),
    ("DISCIP", _discipline),
    ("TIMELY", _timeliness),
):
    _SOURCES.setdefault(_code, _source)
