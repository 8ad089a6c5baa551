"""Events of the platform that systems outside it may follow (the webhooks app delivers them).

An app's service announces an event with `emit` inside the transaction of the change, once the change is made; a
listener records what it must do in that same transaction (so a change rolled back announces nothing) and acts
after the commit. `data` names the rows (ids, codes, periods), never figures of an enterprise: a receiver reads
those through the API, with its own rights.
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

# Sent with `cluster_id`, `event` (an Event value) and `data` (a dict that JSON can hold).
platform_event = Signal()


class Event(models.TextChoices):
    FIGURES_SUBMITTED = "figures.submitted", _("Figures submitted")
    FIGURES_APPROVED = "figures.approved", _("Figures approved")
    FIGURES_RETURNED = "figures.returned", _("Figures returned")
    KPI_VALUES_COMPUTED = "kpi_values.computed", _("KPI values computed")
    ALERT_OPENED = "alert.opened", _("Alert opened")
    ALERT_CLOSED = "alert.closed", _("Alert closed")
    DECISION_TAKEN = "decision.taken", _("Decision taken")
    PING = "ping", _("Test event")  # sent by hand to check an endpoint; nobody subscribes to it


def emit(*, cluster_id: int, event: str, data: dict[str, Any]) -> None:
    platform_event.send(sender=Event, cluster_id=cluster_id, event=event, data=data)
