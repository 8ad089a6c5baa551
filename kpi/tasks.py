"""Scheduled entry points of data collection: they call a service, and each has a management command."""

from typing import TYPE_CHECKING, cast

from celery import shared_task

from . import services
from .choices import Trigger

if TYPE_CHECKING:
    from .models import Span


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def periods_open_task() -> int:
    """Open, in every cluster, the months that ended (run daily; opening is idempotent)."""
    return services.periods_open_due()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def submissions_lock_task() -> int:
    """Lock the approved submissions of months past their lock date."""
    return services.submissions_lock()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def data_reminders_task() -> int:
    """E-mail enterprises whose figures are missing before and on the deadline, and the office after it."""
    return services.data_reminders()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3, time_limit=30 * 60)
def kpi_values_compute_task(cluster_id: int, period: str, trigger: str = Trigger.MANUAL) -> int:
    """Compute one cluster's KPIs for a month ("2026-03") or a quarter ("2026-Q1")."""
    from governance.models import Cluster

    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return 0
    return services.kpi_values_compute(cluster=cluster, span=period, trigger=trigger).values


@shared_task(
    autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3, time_limit=4 * 60 * 60
)
def kpi_values_compute_periods_task(cluster_id: int, periods: list[str], trigger: str = Trigger.SETTINGS) -> int:
    """Compute several months and quarters of one cluster as one batch (after a change of its settings)."""
    from governance.models import Cluster

    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return 0
    # The service reads keys as well as Spans (its list[Span | str] does not take a list[str], being invariant).
    spans = cast("list[Span | str]", periods)
    return sum(r.values for r in services.kpi_values_compute_many(clusters=[cluster], spans=spans, trigger=trigger))


@shared_task(
    autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3, time_limit=4 * 60 * 60
)
def kpi_values_due_task() -> int:
    """Queue the months past their lock date and the quarters whose last month is (run daily), a task per
    batch of clusters; answers the number of batches."""
    return services.kpi_values_queue_due()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3, time_limit=60 * 60)
def kpi_values_batch_task(cluster_ids: list[int], periods: list[str], trigger: str = Trigger.SCHEDULE) -> int:
    """Compute a batch: these clusters for these months and quarters (in order), as one statement."""
    from governance.models import Cluster

    clusters = list(Cluster.objects.filter(pk__in=cluster_ids))
    spans = cast("list[Span | str]", periods)  # as above
    return sum(r.values for r in services.kpi_values_compute_many(clusters=clusters, spans=spans, trigger=trigger))


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3, time_limit=60 * 60)
def kpi_values_sweep_task() -> int:
    """Compute the periods a change recorded as pending whose own task never ran (every few minutes)."""
    return services.kpi_values_sweep()
