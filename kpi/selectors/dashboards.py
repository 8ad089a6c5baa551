"""Reads of the KPI dashboards. They read stored KPI values only (never raw figures), always through the
scoping helper, in a fixed number of queries whatever the number of enterprises."""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Count, JSONField, OuterRef, QuerySet, Subquery
from django.utils import timezone

from governance.choices import ValueChainLink
from governance.models import Cluster, Enterprise
from governance.scoping import VIEW, is_office, restrict

from ..choices import AlertStatus, Direction, KpiStatus, PeriodKind, Scope
from ..models import Alert, AlertContributor, ClusterKpi, Kpi, KpiComputation, KpiValue, Span, add_months

if TYPE_CHECKING:
    from core.typing import AnyUser

# Worst first: a link is coloured by the worst status of its KPIs.
STATUS_RANK = {KpiStatus.BELOW_MINIMUM: 3, KpiStatus.BELOW_TARGET: 2, KpiStatus.ON_TARGET: 1, "": 0}
SPARKLINE_MONTHS = 12
HISTORY_MONTHS = 36


def kpi_values(user: AnyUser) -> QuerySet[KpiValue]:
    return restrict(KpiValue.objects.all(), user, VIEW)


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
    enterprises = list(
        values.filter(scope=Scope.ENTERPRISE, period=span.key).select_related("enterprise").order_by("value")
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
    values = kpi_values(user).filter(cluster_id=enterprise.cluster_id, period=span.key)
    own = list(
        values.filter(scope=Scope.ENTERPRISE, enterprise=enterprise).select_related("kpi").order_by("kpi__position")
    )
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
    own = list(values.filter(scope=Scope.ENTERPRISE, enterprise=enterprise).order_by("period_start"))
    cluster = list(values.filter(scope=Scope.CLUSTER, enterprise__isnull=True).order_by("period_start"))
    return own, cluster


# --- Alerts --------------------------------------------------------------------------------------------


def alert_contributors(*, user: AnyUser, alert: Alert) -> list[AlertContributor]:
    return list(
        restrict(AlertContributor.objects.filter(alert=alert), user, VIEW).select_related("enterprise").order_by("rank")
    )
