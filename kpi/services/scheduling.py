"""When KPI values are computed: the outbox of periods to compute again (PendingComputation) and its sweep, the
periods a change of figures or settings calls for, and the nightly job's due periods in batches.

A change records its periods in its own transaction (`pending_record`) and queues their computation once it
commits; the sweep computes what a lost task left behind. The computation itself is `computation.py`.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Collection
from functools import partial

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from core.sql import statistics_refresh
from governance.models import Cluster

from ..choices import KpiSource, PeriodKind, Trigger
from ..models import ClusterKpi, KpiComputation, KpiValue, PendingComputation, ReportingPeriod, Span, add_months
from .computation import BATCH_CLUSTERS, kpi_values_compute_many, span_check_begun

# A change's own task computes its periods right after it commits; the sweep takes what is still pending after
# this long (the task never ran: a worker died, the broker lost it, the process stopped after the commit).
SWEEP_GRACE = datetime.timedelta(minutes=5)


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
    """The periods are recorded with the change that calls for them, and computed once it commits: together, in
    one task and one transaction, so readers never see a month computed from the new figures beside its quarter
    (or its growth a year later) from the old."""
    from ..tasks import kpi_values_compute_periods_task

    # Its own transaction where the caller has none (the API's recompute): the record locks its rows.
    with transaction.atomic():
        pending_record(cluster_id=cluster_id, keys=keys, trigger=trigger)
        if keys:
            transaction.on_commit(partial(kpi_values_compute_periods_task.delay, cluster_id, keys, trigger))


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
            kpi_values_compute_many(clusters=[found[cluster_id]], spans=keys, trigger=Trigger.SWEEP)
            done += len(keys)
    return done


def kpi_values_recompute(*, cluster: Cluster, span: Span | str, trigger: str = Trigger.MANUAL) -> str:
    """Queue a computation of the period after the current transaction (at once where Celery runs eagerly).

    A month or quarter that has not begun is refused (ValidationError): it has no figures, and a computed
    future month would be the newest period every dashboard offers."""
    span = Span.parse(span) if isinstance(span, str) else span
    span_check_begun(cluster=cluster, span=span)
    _queue(cluster.pk, [span.key], trigger)
    return span.key


def kpi_values_changed(
    *, cluster_id: int, months, elements: Collection[int] | None = None, trigger: str = Trigger.CHANGE
) -> list[str]:
    """Figures of these months changed: record and queue the months and quarters to compute again.

    Only what the change can move: the months and their quarters, and a year later only where an active growth
    KPI reads a changed element (EXPGR compares a period with the same period a year before). `elements`: the
    data elements whose figures changed (None: which figures count changed, an approval or a return, so every
    element); a change of figures no active KPI reads moves nothing. Every period already computed is taken, and
    every month the cluster has opened and begun (and its quarter), even if not computed yet: its first computation
    may be running right now, reading the figures from before this change.
    """
    from ..signals import figures_changed

    figures_changed.send(sender=ClusterKpi, cluster_id=cluster_id, months=sorted(set(months)))
    active = list(
        ClusterKpi.objects.filter(cluster_id=cluster_id, active=True).values_list(
            "kpi__source", "kpi__numerator_id", "kpi__denominator_id", "kpi__year_over_year"
        )
    )
    if elements is None:
        growth = not active or any(kpi[3] for kpi in active)  # no settings yet: the computation makes them all
    else:
        changed = set(elements)
        active = [kpi for kpi in active if kpi[0] == KpiSource.DATA and {kpi[1], kpi[2]} & changed]
        if not active:
            return []
        growth = any(kpi[3] for kpi in active)
    months = set(months)
    if growth:
        months |= {add_months(m, 12) for m in months}
    keys = {Span.month(m).key for m in months} | {Span.quarter_of(m).key for m in months}
    computed = set(
        KpiComputation.objects.filter(cluster_id=cluster_id, period__in=keys).values_list("period", flat=True)
    )
    begun = [
        period.month
        for period in ReportingPeriod.objects.filter(cluster_id=cluster_id, month__in=months).select_related("cluster")
        if period.month <= period.cluster.today()
    ]
    done = sorted(computed | {Span.month(m).key for m in begun} | {Span.quarter_of(m).key for m in begun})
    _queue(cluster_id, done, trigger)
    return done


def kpi_values_recompute_computed(
    *, cluster: Cluster, latest: bool = False, trigger: str = Trigger.SETTINGS
) -> list[str]:
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
    computed: dict[tuple[int, str], datetime.datetime] = {}
    locked: dict[tuple[int, str], datetime.datetime | None] = {}
    for cluster_id, key, computed_at, locked_at in computations.values_list(
        "cluster_id", "period", "computed_at", "locked_at"
    ):
        computed[(cluster_id, key)], locked[(cluster_id, key)] = computed_at, locked_at
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
                    period.cluster.today(now), datetime.time.min, zoneinfo.ZoneInfo(period.time_zone)
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
        kpi_values_compute_many(clusters=[found[c] for c in ids], spans=keys, trigger=Trigger.SCHEDULE, now=now)
    return sum(len(ids) * len(keys) for ids, keys in batches)


def kpi_values_queue_due() -> int:
    """The nightly job: queue each batch of due periods as its own task, so a worker pool computes batches
    side by side (a national installation: hundreds of clusters); answers how many batches were queued."""
    from ..tasks import kpi_values_batch_task

    batches = kpi_values_due_batches()
    for ids, keys in batches:
        kpi_values_batch_task.delay(ids, keys, Trigger.SCHEDULE)
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
    *,
    cluster: Cluster | None = None,
    clusters=None,
    trigger: str = Trigger.MANUAL,
    now: datetime.datetime | None = None,
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
    # Every value of these clusters was replaced: the planner's statistics say so now, not at autovacuum's next
    # round (until then a page reading one KPI's series of a large installation may scan the whole table).
    statistics_refresh([KpiValue])
    return total
