"""Reads of the KPI dashboards, always through the scoping helper, in a fixed number of queries whatever the number
of enterprises. Cluster and link values are stored; an enterprise's own values are computed when read, from the
figures (`services.enterprise_values`), by one statement per page."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, JSONField, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from governance.choices import ValueChainLink
from governance.models import Cluster, Enterprise
from governance.scoping import VIEW, is_office, readable_enterprise_rows, restrict

from ..choices import AlertStatus, Direction, KpiStatus, PeriodKind, Scope
from ..models import Alert, AlertContributor, ClusterKpi, Kpi, KpiComputation, KpiValue, Span, add_months
from ..services.enterprise_values import EnterpriseValues, Readable, enterprise_values

if TYPE_CHECKING:
    from core.typing import AnyUser

# Worst first: a link is coloured by the worst status of its KPIs.
STATUS_RANK = {KpiStatus.BELOW_MINIMUM: 3, KpiStatus.BELOW_TARGET: 2, KpiStatus.ON_TARGET: 1, "": 0}
SPARKLINE_MONTHS = 12
HISTORY_MONTHS = 36


def kpi_values(user: AnyUser) -> QuerySet[KpiValue]:
    return restrict(KpiValue.objects.all(), user, VIEW)


def readable_values(user: AnyUser, clusters) -> Readable:
    """Whose own KPI values the user reads in these clusters (computed on read, scoped as `kpi_values` scopes
    stored rows): the office every enterprise's, a representative its enterprises'."""
    full, own = readable_enterprise_rows(user, KpiValue, [getattr(c, "pk", c) for c in clusters])
    return Readable(clusters=full, enterprises=own)


def enterprise_kpi_values(
    user: AnyUser,
    *,
    cluster: Cluster | None = None,
    kpi_code: str | None = None,
    period: str | None = None,
    period_kind: str | None = None,
    link: str | None = None,
    taxpayer_id: str | None = None,
    status: str | None = None,
    provisional: bool | None = None,
    order: tuple[str, ...] = (),
    now: datetime.datetime | None = None,
) -> EnterpriseValues | None:
    """The enterprises' own values the user may read, over the periods computed in the clusters the user sees
    (`kpi-values?scope=enterprise`), each row with its period's `final_at` once read; None when there are none to
    read. A fixed number of small reads, then one statement per page."""
    now = now or timezone.now()
    computations = restrict(KpiComputation.objects.all(), user, VIEW)
    if cluster is not None:
        computations = computations.filter(cluster=cluster)
    if period:
        computations = computations.filter(period=period)
    if period_kind:
        computations = computations.filter(period_kind=period_kind)
    if provisional is not None:
        final = Q(final_at__isnull=False, final_at__lte=now)
        computations = computations.exclude(final) if provisional else computations.filter(final)
    computed = list(computations.select_related("cluster").only("cluster", "period", "final_at"))
    readable = readable_values(user, {c.cluster_id for c in computed})
    if not computed or not readable:
        return None
    kpi_ids = None
    if kpi_code:
        kpi_ids = list(Kpi.objects.filter(code=kpi_code).values_list("pk", flat=True))
    enterprise_ids = None
    if taxpayer_id:
        enterprise_ids = list(
            Enterprise.objects.filter(
                cluster__in={c.cluster_id for c in computed}, taxpayer_id=taxpayer_id
            ).values_list("pk", flat=True)
        )
    return EnterpriseValues(
        work=[(c.cluster, Span.parse(c.period)) for c in computed],
        readable=readable,
        kpi_ids=kpi_ids,
        enterprise_ids=enterprise_ids,
        link=link or None,
        status=status or None,
        order=order,
        final_at={(c.cluster_id, c.period): c.final_at for c in computed},
    )


def with_coverage(queryset: QuerySet[KpiValue]) -> QuerySet[KpiValue]:
    """KPI values with their period's `final_at` and `expected` (enterprises expected per link, "" for all) from
    the record of its computation: a row is provisional while `final_at` is unset or still ahead."""
    computation = KpiComputation.objects.filter(cluster_id=OuterRef("cluster_id"), period=OuterRef("period"))
    return queryset.annotate(
        final_at=Subquery(computation.values("final_at")[:1]),
        expected_by_link=Subquery(computation.values("expected")[:1], output_field=JSONField()),
    )


def is_provisional(value: KpiValue, now: datetime.datetime | None = None) -> bool:
    final_at = getattr(value, "final_at", None)
    return final_at is None or final_at > (now or timezone.now())


def expected_enterprises_of(value: KpiValue) -> int | None:
    """How many enterprises were expected to report in the row's scope (None for an enterprise's own row)."""
    expected = getattr(value, "expected_by_link", None) or {}
    if value.enterprise_id is not None:
        return None
    return int(expected.get(value.link or "", 0))


def active_settings(*, user: AnyUser, cluster: Cluster) -> list[ClusterKpi]:
    return list(
        restrict(ClusterKpi.objects.filter(cluster=cluster, active=True), user, VIEW)
        .select_related("kpi", "working_group")
        .order_by("kpi__position")
    )


@dataclass(frozen=True)
class ComputedPeriod:
    """A month or quarter with stored KPI values, as the pages offer it: provisional or final, and its coverage.

    A period is provisional until the deadline of its (last) month has passed: few enterprises have
    reported by then and none is approved, so its values are shown as provisional, with how many
    enterprises count in them, and open no alert.
    """

    span: Span
    provisional: bool
    final_at: datetime.datetime | None
    expected: dict
    counted: dict
    deadline: datetime.date | None = None  # the last day figures of its (last) month are due, in the cluster
    locked: bool = True  # its (last) month is locked: its sums and quartiles are published (disclosure control)
    lock_date: datetime.date | None = None  # the last day its (last) month's figures may change, in the cluster

    @property
    def key(self) -> str:
        return self.span.key

    @property
    def kind(self) -> str:
        return self.span.kind

    @property
    def is_quarter(self) -> bool:
        return self.span.is_quarter

    def coverage(self, link: str = "") -> tuple[int, int]:
        """(enterprises counted, enterprises expected) for the cluster ("") or a value-chain link."""
        return int(self.counted.get(link, 0)), int(self.expected.get(link, 0))

    @property
    def counted_all(self) -> int:
        return self.coverage()[0]

    @property
    def expected_all(self) -> int:
        return self.coverage()[1]


def _computed(
    *, user: AnyUser, cluster: Cluster, kind: str, now: datetime.datetime | None = None
) -> list[ComputedPeriod]:
    now = now or timezone.now()
    rows = restrict(KpiComputation.objects.filter(cluster=cluster, period_kind=kind), user, VIEW).order_by(
        "-period_start"
    )
    return [
        ComputedPeriod(
            span=Span.month(c.period_start) if kind == PeriodKind.MONTH else Span.quarter_of(c.period_start),
            provisional=c.is_provisional(now),
            final_at=c.final_at,
            expected=c.expected or {},
            counted=c.counted or {},
            deadline=_day_before(c.final_at, cluster),
            locked=c.values_locked,
            lock_date=_day_before(c.locked_at, cluster),
        )
        for c in rows
    ]


def _day_before(moment: datetime.datetime | None, cluster: Cluster) -> datetime.date | None:
    """The deadline (or lock) day that ends at `moment` (its first instant after), in the cluster's time zone."""
    if moment is None:
        return None
    return (timezone.localtime(moment, zoneinfo.ZoneInfo(cluster.time_zone)) - datetime.timedelta(days=1)).date()


def computed_months(*, user: AnyUser, cluster: Cluster, now: datetime.datetime | None = None) -> list[ComputedPeriod]:
    """The months with stored KPI values, newest first (the period pickers), each provisional or final."""
    return _computed(user=user, cluster=cluster, kind=PeriodKind.MONTH, now=now)


def computed_quarters(*, user: AnyUser, cluster: Cluster, now: datetime.datetime | None = None) -> list[ComputedPeriod]:
    return _computed(user=user, cluster=cluster, kind=PeriodKind.QUARTER, now=now)


def chosen_span(key: str | None, available: list[ComputedPeriod]) -> ComputedPeriod | None:
    """The period asked for if it has values; else the newest final month (or quarter); else the newest one.

    Dashboards open on what is settled: the month still being reported is one click away.
    """
    for period in available:
        if period.key == key:
            return period
    final = [p for p in available if not p.provisional]
    newest = sorted(final or available, key=lambda p: (p.span.start, p.kind), reverse=True)
    return newest[0] if newest else None


def newer_provisional(chosen: ComputedPeriod | None, available: list[ComputedPeriod]) -> ComputedPeriod | None:
    """The newest provisional period of the same kind after the one shown, to offer it one click away."""
    if chosen is None:
        return None
    newer = [p for p in available if p.provisional and p.kind == chosen.kind and p.span.start > chosen.span.start]
    return max(newer, key=lambda p: p.span.start) if newer else None


# --- Council overview ----------------------------------------------------------------------------------


@dataclass
class Tile:
    setting: ClusterKpi
    current: KpiValue | None = None
    series: list[tuple[datetime.date, object]] = field(default_factory=list)
    open_alerts: int = 0

    @property
    def kpi(self) -> Kpi:
        return self.setting.kpi

    @property
    def status(self) -> str:
        return self.current.status if self.current else ""


def council_overview(*, user: AnyUser, cluster: Cluster, span: Span) -> list[Tile]:
    """A tile per active KPI: this month's cluster value and status, 12 months of history, open alerts."""
    tiles = {s.kpi_id: Tile(setting=s) for s in active_settings(user=user, cluster=cluster)}
    first = add_months(span.start, -(SPARKLINE_MONTHS - 1))
    rows = kpi_values(user).filter(
        cluster=cluster,
        period_kind=PeriodKind.MONTH,
        scope=Scope.CLUSTER,
        enterprise__isnull=True,  # reads the series index, which holds only cluster and link rows
        kpi_id__in=tiles.keys(),
        period_start__gte=first,
        period_start__lte=span.start,
    )
    for row in rows.order_by("period_start"):
        tile = tiles[row.kpi_id]
        tile.series.append((row.period_start, row.value))
        if row.period_start == span.start:
            tile.current = row
    alerts = (
        restrict(Alert.objects.filter(cluster=cluster, status=AlertStatus.OPEN), user, VIEW)
        .values("kpi_id")
        .annotate(n=Count("pk"))
    )
    for row in alerts:
        if row["kpi_id"] in tiles:
            tiles[row["kpi_id"]].open_alerts = row["n"]
    return list(tiles.values())


def open_alerts(*, user: AnyUser, cluster: Cluster, limit: int | None = None) -> list[Alert]:
    """The cluster's open alerts the user may read; where an alert's value is not published (disclosure control),
    only the office reads it: for others `value` is None and `value_hidden` is set (the reports print "hidden")."""

    queryset = (
        restrict(Alert.objects.filter(cluster=cluster, status=AlertStatus.OPEN), user, VIEW)
        .select_related("kpi", "working_group", "action_item")
        .order_by("-period_start", "kpi__position", "link")
    )
    alerts = list(queryset[:limit] if limit else queryset)
    office = is_office(user, cluster)
    for alert in alerts:
        alert.value_hidden = not (office or alert.disclosed)
        if alert.value_hidden:
            alert.value = None
    return alerts


# --- KPI detail ----------------------------------------------------------------------------------------


@dataclass
class KpiDetail:
    setting: ClusterKpi
    span: Span
    months: list[KpiValue]
    quarters: list[KpiValue]
    links: list[KpiValue]  # this period, one per link that reports
    link_series: dict[str, list[KpiValue]]
    enterprises: list[KpiValue]  # this period; only the rows the user may read (the office: all)
    current: KpiValue | None
    hidden_links: int = 0  # links of this period whose value the user may not read (disclosure control)
    cluster_hidden: bool = False  # the cluster's value of this period exists, but the user may not read it

    @property
    def kpi(self) -> Kpi:
        return self.setting.kpi


def kpi_detail(*, user: AnyUser, cluster: Cluster, setting: ClusterKpi, span: Span) -> KpiDetail:
    """Monthly line, quarterly bars, the links, and the distribution over enterprises of one KPI."""
    first = add_months(span.start, -(HISTORY_MONTHS - 1))
    values = kpi_values(user).filter(cluster=cluster, kpi_id=setting.kpi_id)
    series = list(
        values.filter(
            scope__in=[Scope.CLUSTER, Scope.LINK],
            enterprise__isnull=True,
            period_start__gte=first,
            period_start__lte=span.end,
        ).order_by("period_start", "link")
    )
    months = [v for v in series if v.scope == Scope.CLUSTER and v.period_kind == PeriodKind.MONTH]
    quarters = [v for v in series if v.scope == Scope.CLUSTER and v.period_kind == PeriodKind.QUARTER]
    link_series: dict[str, list[KpiValue]] = {}
    for v in series:
        if v.scope == Scope.LINK and v.period_kind == span.kind:
            link_series.setdefault(v.link, []).append(v)
    order = list(ValueChainLink.values)
    links = sorted(
        (v for v in series if v.scope == Scope.LINK and v.period == span.key), key=lambda v: order.index(v.link)
    )
    enterprises = sorted(
        enterprise_values(
            clusters=[cluster], spans=[span], readable=readable_values(user, [cluster]), kpi_ids=[setting.kpi_id]
        ),
        key=lambda v: (v.value is None, v.value or 0, v.enterprise.name if v.enterprise else ""),
    )
    current = next((v for v in series if v.scope == Scope.CLUSTER and v.period == span.key), None)
    # Which values this period has (not the values): the page says which are not shown, and why.
    scopes = list(
        KpiValue.objects.filter(
            cluster=cluster, kpi_id=setting.kpi_id, period=span.key, enterprise__isnull=True
        ).values_list("scope", flat=True)
    )
    return KpiDetail(
        setting,
        span,
        months,
        quarters,
        links,
        link_series,
        enterprises,
        current,
        hidden_links=scopes.count(Scope.LINK) - len(links),
        cluster_hidden=current is None and Scope.CLUSTER in scopes,
    )


# --- Value chain ---------------------------------------------------------------------------------------


@dataclass
class LinkView:
    link: str
    label: str
    values: list[KpiValue] = field(default_factory=list)

    @property
    def worst(self) -> str:
        statuses = [v.status for v in self.values if v.status]
        return max(statuses, key=lambda s: STATUS_RANK[s]) if statuses else ""

    @property
    def reporting(self) -> int:
        return max((v.reporting_enterprises or 0 for v in self.values), default=0)


def value_chain(*, user: AnyUser, cluster: Cluster, span: Span) -> list[LinkView]:
    """Supply → processing → service → innovation, each link with its KPI values and worst status."""
    links = {link: LinkView(link, str(label)) for link, label in ValueChainLink.choices}
    active = ClusterKpi.objects.filter(cluster=cluster, active=True).values("kpi_id")
    rows = (
        kpi_values(user)
        .filter(cluster=cluster, period=span.key, scope=Scope.LINK, kpi_id__in=active)
        .select_related("kpi")
        .order_by("kpi__position")
    )
    for row in rows:
        links[row.link].values.append(row)
    return list(links.values())


# --- Enterprise self-view ------------------------------------------------------------------------------


@dataclass
class SelfRow:
    own: KpiValue
    cluster: KpiValue | None

    @property
    def position(self) -> str:
        """Where the enterprise stands against its peers: top or bottom quarter, or in between."""
        c = self.cluster
        if c is None or c.median is None or self.own.value is None:
            return ""
        better_high = self.own.kpi.direction != Direction.LOWER
        if self.own.value > c.p75:
            return "top" if better_high else "bottom"
        if self.own.value < c.p25:
            return "bottom" if better_high else "top"
        return "middle"


def enterprise_view(*, user: AnyUser, enterprise: Enterprise, span: Span) -> list[SelfRow]:
    """The enterprise's own KPI values beside the cluster value and its quartiles (where three firms report)."""
    cluster = enterprise.cluster
    own = sorted(
        enterprise_values(
            clusters=[cluster], spans=[span], readable=readable_values(user, [cluster]), enterprise_ids=[enterprise.pk]
        ),
        key=lambda v: v.kpi.position,
    )
    values = kpi_values(user).filter(cluster_id=enterprise.cluster_id, period=span.key)
    clusters = {v.kpi_id: v for v in values.filter(scope=Scope.CLUSTER)}
    return [SelfRow(v, clusters.get(v.kpi_id)) for v in own]


def enterprise_trend(
    *, user: AnyUser, enterprise: Enterprise, kpi: Kpi, span: Span
) -> tuple[list[KpiValue], list[KpiValue]]:
    """Twelve months of the enterprise's value of one KPI, and the cluster's rows (with quartiles) beside it."""
    first = add_months(span.start, -(SPARKLINE_MONTHS - 1))
    values = kpi_values(user).filter(
        cluster_id=enterprise.cluster_id,
        kpi=kpi,
        period_kind=PeriodKind.MONTH,
        period_start__gte=first,
        period_start__lte=span.start,
    )
    home = enterprise.cluster
    own = enterprise_values(
        clusters=[home],
        spans=[Span.month(add_months(first, i)) for i in range(SPARKLINE_MONTHS) if add_months(first, i) <= span.start],
        readable=readable_values(user, [home]),
        kpi_ids=[kpi.pk],
        enterprise_ids=[enterprise.pk],
    )
    cluster = list(values.filter(scope=Scope.CLUSTER, enterprise__isnull=True).order_by("period_start"))
    return own, cluster


# --- Alerts --------------------------------------------------------------------------------------------


def alert_contributors(*, user: AnyUser, alert: Alert) -> list[AlertContributor]:
    return list(
        restrict(AlertContributor.objects.filter(alert=alert), user, VIEW).select_related("enterprise").order_by("rank")
    )
