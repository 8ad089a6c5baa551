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
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from governance.models import Cluster, Enterprise, EnterprisePastLink, link_in, past_links

from .. import platform
from ..choices import Direction, KpiStatus, PeriodKind, Scope, SubmissionStatus
from ..models import (
    ClusterKpi,
    DataCollectionRules,
    DataElement,
    DataValue,
    KpiComputation,
    KpiValue,
    PendingComputation,
    ReportingPeriod,
    Span,
    Submission,
    add_months,
    end_of_day,
)
from .disclosure import disclose as _disclose
from .periods import cluster_today
from .setup import cluster_kpis_ensure_many

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
#
# One INSERT … SELECT computes every active data KPI for a batch of clusters and periods (months and
# quarters): the monthly job takes every cluster at once, a history recomputation every period. Small
# tables of parameters (the KPI terms per cluster, the periods and their months) ride along as VALUES,
# so the statement and its number of queries do not depend on the number of enterprises.


# A change's own task computes its periods right after it commits; the sweep takes what is still pending after
# this long (the task never ran: a worker died, the broker lost it, the process stopped after the commit).
SWEEP_GRACE = datetime.timedelta(minutes=5)

# How many clusters one statement takes: the monthly job of a national installation (hundreds of clusters)
# runs in a few batches, each in its own transaction, so no one transaction grows without bound.
BATCH_CLUSTERS = 50


def _table(model) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _placeholders(values) -> str:
    return ", ".join(["%s"] * len(values)) or "NULL"


def _values(rows: list[tuple], casts: list[str]) -> tuple[str, list]:
    """A VALUES list with typed columns (the first row casts; SQLite ignores the types it does not know)."""
    if connection.vendor != "postgresql":  # SQLite would read a date cast as a number (2025-03-01 → 2025)
        casts = [c if c in ("integer", "numeric") else "" for c in casts]
    row = "(" + ", ".join(f"CAST(%s AS {c})" if c else "%s" for c in casts) + ")"
    return ", ".join([row] * len(rows)), [value for r in rows for value in r]


def _value_sql(alias: str) -> str:
    """A KPI's value from the sums of `alias` (num, den) and its term `t` in period `sp`: factor × num / den + shift
    (the factor times the days of the period where the KPI asks); no denominator: factor × num + shift."""
    factor = "1.0 * t.factor * CASE WHEN t.per_days = 1 THEN sp.days ELSE 1 END"
    return (
        f"CASE WHEN t.den_el IS NULL THEN {factor} * {alias}.num + t.shift "
        f"WHEN {alias}.den = 0 THEN NULL "
        f"ELSE {factor} * {alias}.num / {alias}.den + t.shift END"
    )


def _data_sql(
    terms: list[tuple],
    term_elements: list[tuple],
    spans: list[tuple],
    span_months: list[tuple],
    work: list[tuple],
    counted: list[tuple],
    period_ids: list[int],
) -> tuple[str, list]:
    """The INSERT … SELECT for every data KPI, scope and enterprise of a batch of clusters and periods."""
    terms_sql, terms_params = _values(
        terms,
        ["integer", "integer", "integer", "integer", "integer", "integer", "numeric", "integer", "numeric",
         "integer", "numeric", "numeric", "", "integer"],
    )  # fmt: skip
    elements_sql, elements_params = _values(term_elements, ["integer", "integer", "integer", "integer", "integer"])
    spans_sql, spans_params = _values(
        spans, ["integer", "varchar(7)", "varchar(8)", "date", "integer", "integer", "date"]
    )
    months_sql, months_params = _values(span_months, ["integer", "date", "integer"])
    work_sql, work_params = _values(work, ["integer", "integer"])
    counted_sql, counted_params = _values(counted, ["integer", "integer", "integer", "integer", "numeric"])
    clusters = sorted({w[0] for w in work})
    elements = sorted({e[2] for e in term_elements})
    statuses = [SubmissionStatus.APPROVED, SubmissionStatus.LOCKED]
    sql = f"""
WITH terms (cluster_id, kpi_id, num_el, num_yr, den_el, den_yr, factor, per_days, shift, ratio, target, minimum,
            direction, judged) AS (VALUES {terms_sql}),
term_elements (cluster_id, kpi_id, element_id, yr, side) AS (VALUES {elements_sql}),
spans (si, span_key, kind, start, days, months, last_month) AS (VALUES {spans_sql}),
span_months (si, month, yr) AS (VALUES {months_sql}),
work (cluster_id, si) AS (VALUES {work_sql}),
counted (cluster_id, with_submitted, min_n, min_q, dominance) AS (VALUES {counted_sql}),
sums AS (
    SELECT dv.cluster_id, sm.si, dv.enterprise_id, dv.data_element_id AS element_id, sm.yr,
           SUM(dv.value) AS total, COUNT(dv.value) AS months
    FROM {_table(DataValue)} dv
    JOIN {_table(ReportingPeriod)} p ON p.id = dv.period_id
    JOIN {_table(Submission)} s ON s.enterprise_id = dv.enterprise_id AND s.period_id = dv.period_id
    JOIN counted c ON c.cluster_id = dv.cluster_id
    JOIN span_months sm ON sm.month = p.month
    WHERE dv.cluster_id IN ({_placeholders(clusters)}) AND dv.period_id IN ({_placeholders(period_ids)})
      AND dv.data_element_id IN ({_placeholders(elements)})
      AND s.cluster_id IN ({_placeholders(clusters)}) AND s.period_id IN ({_placeholders(period_ids)})
      AND p.id IN ({_placeholders(period_ids)})
      AND (s.status IN ({_placeholders(statuses)}) OR (c.with_submitted = 1 AND s.status = %s))
    GROUP BY dv.cluster_id, sm.si, dv.enterprise_id, dv.data_element_id, sm.yr
),
el AS (
    SELECT sums.cluster_id, sums.si, sums.enterprise_id, sums.element_id, sums.yr,
           CASE WHEN de.aggregation = 'stock' THEN 1.0 * sums.total / sums.months ELSE sums.total END AS v
    FROM sums
    JOIN {_table(DataElement)} de ON de.id = sums.element_id
    JOIN spans sp ON sp.si = sums.si
    WHERE sums.months = sp.months
),
pairs AS (
    -- Numerator and denominator side by side per enterprise, in one pass over the element sums.
    SELECT te.cluster_id, el.si, te.kpi_id, el.enterprise_id,
           MAX(CASE WHEN te.side = 0 THEN el.v END) AS num,
           MAX(CASE WHEN te.side = 1 THEN el.v END) AS den
    FROM el
    JOIN term_elements te ON te.cluster_id = el.cluster_id AND te.element_id = el.element_id AND te.yr = el.yr
    GROUP BY te.cluster_id, el.si, te.kpi_id, el.enterprise_id
),
ent AS (
    -- The link of the span's last month: a past link where the enterprise has moved since (EnterprisePastLink).
    SELECT p.cluster_id, p.si, p.kpi_id, p.enterprise_id,
           COALESCE(
               (SELECT pl.link FROM {_table(EnterprisePastLink)} pl
                WHERE pl.enterprise_id = p.enterprise_id AND pl.until > sp.last_month
                ORDER BY pl.until LIMIT 1),
               e.value_chain_link
           ) AS link,
           p.num, p.den, {_value_sql("p")} AS v
    FROM pairs p
    JOIN terms t ON t.cluster_id = p.cluster_id AND t.kpi_id = p.kpi_id
    JOIN spans sp ON sp.si = p.si
    JOIN {_table(Enterprise)} e ON e.id = p.enterprise_id
    WHERE p.num IS NOT NULL AND (t.den_el IS NULL OR p.den IS NOT NULL)
),
ranked AS (
    -- Each enterprise's place among its link's and its cluster's (for the quartiles), and the largest
    -- contributions of each (for the dominance rule).
    SELECT ent.*,
           ROW_NUMBER() OVER (PARTITION BY cluster_id, si, kpi_id, link
                              ORDER BY CASE WHEN v IS NULL THEN 1 ELSE 0 END, ROUND(v, 8), enterprise_id) AS rn_l,
           COUNT(v) OVER (PARTITION BY cluster_id, si, kpi_id, link) AS nv_l,
           MAX(num) OVER (PARTITION BY cluster_id, si, kpi_id, link) AS top_num_l,
           MAX(den) OVER (PARTITION BY cluster_id, si, kpi_id, link) AS top_den_l,
           ROW_NUMBER() OVER (PARTITION BY cluster_id, si, kpi_id
                              ORDER BY CASE WHEN v IS NULL THEN 1 ELSE 0 END, ROUND(v, 8), enterprise_id) AS rn_c,
           COUNT(v) OVER (PARTITION BY cluster_id, si, kpi_id) AS nv_c,
           MAX(num) OVER (PARTITION BY cluster_id, si, kpi_id) AS top_num_c,
           MAX(den) OVER (PARTITION BY cluster_id, si, kpi_id) AS top_den_c
    FROM ent
),
scoped AS (
    SELECT cluster_id, si, kpi_id, 'enterprise' AS scope, link, enterprise_id, num, den, 1 AS n,
           NULL AS p25, NULL AS p50, NULL AS p75, NULL AS top2_num, NULL AS top2_den
    FROM ent
    UNION ALL
    SELECT r.cluster_id, r.si, r.kpi_id, 'link', r.link, NULL, SUM(r.num), SUM(r.den), COUNT(*),
           {_quartile_columns("rn_l", "nv_l")}, {_top_two("num", "top_num_l")}, {_top_two("den", "top_den_l")}
    FROM ranked r JOIN counted c ON c.cluster_id = r.cluster_id
    GROUP BY r.cluster_id, r.si, r.kpi_id, r.link
    UNION ALL
    SELECT w.cluster_id, w.si, t.kpi_id, 'cluster', '', NULL, a.num, a.den, COALESCE(a.n, 0), a.p25, a.p50, a.p75,
           a.top2_num, a.top2_den
    FROM work w
    JOIN terms t ON t.cluster_id = w.cluster_id
    LEFT JOIN (
        SELECT r.cluster_id, r.si, r.kpi_id, SUM(r.num) AS num, SUM(r.den) AS den, COUNT(*) AS n,
               {_quartile_columns("rn_c", "nv_c")},
               {_top_two("num", "top_num_c")} AS top2_num, {_top_two("den", "top_den_c")} AS top2_den
        FROM ranked r JOIN counted c ON c.cluster_id = r.cluster_id
        GROUP BY r.cluster_id, r.si, r.kpi_id
    ) a ON a.cluster_id = w.cluster_id AND a.si = w.si AND a.kpi_id = t.kpi_id
),
valued AS (
    SELECT s.cluster_id, s.si, s.kpi_id, s.scope, s.link, s.enterprise_id, s.num, s.den, s.n,
           s.p25, s.p50, s.p75, t.target, t.minimum, t.direction, t.ratio, t.judged,
           CASE WHEN s.n = 0 OR s.num IS NULL THEN NULL ELSE {_value_sql("s")} END AS value,
           -- The primary rules of disclosure control; kpi.services.disclosure adds the secondary ones.
           CASE WHEN s.scope = 'enterprise' THEN ''
                WHEN s.n < c.min_n THEN 'few'
                WHEN s.top2_num > c.dominance * s.num OR s.top2_den > c.dominance * s.den THEN 'dominated'
                ELSE '' END AS disclosure
    FROM scoped s
    JOIN terms t ON t.cluster_id = s.cluster_id AND t.kpi_id = s.kpi_id
    JOIN spans sp ON sp.si = s.si
    JOIN counted c ON c.cluster_id = s.cluster_id
)
INSERT INTO {_table(KpiValue)} (
    cluster_id, kpi_id, period, period_kind, period_start, scope, link, enterprise_id,
    value, numerator, denominator, target, minimum, status, reporting_enterprises, p25, median, p75, disclosure
)
SELECT v.cluster_id, v.kpi_id, sp.span_key, sp.kind, sp.start, v.scope, v.link, v.enterprise_id,
       v.value, v.num, CASE WHEN v.ratio = 1 THEN v.den END, v.target, v.minimum,
       CASE WHEN v.value IS NULL OR (v.judged = 0 AND v.scope <> 'cluster')
                 OR (v.target IS NULL AND v.minimum IS NULL) THEN ''
            WHEN v.minimum IS NOT NULL AND ((v.direction = 'lower' AND v.value > v.minimum)
                                            OR (v.direction <> 'lower' AND v.value < v.minimum)) THEN 'below_minimum'
            WHEN v.target IS NOT NULL AND ((v.direction = 'lower' AND v.value > v.target)
                                           OR (v.direction <> 'lower' AND v.value < v.target)) THEN 'below_target'
            ELSE 'on_target' END,
       v.n, v.p25, v.p50, v.p75, v.disclosure
FROM valued v JOIN spans sp ON sp.si = v.si
"""
    params = terms_params + elements_params + spans_params + months_params + work_params + counted_params
    params += clusters + period_ids + elements + clusters + period_ids + period_ids + statuses
    params += [SubmissionStatus.SUBMITTED]
    return sql, params


def _insert_data_kpis(
    work: list[tuple[Cluster, Span]], settings: dict[int, list[ClusterKpi]], period_ids: list[int]
) -> int:
    """Insert the data KPIs of every (cluster, span) of `work` in one statement; answers the rows written."""
    terms = [
        (
            cluster_id,
            s.kpi_id,
            s.kpi.numerator_id,
            0,
            s.kpi.numerator_id if s.kpi.year_over_year else s.kpi.denominator_id,
            1 if s.kpi.year_over_year else 0,
            s.kpi.multiplier,
            1 if s.kpi.per_days_in_period else 0,
            Decimal(-1) if s.kpi.year_over_year else Decimal(0),
            1 if s.kpi.is_ratio else 0,
            s.target,
            s.minimum,
            s.kpi.direction,
            1 if s.compare_links and s.kpi.is_ratio else 0,
        )
        for cluster_id, rows in settings.items()
        for s in rows
        if not s.kpi.is_platform
    ]
    with_terms = {t[0] for t in terms}
    work = [(c, s) for c, s in work if c.pk in with_terms]
    if not work:
        return 0
    index = {key: i for i, key in enumerate(dict.fromkeys(s.key for _c, s in work))}
    spans = {s.key: s for _c, s in work}
    span_months = sorted(
        {(index[s.key], m, 0) for s in spans.values() for m in s.months}
        | {(index[s.key], m, 1) for s in spans.values() for m in s.year_before.months}
    )
    counted = [
        (
            c.pk,
            1 if c._rules.count_submitted else 0,
            c._rules.publish_min_enterprises,
            c._rules.publish_min_enterprises_quartiles,
            c._rules.publish_dominance_share,
        )
        for c in {c.pk: c for c, _s in work}.values()
    ]
    term_elements = [(t[0], t[1], t[2], t[3], 0) for t in terms] + [
        (t[0], t[1], t[4], t[5], 1) for t in terms if t[4] is not None
    ]
    sql, params = _data_sql(
        terms=terms,
        term_elements=term_elements,
        spans=[(index[s.key], s.key, s.kind, s.start, s.days, len(s.months), s.months[-1]) for s in spans.values()],
        span_months=span_months,
        work=[(c.pk, index[s.key]) for c, s in work],
        counted=counted,
        period_ids=sorted(period_ids),
    )
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(sql, params)
            return cursor.rowcount
        # Every join here is bulk work over whole periods. The planner cannot size the grouped rows of a
        # CTE and, guessing one row, would pick nested loops that grow with clusters × rows (13 s instead of
        # 0.3 s for 20 clusters): hash joins only, for this statement; the sums fit in memory.
        # JIT compilation, which those costs would trigger, takes longer than the statement (1.4 s for a
        # small cluster).
        cursor.execute("SET LOCAL work_mem = '256MB'; SET LOCAL enable_nestloop = off; SET LOCAL jit = off")
        try:
            cursor.execute(sql, params)
            return cursor.rowcount
        finally:
            cursor.execute("SET LOCAL work_mem = DEFAULT; SET LOCAL enable_nestloop = DEFAULT; SET LOCAL jit = DEFAULT")


def _quartile_columns(rank: str, count: str) -> str:
    """Lower quartile, median and upper quartile of the enterprises' values, published only over the cluster's
    `min_q` enterprises or more, each the mean of the three enterprises around its place (so never one
    enterprise's own value): from `ranked`, the place `rank` (1 = lowest) among the `count` values."""
    columns = []
    for (a, b), name in (((1, 4), "p25"), ((1, 2), "p50"), ((3, 4), "p75")):
        # The place nearest to (count - 1) × a/b, counted from 1, in integer arithmetic (the same on both databases).
        place = f"(2 * {a} * (r.{count} - 1) + {b}) / {2 * b} + 1"
        centre = f"CASE WHEN {place} < 2 THEN 2 WHEN {place} > r.{count} - 1 THEN r.{count} - 1 ELSE {place} END"
        columns.append(
            f"CASE WHEN MAX(r.{count}) >= MAX(c.min_q) AND MAX(r.{count}) >= 3 "
            f"THEN AVG(CASE WHEN r.{rank} BETWEEN ({centre}) - 1 AND ({centre}) + 1 THEN r.v END) END AS {name}"
        )
    return ", ".join(columns)


def _top_two(column: str, top: str) -> str:
    """The two largest contributions to a sum, for the dominance rule (the largest twice when two share it)."""
    return (
        f"CASE WHEN SUM(CASE WHEN r.{column} = r.{top} THEN 1 ELSE 0 END) >= 2 THEN 2 * MAX(r.{top}) "
        f"ELSE MAX(r.{top}) + COALESCE(MAX(CASE WHEN r.{column} < r.{top} THEN r.{column} END), 0) END"
    )


def _platform_values(clusters: list[Cluster], span: Span, settings: dict[int, list[ClusterKpi]]) -> list[KpiValue]:
    """The active platform KPIs of every cluster for the span: a query per source for the whole batch."""
    rows = []
    active = {s.kpi.code: s.kpi for c in clusters for s in settings[c.pk] if s.kpi.is_platform}
    for code, kpi in active.items():
        figures = platform.platform_figures(code, clusters, span)
        if figures is None:
            continue
        for cluster in clusters:
            setting = next((s for s in settings[cluster.pk] if s.kpi_id == kpi.pk), None)
            if setting is None or cluster.pk not in figures:
                continue
            numerator, denominator = figures[cluster.pk]
            numerator = Decimal(numerator)
            if denominator is None:
                value = numerator * kpi.multiplier
            else:
                denominator = Decimal(denominator)
                value = numerator * kpi.multiplier / denominator if denominator else None
            rows.append(
                KpiValue(
                    cluster=cluster,
                    kpi=kpi,
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
                    status=kpi_status(value, setting.target, setting.minimum, kpi.direction),
                )
            )
    return rows


@dataclass(frozen=True)
class Computed:
    cluster_id: int
    period: str
    values: int


def span_check_begun(*, cluster: Cluster, span: Span, now: datetime.datetime | None = None) -> None:
    """A month or quarter that has not begun in the cluster has no figures: computing it is refused."""
    if span.start > cluster_today(cluster, now):
        raise ValidationError(
            {
                "period": _("%(period)s has not begun: KPIs are computed for months that have begun.")
                % {"period": span.key}
            },
            code="not_begun",
        )


def _spans_of(spans) -> list[Span]:
    return sorted({Span.parse(s) if isinstance(s, str) else s for s in spans}, key=lambda s: (s.start, s.kind))


def kpi_values_compute_many(
    *,
    clusters: list[Cluster],
    spans: list[Span | str],
    trigger: str = "manual",
    now: datetime.datetime | None = None,
) -> list[Computed]:
    """Compute every active KPI of these clusters for these months and quarters, replacing their values.

    The data KPIs of the whole batch come from one statement (over the months the clusters opened);
    platform KPIs follow per period, and the clusters' alerts are derived again from their stored monthly
    values at the end. A month or quarter that has not begun is refused. Atomic: readers see the old rows
    or the new ones, never a mix; two computations of one cluster wait for each other (the clusters are
    locked in id order).
    """
    from .alerts import alerts_sync

    spans = _spans_of(spans)
    now = now or timezone.now()
    clusters = sorted({c.pk: c for c in clusters}.values(), key=lambda c: c.pk)
    if not clusters or not spans:
        return []
    for cluster in clusters:
        for span in spans:
            span_check_begun(cluster=cluster, span=span, now=now)
    keys = [s.key for s in spans]
    with transaction.atomic():
        # FOR NO KEY UPDATE: two computations of a cluster wait for each other, while writes that only refer
        # to the cluster (a submission, a meeting: their foreign-key checks) go on during a long batch.
        list(
            Cluster.objects.select_for_update(no_key=True)
            .filter(pk__in=[c.pk for c in clusters])
            .order_by("pk")
            .values("pk")
        )
        # The requests for these periods as they stand before the figures are read: cleared at the end unless a
        # change came in meanwhile (then it stays, for its own task or the sweep).
        requested = list(
            PendingComputation.objects.filter(cluster__in=clusters, period__in=keys).values_list("pk", "requested")
        )
        cluster_kpis_ensure_many(clusters=clusters)
        settings: dict[int, list[ClusterKpi]] = {c.pk: [] for c in clusters}
        for s in ClusterKpi.objects.filter(cluster__in=clusters, active=True).select_related("kpi"):
            settings[s.cluster_id].append(s)
        rules = {r.cluster_id: r for r in DataCollectionRules.objects.filter(cluster__in=clusters)}
        for c in clusters:
            c._rules = rules.get(c.pk) or DataCollectionRules(cluster=c)
        # Only periods the cluster has opened a month of are computed.
        months = {m for s in spans for m in s.months}
        periods = list(
            ReportingPeriod.objects.filter(
                cluster__in=clusters, month__in=months | {m for s in spans for m in s.year_before.months}
            ).values_list("pk", "cluster_id", "month")
        )
        opened = {(c, m) for _pk, c, m in periods if m in months}
        work = [(c, s) for s in spans for c in clusters if any((c.pk, m) in opened for m in s.months)]
        KpiValue.objects.filter(cluster__in=clusters, period__in=keys).delete()
        _insert_data_kpis(work, settings, [pk for pk, _c, _m in periods])
        platform_rows = [row for s in spans for row in _platform_values(clusters, s, settings)]
        KpiValue.objects.bulk_create(platform_rows, batch_size=1000)
        counts = {
            (row["cluster_id"], row["period"]): row["n"]
            for row in KpiValue.objects.filter(cluster__in=clusters, period__in=keys)
            .order_by()
            .values("cluster_id", "period")
            .annotate(n=Count("pk"))
        }
        every = [(c, s) for s in spans for c in clusters]
        results = [Computed(c.pk, s.key, counts.get((c.pk, s.key), 0)) for c, s in every]
        coverage = _coverage(clusters, every)
        deadlines = _deadlines(clusters, spans)
        KpiComputation.objects.bulk_create(
            [
                KpiComputation(
                    cluster_id=c.pk,
                    period=s.key,
                    period_kind=s.kind,
                    period_start=s.start,
                    computed_at=now,
                    trigger=trigger,
                    values=counts.get((c.pk, s.key), 0),
                    final_at=deadlines.get((c.pk, s.key), (None, None))[0],
                    locked_at=deadlines.get((c.pk, s.key), (None, None))[1],
                    expected=coverage.get((c.pk, s.key), ({}, {}))[0],
                    counted=coverage.get((c.pk, s.key), ({}, {}))[1],
                )
                for c, s in every
            ],
            update_conflicts=True,
            unique_fields=["cluster", "period"],
            update_fields=[
                "period_kind",
                "period_start",
                "computed_at",
                "trigger",
                "values",
                "final_at",
                "locked_at",
                "expected",
                "counted",
            ],
            batch_size=1000,
        )
        _disclose(clusters, spans, now)
        if any(s.kind == PeriodKind.MONTH for s in spans):
            alerts_sync(clusters=clusters, settings=settings, now=now)
        if requested:
            seen = Q(pk__in=[])
            for pk, count in requested:
                seen |= Q(pk=pk, requested=count)
            # Locked in the order pending_record locks them, then deleted.
            done = list(
                PendingComputation.objects.select_for_update()
                .filter(seen)
                .order_by("cluster_id", "period")
                .values_list("pk", flat=True)
            )
            PendingComputation.objects.filter(pk__in=done).delete()
    return results


def _deadlines(
    clusters: list[Cluster], spans: list[Span]
) -> dict[tuple[int, str], tuple[datetime.datetime | None, datetime.datetime | None]]:
    """When each span stops being provisional (the end of its last month's deadline day) and when it locks (the
    end of the latest lock date of its months: a quarter still changes while any of its months does), per
    (cluster, span key). A span whose last month is not opened has neither."""
    by_pk = {c.pk: c for c in clusters}
    dates = {
        (cluster_id, month): (deadline, lock_date)
        for cluster_id, month, deadline, lock_date in ReportingPeriod.objects.filter(
            cluster__in=clusters, month__in={m for s in spans for m in s.months}
        ).values_list("cluster_id", "month", "deadline", "lock_date")
    }
    deadlines = {}
    for cluster in clusters:
        tz = by_pk[cluster.pk].time_zone
        for span in spans:
            last = dates.get((cluster.pk, span.months[-1]))
            if last is None:
                continue
            lock_date = max(dates.get((cluster.pk, m), last)[1] for m in span.months)
            deadlines[(cluster.pk, span.key)] = (end_of_day(last[0], tz), end_of_day(lock_date, tz))
    return deadlines


def _coverage(clusters: list[Cluster], work: list[tuple[Cluster, Span]]) -> dict[tuple[int, str], tuple[dict, dict]]:
    """(expected, counted) per cluster and span, each {link: enterprises, "": all}: an enterprise counts when its
    figures count in every month of the span (approved, or submitted where the cluster counts those)."""
    from ..selectors.collection import expected_enterprises

    if not work:
        return {}
    spans = list({s.key: s for _c, s in work}.values())
    expected = expected_enterprises(clusters=clusters, spans=spans)
    with_submitted = [c.pk for c in clusters if c._rules.count_submitted]
    counted_statuses = Q(status__in=[SubmissionStatus.APPROVED, SubmissionStatus.LOCKED]) | Q(
        status=SubmissionStatus.SUBMITTED, cluster_id__in=with_submitted
    )
    months = sorted({m for s in spans for m in s.months})
    rows = (
        Submission.objects.filter(counted_statuses, cluster__in=clusters, period__month__in=months)
        .order_by()
        .values_list("cluster_id", "enterprise_id", "enterprise__value_chain_link", "period__month")
    )
    months_of: dict[tuple[int, int, str], set[datetime.date]] = {}
    for cluster_id, enterprise_id, link, month in rows.iterator(chunk_size=10000):
        months_of.setdefault((cluster_id, enterprise_id, link), set()).add(month)
    moved = past_links(clusters)
    result: dict[tuple[int, str], tuple[dict, dict]] = {}
    wanted = {(c.pk, s.key) for c, s in work}
    for span in spans:
        needed = set(span.months)
        counted: dict[int, dict[str, int]] = {}
        for (cluster_id, enterprise_id, link), seen in months_of.items():
            if (cluster_id, span.key) in wanted and needed <= seen:
                link = link_in(link, moved.get(enterprise_id), span.months[-1])
                tally = counted.setdefault(cluster_id, {})
                tally[""] = tally.get("", 0) + 1
                tally[link] = tally.get(link, 0) + 1
        for cluster_id, key in wanted:
            if key == span.key:
                result[(cluster_id, key)] = (expected.get((cluster_id, key), {}), counted.get(cluster_id, {}))
    return result


def kpi_values_compute(
    *, cluster: Cluster, span: Span | str, trigger: str = "manual", now: datetime.datetime | None = None
) -> Computed:
    """Compute every active KPI of the cluster for a month or quarter and replace the period's values."""
    span = Span.parse(span) if isinstance(span, str) else span
    return kpi_values_compute_many(clusters=[cluster], spans=[span], trigger=trigger, now=now)[0]


# --- When to compute ---------------------------------------------------------------------------------


def pending_record(*, cluster_id: int, keys: list[str], trigger: str, now: datetime.datetime | None = None) -> None:
    """Record, in the caller's transaction, that these periods must be computed again (the outbox).

    Rows are locked in one order (the database's, by period) here and where a computation clears them, so two
    transactions never wait for each other in a circle."""
    now = now or timezone.now()
    keys = sorted(set(keys))
    existing = set(
        PendingComputation.objects.select_for_update()
        .filter(cluster_id=cluster_id, period__in=keys)
        .order_by("period")
        .values_list("period", flat=True)
    )
    if existing:
        PendingComputation.objects.filter(cluster_id=cluster_id, period__in=existing).update(
            requested=F("requested") + 1, requested_at=now, trigger=trigger
        )
    for key in keys:
        if key in existing:
            continue
        try:
            with transaction.atomic():
                PendingComputation.objects.create(cluster_id=cluster_id, period=key, requested_at=now, trigger=trigger)
        except IntegrityError:  # another transaction recorded it first
            PendingComputation.objects.filter(cluster_id=cluster_id, period=key).update(
                requested=F("requested") + 1, requested_at=now, trigger=trigger
            )


def _queue(cluster_id: int, keys: list[str], trigger: str) -> None:
    """The periods are recorded with the change that calls for them, and computed once it commits."""
    from ..tasks import kpi_values_compute_task

    pending_record(cluster_id=cluster_id, keys=keys, trigger=trigger)
    for key in keys:
        transaction.on_commit(lambda key=key: kpi_values_compute_task.delay(cluster_id, key, trigger))


def kpi_values_sweep(*, now: datetime.datetime | None = None, older_than: datetime.timedelta = SWEEP_GRACE) -> int:
    """Compute every period still recorded as pending (requested more than `older_than` ago: the work queued
    after the change had time to run); answers how many periods were computed. Run by beat every few minutes
    and by `aggregate_kpis --pending`."""
    now = now or timezone.now()
    pending: dict[int, list[str]] = {}
    for cluster_id, key in PendingComputation.objects.filter(requested_at__lte=now - older_than).values_list(
        "cluster_id", "period"
    ):
        pending.setdefault(cluster_id, []).append(key)
    found = Cluster.objects.in_bulk(list(pending))
    done = 0
    for cluster_id, keys in sorted(pending.items()):
        if cluster_id in found:
            kpi_values_compute_many(clusters=[found[cluster_id]], spans=keys, trigger="sweep")
            done += len(keys)
    return done


def kpi_values_recompute(*, cluster: Cluster, span: Span | str, trigger: str = "manual") -> str:
    """Queue a computation of the period after the current transaction (at once where Celery runs eagerly).

    A month or quarter that has not begun is refused (ValidationError): it has no figures, and a computed
    future month would be the newest period every dashboard offers."""
    span = Span.parse(span) if isinstance(span, str) else span
    span_check_begun(cluster=cluster, span=span)
    _queue(cluster.pk, [span.key], trigger)
    return span.key


def kpi_values_changed(*, cluster_id: int, months, trigger: str = "change") -> list[str]:
    """Figures of these months changed: record and queue the months and quarters to compute again.

    Every period already computed, and every month the cluster has opened and begun (and its quarter), even if not
    computed yet: its first computation may be running right now, reading the figures from before this change.
    """
    # Growth on the same period a year before reads these months too, a year later.
    months = set(months) | {add_months(m, 12) for m in months}
    keys = {Span.month(m).key for m in months} | {Span.quarter_of(m).key for m in months}
    computed = set(
        KpiComputation.objects.filter(cluster_id=cluster_id, period__in=keys).values_list("period", flat=True)
    )
    begun = [
        period.month
        for period in ReportingPeriod.objects.filter(cluster_id=cluster_id, month__in=months).select_related("cluster")
        if period.month <= cluster_today(period.cluster)
    ]
    done = sorted(computed | {Span.month(m).key for m in begun} | {Span.quarter_of(m).key for m in begun})
    _queue(cluster_id, done, trigger)
    return done


def kpi_values_recompute_computed(*, cluster: Cluster, latest: bool = False, trigger: str = "settings") -> list[str]:
    """Queue, in one task, the recomputation of every period already computed for the cluster (or only the
    latest month and quarter): after a setting that changes what the values are."""
    computed = KpiComputation.objects.filter(cluster=cluster).order_by("-period_start")
    if latest:
        keys = [
            key
            for kind in (PeriodKind.MONTH, PeriodKind.QUARTER)
            for key in computed.filter(period_kind=kind).values_list("period", flat=True)[:1]
        ]
    else:
        keys = list(computed.values_list("period", flat=True))
    if keys:
        from ..tasks import kpi_values_compute_periods_task

        pending_record(cluster_id=cluster.pk, keys=keys, trigger=trigger)
        transaction.on_commit(lambda: kpi_values_compute_periods_task.delay(cluster.pk, keys, trigger))
    return keys


def kpi_values_due(*, now: datetime.datetime | None = None, clusters=None) -> list[tuple[int, str]]:
    """The periods to compute now (run daily by beat and by `aggregate_kpis --due`).

    A month (and the quarter it ends) still being reported: not computed yet today, so its provisional
    values are at most a day old. One past its deadline: never computed, or computed before the deadline
    (while provisional) or before a lock date that has passed since. So a month is computed as final the
    night after its deadline (its alerts open then), and once more when locked (a quarter when the latest lock date
    of its months has passed)."""
    now = now or timezone.now()
    computations, periods = KpiComputation.objects.all(), ReportingPeriod.objects.select_related("cluster")
    if clusters is not None:
        computations, periods = computations.filter(cluster__in=clusters), periods.filter(cluster__in=clusters)
    computed, locked = {}, {}
    for cluster_id, key, at, locked_at in computations.values_list("cluster_id", "period", "computed_at", "locked_at"):
        computed[(cluster_id, key)], locked[(cluster_id, key)] = at, locked_at
    due = []
    for period in periods.order_by("cluster_id", "month"):
        deadline_at, locks_at = period.deadline_at, period.locks_at
        spans = [Span.month(period.month)]
        if period.month.month % 3 == 0:
            spans.append(Span.quarter_of(period.month))
        for span in spans:
            at = computed.get((period.cluster_id, span.key))
            if deadline_at > now:
                # Still being reported: its provisional values once a day (changes of counted figures recompute
                # them in between), so dashboards can show how far the month has come.
                today = datetime.datetime.combine(
                    cluster_today(period.cluster, now), datetime.time.min, zoneinfo.ZoneInfo(period.time_zone)
                )
                stale = at is None or at < today
            else:
                # A quarter locks with the latest of its months (as computed): a month of it locked late counts.
                locks = max(locks_at, locked.get((period.cluster_id, span.key)) or locks_at)
                stale = at is None or at < deadline_at or (locks <= now and at < locks)
            if stale:
                due.append((period.cluster_id, span.key))
    return due


def kpi_values_due_batches(*, now: datetime.datetime | None = None, clusters=None) -> list[tuple[list[int], list[str]]]:
    """The due periods as batches: (up to BATCH_CLUSTERS cluster ids, their due periods oldest first).

    Clusters due for the same periods share a batch; a batch holds every due period of its clusters, so
    batches are independent of each other (workers may run them at once) while each cluster's months
    stay in order inside its batch (alerts follow the months).
    """
    by_cluster: dict[int, list[str]] = {}
    for cluster_id, key in kpi_values_due(now=now, clusters=clusters):
        by_cluster.setdefault(cluster_id, []).append(key)
    by_periods: dict[tuple[str, ...], list[int]] = {}
    for cluster_id, keys in sorted(by_cluster.items()):
        ordered = tuple(sorted(keys, key=lambda k: (Span.parse(k).start, Span.parse(k).kind)))
        by_periods.setdefault(ordered, []).append(cluster_id)
    return [
        (ids[start : start + BATCH_CLUSTERS], list(keys))
        for keys, ids in by_periods.items()
        for start in range(0, len(ids), BATCH_CLUSTERS)
    ]


def kpi_values_compute_due(*, now: datetime.datetime | None = None, clusters=None) -> int:
    """Compute every due period here and now, batch after batch (the command, the demo loader); answers how
    many (cluster, period) pairs were due."""
    batches = kpi_values_due_batches(now=now, clusters=clusters)
    found = Cluster.objects.in_bulk({c for ids, _keys in batches for c in ids})
    for ids, keys in batches:
        kpi_values_compute_many(clusters=[found[c] for c in ids], spans=keys, trigger="schedule", now=now)
    return sum(len(ids) * len(keys) for ids, keys in batches)


def kpi_values_queue_due() -> int:
    """The nightly job: queue each batch of due periods as its own task, so a worker pool computes batches
    side by side (a national installation: hundreds of clusters); answers how many batches were queued."""
    from ..tasks import kpi_values_batch_task

    batches = kpi_values_due_batches()
    for ids, keys in batches:
        kpi_values_batch_task.delay(ids, keys, "schedule")
    return len(batches)


def kpi_history_spans(*, cluster: Cluster) -> list[Span]:
    """Every month the cluster has opened, in order, each quarter after its last month."""
    return _history_spans(ReportingPeriod.objects.filter(cluster=cluster).values_list("month", flat=True))


def _history_spans(months) -> list[Span]:
    spans: list[Span] = []
    for month in sorted(set(months)):
        spans.append(Span.month(month))
        if month.month % 3 == 0:
            spans.append(Span.quarter_of(month))
    return spans


def kpi_values_compute_history(
    *, cluster: Cluster | None = None, clusters=None, trigger: str = "manual", now: datetime.datetime | None = None
) -> int:
    """Recompute the whole history of a cluster (or of several): every month and quarter they opened, a batch
    of clusters at a time, alerts following the months in order; answers the number of values."""
    clusters = [cluster] if cluster is not None else list(clusters if clusters is not None else Cluster.objects.all())
    clusters.sort(key=lambda c: c.pk)
    total = 0
    for chunk in range(0, len(clusters), BATCH_CLUSTERS):
        batch = clusters[chunk : chunk + BATCH_CLUSTERS]
        months = ReportingPeriod.objects.filter(cluster__in=batch).values_list("month", flat=True).distinct()
        spans = _history_spans(months)
        total += sum(r.values for r in kpi_values_compute_many(clusters=batch, spans=spans, trigger=trigger, now=now))
    return total
