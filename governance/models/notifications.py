"""In-app notifications beside the e-mails: what a person must know about (figures returned, an alert for their
working group, an action item assigned or overdue, an item on a meeting's agenda to decide), read and unread.

A notification keeps the facts of what happened, not a sentence: its text is written when it is read, in the
reader's language. The same event notifies a person once (`key`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from ..choices import NotificationKind
from ..scoping import ScopeRule
from .clusters import Cluster

if TYPE_CHECKING:
    from core.scoping import Access
    from core.typing import AnyUser


def _own_notifications(user: AnyUser, access: Access) -> Q:
    return Q(recipient_id=user.pk)


class Notification(models.Model):
    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="notifications")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    key = models.CharField(max_length=100)  # what it is about: the same event notifies a person once
    facts = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=300)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    # Each person reads and marks their own, and nobody else's: no role reads or changes every row.
    scope_rule = ScopeRule(cluster="cluster", readers=frozenset(), editors=frozenset(), own=_own_notifications)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "kind", "key"], name="notification_once_per_event"),
        ]
        indexes = [models.Index(fields=["recipient", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.text

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def text(self) -> str:
        """The notification in the active language (facts given in each language are taken in it)."""
        language = translation.get_language() or settings.LANGUAGE_CODE
        facts = {
            name: (value.get(language) or value.get(settings.LANGUAGE_CODE) or next(iter(value.values()), ""))
            if isinstance(value, dict)
            else value
            for name, value in self.facts.items()
        }
        template = TEXTS.get(self.kind)
        if template is None:
            return self.get_kind_display()
        try:
            return template() % facts
        except (KeyError, TypeError, ValueError):
            return self.get_kind_display()


TEXTS: dict[str, Callable[[], str]] = {
    NotificationKind.SUBMISSION_RETURNED: lambda: gettext(
        "The office returned the figures of %(enterprise)s for %(month)s: %(reason)s"
    ),
    NotificationKind.ALERT: lambda: gettext("%(kpi)s has breached its minimum (%(where)s, %(period)s)."),
    NotificationKind.ACTION_ASSIGNED: lambda: gettext("Action item for you: %(title)s, due %(deadline)s."),
    NotificationKind.ACTION_OVERDUE: lambda: gettext("Action item overdue since %(deadline)s: %(title)s."),
    NotificationKind.TO_DECIDE: lambda: gettext("On the agenda of %(body)s on %(date)s: %(title)s."),
    NotificationKind.REVIEW_OPENED: lambda: gettext(
        "A conditions review of the award %(package)s of %(enterprise)s is open: %(kpi)s breached the minimum the "
        "package requires in %(quarter)s. Answer by %(respond_by)s."
    ),
    NotificationKind.REVIEW_DECIDED: lambda: gettext(
        "The council decided the conditions review of the award %(package)s of %(enterprise)s: %(outcome)s."
    ),
    NotificationKind.TASK_FAILED: lambda: gettext("A background task failed after its retries: %(task)s (%(error)s)."),
    NotificationKind.WEBHOOK_SWITCHED_OFF: lambda: gettext(
        "The webhook endpoint %(url)s failed %(failures)s deliveries in a row and was switched off. Check it, then "
        "switch it on again."
    ),
    NotificationKind.EVIDENCE_CHANGED: lambda: gettext(
        "Corrected figures changed the evaluation of %(enterprise)s for %(package)s in %(quarter)s, on which a "
        "decision rests."
    ),
}
