"""Webhooks: the office registers HTTPS endpoints of its cluster, and the platform POSTs them its events.

Each delivery is signed (HMAC-SHA256 of the timestamp and the body with the endpoint's secret), tried again with
growing pauses when the endpoint does not answer 2xx, and kept with every attempt's answer. An endpoint that
fails `WEBHOOK_DISABLE_AFTER` deliveries in a row is switched off and the office is told.
"""

from __future__ import annotations

import ipaddress
import secrets
import urllib.parse

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.events import Event
from governance.choices import Role
from governance.scoping import ScopeRule

OFFICE = frozenset({Role.OFFICE})


def new_secret() -> str:
    return secrets.token_hex(32)


def validate_endpoint_url(value: str) -> None:
    """HTTPS, to a name or a public address. `WEBHOOKS_ALLOW_LOCAL` (development and tests) lets plain HTTP and
    the machine's own addresses through."""
    parts = urllib.parse.urlsplit(value)
    if getattr(settings, "WEBHOOKS_ALLOW_LOCAL", False):
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError(_("Give the endpoint's full address, starting with https://."), code="scheme")
        return
    if parts.scheme != "https" or not parts.hostname:
        raise ValidationError(_("The endpoint must be reached over HTTPS: its address starts with https://."))
    if parts.username or parts.password:
        raise ValidationError(_("Put no user name or password in the address; the signature proves the sender."))
    try:
        address = ipaddress.ip_address(parts.hostname)
    except ValueError:
        if parts.hostname == "localhost" or parts.hostname.endswith((".localhost", ".local", ".internal")):
            raise ValidationError(
                _("The endpoint must be reachable on the internet, not inside this network.")
            ) from None
        return
    if not address.is_global:
        raise ValidationError(_("The endpoint must be reachable on the internet, not inside this network."))


def validate_events(value) -> None:
    if not isinstance(value, list) or not value or not set(value) <= set(Event.values) - {Event.PING}:
        raise ValidationError(_("Choose at least one event."), code="events")


class Endpoint(models.Model):
    cluster = models.ForeignKey(
        "governance.Cluster", models.CASCADE, related_name="webhook_endpoints", verbose_name=_("cluster")
    )
    url = models.URLField(_("address"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=64, blank=True, editable=False)
    active = models.BooleanField(_("active"), default=True)
    failures_in_a_row = models.PositiveIntegerField(_("failed deliveries in a row"), default=0)
    disabled_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    scope_rule = ScopeRule(cluster="cluster", readers=OFFICE, editors=OFFICE)

    class Meta:
        ordering = ["cluster", "url", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        constraints = [
            models.UniqueConstraint(
                fields=["cluster", "url"],
                name="webhook_endpoint_once_per_cluster",
                violation_error_message=_("This address is registered already: change that endpoint instead."),
            ),
            models.CheckConstraint(
                condition=Q(url__startswith="https://") | Q(url__startswith="http://"), name="webhook_endpoint_is_http"
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def save(self, *args, **kwargs) -> None:
        if not self.secret:
            self.secret = new_secret()  # each endpoint its own, from its first save
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("webhooks:endpoint_detail", args=[self.pk])

    def clean_fields(self, exclude=None) -> None:
        """The address and the events are checked here rather than by field validators, so the migrations import
        no live code; a field the form has refused already (in `exclude`) is not judged twice."""
        errors: dict = {}
        try:
            super().clean_fields(exclude=exclude)
        except ValidationError as error:
            errors = error.update_error_dict(errors)
        skip = set(exclude or ()) | set(errors)
        for name, check in (("url", validate_endpoint_url), ("events", validate_events)):
            if name in skip:
                continue
            try:
                check(getattr(self, name))
            except ValidationError as error:
                errors[name] = error.error_list
        if errors:
            raise ValidationError(errors)

    def event_labels(self) -> list[str]:
        labels = dict(Event.choices)
        return [str(labels.get(event, event)) for event in self.events]


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Waiting to be sent")
    RETRYING = "retrying", _("Failed, will be tried again")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed, not tried again")


class Delivery(models.Model):
    """One event for one endpoint: the body is fixed when the event happens; "send again" makes a new delivery
    with the same body (same event id, so the receiver can tell it has seen it)."""

    endpoint = models.ForeignKey(Endpoint, models.CASCADE, related_name="deliveries", verbose_name=_("endpoint"))
    cluster = models.ForeignKey("governance.Cluster", models.CASCADE, related_name="+", verbose_name=_("cluster"))
    event = models.CharField(_("event"), max_length=40, choices=Event.choices)  # PING: the office's test
    event_id = models.CharField(_("event id"), max_length=40)
    body = models.TextField(_("body"))
    state = models.CharField(_("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_again_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("sent by hand by"),
    )

    scope_rule = ScopeRule(cluster="cluster", readers=OFFICE, editors=OFFICE)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_recent"),
            models.Index(fields=["state", "next_attempt_at"], name="webhook_delivery_due"),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id}"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:delivery_detail", args=[self.pk])

    @property
    def last_attempt(self) -> Attempt | None:
        attempts = list(self.attempt_set.all())
        return attempts[0] if attempts else None


class Attempt(models.Model):
    """One POST of a delivery and what the endpoint answered (its first 2 000 characters), or why none came."""

    delivery = models.ForeignKey(Delivery, models.CASCADE, verbose_name=_("delivery"))
    cluster = models.ForeignKey("governance.Cluster", models.CASCADE, related_name="+", verbose_name=_("cluster"))
    at = models.DateTimeField(_("at"), default=timezone.now)
    status_code = models.PositiveSmallIntegerField(_("answer status"), null=True, blank=True)
    answer = models.TextField(_("answer"), blank=True)
    error = models.CharField(_("error"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)

    scope_rule = ScopeRule(cluster="cluster", readers=OFFICE, editors=OFFICE)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} @ {self.at:%Y-%m-%d %H:%M}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300
