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

from django.db.models import Count, Q, QuerySet

from governance.choices import BodyKind, EnterpriseStatus, RegulationStatus
from governance.models import Body, Cluster, Enterprise, Regulation
from governance.selectors import execution_discipline_by_period

from .models import Span, Submission

Figures = tuple[Decimal | int, Decimal | int | None]
# A source answers every (cluster id, span key) of a batch at once, with a fixed number of queries.
Source = Callable[[list[Cluster], list[Span]], dict[tuple[int, str], Figures]]

_SOURCES: dict[str, Source] = {}


def register_platform_source(code: str, source: Source) -> None:
    """Let another app compute a platform KPI (the portfolio: PROJSEL)."""
    _SOURCES[code] = source


def platform_figures(code: str, clusters: list[Cluster], spans: list[Span]) -> dict[tuple[int, str], Figures] | None:
    """The KPI's figures for each cluster and span of the batch, or None where no source knows the KPI."""
    source = _SOURCES.get(code)
    return source(clusters, spans) if source else None


def counts_by_span(
    queryset: QuerySet, clusters: list[Cluster], spans: list[Span], counted: Callable[[Span], Q]
) -> dict[tuple[int, str], int]:
    """Rows per cluster and span (zero where none) in one query: a conditional count per span, `counted(span)`
    saying which rows count for it."""
    if not spans or not clusters:
        return {}
    columns = {f"s{i}": Count("pk", filter=counted(span)) for i, span in enumerate(spans)}
    # Plain mappings: the Django plugin does not see the names annotated through **.
    rows: Iterable[Mapping[str, Any]] = (
        queryset.filter(cluster__in=clusters).order_by().values("cluster_id").annotate(**columns)
    )
    found = {row["cluster_id"]: row for row in rows}
    return {
        (c.pk, span.key): found[c.pk][f"s{i}"] if c.pk in found else 0 for c in clusters for i, span in enumerate(spans)
    }


def _numerators(counts: dict[tuple[int, str], int]) -> dict[tuple[int, str], Figures]:
    return {key: (n, None) for key, n in counts.items()}


def _participants(clusters: list[Cluster], spans: list[Span]) -> dict[tuple[int, str], Figures]:
    return _numerators(
        counts_by_span(
            Enterprise.objects.exclude(status=EnterpriseStatus.LEFT),
            clusters,
            spans,
            lambda span: Q(joined_on__lte=span.end),
        )
    )


def _regulations(clusters: list[Cluster], spans: list[Span]) -> dict[tuple[int, str], Figures]:
    return _numerators(
        counts_by_span(
            Regulation.objects.filter(status=RegulationStatus.APPROVED),
            clusters,
            spans,
            lambda span: Q(effective_from__lte=span.end) | Q(effective_from__isnull=True),
        )
    )


def _working_groups(clusters: list[Cluster], spans: list[Span]) -> dict[tuple[int, str], Figures]:
    return _numerators(
        counts_by_span(
            Body.objects.filter(kind=BodyKind.WORKING_GROUP, is_active=True),
            clusters,
            spans,
            lambda span: Q(established_on__lte=span.end) | Q(established_on__isnull=True),
        )
    )


def _selected_projects(clusters: list[Cluster], spans: list[Span]) -> dict[tuple[int, str], Figures]:
    """Zero until the portfolio registers its own source."""
    return {(c.pk, span.key): (0, None) for c in clusters for span in spans}


def _discipline(clusters: list[Cluster], spans: list[Span]) -> dict[tuple[int, str], Figures]:
    found = execution_discipline_by_period(clusters=clusters, periods={s.key: (s.start, s.end) for s in spans})
    return {key: (d.on_time, d.due) for key, d in found.items()}


def _timeliness(clusters: list[Cluster], spans: list[Span]) -> dict[tuple[int, str], Figures]:
    """Months submitted by the deadline over months expected (participants that had joined by each month's end),
    from one count per month of the batch."""
    months = sorted({m for span in spans for m in span.months})
    as_spans = [Span.month(m) for m in months]
    expected = counts_by_span(
        Enterprise.objects.exclude(status=EnterpriseStatus.LEFT),
        clusters,
        as_spans,
        lambda month: Q(joined_on__lte=month.end),
    )
    # Only months an enterprise was expected to report count, so the share cannot pass 100 %.
    on_time = counts_by_span(
        Submission.objects.filter(on_time=True, period__month__in=months).exclude(
            enterprise__status=EnterpriseStatus.LEFT
        ),
        clusters,
        as_spans,
        lambda month: Q(period__month=month.start, enterprise__joined_on__lte=month.end),
    )
    return {
        (c.pk, span.key): (
            sum(on_time[(c.pk, Span.month(m).key)] for m in span.months),
            sum(expected[(c.pk, Span.month(m).key)] for m in span.months),
        )
        for c in clusters
        for span in spans
    }


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
