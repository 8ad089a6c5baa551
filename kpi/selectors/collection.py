"""Reads of the kpi element: data completeness and timeliness for the office.

Who is expected to report for a month is decided in one place (`participates`) and used by both the
enterprises × months grid and the list of missing submissions, so the dashboard and the reminders
never disagree:

- an active or suspended enterprise is expected for every month from the month it joined;
- an enterprise that left is expected only up to the last month it submitted: the platform records
  no leaving date, and its last submission is the best evidence of when it still took part. One that
  left without ever submitting is not expected at all;
- whatever its status, an enterprise that submitted a month is counted for that month (the figure
  exists and the office wants to see it, even if the join date was recorded later than the data).

Timeliness is measured on the first submission (`Submission.submitted_at`, `Submission.on_time`, set
by `submission_submit`): a return and a resubmission do not change it, so a returned submission still
counts as submitted, on time or late as it first was.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from governance.choices import EnterpriseStatus
from governance.models import Cluster, Enterprise, link_in, past_links

from ..choices import SubmissionStatus, Timeliness
from ..models import DataValue, DataValueChange, ReportingPeriod, Submission, add_months

if TYPE_CHECKING:
    from typing import TypeAlias, TypedDict

    from django_stubs_ext import WithAnnotations

    from core.typing import StrOrPromise

    class _LastSubmitted(TypedDict):
        last_submitted: datetime.date | None

    # An enterprise annotated with `last_submitted=last_submitted_month()`.
    SubmittingEnterprise: TypeAlias = WithAnnotations[Enterprise, _LastSubmitted]

DEFAULT_MONTHS = 12
PARTICIPANTS = (EnterpriseStatus.ACTIVE, EnterpriseStatus.SUSPENDED)


# --- Data classes ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Tally:
    """Counts of one grid row or column over its expected cells, and the shares derived from them.

    `expected` counts every cell an enterprise was expected to fill, including months whose deadline
    has not passed yet (`pending`): for a month in progress the shares read as progress so far. The
    shares are fractions (0.75 = 75 %) of `expected`, None when nothing was expected.
    """

    expected: int = 0
    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0

    @property
    def submitted(self) -> int:
        return self.on_time + self.late

    @property
    def share_complete(self) -> float | None:
        return self.submitted / self.expected if self.expected else None

    @property
    def share_on_time(self) -> float | None:
        return self.on_time / self.expected if self.expected else None

    @classmethod
    def of(cls, status: str | None) -> Tally:
        """The tally of a single cell (None: not expected, counts for nothing)."""
        if status is None:
            return cls()
        return cls(
            expected=1,
            on_time=int(status == Timeliness.ON_TIME),
            late=int(status == Timeliness.LATE),
            missing=int(status == Timeliness.MISSING),
            pending=int(status == Timeliness.PENDING),
        )

    def __add__(self, other: Tally) -> Tally:
        return Tally(
            expected=self.expected + other.expected,
            on_time=self.on_time + other.on_time,
            late=self.late + other.late,
            missing=self.missing + other.missing,
            pending=self.pending + other.pending,
        )


@dataclass(frozen=True)
class Cell:
    """One enterprise in one month: its timeliness (a `Timeliness` value, None when not expected to report)
    and the submission behind it, if any (a draft shows as missing or pending but still has an id to link to).
    """

    status: str | None
    submission_id: int | None = None


@dataclass(frozen=True)
class GridRow:
    """One enterprise: its cells in the order of `TimelinessGrid.periods`, and its tally over them."""

    enterprise: Enterprise
    cells: list[Cell]
    tally: Tally


@dataclass(frozen=True)
class TimelinessGrid:
    """Enterprises × months: `rows` (one per enterprise expected in at least one month shown, by name)
    and `columns` (the tally of each month, in the order of `periods`, oldest first).
    """

    periods: list[ReportingPeriod]
    rows: list[GridRow]
    columns: list[Tally]

    @property
    def total(self) -> Tally:
        """The whole grid at once: every expected cell of every row."""
        return sum(self.columns, Tally())


# --- Who is expected ---------------------------------------------------------------------------------


def last_submitted_month() -> Subquery:
    """The month of the enterprise's latest submission past draft (None when it never submitted)."""
    return Subquery(
        Submission.objects.filter(enterprise=OuterRef("pk"))
        .exclude(status=SubmissionStatus.DRAFT)
        .order_by("-period__month")
        .values("period__month")[:1]
    )


def participates(enterprise: SubmittingEnterprise, month: datetime.date) -> bool:
    """Whether the enterprise was a participant during `month` (needs the `last_submitted` annotation)."""
    if enterprise.joined_on >= add_months(month, 1):
        return False
    if enterprise.status in PARTICIPANTS:
        return True
    return enterprise.last_submitted is not None and month <= enterprise.last_submitted


def expected_enterprises(*, clusters: list[Cluster], spans: list) -> dict[tuple[int, str], dict[str, int]]:
    """How many enterprises are expected to report for each cluster and span, per value-chain link and in all
    (key ""): the participants of the span's last month, and any other enterprise that submitted in the span
    (the figure exists: it counts, whatever the join date says), under the link of that month. Three queries for
    the whole batch."""
    if not clusters or not spans:
        return {}
    firms = list(
        Enterprise.objects.filter(cluster__in=clusters)
        .annotate(last_submitted=last_submitted_month())
        .only("pk", "cluster_id", "value_chain_link", "joined_on", "status")
    )
    months = {m for span in spans for m in span.months}
    late_joiners = set(
        Submission.objects.filter(
            cluster__in=clusters,
            period__month__in=months,
            enterprise__joined_on__gte=min(add_months(m, 1) for m in months),
        )
        .exclude(status=SubmissionStatus.DRAFT)
        .values_list("enterprise_id", "period__month")
    )
    moved = past_links(clusters)
    result: dict[tuple[int, str], dict[str, int]] = {}
    for span in spans:
        last = span.months[-1]
        for firm in firms:
            if participates(firm, last) or any((firm.pk, m) in late_joiners for m in span.months):
                counts = result.setdefault((firm.cluster_id, span.key), {})
                counts[""] = counts.get("", 0) + 1
                link = link_in(firm.value_chain_link, moved.get(firm.pk), last)
                counts[link] = counts.get(link, 0) + 1
    return result


# --- Timeliness grid ---------------------------------------------------------------------------------


def _periods(cluster: Cluster, months: list[datetime.date] | None) -> list[ReportingPeriod]:
    queryset = ReportingPeriod.objects.filter(cluster=cluster)
    if months is not None:
        queryset = queryset.filter(month__in=sorted({m.replace(day=1) for m in months}))
    else:
        queryset = queryset.order_by("-month")[:DEFAULT_MONTHS]
    periods = sorted(queryset, key=lambda p: p.month)
    for period in periods:
        period.cluster = cluster  # deadline_at reads the cluster's time zone: no query per period
    return periods


def _candidates(cluster: Cluster, enterprises, first: datetime.date) -> QuerySet[SubmittingEnterprise]:
    """The cluster's enterprises that may have a cell in months from `first` on (one query when listed)."""
    queryset = Enterprise.objects.filter(cluster=cluster).annotate(last_submitted=last_submitted_month())
    if enterprises is not None:
        ids: QuerySet | list[int] = (
            enterprises.values("pk") if isinstance(enterprises, QuerySet) else [e.pk for e in enterprises]
        )
        queryset = queryset.filter(pk__in=ids)
    return queryset.filter(Q(status__in=PARTICIPANTS) | Q(last_submitted__gte=first)).order_by("name", "pk")


def _submissions(periods: list[ReportingPeriod]) -> dict[tuple[int, int], list[Any]]:
    # order_by(): the model's default ordering would join periods and enterprises for nothing.
    rows = (
        Submission.objects.filter(period__in=[p.pk for p in periods])
        .order_by()
        .values_list("enterprise_id", "period_id", "pk", "status", "on_time", "submitted_at")
    )
    return {(enterprise_id, period_id): rest for enterprise_id, period_id, *rest in rows}


def _cell(
    enterprise: SubmittingEnterprise, period: ReportingPeriod, submission: Sequence[Any] | None, now: datetime.datetime
) -> Cell:
    """The timeliness of one enterprise in one month, as the module docstring defines it."""
    pk, status, on_time, submitted_at = submission or (None, None, None, None)
    if status not in (None, SubmissionStatus.DRAFT):
        if on_time is None:  # rows written before on_time was recorded: measure it now
            assert submitted_at is not None  # past draft (constraint submission_submitted_at_set)
            on_time = period.on_time(submitted_at)
        return Cell(Timeliness.ON_TIME if on_time else Timeliness.LATE, pk)
    if not participates(enterprise, period.month):
        return Cell(None, pk)
    return Cell(Timeliness.MISSING if now >= period.deadline_at else Timeliness.PENDING, pk)


def _tally(cells: Iterable[Cell]) -> Tally:
    return sum((Tally.of(cell.status) for cell in cells), Tally())


def timeliness_grid(
    *,
    cluster: Cluster,
    months: list[datetime.date] | None = None,
    enterprises: Iterable[Enterprise] | QuerySet[Enterprise] | None = None,
    now: datetime.datetime | None = None,
) -> TimelinessGrid:
    """Data completeness and timeliness of the cluster, enterprises × months, for the office dashboard.

    `months` picks the months shown (months the cluster has not opened are left out); by default the
    last 12 opened. `enterprises` limits the rows (for instance to what the user may see); it never
    adds an enterprise of another cluster. `now` decides which unsubmitted cells are missing (deadline
    passed) and which pending. Three queries, however many enterprises and months.
    """
    now = now or timezone.now()
    periods = _periods(cluster, months)
    if not periods:
        return TimelinessGrid(periods=[], rows=[], columns=[])
    submissions = _submissions(periods)
    rows = []
    for enterprise in _candidates(cluster, enterprises, periods[0].month):
        cells = [_cell(enterprise, p, submissions.get((enterprise.pk, p.pk)), now) for p in periods]
        if any(c.status is not None for c in cells):
            rows.append(GridRow(enterprise=enterprise, cells=cells, tally=_tally(cells)))
    columns = [_tally(row.cells[i] for row in rows) for i in range(len(periods))]
    return TimelinessGrid(periods=periods, rows=rows, columns=columns)


# --- Missing submissions -----------------------------------------------------------------------------


def missing_submissions(*, period: ReportingPeriod, now: datetime.datetime | None = None) -> QuerySet[Enterprise]:
    """Enterprises expected to report for the period that have not submitted it (a draft or nothing), by name.

    The same participants as in `timeliness_grid`. Whether the deadline has passed does not matter
    here (the reminders ask before it, the office list comes after it); `now` is accepted so that a
    caller can hand every selector the same moment, and does not change the answer.
    """
    submitted = Submission.objects.filter(enterprise=OuterRef("pk"), period=period).exclude(
        status=SubmissionStatus.DRAFT
    )
    return (
        Enterprise.objects.filter(cluster_id=period.cluster_id, joined_on__lt=add_months(period.month, 1))
        .annotate(last_submitted=last_submitted_month())
        .filter(Q(status__in=PARTICIPANTS) | Q(last_submitted__gte=period.month))
        .exclude(Exists(submitted))
        .order_by("name", "pk")
    )


# --- Data entry ---------------------------------------------------------------------------------------


def figures_of(*, enterprise: Enterprise, month: datetime.date) -> dict[int, DataValue]:
    """The enterprise's stored figures of a month, by data element id."""
    return {
        v.data_element_id: v
        for v in DataValue.objects.filter(
            enterprise=enterprise, period__cluster_id=enterprise.cluster_id, period__month=month
        )
    }


def previous_values(*, enterprise: Enterprise, month: datetime.date) -> dict:
    """Last month's values, by data element id, shown beside each field of the form."""
    return {
        element_id: value
        for element_id, value in DataValue.objects.filter(
            enterprise=enterprise, period__cluster_id=enterprise.cluster_id, period__month=add_months(month, -1)
        ).values_list("data_element_id", "value")
    }


def changes_of(*, submission: Submission) -> QuerySet[DataValueChange]:
    return DataValueChange.objects.filter(
        enterprise_id=submission.enterprise_id, period_id=submission.period_id
    ).select_related("data_element", "changed_by")


def status_counts(periods: QuerySet[ReportingPeriod]) -> QuerySet[ReportingPeriod]:
    """Periods with the number of submissions in each status (one grouped query)."""
    return periods.annotate(
        **{
            f"n_{status}": Count("submissions", filter=Q(submissions__status=status))
            for status in SubmissionStatus.values
        },
        n_late=Count("submissions", filter=Q(submissions__on_time=False)),
    )


@dataclass(frozen=True)
class FigureChange:
    """A figure (or the month's status) someone changed after the monthly form was loaded."""

    label: str
    then: str
    now: str
    yours: str
    by: object = None  # the person (None: the platform)
    at: datetime.datetime | None = None


def figures_changed_since(
    *, enterprise: Enterprise, period: ReportingPeriod, elements, loaded: dict, yours: dict[str, str]
) -> list[FigureChange]:
    """What differs between the figures a form showed (`loaded`, as kpi.forms.figures_snapshot writes it) and the
    stored ones, with who changed each last; `yours`: the values the person typed. Two queries."""
    from ..forms import figures_snapshot

    stored = figures_of(enterprise=enterprise, month=period.month)
    submission = Submission.objects.filter(enterprise=enterprise, period=period).first()
    now = figures_snapshot(elements, stored, submission.status if submission else "")
    last: dict[int, DataValueChange] = {}
    for change in DataValueChange.objects.filter(enterprise=enterprise, period=period).select_related("changed_by"):
        last.setdefault(change.data_element_id, change)  # newest first
    changes = []
    if loaded.get("status", now["status"]) != now["status"]:
        labels: dict[str | None, StrOrPromise] = dict(SubmissionStatus.choices)
        changes.append(
            FigureChange(
                label=str(Submission._meta.get_field("status").verbose_name).capitalize(),
                then=str(labels.get(loaded.get("status"), "—")),
                now=str(labels.get(now["status"], "—")),
                yours="",
                by=submission.decided_by or submission.submitted_by if submission else None,
                at=submission.updated_at if submission else None,
            )
        )
    for element in elements:
        then = loaded.get(element.code)
        if not isinstance(then, list) or then == now[element.code]:
            continue
        record = last.get(element.pk)
        changes.append(
            FigureChange(
                label=str(element.label),
                then=then[0] or "—",
                now=now[element.code][0] or "—",
                yours=yours.get(element.code, "") or "—",
                by=record.changed_by if record else None,
                at=record.changed_at if record else None,
            )
        )
    return changes
