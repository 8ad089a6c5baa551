"""KPI values from the figures: one set-based computation per cluster and period that replaces the period's rows.

The rules (DESIGN.md, "Aggregation rules"): over months flows are summed and stocks averaged; over
enterprises both are summed; an enterprise counts for a KPI only when it reported every element the
formula reads in every month of the period (for EXPGR: in both years); ratio KPIs are ratios of the
sums, never averages of enterprise ratios. Which submissions count is the cluster's setting.

One INSERT … SELECT computes every active KPI for the cluster, each value-chain link and each
enterprise, so the number of queries does not depend on the number of enterprises.
"""

from __future__ import annotations

import datetime
import statistics
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from governance.models import Cluster, Enterprise

from .. import platform
from ..choices import Direction, KpiStatus, PeriodKind, Scope, SubmissionStatus
from ..models import (
    MIN_PEERS,
    ClusterKpi,
    DataElement,
    DataValue,
    KpiComputation,
    KpiValue,
    ReportingPeriod,
    Span,
    Submission,
)
from .ingest import collection_rules
from .setup import cluster_kpis_ensure

# --- The rules in Python (statuses, which submissions count) -----------------------------------------


def counted_statuses(*, count_submitted: bool) -> list[str]:
    """Approved (and then locked) figures always count; submitted ones only where the cluster says so."""
    statuses = [SubmissionStatus.APPROVED, SubmissionStatus.LOCKED]
    return [SubmissionStatus.SUBMITTED, *statuses] if count_submitted else statuses


def _worse(value, threshold, direction: str) -> bool:
    return value > threshold if direction == Direction.LOWER else value < threshold


def kpi_status(value, target, minimum, direction: str) -> str:
    """On target, below target or below minimum ("below" means worse: above, for a lower-is-better KPI)."""
    if value is None or (target is None and minimum is None):
        return ""
    if minimum is not None and _worse(value, minimum, direction):
        return KpiStatus.BELOW_MINIMUM
    if target is not None and _worse(value, target, direction):
        return KpiStatus.BELOW_TARGET
    return KpiStatus.ON_TARGET


@dataclass(frozen=True)
class Term:
    """One active KPI as the SQL computes it: value = factor × numerator / denominator + offset."""

    setting: ClusterKpi
    numerator: int
    numerator_year: int  # 0: this period, 1: a year before
    denominator: int | None
    denominator_year: int
    factor: Decimal
    offset: Decimal

    @classmethod
    def of(cls, setting: ClusterKpi, span: Span) -> Term:
        kpi = setting.kpi
        factor = kpi.multiplier * (span.days if kpi.per_days_in_period else 1)
        if kpi.year_over_year:
            return cls(setting, kpi.numerator_id, 0, kpi.numerator_id, 1, factor, Decimal(-1))
        return cls(setting, kpi.numerator_id, 0, kpi.denominator_id, 0, factor, Decimal(0))

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None


# --- The computation ---------------------------------------------------------------------------------


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def _data_sql(terms: list[Term]) -> tuple[str, list]:
    """The INSERT … SELECT for every data KPI, scope and enterprise of one period (parameters filled by caller)."""
    rows = ", ".join(
        [
            "(CAST(%s AS integer), CAST(%s AS integer), CAST(%s AS integer), CAST(%s AS integer), "
            "CAST(%s AS integer), CAST(%s AS numeric), CAST(%s AS numeric), CAST(%s AS integer), "
            "CAST(%s AS numeric), CAST(%s AS numeric), %s, CAST(%s AS integer))"
        ]
        * len(terms)
    )
    params: list = []
    for t in terms:
        params += [
            t.setting.kpi_id,
            t.numerator,
            t.numerator_year,
            t.denominator,
            t.denominator_year,
            t.factor,
            t.offset,
            1 if t.is_ratio else 0,
            t.setting.target,
            t.setting.minimum,
            t.setting.kpi.direction,
            1 if t.setting.compare_links and t.is_ratio else 0,
        ]
    sql = f"""
WITH terms (kpi_id, num_el, num_yr, den_el, den_yr, factor, shift, ratio, target, minimum, direction, judged) AS (
    VALUES {rows}
),
sums AS (
    SELECT dv.enterprise_id AS enterprise_id, dv.data_element_id AS element_id,
           CASE WHEN dv.period_id IN ({{current}}) THEN 0 ELSE 1 END AS yr,
           SUM(dv.value) AS total, COUNT(dv.value) AS months
    FROM {_table(DataValue)} dv
    JOIN {_table(Submission)} s ON s.enterprise_id = dv.enterprise_id AND s.period_id = dv.period_id
    WHERE dv.cluster_id = %s AND dv.period_id IN ({{periods}}) AND dv.data_element_id IN ({{elements}})
      AND s.cluster_id = %s AND s.period_id IN ({{periods}}) AND s.status IN ({{statuses}})
    GROUP BY dv.enterprise_id, dv.data_element_id, CASE WHEN dv.period_id IN ({{current}}) THEN 0 ELSE 1 END
),
el AS (
    SELECT sums.enterprise_id, sums.element_id, sums.yr,
           CASE WHEN de.aggregation = 'stock' THEN 1.0 * sums.total / sums.months ELSE sums.total END AS v
    FROM sums JOIN {_table(DataElement)} de ON de.id = sums.element_id
    WHERE sums.months = %s
),
pairs AS (
    -- Numerator and denominator side by side per enterprise (a pivot: no join whose size the planner
    -- would have to guess from a CTE).
    SELECT t.kpi_id, el.enterprise_id,
           MAX(CASE WHEN el.element_id = t.num_el AND el.yr = t.num_yr THEN el.v END) AS num,
           MAX(CASE WHEN el.element_id = t.den_el AND el.yr = t.den_yr THEN el.v END) AS den
    FROM terms t
    JOIN el ON (el.element_id = t.num_el AND el.yr = t.num_yr) OR (el.element_id = t.den_el AND el.yr = t.den_yr)
    GROUP BY t.kpi_id, el.enterprise_id
),
ent AS (
    SELECT t.kpi_id, p.enterprise_id, e.value_chain_link AS link, p.num, p.den,
           CASE WHEN t.den_el IS NULL THEN 1.0 * t.factor * p.num + t.shift
                WHEN p.den = 0 THEN NULL
                ELSE 1.0 * t.factor * p.num / p.den + t.shift END AS v
    FROM pairs p
    JOIN terms t ON t.kpi_id = p.kpi_id
    JOIN {_table(Enterprise)} e ON e.id = p.enterprise_id
    WHERE p.num IS NOT NULL AND (t.den_el IS NULL OR p.den IS NOT NULL)
),
scoped AS (
    SELECT kpi_id, 'enterprise' AS scope, link, enterprise_id, num, den, 1 AS n,
           NULL AS p25, NULL AS p50, NULL AS p75 FROM ent
    UNION ALL
    SELECT kpi_id, 'link', link, NULL, SUM(num), SUM(den), COUNT(*), {{quartiles}} FROM ent GROUP BY kpi_id, link
    UNION ALL
    SELECT t.kpi_id, 'cluster', '', NULL, a.num, a.den, COALESCE(a.n, 0), a.p25, a.p50, a.p75
    FROM terms t LEFT JOIN (
        SELECT kpi_id, SUM(num) AS num, SUM(den) AS den, COUNT(*) AS n, {{quartiles}} FROM ent GROUP BY kpi_id
    ) a ON a.kpi_id = t.kpi_id
),
valued AS (
    SELECT s.kpi_id, s.scope, s.link, s.enterprise_id, s.num, s.den, s.n, s.p25, s.p50, s.p75,
           t.target, t.minimum, t.direction, t.ratio, t.judged,
           CASE WHEN s.n = 0 OR s.num IS NULL THEN NULL
                WHEN t.den_el IS NULL THEN 1.0 * t.factor * s.num + t.shift
                WHEN s.den = 0 THEN NULL
                ELSE 1.0 * t.factor * s.num / s.den + t.shift END AS value
    FROM scoped s JOIN terms t ON t.kpi_id = s.kpi_id
)
INSERT INTO {_table(KpiValue)} (
    cluster_id, kpi_id, period, period_kind, period_start, scope, link, enterprise_id,
    value, numerator, denominator, target, minimum, status, reporting_enterprises, p25, median, p75
)
SELECT %s, kpi_id, %s, %s, %s, scope, link, enterprise_id,
       value, num, CASE WHEN ratio = 1 THEN den END, target, minimum,
       CASE WHEN value IS NULL OR (judged = 0 AND scope <> 'cluster') OR (target IS NULL AND minimum IS NULL) THEN ''
            WHEN minimum IS NOT NULL AND ((direction = 'lower' AND value > minimum)
                                          OR (direction <> 'lower' AND value < minimum)) THEN 'below_minimum'
            WHEN target IS NOT NULL AND ((direction = 'lower' AND value > target)
                                         OR (direction <> 'lower' AND value < target)) THEN 'below_target'
            ELSE 'on_target' END,
       n, p25, p50, p75
FROM valued
"""
    return sql, params


def _insert_data_kpis(cluster: Cluster, span: Span, terms: list[Term], statuses: list[str]) -> int:
    if not terms:
        return 0
    months = span.months + (
        span.year_before.months if any(t.numerator_year or t.denominator_year for t in terms) else ()
    )
    period_ids = dict(ReportingPeriod.objects.filter(cluster=cluster, month__in=months).values_list("month", "pk"))
    current = [period_ids[m] for m in span.months if m in period_ids]
    if not current:
        return 0
    every = list(period_ids.values())
    elements = sorted({t.numerator for t in terms} | {t.denominator for t in terms if t.denominator})
    sql, params = _data_sql(terms)
    sql = sql.format(
        current=_placeholders(current),
        periods=_placeholders(every),
        elements=_placeholders(elements),
        statuses=_placeholders(statuses),
        quartiles=_quartile_columns(),
    )
    params += current + [cluster.pk] + every + elements + [cluster.pk] + every + statuses + current
    params += [len(span.months), cluster.pk, span.key, span.kind, span.start]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The sums of a large cluster's history fit in memory instead of spilling to disk.
            cursor.execute("SET LOCAL work_mem = '64MB'")
        cursor.execute(sql, params)
        return cursor.rowcount


def _quartile_columns() -> str:
    """Lower quartile, median and upper quartile of the enterprises' values, where at least MIN_PEERS report.

    PostgreSQL computes them in the same statement; SQLite has no percentile function, so `_quartiles`
    fills them in afterwards with the same (linear) interpolation.
    """
    if connection.vendor != "postgresql":
        return "NULL AS p25, NULL AS p50, NULL AS p75"
    return ", ".join(
        f"CASE WHEN COUNT(v) >= {int(MIN_PEERS)} THEN percentile_cont({q}) WITHIN GROUP (ORDER BY ROUND(v, 8)) END "
        f"AS {name}"
        for q, name in (("0.25", "p25"), ("0.5", "p50"), ("0.75", "p75"))
    )


def _quartiles(cluster: Cluster, span: Span) -> None:
    """Quartiles over enterprises on cluster and link rows with enough peers, where the INSERT could not."""
    if connection.vendor == "postgresql":
        return  # computed by the INSERT itself (_quartile_columns)
    rows = KpiValue.objects.filter(cluster=cluster, period=span.key)
    # SQLite (the embedded default) has no percentile function: the same linear interpolation in Python.
    groups: dict[tuple[int, str], list[Decimal]] = {}
    for kpi_id, link, value in rows.filter(scope=Scope.ENTERPRISE, value__isnull=False).values_list(
        "kpi_id", "link", "value"
    ):
        groups.setdefault((kpi_id, ""), []).append(value)
        groups.setdefault((kpi_id, link), []).append(value)
    changed = []
    for row in rows.exclude(scope=Scope.ENTERPRISE):
        values = groups.get((row.kpi_id, row.link if row.scope == Scope.LINK else ""), [])
        if len(values) >= MIN_PEERS:
            row.p25, row.median, row.p75 = statistics.quantiles(values, n=4, method="inclusive")
            changed.append(row)
    KpiValue.objects.bulk_update(changed, ["p25", "median", "p75"])


def _platform_values(cluster: Cluster, span: Span, settings: list[ClusterKpi]) -> list[KpiValue]:
    rows = []
    for setting in settings:
        figures = platform.platform_figures(setting.kpi.code, cluster, span)
        if figures is None:
            continue
        numerator, denominator = figures
        numerator = Decimal(numerator)
        if denominator is None:
            value = numerator * setting.kpi.multiplier
        else:
            denominator = Decimal(denominator)
            value = numerator * setting.kpi.multiplier / denominator if denominator else None
        rows.append(
            KpiValue(
                cluster=cluster,
                kpi=setting.kpi,
                period=span.key,
                period_kind=span.kind,
                period_start=span.start,
                scope=Scope.CLUSTER,
                link="",
                value=value,
                numerator=numerator,
                denominator=denominator,
                target=setting.target,
                minimum=setting.minimum,
                status=kpi_status(value, setting.target, setting.minimum, setting.kpi.direction),
            )
        )
    return rows


@dataclass(frozen=True)
class Computed:
    cluster_id: int
    period: str
    values: int


def kpi_values_compute(
    *, cluster: Cluster, span: Span | str, trigger: str = "manual", now: datetime.datetime | None = None
) -> Computed:
    """Compute every active KPI of the cluster for a month or quarter and replace the period's values.

    Atomic: readers see the old rows or the new ones, never a mix; two computations of one cluster
    wait for each other. A month's computation also updates the cluster's alerts.
    """
    from .alerts import alerts_update

    span = Span.parse(span) if isinstance(span, str) else span
    now = now or timezone.now()
    with transaction.atomic():
        Cluster.objects.select_for_update().filter(pk=cluster.pk).values_list("pk").first()
        cluster_kpis_ensure(cluster=cluster)
        settings = list(ClusterKpi.objects.filter(cluster=cluster, active=True).select_related("kpi"))
        rules = collection_rules(cluster)
        KpiValue.objects.filter(cluster=cluster, period=span.key).delete()
        terms = [Term.of(s, span) for s in settings if not s.kpi.is_platform]
        count = _insert_data_kpis(cluster, span, terms, counted_statuses(count_submitted=rules.count_submitted))
        count += len(
            KpiValue.objects.bulk_create(_platform_values(cluster, span, [s for s in settings if s.kpi.is_platform]))
        )
        _quartiles(cluster, span)
        KpiComputation.objects.update_or_create(
            cluster=cluster,
            period=span.key,
            defaults={
                "period_kind": span.kind,
                "period_start": span.start,
                "computed_at": now,
                "trigger": trigger,
                "values": count,
            },
        )
        if span.kind == PeriodKind.MONTH:
            alerts_update(cluster=cluster, span=span, settings=settings, now=now)
    return Computed(cluster.pk, span.key, count)


# --- When to compute ---------------------------------------------------------------------------------


def _queue(cluster_id: int, keys: list[str], trigger: str) -> None:
    from ..tasks import kpi_values_compute_task

    for key in keys:
        transaction.on_commit(lambda key=key: kpi_values_compute_task.delay(cluster_id, key, trigger))


def kpi_values_recompute(*, cluster: Cluster, span: Span | str, trigger: str = "manual") -> str:
    """Queue a computation of the period after the current transaction (at once where Celery runs eagerly)."""
    span = Span.parse(span) if isinstance(span, str) else span
    _queue(cluster.pk, [span.key], trigger)
    return span.key


def kpi_values_changed(*, cluster_id: int, months, trigger: str = "change") -> list[str]:
    """Figures of these months changed: recompute the months and quarters that were already computed.

    Periods never computed are left to the scheduled job after their lock date.
    """
    keys = {Span.month(m).key for m in months} | {Span.quarter_of(m).key for m in months}
    done = sorted(
        KpiComputation.objects.filter(cluster_id=cluster_id, period__in=keys).values_list("period", flat=True)
    )
    _queue(cluster_id, done, trigger)
    return done


def kpi_values_due(*, now: datetime.datetime | None = None, clusters=None) -> list[tuple[int, str]]:
    """The periods to compute now: months past their lock date and quarters whose last month is past it,
    never computed or computed before that lock. Run daily by beat and by `aggregate_kpis --due`."""
    now = now or timezone.now()
    computations, periods = KpiComputation.objects.all(), ReportingPeriod.objects.select_related("cluster")
    if clusters is not None:
        computations, periods = computations.filter(cluster__in=clusters), periods.filter(cluster__in=clusters)
    computed = {(c.cluster_id, c.period): c.computed_at for c in computations}
    due = []
    for period in periods.order_by("cluster_id", "month"):
        locks_at = period.locks_at
        if locks_at > now:
            continue
        spans = [Span.month(period.month)]
        if period.month.month % 3 == 0:
            spans.append(Span.quarter_of(period.month))
        for span in spans:
            at = computed.get((period.cluster_id, span.key))
            if at is None or at < locks_at:
                due.append((period.cluster_id, span.key))
    return due


def kpi_values_compute_due(*, now: datetime.datetime | None = None, clusters=None) -> int:
    """Compute every due period, oldest first (alerts follow the months in order)."""
    due = kpi_values_due(now=now, clusters=clusters)
    clusters = Cluster.objects.in_bulk({c for c, _k in due})
    for cluster_id, key in due:
        kpi_values_compute(cluster=clusters[cluster_id], span=key, trigger="schedule", now=now)
    return len(due)


def kpi_history_spans(*, cluster: Cluster) -> list[Span]:
    """Every month the cluster has opened, in order, each quarter after its last month."""
    spans: list[Span] = []
    for month in ReportingPeriod.objects.filter(cluster=cluster).order_by("month").values_list("month", flat=True):
        spans.append(Span.month(month))
        if month.month % 3 == 0:
            spans.append(Span.quarter_of(month))
    return spans


def kpi_values_compute_history(*, cluster: Cluster, trigger: str = "manual") -> int:
    """Recompute the cluster's whole history, month by month (alerts follow in order); answers the values."""
    return sum(
        kpi_values_compute(cluster=cluster, span=span, trigger=trigger).values
        for span in kpi_history_spans(cluster=cluster)
    )
