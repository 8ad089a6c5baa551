"""What each role finds on its home page: what waits for the office, what a council member must see at once, what
a working group owns, and an enterprise's month of reporting. Every read goes through the scoping helper; each
panel takes a fixed number of queries whatever the size of the cluster."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.utils import timezone

from governance.choices import BodyKind, MeetingStatus, Role
from governance.models import ActionItem, Body, Cluster, ClusterRole, Decision, Enterprise, Meeting
from governance.scoping import CHANGE, VIEW, restrict, roles_in
from incentives import services as incentive_services
from incentives.choices import OPEN_REVIEW_STATES, AwardStatus
from incentives.models import Award, ConditionsReview
from kpi import selectors as kpi_selectors
from kpi.choices import AlertStatus, CorrectionStatus, SubmissionStatus
from kpi.models import Alert, ClusterKpi, Correction, ReportingPeriod, Submission
from portfolio.choices import ProjectStatus, RequestStatus
from portfolio.models import Project, ServiceRequest

if TYPE_CHECKING:
    from core.typing import AnyUser

LISTED = 5  # rows a panel lists; its count says how many there are in all
ORDER = (Role.OFFICE, Role.COUNCIL, Role.WORKING_GROUP, Role.ENTERPRISE, Role.VIEWER)


def home_roles(user: AnyUser, cluster: Cluster) -> list[str]:
    """The person's roles in the cluster, the one their home is made for first (a platform administrator: the
    office's)."""
    held = roles_in(user, cluster.pk)
    if getattr(user, "is_superuser", False):
        held = frozenset({Role.OFFICE})
    return [role for role in ORDER if role in held]


@dataclass
class Listed:
    """Up to LISTED rows and how many there are."""

    rows: list
    count: int

    @classmethod
    def of(cls, queryset, limit: int = LISTED) -> Listed:
        rows = list(queryset[:limit])
        count = len(rows) if len(rows) < limit else queryset.count()
        return cls(rows, count)


# --- The office -------------------------------------------------------------------------------------------


@dataclass
class OfficeHome:
    to_approve: Listed
    corrections: Listed
    alerts: Listed
    overdue: Listed
    missing_period: ReportingPeriod | None = None  # the latest month past its deadline and not locked
    missing: Listed | None = None  # who has not submitted it
    setup: list[SetupStep] = field(default_factory=list)  # a new cluster's first steps, while any is left
    reviews: Listed | None = None  # conditions reviews under way, the nearest deadline first
    gate: NextGate | None = None  # the roadmap's next gate and its readiness


@dataclass(frozen=True)
class SetupStep:
    """One of a new cluster's first steps: done or not, and where it is done."""

    label: str
    url_name: str
    done: bool


def setup_steps(cluster: Cluster) -> list[SetupStep]:
    """What a new cluster still needs before it works: its enterprises, its council and working groups, its people
    (a role besides the first office member) and KPI targets. Empty once every step is done."""
    from django.utils.translation import gettext as _

    bodies = set(Body.objects.filter(cluster=cluster).values_list("kind", flat=True))
    steps = [
        SetupStep(_("Add the participant enterprises"), "governance:enterprise_create", cluster.enterprises.exists()),
        SetupStep(
            _("Add the council and the working groups"),
            "governance:body_create",
            {BodyKind.COUNCIL, BodyKind.WORKING_GROUP} <= bodies,
        ),
        SetupStep(
            _("Invite the people: council members, working groups, enterprise accountants"),
            "governance:person_add",
            ClusterRole.objects.filter(cluster=cluster).exclude(role=Role.OFFICE).exists(),
        ),
        SetupStep(
            _("Set each KPI's target and minimum"),
            "kpi:kpi_settings",
            ClusterKpi.objects.filter(cluster=cluster, active=True, target__isnull=False).exists(),
        ),
    ]
    return [] if all(step.done for step in steps) else steps


def office_home(*, user: AnyUser, cluster: Cluster, today: datetime.date) -> OfficeHome:
    submissions = restrict(Submission.objects.filter(cluster=cluster, status=SubmissionStatus.SUBMITTED), user, VIEW)
    corrections = restrict(Correction.objects.filter(cluster=cluster, status=CorrectionStatus.PENDING), user, VIEW)
    alerts = restrict(Alert.objects.filter(cluster=cluster, status=AlertStatus.OPEN), user, VIEW)
    overdue = restrict(ActionItem.objects.overdue(today), user, VIEW).filter(cluster=cluster)
    home = OfficeHome(
        to_approve=Listed.of(
            submissions.select_related("enterprise", "period").order_by("period__month", "submitted_at", "pk")
        ),
        corrections=Listed.of(
            corrections.select_related("enterprise", "period", "data_element").order_by("requested_at", "pk")
        ),
        alerts=Listed.of(alerts.select_related("kpi").order_by("-period_start", "kpi__position", "link")),
        overdue=Listed.of(overdue.select_related("owner_group", "body").order_by("deadline", "pk")),
    )
    now = timezone.now()
    periods = restrict(ReportingPeriod.objects.filter(cluster=cluster, deadline__lt=today), user, VIEW)
    latest = periods.select_related("cluster").order_by("-month").first()
    if latest is not None and not latest.is_locked(now):
        home.missing_period = latest
        missing = restrict(kpi_selectors.missing_submissions(period=latest, now=now), user, VIEW)
        home.missing = Listed.of(missing.order_by("name"))
    home.setup = setup_steps(cluster)
    home.reviews = reviews_under_way(user=user, cluster=cluster)
    home.gate = next_gate(user=user, cluster=cluster, today=today)
    return home


@dataclass
class NextGate:
    """The gate closing the phase the cluster is in: its date, latest readiness and whether it is on track."""

    phase: object
    latest: object | None
    projection: object
    month: int


def next_gate(*, user: AnyUser, cluster: Cluster, today: datetime.date) -> NextGate | None:
    from roadmap import services as roadmap
    from roadmap.models import GateEvaluation

    stand = roadmap.stand_at(cluster, today)
    if stand.phase is None:
        return None
    history = list(restrict(GateEvaluation.objects.filter(phase=stand.phase), user, VIEW).order_by("month"))
    return NextGate(
        stand.phase, history[-1] if history else None, roadmap.projection(stand.phase, history), stand.month
    )


def reviews_under_way(*, user: AnyUser, cluster: Cluster, enterprises=None) -> Listed:
    """Conditions reviews the council has not decided yet, the nearest deadline first (the reader's own)."""
    reviews = restrict(ConditionsReview.objects.filter(cluster=cluster, state__in=OPEN_REVIEW_STATES), user, VIEW)
    if enterprises is not None:
        reviews = reviews.filter(enterprise__in=enterprises)
    return Listed.of(reviews.select_related("enterprise", "award__package").order_by("respond_by", "pk"))


# --- A council member --------------------------------------------------------------------------------------


@dataclass
class CouncilHome:
    period: kpi_selectors.ComputedPeriod | None
    tiles: list
    decisions: list
    due: Listed
    next_meeting: Meeting | None
    awards: Listed | None = None  # incentive awards proposed, for the council to decide
    reviews: Listed | None = None  # conditions reviews under way, for the council to decide at their end
    gate: NextGate | None = None  # the roadmap's next gate and its readiness
    to_decide: list = field(default_factory=list)  # the next meeting's agenda, but follow-ups of action items


def council_home(*, user: AnyUser, cluster: Cluster, today: datetime.date) -> CouncilHome:
    months = kpi_selectors.computed_months(user=user, cluster=cluster)
    final = [m for m in months if not m.provisional]
    period = final[0] if final else None
    tiles = kpi_selectors.council_overview(user=user, cluster=cluster, span=period.span) if period else []
    council = Body.objects.filter(cluster=cluster, kind=BodyKind.COUNCIL)
    due = (
        restrict(ActionItem.objects.open(), user, VIEW)
        .filter(cluster=cluster, body__in=council, deadline__lte=today + datetime.timedelta(days=30))
        .select_related("body", "owner_group")
        .order_by("deadline", "pk")
    )
    decisions = list(
        restrict(Decision.objects.filter(meeting__body__in=council), user, VIEW)
        .select_related("meeting")
        .order_by("-meeting__date", "-pk")[:LISTED]
    )
    meetings = restrict(Meeting.objects.filter(body__cluster=cluster, date__gte=today), user, VIEW).exclude(
        status=MeetingStatus.CANCELLED
    )
    # The council's own next meeting first: what it lists is the council's to decide.
    council_meetings = meetings.filter(body__in=council)
    next_meeting = (
        (council_meetings if council_meetings.exists() else meetings)
        .select_related("body")
        .order_by("date", "time", "pk")
        .first()
    )
    to_decide = (
        list(next_meeting.agenda_items.filter(action_item__isnull=True).order_by("position", "pk"))
        if next_meeting is not None
        else []
    )
    proposed = restrict(Award.objects.filter(cluster=cluster, status=AwardStatus.PROPOSED), user, VIEW)
    awards = Listed.of(proposed.select_related("enterprise", "package").order_by("-quarter", "enterprise__name"))
    return CouncilHome(
        period,
        tiles,
        decisions,
        Listed.of(due),
        next_meeting,
        awards=awards,
        reviews=reviews_under_way(user=user, cluster=cluster),
        to_decide=to_decide,
        gate=next_gate(user=user, cluster=cluster, today=today),
    )


# --- A working group ---------------------------------------------------------------------------------------


@dataclass
class GroupHome:
    groups: list[Body]
    alerts: Listed
    items: Listed
    projects: Listed


def working_group_home(*, user: AnyUser, cluster: Cluster, today: datetime.date) -> GroupHome:
    groups = list(
        Body.objects.filter(
            cluster=cluster,
            kind=BodyKind.WORKING_GROUP,
            memberships__person_id=getattr(user, "pk", None),
            memberships__end_date__isnull=True,
        )
        .distinct()
        .order_by("name")
    )
    alerts = restrict(Alert.objects.filter(status=AlertStatus.OPEN, working_group__in=groups), user, VIEW)
    items = restrict(ActionItem.objects.open(), user, VIEW).filter(owner_group__in=groups)
    projects = restrict(Project.objects.filter(lead_group__in=groups), user, VIEW).exclude(
        status__in=[ProjectStatus.COMPLETED, ProjectStatus.CANCELLED]
    )
    return GroupHome(
        groups=groups,
        alerts=Listed.of(alerts.select_related("kpi", "working_group").order_by("-period_start", "kpi__position")),
        items=Listed.of(items.select_related("owner_group").order_by("deadline", "pk")),
        projects=Listed.of(projects.order_by("title")),
    )


# --- An enterprise -----------------------------------------------------------------------------------------


@dataclass
class DueMonth:
    """A month an enterprise reports: its deadline, and where its figures stand."""

    enterprise: Enterprise
    period: ReportingPeriod
    submission: Submission | None
    today: datetime.date

    @property
    def status(self) -> str:
        return self.submission.status if self.submission else SubmissionStatus.DRAFT

    @property
    def days_left(self) -> int:
        return (self.period.deadline - self.today).days

    @property
    def late(self) -> bool:
        return self.days_left < 0 and self.status in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)


@dataclass
class EnterpriseHome:
    due: list[DueMonth] = field(default_factory=list)
    corrections: list[Correction] = field(default_factory=list)
    kpis: list[tuple[Enterprise, list]] = field(default_factory=list)  # each enterprise's KPI rows against the cluster
    kpi_period: kpi_selectors.ComputedPeriod | None = None
    requests: list[ServiceRequest] = field(default_factory=list)
    enterprises: list[Enterprise] = field(default_factory=list)
    awards: dict[int, Award] = field(default_factory=dict)  # each enterprise's incentive award in force
    reviews: Listed | None = None  # its conditions reviews under way: answer before the deadline


def enterprise_home(*, user: AnyUser, cluster: Cluster, today: datetime.date) -> EnterpriseHome:
    """The enterprises the person reports for: their months still to report or being reported (the three latest
    that are not locked), corrections, their KPIs of the latest final month against the cluster, service
    requests."""
    enterprises = list(restrict(Enterprise.objects.filter(cluster=cluster), user, CHANGE).order_by("name"))
    home = EnterpriseHome(enterprises=enterprises)
    if not enterprises:
        return home
    home.awards = incentive_services.awards_in_force([e.pk for e in enterprises], today)
    home.reviews = reviews_under_way(user=user, cluster=cluster, enterprises=enterprises)
    now = timezone.now()
    periods = [
        p
        for p in restrict(ReportingPeriod.objects.filter(cluster=cluster), user, VIEW)
        .select_related("cluster")
        .order_by("-month")[:3]
        if not p.is_locked(now)
    ]
    submissions = {
        (s.enterprise_id, s.period_id): s
        for s in restrict(Submission.objects.filter(enterprise__in=enterprises, period__in=periods), user, VIEW)
    }
    home.due = [
        DueMonth(e, p, submissions.get((e.pk, p.pk)), today)
        for p in sorted(periods, key=lambda p: p.month)
        for e in enterprises
        if (submissions.get((e.pk, p.pk)) is None or submissions[(e.pk, p.pk)].status != SubmissionStatus.APPROVED)
    ]
    home.corrections = list(
        restrict(Correction.objects.filter(enterprise__in=enterprises), user, VIEW)
        .select_related("period", "data_element", "enterprise")
        .order_by("-requested_at")[:LISTED]
    )
    months = kpi_selectors.computed_months(user=user, cluster=cluster)
    final = [m for m in months if not m.provisional]
    if final:
        home.kpi_period = final[0]
        home.kpis = [
            (enterprise, kpi_selectors.enterprise_view(user=user, enterprise=enterprise, span=final[0].span))
            for enterprise in enterprises[:3]
        ]
    home.requests = list(
        restrict(ServiceRequest.objects.filter(enterprise__in=enterprises), user, VIEW)
        .exclude(status=RequestStatus.CANCELLED)
        .select_related("service", "enterprise")
        .order_by("-requested_at")[:LISTED]
    )
    return home
