"""Writes of the governance element. Each service validates, writes in one transaction, returns the object."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.events import Event, emit
from core.versioning import version_claim

from .choices import (
    ActionItemStatus,
    BodyKind,
    DecisionOutcome,
    MeetingStatus,
    NotificationKind,
    RegulationStatus,
    Role,
)
from .models import (
    ActionItem,
    AgendaItem,
    Attendance,
    Body,
    Cluster,
    ClusterRole,
    Decision,
    Enterprise,
    EnterprisePastLink,
    Meeting,
    Membership,
    Regulation,
)
from .notifications import current_members, notify
from .scoping import forget_access

if TYPE_CHECKING:
    from core.typing import AnyUser
    from core.typing import User as AuthUser  # `User` below is get_user_model(), a value

User = get_user_model()

# Hooks that apps above governance fill in from their AppConfig.ready() (governance imports none of them): what
# follows a new cluster (kpi: a row for every KPI) and an enterprise's move to another link (kpi: the months from
# then on computed again).
CLUSTER_CREATED: list[Callable[[Cluster], None]] = []
ENTERPRISE_MOVED: list[Callable[[Enterprise, datetime.date], None]] = []

# A body membership brings the matching cluster role with it: a council seat makes a council member.
ROLE_FOR_BODY: dict[str, Role] = {
    BodyKind.COUNCIL: Role.COUNCIL,
    BodyKind.OFFICE: Role.OFFICE,
    BodyKind.WORKING_GROUP: Role.WORKING_GROUP,
}


def _save(obj, **clean_kwargs):
    obj.full_clean(**clean_kwargs)
    obj.save()
    return obj


# --- Clusters and enterprises -------------------------------------------------------------------------


@transaction.atomic
def cluster_save(*, cluster: Cluster) -> Cluster:
    """Save a cluster; a new one gets what the apps above give every cluster (CLUSTER_CREATED)."""
    created = cluster.pk is None
    _save(cluster)
    if created:
        for hook in CLUSTER_CREATED:
            hook(cluster)
    return cluster


@transaction.atomic
def enterprise_save(*, enterprise: Enterprise) -> Enterprise:
    """Save an enterprise (the form, the API, the admin). A move to another value-chain link applies from this month
    on: the link it had is kept for the months before (EnterprisePastLink), so no KPI value published before the move
    changes with it (the link values before and after would give its figures away); the apps above are told
    (ENTERPRISE_MOVED)."""
    before = (
        Enterprise.objects.select_for_update()
        .filter(pk=enterprise.pk)
        .values_list("value_chain_link", flat=True)
        .first()
        if enterprise.pk
        else None
    )
    _save(enterprise)
    if before is not None and before != enterprise.value_chain_link:
        since = enterprise.cluster.today().replace(day=1)
        # Moved twice this month: the months before it had the first link.
        EnterprisePastLink.objects.get_or_create(enterprise=enterprise, until=since, defaults={"link": before})
        for hook in ENTERPRISE_MOVED:
            hook(enterprise, since)
    return enterprise


# --- Bodies and regulations -------------------------------------------------------------------------


@transaction.atomic
def body_save(*, body: Body) -> Body:
    """Save a council, office or working group (its members are saved by `membership_save`)."""
    return _save(body)


@transaction.atomic
def regulation_save(*, regulation: Regulation) -> Regulation:
    """Save a draft regulation. One approved (or superseded) stays as it was approved: a change is a new version."""
    if regulation.pk is not None:
        stored = Regulation.objects.select_for_update().filter(pk=regulation.pk).first()
        if stored is not None and not stored.is_draft:
            raise ValidationError(_("Only a draft can be edited; make a new version instead."))
    return _save(regulation)


# --- People and roles -----------------------------------------------------------------------------


@transaction.atomic
def cluster_role_grant(*, user: AuthUser, cluster: Cluster, role: str, enterprises: Iterable = ()) -> ClusterRole:
    """Give `user` a role in `cluster` by hand (a withdrawn role comes back with only these enterprises)."""
    enterprises = list(enterprises)
    if role == Role.ENTERPRISE and not enterprises:
        raise ValidationError({"enterprises": _("An enterprise representative represents at least one enterprise.")})
    if any(e.cluster_id != cluster.pk for e in enterprises):
        raise ValidationError({"enterprises": _("The enterprises must be participants of this cluster.")})
    grant, _created = ClusterRole.objects.get_or_create(user=user, cluster=cluster, role=role)
    if not grant.is_active:
        grant.enterprises.clear()
    grant.is_active, grant.withdrawn_at = True, None
    grant.from_seats = False  # given by hand: it no longer follows the seats
    grant.save(update_fields=["is_active", "from_seats", "withdrawn_at"])
    if enterprises:
        grant.enterprises.add(*enterprises)
    forget_access(user)
    return grant


@transaction.atomic
def cluster_role_withdraw(*, grant: ClusterRole, now: datetime.datetime | None = None) -> ClusterRole:
    """Withdraw a role (the office, on the people page). It stays withdrawn: the seats the person holds now do not
    give it back at the next sync; a seat taken after this does."""
    grant.is_active, grant.withdrawn_at = False, now or timezone.now()
    grant.save(update_fields=["is_active", "withdrawn_at"])
    forget_access(grant.user)
    return grant


def seat_roles_sync(
    *, person, cluster: Cluster, today: datetime.date | None = None, new_seat: Membership | None = None
) -> None:
    """Make the roles that seats give match the person's seats in the cluster that are active today.

    A council seat makes a council member, an office seat office staff, a working-group seat a
    working-group member, and a seat representing an enterprise a representative of exactly the
    enterprises of the seats. Roles given by hand are left alone, and a role the office withdrew comes back
    only with a seat taken since (`new_seat`, just saved) or starting after the day it was withdrawn.
    """
    today = today or timezone.localdate()
    seats = list(
        Membership.objects.filter(person=person, body__cluster=cluster, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("body")
    )
    wanted: dict[str, set[int]] = {ROLE_FOR_BODY[s.body.kind]: set() for s in seats}
    represented = {s.enterprise_id for s in seats if s.enterprise_id}
    if represented:
        wanted[Role.ENTERPRISE] = represented
    latest_seat: dict[str, datetime.date] = {}
    for seat in seats:
        for role in _roles_of(seat):
            latest_seat[role] = max(latest_seat.get(role, seat.start_date), seat.start_date)
    taken = _roles_of(new_seat) if new_seat is not None else set()
    grants = {g.role: g for g in ClusterRole.objects.filter(user=person, cluster=cluster)}
    for role in [*ROLE_FOR_BODY.values(), Role.ENTERPRISE]:
        grant = grants.get(role)
        if (
            role in wanted
            and grant is not None
            and grant.withdrawn_at is not None
            and role not in taken
            and latest_seat[role] <= timezone.localdate(grant.withdrawn_at)
        ):
            continue  # withdrawn by the office after every seat that gives it began: it stays withdrawn
        if role in wanted:
            if grant is None:
                grant = ClusterRole.objects.create(user=person, cluster=cluster, role=role, from_seats=True)
            elif not grant.from_seats:
                if not grant.is_active:  # a withdrawn hand grant: the seat taken since takes it over
                    grant.from_seats, grant.is_active, grant.withdrawn_at = True, True, None
                    grant.save(update_fields=["from_seats", "is_active", "withdrawn_at"])
                    grant.enterprises.clear()
                elif role == Role.ENTERPRISE:
                    grant.enterprises.add(*wanted[role])
                continue
            elif not grant.is_active:
                grant.is_active, grant.withdrawn_at = True, None
                grant.save(update_fields=["is_active", "withdrawn_at"])
            if role == Role.ENTERPRISE:
                grant.enterprises.set(wanted[role])
        elif grant is not None and grant.from_seats and grant.is_active:
            grant.is_active = False
            grant.save(update_fields=["is_active"])
    forget_access(person)


def _roles_of(seat: Membership) -> set[str]:
    """The roles a seat gives."""
    return {ROLE_FOR_BODY[seat.body.kind]} | ({Role.ENTERPRISE} if seat.enterprise_id else set())


def seat_roles_sync_all(*, today: datetime.date | None = None) -> int:
    """The daily job: seats that started or ended give or take their roles. Returns people synced."""
    pairs = set(Membership.objects.values_list("person_id", "body__cluster_id"))
    people = {u.pk: u for u in User.objects.filter(pk__in={p for p, _c in pairs})}
    clusters = {c.pk: c for c in Cluster.objects.filter(pk__in={c for _p, c in pairs})}
    for person_id, cluster_id in sorted(pairs):
        seat_roles_sync(person=people[person_id], cluster=clusters[cluster_id], today=today)
    return len(pairs)


@transaction.atomic
def membership_save(*, membership: Membership) -> Membership:
    """Save a body membership; the roles that seats give follow the person's seats."""
    previous = Membership.objects.filter(pk=membership.pk).select_related("body").first() if membership.pk else None
    _save(membership)
    seat_roles_sync(
        person=membership.person, cluster=membership.body.cluster, new_seat=membership if previous is None else None
    )
    if previous is not None and (previous.person_id, previous.body.cluster_id) != (
        membership.person_id,
        membership.body.cluster_id,
    ):
        seat_roles_sync(person=previous.person, cluster=previous.body.cluster)
    return membership


# --- Meetings and agenda --------------------------------------------------------------------------


# What else a body's meetings follow up, from a higher app (the roadmap: its tasks due): each source answers, for a
# planned meeting, (key, title) per item, the key saying what the item follows (once per meeting).
_FOLLOW_UP_SOURCES: list[Callable[[Meeting], list[tuple[str, str]]]] = []


def register_follow_up_source(source: Callable[[Meeting], list[tuple[str, str]]]) -> None:
    if source not in _FOLLOW_UP_SOURCES:
        _FOLLOW_UP_SOURCES.append(source)


def agenda_add_follow_ups(*, meeting: Meeting) -> int:
    """Put every open or overdue action item of the meeting's body on its agenda, once each, and what the
    registered sources follow up (roadmap tasks due)."""
    if meeting.status != MeetingStatus.PLANNED:
        return 0
    items = (
        ActionItem.objects.open()
        .filter(body=meeting.body)
        .exclude(agenda_items__meeting=meeting)
        .order_by("deadline", "pk")
    )
    next_position = (meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0) + 1
    rows = [
        AgendaItem(meeting=meeting, position=next_position + i, title=item.title[:255], action_item=item)
        for i, item in enumerate(items)
    ]
    there = set(meeting.agenda_items.exclude(follow_up="").values_list("follow_up", flat=True))
    for source in _FOLLOW_UP_SOURCES:
        for key, title in source(meeting):
            if key not in there:
                there.add(key)
                rows.append(
                    AgendaItem(meeting=meeting, position=next_position + len(rows), title=title[:255], follow_up=key)
                )
    AgendaItem.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def next_meeting(*, body: Body, after: datetime.date | None = None) -> Meeting | None:
    after = after or timezone.localdate()
    return (
        Meeting.objects.filter(body=body, status=MeetingStatus.PLANNED, date__gte=after)
        .order_by("date", "time", "pk")
        .first()
    )


@transaction.atomic
def meeting_save(*, meeting: Meeting, agenda: Iterable[str] = ()) -> Meeting:
    """Save a meeting with its own agenda items; a planned one also gets the body's open action items."""
    creating = meeting.pk is None
    _save(meeting)
    if creating:
        AgendaItem.objects.bulk_create(
            AgendaItem(meeting=meeting, position=i, title=title[:255])
            for i, title in enumerate((t.strip() for t in agenda if t.strip()), start=1)
        )
    agenda_add_follow_ups(meeting=meeting)
    return meeting


@transaction.atomic
def agenda_item_add(*, meeting: Meeting, title: str, notes: str = "") -> AgendaItem:
    """Add an item at the end of a meeting's agenda; the body's members find it among their notifications (a
    meeting still to come: it is theirs to decide)."""
    position = (meeting.agenda_items.aggregate(m=Max("position"))["m"] or 0) + 1
    item = _save(AgendaItem(meeting=meeting, position=position, title=title.strip(), notes=notes.strip()))
    if meeting.status == MeetingStatus.PLANNED and meeting.date >= timezone.localdate():
        notify(
            cluster_id=meeting.body.cluster_id,
            recipients=current_members([meeting.body_id]),
            kind=NotificationKind.TO_DECIDE,
            key=f"agenda:{item.pk}",
            facts={"body": meeting.body.name, "date": meeting.date.isoformat(), "title": item.title},
            url=meeting.get_absolute_url(),
        )
    return item


@transaction.atomic
def meeting_record_attendance(*, meeting: Meeting, present_ids: Iterable[int], held: bool = True) -> Meeting:
    """Record who attended (every member of the body gets a row) and mark the meeting held."""
    if meeting.status == MeetingStatus.CANCELLED:
        raise ValidationError(_("The meeting was cancelled: attendance cannot be recorded."))
    present_ids = {int(pk) for pk in present_ids}
    members = set(
        meeting.body.memberships.filter(start_date__lte=meeting.date)
        .exclude(end_date__lt=meeting.date)
        .values_list("person_id", flat=True)
    )
    strangers = present_ids - members
    if strangers:
        raise ValidationError(_("Only members of the body can be marked present."))
    Attendance.objects.filter(meeting=meeting).delete()
    Attendance.objects.bulk_create(
        Attendance(meeting=meeting, person_id=person_id, present=person_id in present_ids)
        for person_id in sorted(members)
    )
    if held and meeting.status == MeetingStatus.PLANNED:
        meeting.status = MeetingStatus.HELD
        meeting.save(update_fields=["status"])
    return meeting


@transaction.atomic
def agenda_follow_ups_for_all() -> int:
    """For every body, put its open action items on the agenda of its next planned meeting."""
    added = 0
    today = timezone.localdate()
    seen: set[int] = set()
    for meeting in Meeting.objects.filter(status=MeetingStatus.PLANNED, date__gte=today).order_by(
        "body_id", "date", "pk"
    ):
        if meeting.body_id in seen:
            continue
        seen.add(meeting.body_id)
        added += agenda_add_follow_ups(meeting=meeting)
    return added


# --- Decisions and action items -------------------------------------------------------------------


@transaction.atomic
def decision_save(*, decision: Decision, action_items: Iterable[ActionItem] = ()) -> Decision:
    """Record a decision (refused without quorum) and the action items it spawns, all or nothing."""
    # Lock the meeting so attendance cannot change between the quorum check and the write, and the body so two
    # decisions of it saved at once do not take the same number.
    Meeting.objects.select_for_update().filter(pk=decision.meeting_id).first()
    Body.objects.select_for_update().filter(pk=decision.meeting.body_id).first()
    decision.outcome = Decision.outcome_for(
        votes_for=decision.votes_for or 0,
        present=decision.meeting.quorum().present,
        by_consensus=decision.by_consensus,
    )
    if not decision.number.strip():
        decision.number = decision_number(decision.meeting)
    new = decision.pk is None
    _save(decision)
    if new:
        emit(
            cluster_id=decision.meeting.body.cluster_id,
            event=Event.DECISION_TAKEN,
            data={
                "decision": decision.pk,
                "number": decision.number,
                "meeting": decision.meeting_id,
                "kind": decision.kind,
                "outcome": decision.outcome,
            },
        )
    for item in action_items:
        item.decision = decision
        action_item_save(item=item)
    return decision


def decision_number(meeting: Meeting) -> str:
    """The next number of the meeting's body in the meeting's year: "2026/14"."""
    year = meeting.date.year
    numbers = Decision.objects.filter(meeting__body_id=meeting.body_id, number__startswith=f"{year}/").values_list(
        "number", flat=True
    )
    highest = max((int(n.split("/", 1)[1]) for n in numbers if n.split("/", 1)[1].isdigit()), default=0)
    return f"{year}/{highest + 1}"


def _default_follow_up_body(item: ActionItem) -> None:
    if item.body_id:
        return
    if item.owner_group_id:
        assert item.owner_group is not None  # its id is set
        item.body = item.owner_group
    elif item.decision_id:
        assert item.decision is not None  # its id is set
        item.body = item.decision.meeting.body


@transaction.atomic
def action_item_save(*, item: ActionItem) -> ActionItem:
    """Save an action item; an open one goes on the agenda of its body's next planned meeting."""
    if item.decision_id and not item.cluster_id:
        assert item.decision is not None  # its id is set
        item.cluster_id = item.decision.meeting.body.cluster_id
    _default_follow_up_body(item)
    if not item.body_id:
        raise ValidationError({"body": _("Choose the body that follows this item up.")})
    _save(item)
    if item.status in (ActionItemStatus.OPEN, ActionItemStatus.IN_PROGRESS):
        meeting = next_meeting(body=item.body)
        if meeting is not None:
            agenda_add_follow_ups(meeting=meeting)
        # Its owner learns of it once (a new owner again).
        owner = f"p{item.owner_person_id}" if item.owner_person_id else f"g{item.owner_group_id}"
        _notify_owner(item, NotificationKind.ACTION_ASSIGNED, key=f"{item.pk}:{owner}")
    return item


def _notify_owner(item: ActionItem, kind: str, *, key: str) -> int:
    """Tell the item's owner (the person, or the members of the working group) in the app."""
    if item.owner_person_id is not None:
        owners = [item.owner_person_id]
    else:
        owners = current_members([item.owner_group_id]) if item.owner_group_id is not None else []
    return notify(
        cluster_id=item.cluster_id,
        recipients=owners,
        kind=kind,
        key=key,
        facts={"title": item.title, "deadline": item.deadline.isoformat()},
        url=item.get_absolute_url(),
    )


def action_items_overdue_notify(*, today: datetime.date | None = None) -> int:
    """Tell the owners of every open item past its deadline, once per deadline (a deadline moved and missed
    again tells them again); answers how many people were told."""
    today = today or timezone.localdate()
    told = 0
    for item in ActionItem.objects.overdue(today).order_by("pk"):
        told += _notify_owner(item, NotificationKind.ACTION_OVERDUE, key=f"{item.pk}:{item.deadline.isoformat()}")
    return told


@transaction.atomic
def action_item_set_status(
    *, item: ActionItem, status: str, done_on: datetime.date | None = None, expected_version: int | None = None
) -> ActionItem:
    """Set an item's status; with `expected_version`, only over the version the person saw (else StaleVersion)."""
    version_claim(item, expected=expected_version)
    item.status = status
    item.done_on = (done_on or timezone.localdate()) if status == ActionItemStatus.DONE else None
    _save(item)
    return item


# --- Regulations ----------------------------------------------------------------------------------


@transaction.atomic
def regulation_approve(
    *, regulation: Regulation, decision: Decision, effective_from: datetime.date | None = None
) -> Regulation:
    """Approve a draft by a decision; the version approved before it is superseded."""
    if regulation.status != RegulationStatus.DRAFT:
        raise ValidationError(_("Only a draft can be approved."))
    if decision.outcome != DecisionOutcome.ADOPTED:
        raise ValidationError({"approved_by": _("The decision was not adopted.")})
    if decision.meeting.body.kind != BodyKind.COUNCIL:
        raise ValidationError({"approved_by": _("Regulations are approved by a decision of the council.")})
    previous = Regulation.objects.select_for_update().filter(
        cluster=regulation.cluster, kind=regulation.kind, body=regulation.body, status=RegulationStatus.APPROVED
    )
    previous.update(status=RegulationStatus.SUPERSEDED, lock_version=F("lock_version") + 1)
    regulation.status = RegulationStatus.APPROVED
    regulation.approved_by = decision
    regulation.effective_from = effective_from or decision.meeting.date
    return _save(regulation)


def regulation_next_version(*, cluster: Cluster, kind: str, body: Body | None) -> int:
    latest = Regulation.objects.filter(cluster=cluster, kind=kind, body=body).aggregate(v=Max("version"))["v"]
    return (latest or 0) + 1


# --- Reminders ------------------------------------------------------------------------------------


def action_item_reminders(*, today: datetime.date | None = None, days_ahead: int = 3) -> int:
    """E-mail each person owner of an open item that is overdue or due within `days_ahead` days."""
    today = today or timezone.localdate()
    items = (
        ActionItem.objects.open()
        .filter(owner_person__isnull=False, deadline__lte=today + datetime.timedelta(days=days_ahead))
        .exclude(owner_person__email="")
        .select_related("owner_person", "cluster")
        .order_by("owner_person_id", "deadline")
    )
    by_owner: dict[int, list[ActionItem]] = {}
    for item in items:
        by_owner.setdefault(item.owner_person_id, []).append(item)
    sent = 0
    for owned in by_owner.values():
        owner = owned[0].owner_person
        assert owner is not None  # owner_person__isnull=False
        lines = [
            f"- {i.title} ({i.cluster}): {i.deadline.isoformat()}"
            + (f" — {_('overdue')}" if i.deadline < today else "")
            for i in owned
        ]
        send_mail(
            subject=_("Action items due: %(count)s") % {"count": len(owned)},
            message=_("These action items are yours and are due or overdue:") + "\n\n" + "\n".join(lines),
            from_email=None,
            recipient_list=[owner.email],
        )
        sent += 1
    return sent


# --- Responsibility matrix and people -------------------------------------------------------------


@transaction.atomic
def responsibility_matrix_save(*, cluster: Cluster, cells: dict[tuple[str, int], str]) -> int:
    """Replace the cluster's matrix with `cells` ((area, body id) -> responsibility or "")."""
    from .models import ResponsibilityAssignment

    body_ids = set(Body.objects.filter(cluster=cluster).values_list("pk", flat=True))
    if any(body_id not in body_ids for _area, body_id in cells):
        raise ValidationError(_("The matrix names a body of another cluster."))
    ResponsibilityAssignment.objects.filter(cluster=cluster).delete()
    rows = [
        ResponsibilityAssignment(cluster=cluster, area=area, body_id=body_id, responsibility=value)
        for (area, body_id), value in sorted(cells.items())
        if value
    ]
    for row in rows:
        row.full_clean(exclude=["cluster", "body"], validate_unique=False)
    ResponsibilityAssignment.objects.bulk_create(rows)
    return len(rows)


@transaction.atomic
def person_invite(
    *,
    cluster: Cluster,
    username: str,
    email: str,
    first_name: str = "",
    last_name: str = "",
    role: str = "",
    request=None,
):
    """Create an account without a password and e-mail its owner an invitation: the cluster, the role, who
    invites, and a link to set a password (valid for PASSWORD_RESET_TIMEOUT)."""
    from django.contrib.auth.forms import PasswordResetForm

    user = User(username=username, email=email, first_name=first_name, last_name=last_name)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    form = PasswordResetForm({"email": email})
    if form.is_valid():
        # Unusable passwords are skipped by PasswordResetForm.get_users; send to this user directly.
        # An instance's own get_users, on purpose (mypy refuses assigning to a method).
        form.get_users = lambda email: [user]  # type: ignore[method-assign]
        inviter = getattr(request, "user", None)
        context = {
            "cluster": cluster.name,
            "role": str(Role(role).label) if role in Role.values else "",
            "inviter": (inviter.get_full_name() or inviter.get_username()) if inviter is not None else "",
        }
        transaction.on_commit(
            lambda: form.save(
                request=request,
                use_https=bool(request and request.is_secure()),
                domain_override=request.get_host() if request else None,
                subject_template_name="registration/invitation_subject.txt",
                email_template_name="registration/invitation_email.txt",
                extra_email_context=context,
            )
        )
    return user


# --- Log-in locks --------------------------------------------------------------------------------------


@transaction.atomic
def login_lock_lift(*, user: AnyUser, cluster: Cluster, attempt_id: int) -> int:
    """The office lifts a lock on one of its people: the person's failed log-ins everywhere, and those of that
    address against the cluster's people, stop counting. Answers how many records went. An address locked by
    failures against other clusters' accounts stays locked (a platform administrator lifts it in the admin)."""
    from axes.models import AccessAttempt
    from axes.utils import reset

    from .filters import people_of_clusters
    from .selectors import login_locks

    lock = next((item for item in login_locks(user=user, cluster=cluster) if item.attempt_id == attempt_id), None)
    if lock is None:
        raise PermissionDenied
    people = people_of_clusters(Cluster.objects.filter(pk=cluster.pk)).values("username")
    lifted = reset(username=lock.person.username)
    lifted += AccessAttempt.objects.filter(ip_address=lock.ip_address, username__in=people).delete()[0]
    return lifted
