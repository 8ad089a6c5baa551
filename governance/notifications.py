"""Writing and reading in-app notifications (see `models.Notification`).

`notify` is called by the services where the event happens, inside their transaction: the notification exists
exactly when the change does. Facts that are words of the platform (a KPI's name, a value-chain link) are given in
every language (`in_each_language`), so the reader sees them in theirs."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone, translation

from .models import Membership, Notification
from .scoping import VIEW, restrict

if TYPE_CHECKING:
    from core.typing import AnyUser

LISTED = 50


def notify(*, cluster_id: int, recipients: Iterable[int], kind: str, key: str, facts: dict[str, Any], url: str) -> int:
    """Notify each of these people (user ids) of one event, once: a person already notified of it is not again.
    Answers how many were notified now."""
    people = sorted(set(recipients))
    if not people:
        return 0
    already = set(
        Notification.objects.filter(recipient_id__in=people, kind=kind, key=key).values_list("recipient_id", flat=True)
    )
    rows = [
        Notification(cluster_id=cluster_id, recipient_id=person, kind=kind, key=key, facts=facts, url=url)
        for person in people
        if person not in already
    ]
    # ignore_conflicts: two writers notifying of the same event at once leave one row each.
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def in_each_language(words: Callable[[], str]) -> dict[str, str]:
    """`words()` said in each language of the platform, for a fact the reader sees in theirs."""
    said = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            said[code] = str(words())
    return said


def office_people(cluster_id: int) -> list[int]:
    """The ids of the cluster's office staff: active people with an active office role in it."""
    from django.contrib.auth import get_user_model

    from .choices import Role

    return sorted(
        set(
            get_user_model()
            .objects.filter(
                is_active=True,
                cluster_roles__cluster_id=cluster_id,
                cluster_roles__role=Role.OFFICE,
                cluster_roles__is_active=True,
            )
            .values_list("pk", flat=True)
        )
    )


def current_members(body_ids: Iterable[int]) -> list[int]:
    """The user ids of the people who sit in these bodies today."""
    today = timezone.localdate()
    return sorted(
        set(
            Membership.objects.filter(body_id__in=list(body_ids), start_date__lte=today, person__is_active=True)
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .values_list("person_id", flat=True)
        )
    )


def notifications_of(user: AnyUser) -> QuerySet[Notification]:
    """The person's own notifications, newest first (a platform administrator's too: only their own)."""
    return restrict(Notification.objects.all(), user, VIEW).filter(recipient_id=getattr(user, "pk", None))


def unread_count(user: AnyUser) -> int:
    return notifications_of(user).filter(read_at__isnull=True).count()


def mark_read(user: AnyUser, *, pks: Iterable[int] | None = None) -> int:
    """Mark the person's notifications read (these, or all); answers how many changed."""
    unread = notifications_of(user).filter(read_at__isnull=True)
    if pks is not None:
        unread = unread.filter(pk__in=list(pks))
    return unread.update(read_at=timezone.now())
