"""Scheduled and queued entry points of the roadmap: they load by id and call a service."""

from celery import shared_task

from governance.models import Cluster

from . import services


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def roadmap_gates_due_task() -> int:
    """Every cluster's gates as of the last month that has ended (once a month), and the decisions' evidence."""
    return services.gates_evaluate_due()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def roadmap_recheck_task(cluster_id: int) -> int:
    """After corrected figures: flag the gate decisions whose evidence would change."""
    return services.decisions_recheck(cluster=Cluster.objects.get(pk=cluster_id))


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def roadmap_gate_evaluate_task(phase_id: int, month: str) -> int:
    """Evaluate one gate as of a month (YYYY-MM-01), replacing that month's rows; answers the evaluation's id."""
    import datetime

    from .models import Phase

    return services.gate_evaluate(
        phase=Phase.objects.select_related("cluster").get(pk=phase_id), month=datetime.date.fromisoformat(month)
    ).pk
