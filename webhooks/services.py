"""Webhook deliveries: recorded with the change (the outbox), sent after it commits, signed, tried again.

The signature: header `X-Cluster-Signature: t=<unix time>,v1=<hex>`, where hex is HMAC-SHA256 with the
endpoint's secret of `<unix time>.<body>`. A receiver recomputes it, compares in constant time, and refuses a
time more than a few minutes old (so a captured request cannot be replayed later).
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
import uuid
from functools import partial
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from core.events import Event
from governance.choices import NotificationKind
from governance.notifications import notify, office_people

from .models import Attempt, Delivery, DeliveryState, Endpoint

ANSWER_KEPT = 2000  # characters of an endpoint's answer kept with the attempt
TIMEOUT = 10  # seconds an endpoint has to answer
SWEEP_GRACE = datetime.timedelta(minutes=5)  # a delivery never tried this long after its event: its task was lost


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def backoff(attempts: int) -> datetime.timedelta:
    """The pause before the next attempt after `attempts` failed ones: 1, 2, 4, 8… minutes (WEBHOOK_RETRY_BASE_SECONDS
    doubled each time), at most 6 hours."""
    seconds = _setting("WEBHOOK_RETRY_BASE_SECONDS", 60) * 2 ** min(max(attempts - 1, 0), 20)
    return datetime.timedelta(seconds=min(seconds, 6 * 60 * 60))


# --- Recording --------------------------------------------------------------------------------------------------


def event_received(*, cluster_id: int, event: str, data: dict[str, Any], **_ignored) -> list[Delivery]:
    """Receiver of core.events.platform_event: one delivery per active endpoint of the cluster that follows the
    event, written in the change's transaction and sent once it commits."""
    endpoints = [e for e in Endpoint.objects.filter(cluster_id=cluster_id, active=True) if event in e.events]
    if not endpoints:
        return []
    now = timezone.now()
    event_id = str(uuid.uuid4())
    body = json.dumps(
        {"id": event_id, "event": event, "occurred_at": now, "cluster": cluster_id, "data": data},
        cls=DjangoJSONEncoder,
        sort_keys=True,
    )
    deliveries = Delivery.objects.bulk_create(
        Delivery(endpoint=e, cluster_id=cluster_id, event=event, event_id=event_id, body=body, created_at=now)
        for e in endpoints
    )
    _send_after_commit([d.pk for d in deliveries])
    return deliveries


def _send_after_commit(delivery_ids: list[int]) -> None:
    from .tasks import webhook_deliver_task

    for pk in delivery_ids:
        transaction.on_commit(partial(webhook_deliver_task.delay, pk))


@transaction.atomic
def delivery_send_again(*, delivery: Delivery, user) -> Delivery:
    """The office sends a delivery again, as it was (a switched-off endpoint stays off: switch it on first)."""
    again = Delivery.objects.create(
        endpoint=delivery.endpoint,
        cluster_id=delivery.cluster_id,
        event=delivery.event,
        event_id=delivery.event_id,
        body=delivery.body,
        sent_again_by=user,
    )
    _send_after_commit([again.pk])
    return again


@transaction.atomic
def endpoint_ping(*, endpoint: Endpoint, user) -> Delivery:
    """A test event, so the office sees at once whether the endpoint answers and checks the signature."""
    now = timezone.now()
    event_id = str(uuid.uuid4())
    body = json.dumps(
        {"id": event_id, "event": Event.PING, "occurred_at": now, "cluster": endpoint.cluster_id, "data": {}},
        cls=DjangoJSONEncoder,
        sort_keys=True,
    )
    delivery = Delivery.objects.create(
        endpoint=endpoint,
        cluster_id=endpoint.cluster_id,
        event=Event.PING,
        event_id=event_id,
        body=body,
        sent_again_by=user,
    )
    _send_after_commit([delivery.pk])
    return delivery


def endpoint_save(*, endpoint: Endpoint, user=None) -> Endpoint:
    endpoint.full_clean()
    if endpoint.pk is None:
        endpoint.created_by = user
    endpoint.save()
    return endpoint


def endpoint_switch_on(*, endpoint: Endpoint) -> Endpoint:
    Endpoint.objects.filter(pk=endpoint.pk).update(active=True, failures_in_a_row=0, disabled_at=None)
    endpoint.refresh_from_db()
    return endpoint


def endpoint_new_secret(*, endpoint: Endpoint) -> Endpoint:
    from .models import new_secret

    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret"])
    return endpoint


# --- Sending ----------------------------------------------------------------------------------------------------


def sign(secret: str, body: str, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _post(endpoint: Endpoint, delivery: Delivery) -> tuple[int | None, str, str]:
    """POST the body; answers (status, answer text, error)."""
    timestamp = int(time.time())
    request = urllib.request.Request(
        endpoint.url,
        data=delivery.body.encode(),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": "ClusterPlatform-Webhooks/1",
            "X-Cluster-Event": delivery.event,
            "X-Cluster-Delivery": str(delivery.pk),
            "X-Cluster-Event-Id": delivery.event_id,
            "X-Cluster-Signature": sign(endpoint.secret, delivery.body, timestamp),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 - https, validated
            return response.status, response.read(ANSWER_KEPT).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as error:
        return error.code, error.read(ANSWER_KEPT).decode("utf-8", "replace"), ""
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, "", str(reason)[:500] or type(error).__name__


def delivery_attempt(*, delivery_id: int, now: datetime.datetime | None = None) -> Delivery | None:
    """Try one delivery once, if it is still to be sent; answers it as it stands after (None: nothing to do).

    The row is claimed first (pending or due for a retry → its attempt counted), so two workers given the same
    delivery (a task sent twice, the sweep beside a retry) do not both POST it."""
    now = now or timezone.now()
    # Due: never tried, or its pause is over (a Celery retry may run a moment early: 30 seconds of slack).
    due = Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now + datetime.timedelta(seconds=30))
    claimed = Delivery.objects.filter(
        due, pk=delivery_id, state__in=[DeliveryState.PENDING, DeliveryState.RETRYING], endpoint__active=True
    )
    if not claimed.update(attempts=F("attempts") + 1, next_attempt_at=now + datetime.timedelta(minutes=15)):
        return None  # delivered, given up, another worker has it, or the endpoint was switched off
    delivery = Delivery.objects.select_related("endpoint").get(pk=delivery_id)
    started = time.monotonic()
    status, answer, error = _post(delivery.endpoint, delivery)
    attempt = Attempt.objects.create(
        delivery=delivery,
        cluster_id=delivery.cluster_id,
        at=now,
        status_code=status,
        answer=answer,
        error=error,
        duration_ms=int((time.monotonic() - started) * 1000),
    )
    if attempt.succeeded:
        with transaction.atomic():
            Delivery.objects.filter(pk=delivery.pk).update(
                state=DeliveryState.DELIVERED, delivered_at=timezone.now(), next_attempt_at=None
            )
            Endpoint.objects.filter(pk=delivery.endpoint_id).update(failures_in_a_row=0)
    elif delivery.attempts >= _setting("WEBHOOK_MAX_ATTEMPTS", 6):
        _give_up(delivery)
    else:
        Delivery.objects.filter(pk=delivery.pk).update(
            state=DeliveryState.RETRYING, next_attempt_at=now + backoff(delivery.attempts)
        )
    delivery.refresh_from_db()
    return delivery


@transaction.atomic
def _give_up(delivery: Delivery) -> None:
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.FAILED, next_attempt_at=None)
    endpoint = Endpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    endpoint.failures_in_a_row += 1
    fields = ["failures_in_a_row"]
    if endpoint.active and endpoint.failures_in_a_row >= _setting("WEBHOOK_DISABLE_AFTER", 5):
        endpoint.active, endpoint.disabled_at = False, timezone.now()
        fields += ["active", "disabled_at"]
        notify(
            cluster_id=endpoint.cluster_id,
            recipients=office_people(endpoint.cluster_id),
            kind=NotificationKind.WEBHOOK_SWITCHED_OFF,
            key=f"webhook:{endpoint.pk}:{endpoint.disabled_at:%Y%m%d%H%M%S}",
            facts={"url": endpoint.url, "failures": endpoint.failures_in_a_row},
            url=endpoint.get_absolute_url(),
        )
    endpoint.save(update_fields=fields)


def deliveries_due(*, now: datetime.datetime | None = None, limit: int = 500) -> list[int]:
    """Deliveries whose next attempt is due (a retry, or one whose task was lost: a worker killed, a broker
    restarted): the beat's sweep sends them."""
    now = now or timezone.now()
    due = Q(next_attempt_at__lte=now) | Q(next_attempt_at__isnull=True, created_at__lte=now - SWEEP_GRACE)
    return list(
        Delivery.objects.filter(due, state__in=[DeliveryState.PENDING, DeliveryState.RETRYING], endpoint__active=True)
        .order_by("created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
