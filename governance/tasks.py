"""Scheduled and queued entry points of governance: they load by id and call a service."""

from celery import shared_task

from . import services


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def agenda_follow_ups_task() -> int:
    """Put open and overdue action items on the agenda of each body's next meeting."""
    return services.agenda_follow_ups_for_all()


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def action_item_reminders_task(days_ahead: int = 3) -> int:
    """E-mail owners of action items that are due soon or overdue, and tell them in the app of those overdue."""
    services.action_items_overdue_notify()
    return services.action_item_reminders(days_ahead=days_ahead)


@shared_task(autoretry_for=(ConnectionError,), retry_backoff=True, retry_jitter=True, max_retries=3)
def seat_roles_sync_task() -> int:
    """Give and take the roles of seats that started or ended."""
    return services.seat_roles_sync_all()
