"""Queued and scheduled entry points of the webhooks: they load by id and call a service."""

from celery import shared_task
from django.utils import timezone

from . import services
from .models import DeliveryState


@shared_task(bind=True, acks_late=True, max_retries=None)
def webhook_deliver_task(self, delivery_id: int) -> str | None:
    """One attempt; a failure is tried again by Celery after its pause (1, 2, 4… minutes), up to
    WEBHOOK_MAX_ATTEMPTS. Where tasks run in-process there is no waiting: the beat's sweep (or the next
    `manage.py send_webhooks`) tries it again when it is due."""
    delivery = services.delivery_attempt(delivery_id=delivery_id)
    if delivery is None:
        return None
    if delivery.state == DeliveryState.RETRYING and not self.request.is_eager and delivery.next_attempt_at:
        raise self.retry(countdown=max((delivery.next_attempt_at - timezone.now()).total_seconds(), 0))
    return delivery.state


@shared_task
def webhooks_sweep_task() -> int:
    """Deliveries due whose task is not coming (retries where tasks ran in-process, a worker killed mid-way)."""
    due = services.deliveries_due()
    for pk in due:
        webhook_deliver_task.delay(pk)
    return len(due)
