"""Scheduled and queued entry points of incentives: they load by id and call a service."""

from celery import shared_task

from governance.models import Cluster

from . import services


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def incentives_evaluate_due_task() -> list[str]:
    """Evaluate every cluster's latest final quarter that was not evaluated yet."""
    return services.evaluate_due()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def incentives_evaluate_task(cluster_id: int, quarter: str) -> int:
    """Evaluate one quarter of one cluster (the office's "evaluate now")."""
    return len(services.evaluate_quarter(cluster=Cluster.objects.get(pk=cluster_id), quarter=quarter))


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def incentives_recheck_task(cluster_id: int, quarters: list[str]) -> int:
    """Check evaluated quarters again after corrected figures; answers how many evaluations changed."""
    cluster = Cluster.objects.get(pk=cluster_id)
    return sum(len(services.recheck_quarter(cluster=cluster, quarter=quarter)) for quarter in quarters)
