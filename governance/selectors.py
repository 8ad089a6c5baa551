"""Reads of the governance element: what pages, the API and other apps show of it."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from .choices import ActionItemStatus, BodyKind, MatrixArea, MeetingStatus
from .models import ActionItem, Body, Cluster, Meeting, Membership, ResponsibilityAssignment
from .scoping import VIEW, restrict

if TYPE_CHECKING:
    from core.typing import AnyUser, StrOrPromise, User

    from .models.meetings import ActionItemQuerySet

SESSION_CLUSTER_KEY = "cluster_id"

# Where an action item came from, in the apps above governance (kpi: the alert it was made from), filled from their
# AppConfig.ready(): each answers (text, url) pairs the person may follow, in the active language.
ACTION_ITEM_SOURCES: list[Callable[[ActionItem, AnyUser], list[tuple[str, str]]]] = []


def action_item_sources(item: ActionItem, user: AnyUser) -> list[tuple[str, str]]:
    return [source for hook in ACTION_ITEM_SOURCES for source in hook(item, user)]


def user_clusters(user: AnyUser) -> QuerySet[Cluster]:
    return restrict(Cluster.objects.all(), user, VIEW).order_by("name")


def current_cluster(request) -> Cluster | None:
    """The cluster the user works in: the one chosen in the switcher, else their first."""
    if hasattr(request, "_current_cluster"):
        return request._current_cluster
    clusters = user_clusters(request.user)
    chosen = request.session.get(SESSION_CLUSTER_KEY)
    cluster = clusters.filter(pk=chosen).first() if chosen else None
    if cluster is None:
        cluster = clusters.first()
    request._current_cluster = cluster
    return cluster


def current_cluster_or_404(request) -> Cluster:
    """The cluster the user works in, for pages that show one: 404 for a person who belongs to none."""
    cluster = current_cluster(request)
    if cluster is None:
        raise Http404
    return cluster


# --- Action items and execution discipline -------------------------------------------------------


def action_items_overdue_first(
    queryset: ActionItemQuerySet, today: datetime.date | None = None
) -> QuerySet[ActionItem]:
    """Overdue items first (oldest deadline first), then open ones by deadline, then closed ones."""
    return (
        queryset.with_overdue(today)
        .select_related("owner_person", "owner_group", "body", "decision")
        .annotate(is_closed=Q(status__in=[ActionItemStatus.DONE, ActionItemStatus.CANCELLED]))
        .order_by("-overdue", "is_closed", "deadline", "pk")
    )


@dataclass(frozen=True)
class Discipline:
    """Execution discipline: of the items due in a period, how many were done by their deadline."""

    due: int
    on_time: int

    @property
    def share(self) -> float | None:
        return self.on_time / self.due if self.due else None


def _done_on_time() -> Q:
    """An action item done by its deadline."""
    return Q(status=ActionItemStatus.DONE, done_on__lte=F("deadline"))


def _discipline_counts():
    return {"due": Count("pk"), "on_time": Count("pk", filter=_done_on_time())}


def execution_discipline_by_cluster(
    *, clusters, start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> dict[int, Discipline]:
    """Execution discipline of several clusters at once (items due in [start, end], as below), by cluster id."""
    found = execution_discipline_by_period(clusters=clusters, periods={"": (start, end)}, today=today)
    return {cluster_id: discipline for (cluster_id, _key), discipline in found.items()}


def execution_discipline_by_period(
    *, clusters, periods: Mapping[str, tuple[datetime.date, datetime.date]], today: datetime.date | None = None
) -> dict[tuple[int, str], Discipline]:
    """Execution discipline of several clusters over several periods (key → first and last day) in one query, by
    (cluster id, period key): items due in the period and by today, cancelled ones left out."""
    today = today or timezone.localdate()
    clusters = list(clusters)
    if not clusters or not periods:
        return {}
    keys = list(periods)
    columns: dict[str, Any] = {}
    for i, key in enumerate(keys):
        start, end = periods[key]
        due = Q(deadline__gte=start, deadline__lte=min(end, today))
        columns[f"due{i}"] = Count("pk", filter=due)
        columns[f"on_time{i}"] = Count("pk", filter=due & _done_on_time())
    # Plain mappings: the Django plugin does not see the names annotated through **.
    rows: Iterable[Mapping[str, Any]] = (
        ActionItem.objects.filter(cluster__in=clusters)
        .exclude(status=ActionItemStatus.CANCELLED)
        .order_by()
        .values("cluster_id")
        .annotate(**columns)
    )
    found = {row["cluster_id"]: row for row in rows}
    return {
        (c.pk, key): Discipline(due=found[c.pk][f"due{i}"], on_time=found[c.pk][f"on_time{i}"])
        if c.pk in found
        else Discipline(due=0, on_time=0)
        for c in clusters
        for i, key in enumerate(keys)
    }


def execution_discipline(
    *, cluster: Cluster, start: datetime.date, end: datetime.date, today: datetime.date | None = None
) -> tuple[Discipline, list[tuple[Body, Discipline]]]:
    """Execution discipline of the cluster and of each body for action items due in [start, end].

    Items not yet due (deadline after today) are not counted; cancelled items are not counted.
    """
    today = today or timezone.localdate()
    end = min(end, today)
    due = ActionItem.objects.filter(cluster=cluster, deadline__gte=start, deadline__lte=end).exclude(
        status=ActionItemStatus.CANCELLED
    )
    total = due.aggregate(**_discipline_counts())
    per_body: dict[int, Mapping[str, Any]] = {
        row["body_id"]: row for row in due.values("body_id").annotate(**_discipline_counts())
    }
    bodies = Body.objects.filter(cluster=cluster, pk__in=per_body.keys()).order_by("kind", "name")
    return (
        Discipline(due=total["due"], on_time=total["on_time"]),
        [(b, Discipline(due=per_body[b.pk]["due"], on_time=per_body[b.pk]["on_time"])) for b in bodies],
    )


# --- Bodies, meetings, matrix ---------------------------------------------------------------------


def body_members(*, body: Body, on: datetime.date | None = None) -> QuerySet[Membership]:
    on = on or timezone.localdate()
    return (
        body.memberships.filter(start_date__lte=on)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=on))
        .select_related("person", "enterprise")
    )


def bodies_with_counts(queryset: QuerySet[Body], today: datetime.date | None = None) -> QuerySet[Body]:
    today = today or timezone.localdate()
    active = Q(memberships__start_date__lte=today) & (
        Q(memberships__end_date__isnull=True) | Q(memberships__end_date__gte=today)
    )
    return queryset.annotate(
        member_count=Count("memberships", filter=active, distinct=True),
        open_items=Count(
            "followed_action_items",
            filter=Q(followed_action_items__status__in=[ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS]),
            distinct=True,
        ),
    )


def meeting_detail(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    return queryset.select_related("body", "body__cluster").prefetch_related(
        "agenda_items__action_item__owner_person",
        "agenda_items__action_item__owner_group",
        Prefetch("attendances", queryset=_attendances()),
        "decisions__action_items",
    )


def _attendances():
    from .models import Attendance

    return Attendance.objects.select_related("person").order_by("person__last_name", "person__username")


def upcoming_meetings(*, cluster: Cluster, today: datetime.date | None = None, limit: int = 5) -> QuerySet[Meeting]:
    today = today or timezone.localdate()
    return (
        Meeting.objects.filter(body__cluster=cluster, status=MeetingStatus.PLANNED, date__gte=today)
        .select_related("body")
        .annotate(agenda_count=Count("agenda_items"))
        .order_by("date", "time", "pk")[:limit]
    )


@dataclass(frozen=True)
class MatrixRow:
    area: str
    label: StrOrPromise
    cells: list[str]  # responsibility code per body column ("" when none)


def responsibility_matrix(*, cluster: Cluster) -> tuple[list[Body], list[MatrixRow]]:
    """The matrix of areas × bodies: who decides, executes, is consulted."""
    bodies = list(Body.objects.filter(cluster=cluster, is_active=True).order_by("kind", "name"))
    cells = {(a.area, a.body_id): a.responsibility for a in ResponsibilityAssignment.objects.filter(cluster=cluster)}
    rows = [
        MatrixRow(area=value, label=label, cells=[cells.get((value, b.pk), "") for b in bodies])
        for value, label in MatrixArea.choices
    ]
    return bodies, rows


def governance_counts(*, cluster: Cluster, today: datetime.date | None = None) -> dict[str, int]:
    today = today or timezone.localdate()
    from .choices import EnterpriseStatus, RegulationStatus

    bodies = cluster.bodies.filter(is_active=True).aggregate(
        councils=Count("pk", filter=Q(kind=BodyKind.COUNCIL)),
        offices=Count("pk", filter=Q(kind=BodyKind.OFFICE)),
        working_groups=Count("pk", filter=Q(kind=BodyKind.WORKING_GROUP)),
    )
    items = ActionItem.objects.filter(cluster=cluster).aggregate(
        open_items=Count("pk", filter=Q(status__in=[ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS])),
        overdue_items=Count(
            "pk", filter=Q(status__in=[ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS], deadline__lt=today)
        ),
    )
    return {
        "participants": cluster.enterprises.filter(status=EnterpriseStatus.ACTIVE).count(),
        "approved_regulations": cluster.regulations.filter(status=RegulationStatus.APPROVED).count(),
        **bodies,
        **items,
    }


def meetings_with_quorum(queryset: QuerySet[Meeting]) -> QuerySet[Meeting]:
    """Meetings annotated with `eligible` and `present` member counts, as Meeting.quorum() counts them."""
    from django.db.models import IntegerField, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    from .models import Attendance

    on_date = Q(start_date__lte=OuterRef("date")) & (Q(end_date__isnull=True) | Q(end_date__gte=OuterRef("date")))
    eligible = (
        Membership.objects.filter(on_date, body=OuterRef("body"))
        .order_by()
        .values("body")
        .annotate(n=Count("person", distinct=True))
        .values("n")
    )
    meeting_date = OuterRef(OuterRef("date"))
    member_ids = (
        Membership.objects.filter(body=OuterRef(OuterRef("body")), start_date__lte=meeting_date)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=meeting_date))
        .values("person")
    )
    present = (
        Attendance.objects.filter(meeting=OuterRef("pk"), present=True, person__in=member_ids)
        .order_by()
        .values("meeting")
        .annotate(n=Count("person", distinct=True))
        .values("n")
    )
    return queryset.annotate(
        eligible=Coalesce(Subquery(eligible, output_field=IntegerField()), 0),
        present=Coalesce(Subquery(present, output_field=IntegerField()), 0),
    )


# --- Log-in locks ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LoginLock:
    """Failed log-ins of one of the cluster's people from one address (django-axes' record): how many, the last
    one, and whether the account, the address or both are locked now (and until when)."""

    attempt_id: int
    person: User
    ip_address: str
    failures: int
    last_attempt: datetime.datetime
    account_locked: bool
    address_locked: bool
    until: datetime.datetime | None

    @property
    def locked(self) -> bool:
        return self.account_locked or self.address_locked


def login_locks(*, user: AnyUser, cluster: Cluster, now: datetime.datetime | None = None) -> list[LoginLock]:
    """The failed log-ins of the cluster's people still counted (within the cool-off), for its office: the office
    sees the accounts of its own people only. Three queries."""
    from axes.models import AccessAttempt
    from django.conf import settings
    from django.db.models import Sum

    from .filters import people_of_clusters
    from .scoping import is_office

    if not is_office(user, cluster):
        return []
    now = now or timezone.now()
    since = now - settings.AXES_COOLOFF_TIME
    people = {p.username: p for p in people_of_clusters(Cluster.objects.filter(pk=cluster.pk))}
    attempts = list(
        AccessAttempt.objects.filter(username__in=list(people), attempt_time__gte=since).order_by("-attempt_time")
    )
    recent = AccessAttempt.objects.filter(attempt_time__gte=since)
    by_account = dict(
        recent.filter(username__in={a.username for a in attempts})
        .values("username")
        .annotate(n=Sum("failures_since_start"))
        .values_list("username", "n")
    )
    by_address = dict(
        recent.filter(ip_address__in={a.ip_address for a in attempts})
        .values("ip_address")
        .annotate(n=Sum("failures_since_start"))
        .values_list("ip_address", "n")
    )
    limit = settings.AXES_FAILURE_LIMIT
    locks = []
    for attempt in attempts:
        account, address = by_account.get(attempt.username, 0) >= limit, by_address.get(attempt.ip_address, 0) >= limit
        locks.append(
            LoginLock(
                attempt_id=attempt.pk,
                person=people[attempt.username],
                ip_address=attempt.ip_address or "",
                failures=attempt.failures_since_start,
                last_attempt=attempt.attempt_time,
                account_locked=account,
                address_locked=address,
                until=attempt.attempt_time + settings.AXES_COOLOFF_TIME if account or address else None,
            )
        )
    return locks
