"""KPI values from the figures: one set-based computation per batch of clusters and periods that replaces their rows.

The rules (DESIGN.md, "Aggregation rules"): over months flows are summed and stocks averaged; over
enterprises both are summed; an enterprise counts for a KPI only when it reported every element the
formula reads in every month of the period (for EXPGR: in both years); ratio KPIs are ratios of the
sums, never averages of enterprise ratios. Which submissions count is the cluster's setting.

One INSERT … SELECT computes every active KPI for the clusters and each value-chain link, so the number of
queries does not depend on the number of enterprises. It reads each enterprise's sums from the common table
expressions of `statement.py` (a month's figures side by side, then each span's sums) and stores only what is
read across enterprises: enterprises' own values are computed when read (`enterprise_values.py`). What a KPI's
value and status are is `formula.py`; when a period is computed is `scheduling.py`.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import Event, emit
from governance.models import Cluster, link_in, past_links

from .. import platform
from ..choices import PeriodKind, Scope, SubmissionStatus, Trigger
from ..models import (
    ClusterKpi,
    DataCollectionRules,
    KpiComputation,
    KpiValue,
    PendingComputation,
    ReportingPeriod,
    Span,
    Submission,
    end_of_day,
)
from .alerts import alerts_sync
from .cluster_kpis import cluster_kpis_ensure_many
from .disclosure import disclose as _disclose
from .formula import (
    Term,
    counted_statuses,
    kpi_status,
    status_sql,
    value_sql,
)
from .statement import SETTING_RELATED, Batch, batch_of, figure_ctes, sql_params, table_name

# How many clusters one statement takes: the monthly job of a national installation (hundreds of clusters)
# runs in a few batches, each in its own transaction, so no one transaction grows without bound.
BATCH_CLUSTERS = 50


def data_sql(batch: Batch) -> tuple[str, dict]:
    """The INSERT … SELECT of every data KPI of a batch of clusters and periods, for the clusters and their links.

    Enterprises' own values are not stored: `enterprise_values.py` computes them when they are read, from the same
    common table expressions."""
    p = sql_params()
    judged = "v.judged = 1 OR v.scope = %(scope_cluster)s"
    sql = f"""
WITH {figure_ctes(batch, p)},
{_scoped()}valued AS (
    SELECT s.cluster_id, s.si, s.kpi_id, s.scope, s.link, s.num, s.den, s.n,
           s.p25, s.p50, s.p75, t.target, t.minimum, t.direction, t.denominator, t.judged,
           CASE WHEN s.n = 0 OR s.num IS NULL THEN NULL ELSE {value_sql("s")} END AS value,
           -- The primary rules of disclosure control; kpi.services.disclosure adds the secondary ones.
           CASE WHEN s.n < c.min_n THEN %(few)s
                WHEN s.top2_num > c.dominance * s.num OR s.top2_den > c.dominance * s.den THEN %(dominated)s
                ELSE %(published)s END AS disclosure
    FROM scoped s
    JOIN terms t ON t.cluster_id = s.cluster_id AND t.kpi_id = s.kpi_id
    JOIN spans sp ON sp.si = s.si
    JOIN counted c ON c.cluster_id = s.cluster_id
)
INSERT INTO {table_name(KpiValue)} (
    cluster_id, kpi_id, period, period_kind, period_start, scope, link, enterprise_id,
    value, numerator, denominator, target, minimum, status, reporting_enterprises, p25, median, p75, disclosure
)
SELECT v.cluster_id, v.kpi_id, sp.span_key, sp.kind, sp.start, v.scope, v.link, NULL,
       v.value, v.num, CASE WHEN v.denominator IS NOT NULL THEN v.den END, v.target, v.minimum,
       {status_sql("v", judged=judged)},
       v.n, v.p25, v.p50, v.p75, v.disclosure
FROM valued v JOIN spans sp ON sp.si = v.si
"""
    return sql, p.values


def _scoped() -> str:
    """The common table expressions up to `scoped`: each link's and each cluster's sums, enterprises counted,
    quartiles and two largest contributions (for the dominance rule), from `ent`.

    On PostgreSQL one grouping over both (GROUPING SETS: one sort), each group's values ordered in an array, from
    which each quartile's three values and the two largest contributions are read; elsewhere (SQLite) ranked
    by window functions. Both give the same numbers (tests/kpi/test_aggregation.py, on both databases)."""
    if connection.vendor == "postgresql":
        return f"""grouped AS (
    SELECT e.cluster_id, e.si, e.kpi_id, COALESCE(e.link, %(no_link)s) AS link, GROUPING(e.link) AS whole,
           SUM(e.num) AS num, SUM(e.den) AS den, COUNT(*) AS n, COUNT(e.v) AS nv,
           ARRAY_AGG(e.v ORDER BY {_ranking("e.")}) FILTER (WHERE e.v IS NOT NULL) AS vs,
           (ARRAY_AGG(e.num ORDER BY e.num DESC) FILTER (WHERE e.num IS NOT NULL))[1:2] AS top_num,
           (ARRAY_AGG(e.den ORDER BY e.den DESC) FILTER (WHERE e.den IS NOT NULL))[1:2] AS top_den
    FROM ent e
    GROUP BY GROUPING SETS ((e.cluster_id, e.si, e.kpi_id, e.link), (e.cluster_id, e.si, e.kpi_id))
),
quartered AS (
    SELECT g.*, {_array_quartiles()},
           g.top_num[1] + COALESCE(g.top_num[2], 0) AS top2_num, g.top_den[1] + COALESCE(g.top_den[2], 0) AS top2_den
    FROM grouped g JOIN counted c ON c.cluster_id = g.cluster_id
),
scoped AS (
    SELECT q.cluster_id, q.si, q.kpi_id, %(scope_link)s AS scope, q.link, q.num, q.den, q.n,
           q.p25, q.p50, q.p75, q.top2_num, q.top2_den
    FROM quartered q WHERE q.whole = 0
    UNION ALL
    SELECT w.cluster_id, w.si, t.kpi_id, %(scope_cluster)s, %(no_link)s, q.num, q.den, COALESCE(q.n, 0),
           q.p25, q.p50, q.p75, q.top2_num, q.top2_den
    FROM work w
    JOIN terms t ON t.cluster_id = w.cluster_id
    LEFT JOIN quartered q ON q.cluster_id = w.cluster_id AND q.si = w.si AND q.kpi_id = t.kpi_id AND q.whole = 1
),
"""
    return f"""ranked AS (
    -- Each enterprise's place among its link's and its cluster's (for the quartiles), and the largest
    -- contributions of each (for the dominance rule).
    SELECT ent.*,
           ROW_NUMBER() OVER by_link AS rn_l, COUNT(v) OVER by_link AS nv_l,
           MAX(num) OVER by_link AS top_num_l, MAX(den) OVER by_link AS top_den_l,
           ROW_NUMBER() OVER by_cluster AS rn_c, COUNT(v) OVER by_cluster AS nv_c,
           MAX(num) OVER by_cluster AS top_num_c, MAX(den) OVER by_cluster AS top_den_c
    FROM ent
    -- One window per partition: the place in the order, and over the whole partition (the frame) its count and
    -- largest contributions, in one pass over each sort.
    WINDOW by_link AS (PARTITION BY cluster_id, si, kpi_id, link ORDER BY {_ranking()} {_WHOLE}),
           by_cluster AS (PARTITION BY cluster_id, si, kpi_id ORDER BY {_ranking()} {_WHOLE})
),
scoped AS (
    SELECT r.cluster_id, r.si, r.kpi_id, %(scope_link)s AS scope, r.link, SUM(r.num) AS num, SUM(r.den) AS den,
           COUNT(*) AS n, {_quartile_columns("rn_l", "nv_l")},
           {_top_two("num", "top_num_l")} AS top2_num, {_top_two("den", "top_den_l")} AS top2_den
    FROM ranked r JOIN counted c ON c.cluster_id = r.cluster_id
    GROUP BY r.cluster_id, r.si, r.kpi_id, r.link
    UNION ALL
    SELECT w.cluster_id, w.si, t.kpi_id, %(scope_cluster)s, %(no_link)s, a.num, a.den, COALESCE(a.n, 0),
           a.p25, a.p50, a.p75, a.top2_num, a.top2_den
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
"""


def _array_quartiles() -> str:
    """Each quartile from `grouped`: the mean of the three values around its place in the ordered array `vs` of
    the `nv` values, over the cluster's `min_q` enterprises or more (as `_quartile_columns`)."""
    columns = []
    for fraction, name in QUARTILES:
        centre = f"({_centre(fraction, 'g.nv')})"
        columns.append(
            f"CASE WHEN g.nv >= c.min_q AND g.nv >= 3 "
            f"THEN (SELECT AVG(x) FROM unnest(g.vs[{centre} - 1:{centre} + 1]) x) END AS {name}"
        )
    return ", ".join(columns)


def insert_data_kpis(
    work: list[tuple[Cluster, Span]],
    settings: dict[int, list[ClusterKpi]],
    rules: dict[int, DataCollectionRules],
    period_ids: list[int],
) -> int:
    """Insert the data KPIs of every (cluster, span) of `work` in one statement; answers the rows written."""
    batch = batch_of(work, settings, rules, period_ids)
    if batch is None:
        return 0
    sql, params = data_sql(batch)
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


_WHOLE = "ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING"


def _ranking(row: str = "") -> str:
    """The order of enterprises' values for the quartiles: values first (to 8 places), then by enterprise."""
    return f"CASE WHEN {row}v IS NULL THEN 1 ELSE 0 END, ROUND({row}v, 8), {row}enterprise_id"


QUARTILES = (((1, 4), "p25"), ((1, 2), "p50"), ((3, 4), "p75"))  # (a, b): the place (count - 1) × a/b


def _centre(fraction: tuple[int, int], count: str) -> str:
    """The place (1 = lowest) nearest to (count - 1) × a/b, counted from 1, kept within [2, count - 1] so the three
    values around it exist; integer arithmetic, the same on both databases."""
    a, b = fraction
    place = f"(2 * {a} * ({count} - 1) + {b}) / {2 * b} + 1"
    return f"CASE WHEN {place} < 2 THEN 2 WHEN {place} > {count} - 1 THEN {count} - 1 ELSE {place} END"


def _quartile_columns(rank: str, count: str) -> str:
    """Lower quartile, median and upper quartile of the enterprises' values, published only over the cluster's
    `min_q` enterprises or more, each the mean of the three enterprises around its place (so never one
    enterprise's own value): from `ranked`, the place `rank` (1 = lowest) among the `count` values."""
    columns = []
    for fraction, name in QUARTILES:
        centre = _centre(fraction, f"r.{count}")
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


def _platform_values(
    clusters: list[Cluster], spans: list[Span], settings: dict[int, list[ClusterKpi]]
) -> list[KpiValue]:
    """The active platform KPIs of every cluster for every span of the batch: a fixed number of queries per source,
    whatever the number of clusters and spans."""
    rows = []
    active = {s.kpi.code: s.kpi for c in clusters for s in settings[c.pk] if s.kpi.is_platform}
    for code, kpi in active.items():
        figures = platform.platform_figures(code, clusters, spans)
        if figures is None:
            continue
        term = Term.of(kpi)
        for cluster in clusters:
            setting = next((s for s in settings[cluster.pk] if s.kpi_id == kpi.pk), None)
            if setting is None:
                continue
            for span in spans:
                if (cluster.pk, span.key) not in figures:
                    continue
                numerator, denominator = figures[(cluster.pk, span.key)]
                numerator = Decimal(numerator)
                denominator = None if denominator is None else Decimal(denominator)
                value = term.value(numerator, denominator, span.days)
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
    if span.start > cluster.today(now):
        raise ValidationError(
            {
                "period": _("%(period)s has not begun: KPIs are computed for months that have begun.")
                % {"period": span.key}
            },
            code="not_begun",
        )


def _spans_of(spans: Iterable[Span | str]) -> list[Span]:
    return sorted({Span.parse(s) if isinstance(s, str) else s for s in spans}, key=lambda s: (s.start, s.kind))


def kpi_values_compute_many(
    *,
    clusters: Sequence[Cluster],
    spans: Iterable[Span | str],
    trigger: str = Trigger.MANUAL,
    now: datetime.datetime | None = None,
) -> list[Computed]:
    """Compute every active KPI of these clusters for these months and quarters, replacing their values.

    The data KPIs of the whole batch come from one statement (over the months the clusters opened), the
    platform KPIs from a fixed number of queries per source, and the clusters' alerts are derived again from
    their stored monthly values at the end. A month or quarter that has not begun is refused. Atomic: readers
    see the old rows or the new ones, never a mix; two computations of one cluster wait for each other (the
    clusters are locked in id order).
    """
    periods_asked = _spans_of(spans)
    now = now or timezone.now()
    batch = sorted({c.pk: c for c in clusters}.values(), key=lambda c: c.pk)
    if not batch or not periods_asked:
        return []
    return _compute(batch, periods_asked, trigger, now)


def _compute(clusters: list[Cluster], spans: list[Span], trigger: str, now: datetime.datetime) -> list[Computed]:
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
        for s in ClusterKpi.objects.filter(cluster__in=clusters, active=True).select_related(*SETTING_RELATED):
            settings[s.cluster_id].append(s)
        stored = {r.cluster_id: r for r in DataCollectionRules.objects.filter(cluster__in=clusters)}
        rules = {c.pk: stored.get(c.pk) or DataCollectionRules(cluster=c) for c in clusters}
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
        insert_data_kpis(work, settings, rules, [pk for pk, _c, _m in periods])
        platform_rows = _platform_values(clusters, spans, settings)
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
        coverage = _coverage(clusters, every, rules)
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
        _disclose(clusters, spans, rules, now)
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
        for cluster in clusters:
            emit(
                cluster_id=cluster.pk,
                event=Event.KPI_VALUES_COMPUTED,
                data={"periods": keys, "values": sum(r.values for r in results if r.cluster_id == cluster.pk)},
            )
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
    deadlines: dict[tuple[int, str], tuple[datetime.datetime | None, datetime.datetime | None]] = {}
    for cluster in clusters:
        tz = by_pk[cluster.pk].time_zone
        for span in spans:
            last = dates.get((cluster.pk, span.months[-1]))
            if last is None:
                continue
            lock_date = max(dates.get((cluster.pk, m), last)[1] for m in span.months)
            deadlines[(cluster.pk, span.key)] = (end_of_day(last[0], tz), end_of_day(lock_date, tz))
    return deadlines


def _coverage(
    clusters: list[Cluster], work: list[tuple[Cluster, Span]], rules: dict[int, DataCollectionRules]
) -> dict[tuple[int, str], tuple[dict, dict]]:
    """(expected, counted) per cluster and span, each {link: enterprises, "": all}: an enterprise counts when its
    figures count in every month of the span (approved, or submitted where the cluster counts those)."""
    from ..selectors.collection import expected_enterprises

    if not work:
        return {}
    spans = list({s.key: s for _c, s in work}.values())
    expected = expected_enterprises(clusters=clusters, spans=spans)
    with_submitted = [c.pk for c in clusters if rules[c.pk].count_submitted]
    counting = Q(status__in=counted_statuses(count_submitted=False)) | Q(
        status=SubmissionStatus.SUBMITTED, cluster_id__in=with_submitted
    )
    months = sorted({m for s in spans for m in s.months})
    rows = (
        Submission.objects.filter(counting, cluster__in=clusters, period__month__in=months)
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
    *, cluster: Cluster, span: Span | str, trigger: str = Trigger.MANUAL, now: datetime.datetime | None = None
) -> Computed:
    """Compute every active KPI of the cluster for a month or quarter and replace the period's values."""
    span = Span.parse(span) if isinstance(span, str) else span
    return kpi_values_compute_many(clusters=[cluster], spans=[span], trigger=trigger, now=now)[0]
