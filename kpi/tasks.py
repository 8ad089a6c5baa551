"""Scheduled entry points of data collection: they call a service, and each has a management command."""

from celery import shared_task

from . import services


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
