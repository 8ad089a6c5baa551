"""Platform KPIs: read from the platform's own records (participants, regulations, working groups, projects,
execution discipline, reporting timeliness), not from the enterprises' figures.

Each source answers (numerator, denominator) for a cluster and a span; the KPI's value is their ratio, or
the numerator alone when the denominator is None. A higher app that knows a source (the portfolio knows
the selected projects) registers it from its `AppConfig.ready()`: kpi never imports upward.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from django.db.models import Count, Q

from governance.choices import BodyKind, EnterpriseStatus, RegulationStatus
from governance.models import Body, Cluster, Enterprise, Regulation
from governance.selectors import execution_discipline

from .models import Span, Submission

Figures = tuple[Decimal | int, Decimal | int | None]
Source = Callable[[Cluster, Span], Figures]

_SOURCES: dict[str, Source] = {}


def register_platform_source(code: str, source: Source) -> None:
    """Let another app compute a platform KPI (the portfolio: PROJSEL)."""
    _SOURCES[code] = source


def platform_figures(code: str, cluster: Cluster, span: Span) -> Figures | None:
    source = _SOURCES.get(code)
    return source(cluster, span) if source else None


def _participants(cluster: Cluster, span: Span) -> Figures:
    count = (
        Enterprise.objects.filter(cluster=cluster, joined_on__lte=span.end)
        .exclude(status=EnterpriseStatus.LEFT)
        .count()
    )
    return count, None


def _regulations(cluster: Cluster, span: Span) -> Figures:
    count = (
        Regulation.objects.filter(cluster=cluster, status=RegulationStatus.APPROVED)
        .filter(Q(effective_from__lte=span.end) | Q(effective_from__isnull=True))
        .count()
    )
    return count, None


def _working_groups(cluster: Cluster, span: Span) -> Figures:
    count = (
        Body.objects.filter(cluster=cluster, kind=BodyKind.WORKING_GROUP, is_active=True)
        .filter(Q(established_on__lte=span.end) | Q(established_on__isnull=True))
        .count()
    )
    return count, None


def _selected_projects(cluster: Cluster, span: Span) -> Figures:
    """Zero until the portfolio registers its own source."""
    return 0, None


def _discipline(cluster: Cluster, span: Span) -> Figures:
    total, _per_body = execution_discipline(cluster=cluster, start=span.start, end=span.end)
    return total.on_time, total.due


def _timeliness(cluster: Cluster, span: Span) -> Figures:
    """Months submitted by the deadline over months expected (participants that had joined by each month's end)."""
    months = span.months
    expected = Enterprise.objects.filter(cluster=cluster).exclude(status=EnterpriseStatus.LEFT)
    counts = expected.aggregate(
        **{f"m{i}": Count("pk", filter=Q(joined_on__lte=Span.month(m).end)) for i, m in enumerate(months)}
    )
    on_time = Submission.objects.filter(cluster=cluster, on_time=True, period__month__in=months).exclude(
        enterprise__status=EnterpriseStatus.LEFT
    )
    # Only months an enterprise was expected to report count, so the share cannot pass 100 %.
    on_time_counts = on_time.aggregate(
        **{
            f"m{i}": Count("pk", filter=Q(period__month=m, enterprise__joined_on__lte=Span.month(m).end))
            for i, m in enumerate(months)
        }
    )
    return sum(on_time_counts.values()), sum(counts.values())


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
