"""Alerts: a KPI of the cluster or of a value-chain link below its minimum, raised to the working group that owns
the KPI's area, naming the enterprises that pull the value down; one click turns it into an action item."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.events import Event, emit
from governance.choices import BodyKind, NotificationKind
from governance.models import ActionItem, Body, Cluster, Membership
from governance.notifications import current_members, in_each_language, notify
from governance.services import action_item_save

from ..choices import AlertStatus, Direction, Disclosure, KpiStatus, PeriodKind, Scope
from ..formatting import display
from ..models import (
    Alert,
    AlertContributor,
    ClusterKpi,
    Kpi,
    KpiComputation,
    KpiValue,
    ReportingPeriod,
    Span,
    end_of_day,
    month_key,
)
from .enterprise_values import Readable, enterprise_values
from .formula import Term

if TYPE_CHECKING:
    from core.typing import AnyUser

# How many enterprises an alert names: the ones that pull the value down most.
CONTRIBUTORS_NAMED = 10
ACTION_ITEM_DAYS = 30


def alert_working_group(setting: ClusterKpi, groups: list[Body]) -> Body | None:
    """The office's choice for the KPI, else the cluster's active working group of the KPI's area."""
    if setting.working_group_id:
        return next((g for g in groups if g.pk == setting.working_group_id), None)
    return next((g for g in groups if g.area == setting.kpi.area), None)


def shortfalls(*, row: KpiValue, enterprises: list[KpiValue], span: Span, setting: ClusterKpi) -> list[tuple]:
    """(enterprise id, its value, shortfall, share) of the enterprises that pull `row` below its minimum, worst first.

    An enterprise's shortfall is how much of the numerator it misses to reach the minimum by itself: for a
    ratio, minimum × its own denominator against its numerator; for a sum, an equal part of the minimum.
    The shares of all named enterprises add up to 1.
    """
    term = Term.of(setting.kpi)
    minimum = row.minimum
    if minimum is None or not enterprises:
        return []
    per_unit = (minimum - term.shift) / term.factor(span.days)
    lower = setting.kpi.direction == Direction.LOWER
    found = []
    for e in enterprises:
        if e.numerator is None:
            continue
        if term.is_ratio:
            if e.denominator is None:
                continue
            allowed = per_unit * e.denominator
        else:
            allowed = per_unit / (row.reporting_enterprises or 1)
        gap = e.numerator - allowed if lower else allowed - e.numerator
        if gap > 0:
            found.append((e.enterprise_id, e.value, gap))
    total = sum(gap for _e, _v, gap in found)
    found.sort(key=lambda item: (-item[2], item[0]))
    return [(e, v, gap, gap / total) for e, v, gap in found[:CONTRIBUTORS_NAMED]]


def _contributors(alert: Alert, row: KpiValue, by_kpi: dict, span: Span, setting: ClusterKpi) -> list[AlertContributor]:
    candidates = [e for e in by_kpi.get(row.kpi_id, []) if row.scope == Scope.CLUSTER or e.link == row.link]
    return [
        AlertContributor(alert=alert, enterprise_id=e, rank=rank, value=v, shortfall=gap, share=round(share, 6))
        for rank, (e, v, gap, share) in enumerate(
            shortfalls(row=row, enterprises=candidates, span=span, setting=setting), start=1
        )
    ]


def _notify_group(alert: Alert) -> None:
    """E-mail the working group's current members that an alert is open for them (once per alert: the
    computation marks it e-mailed in its own transaction; this runs after that commits)."""
    if alert.working_group_id is None or not Alert.objects.filter(pk=alert.pk, status=AlertStatus.OPEN).exists():
        return
    emails = sorted(
        set(
            Membership.objects.filter(body_id=alert.working_group_id, end_date__isnull=True)
            .exclude(person__email="")
            .values_list("person__email", flat=True)
        )
    )
    if not emails:
        return
    with translation.override(django_settings.LANGUAGE_CODE):
        subject = _("Alert: %(kpi)s breached its minimum (%(where)s, %(period)s)") % {
            "kpi": alert.kpi.label,
            "where": alert.where,
            "period": alert.period,
        }
        # Members of the group need not be the office: the value is in the mail only where it is published.
        facts = {
            "kpi": alert.kpi.label,
            "value": display(alert.value, alert.kpi.unit),
            "minimum": display(alert.minimum, alert.kpi.unit),
            "url": django_settings.SITE_URL + alert.get_absolute_url(),
        }
        if alert.disclosed:
            body = _("%(kpi)s is %(value)s against a minimum of %(minimum)s. Open the alert: %(url)s") % facts
        else:
            body = _("%(kpi)s has breached its minimum of %(minimum)s. Open the alert: %(url)s") % facts
    send_mail(subject, body, None, emails)


@dataclass
class Run:
    """A run of consecutive final months below the minimum of one KPI in one scope and link: one alert.

    Months without a value (nobody counted) neither break nor extend it; the first month back at or
    above the minimum (`closed`) ends it.
    """

    key: tuple[int, int, str, str]  # cluster, KPI, scope, link
    first: str
    last: tuple  # the run's latest month: (period, period_start, value, minimum, reporting_enterprises, disclosure)
    closed: str = ""

    @property
    def end(self) -> str:
        return self.closed or self.last[0]


def _runs(rows) -> list[Run]:
    """The runs below the minimum in the monthly rows (one series per key, months in order)."""
    runs: list[Run] = []
    current: dict[tuple, Run] = {}
    for cluster_id, kpi_id, scope, link, period, start, status, value, minimum, reporting, disclosure in rows:
        key = (cluster_id, kpi_id, scope, link)
        run = current.get(key)
        if status == KpiStatus.BELOW_MINIMUM:
            month = (period, start, value, minimum, reporting, disclosure)
            if run is None:
                current[key] = Run(key, period, month)
            else:
                run.last = month
        elif run is not None:
            run.closed = period
            runs.append(current.pop(key))
    return runs + list(current.values())


def _final_months(clusters: list[Cluster], now: datetime.datetime) -> dict[int, set[str]]:
    """The computed months of each cluster that are no longer provisional."""
    final: dict[int, set[str]] = {c.pk: set() for c in clusters}
    for cluster_id, period in KpiComputation.objects.filter(
        cluster__in=clusters, period_kind=PeriodKind.MONTH, final_at__lte=now
    ).values_list("cluster_id", "period"):
        final[cluster_id].add(period)
    return final


def _latest_final_month(clusters: list[Cluster], now: datetime.datetime) -> dict[int, str]:
    """Each cluster's latest month whose deadline has passed (computed or not): the month alerts are mailed for."""
    by_pk = {c.pk: c for c in clusters}
    latest: dict[int, str] = {}
    periods = ReportingPeriod.objects.filter(cluster__in=clusters).order_by("month")
    for cluster_id, month, deadline in periods.values_list("cluster_id", "month", "deadline"):
        if end_of_day(deadline, by_pk[cluster_id].time_zone) <= now:
            latest[cluster_id] = month_key(month)
    return latest


def _overlaps(alert: Alert, run: Run) -> bool:
    return alert.opened_period <= run.end and run.first <= (alert.closed_period or alert.period)


@transaction.atomic
def alerts_sync(*, clusters: list[Cluster], settings: dict[int, list[ClusterKpi]], now: datetime.datetime) -> None:
    """Derive the clusters' alerts from their stored monthly values again, and bring the stored alerts in line.

    Only final months count (a provisional month opens and closes nothing) and only active KPIs. Each run
    below the minimum is one alert, found again by its KPI, scope, link and first month (or, where
    corrected figures moved that month, by the months it spans), so computing months again, any number of
    times and in any order, changes nothing once the values are the same. An alert whose run the values no
    longer show goes, unless its group was e-mailed or it became an action item (then it is closed). A
    working group is e-mailed once per alert, when the alert is open in the cluster's latest final month.
    """
    final = _final_months(clusters, now)
    active = {(cluster_id, s.kpi_id): s for cluster_id, rows in settings.items() for s in rows}
    rows = (
        KpiValue.objects.filter(
            cluster__in=clusters,
            period_kind=PeriodKind.MONTH,
            scope__in=[Scope.CLUSTER, Scope.LINK],
            enterprise__isnull=True,  # the series index
        )
        .exclude(value=None)
        .order_by("cluster_id", "kpi_id", "scope", "link", "period_start")
        .values_list(
            "cluster_id", "kpi_id", "scope", "link", "period", "period_start", "status", "value", "minimum",
            "reporting_enterprises", "disclosure",
        )
    )  # fmt: skip
    runs = _runs(r for r in rows.iterator(chunk_size=5000) if r[4] in final[r[0]] and (r[0], r[1]) in active)
    stored: dict[tuple, list[Alert]] = {}
    for alert in Alert.objects.filter(cluster__in=clusters).order_by("opened_period", "pk"):
        stored.setdefault((alert.cluster_id, alert.kpi_id, alert.scope, alert.link), []).append(alert)

    matched: list[tuple[Alert, Run]] = []
    new_runs: list[Run] = []
    # The latest run of a key chooses first, and an alert goes to the run that holds its latest month: the
    # month its group was told about. So when corrected figures split or join runs, the alert people know
    # stays with the same months, and a run it no longer covers becomes an alert of its own.
    for run in sorted(runs, key=lambda r: r.last[0], reverse=True):
        candidates = stored.get(run.key, [])
        held: Alert | None = (
            max(
                (a for a in candidates if run.first <= a.period <= run.last[0]),
                key=lambda a: (a.period_start, a.pk),
                default=None,
            )
            or next((a for a in candidates if a.opened_period == run.first), None)
            or next((a for a in candidates if _overlaps(a, run)), None)
        )
        if held is None:
            new_runs.append(run)
        else:
            candidates.remove(held)
            matched.append((held, run))
    # Alerts no run supports any more (figures corrected, a minimum changed), except those of inactive KPIs: one
    # that nobody was told of goes; one e-mailed or made an action item is closed, so what people saw stays.
    gone = [a for alerts in stored.values() for a in alerts if (a.cluster_id, a.kpi_id) in active]
    acted_on = [a for a in gone if a.action_item_id or a.notified_at]
    Alert.objects.filter(pk__in=[a.pk for a in gone if a not in acted_on]).delete()
    closed_now: list[Alert] = []
    for alert in acted_on:
        if alert.status != AlertStatus.CLOSED:
            alert.status, alert.closed_period, alert.closed_at = AlertStatus.CLOSED, alert.period, now
            closed_now.append(alert)
    Alert.objects.bulk_update(acted_on, ["status", "closed_period", "closed_at"])

    changed: list[Alert] = []
    refresh: list[Alert] = []
    opened_now: list[Alert] = []
    for alert, run in matched:
        before = (alert.opened_period, alert.period, alert.value, alert.status, alert.closed_period, alert.disclosed)
        _apply(alert, run, now)
        if (
            alert.opened_period,
            alert.period,
            alert.value,
            alert.status,
            alert.closed_period,
            alert.disclosed,
        ) != before:
            changed.append(alert)
            if alert.status != before[3]:
                (closed_now if alert.status == AlertStatus.CLOSED else opened_now).append(alert)
            if (before[1], before[2]) != (alert.period, alert.value):
                refresh.append(alert)
    # Close first, then reopen or move: never two open alerts of one KPI and link, not even for a moment.
    changed.sort(key=lambda a: a.status != AlertStatus.CLOSED)
    for alert in changed:
        alert.save(
            update_fields=[
                "opened_period", "period", "period_start", "value", "minimum", "reporting_enterprises", "status",
                "closed_period", "closed_at", "disclosed",
            ]
        )  # fmt: skip

    groups: dict[int, list[Body]] = {}
    for group in Body.objects.filter(cluster__in=clusters, kind=BodyKind.WORKING_GROUP, is_active=True).order_by(
        "name", "pk"
    ):
        groups.setdefault(group.cluster_id, []).append(group)
    created = []
    for run in sorted(new_runs, key=lambda r: r.end):  # a closed run before the open one of the same key
        cluster_id, kpi_id, scope, link = run.key
        alert = Alert(
            cluster_id=cluster_id,
            kpi_id=kpi_id,
            scope=scope,
            link=link,
            working_group=alert_working_group(active[(cluster_id, kpi_id)], groups.get(cluster_id, [])),
            opened_at=now,
        )
        _apply(alert, run, now)
        alert.save()
        created.append(alert)
        if alert.status == AlertStatus.OPEN:
            opened_now.append(alert)
    _refresh_contributors(created + refresh, active)
    announced = opened_now + closed_now
    codes = {}
    if announced:
        codes = dict(Kpi.objects.filter(pk__in={a.kpi_id for a in announced}).values_list("pk", "code"))
    for alert in announced:
        _announce(alert, codes[alert.kpi_id])

    latest = _latest_final_month(clusters, now)
    mail = [
        a
        for a, _run in matched + [(a, None) for a in created]
        if a.status == AlertStatus.OPEN and a.notified_at is None and a.period == latest.get(a.cluster_id)
    ]
    Alert.objects.filter(pk__in=[a.pk for a in mail]).update(notified_at=now)
    for alert in mail:
        transaction.on_commit(partial(_notify_group, alert))
        _notify_group_in_app(alert)


def _announce(alert: Alert, kpi_code: str) -> None:
    """Alert opened or closed: its key facts, no figure (a receiver reads the value through the API)."""
    emit(
        cluster_id=alert.cluster_id,
        event=Event.ALERT_OPENED if alert.status == AlertStatus.OPEN else Event.ALERT_CLOSED,
        data={
            "alert": alert.pk,
            "kpi": kpi_code,
            "scope": alert.scope,
            "link": alert.link or None,
            "period": alert.period,
            "status": alert.status,
        },
    )


def _notify_group_in_app(alert: Alert) -> None:
    """The working group's members find the alert among their notifications, once (with the e-mail's facts, and
    no value: the notification says below what it is)."""
    if alert.working_group_id is None:
        return
    notify(
        cluster_id=alert.cluster_id,
        recipients=current_members([alert.working_group_id]),
        kind=NotificationKind.ALERT,
        key=str(alert.pk),
        facts={
            "kpi": in_each_language(lambda: alert.kpi.label),
            "where": in_each_language(lambda: alert.where),
            "period": alert.period,
        },
        url=alert.get_absolute_url(),
    )


def _apply(alert: Alert, run: Run, now: datetime.datetime) -> None:
    """The alert as the run says: its first and latest month, the latest value, open or closed."""
    period, start, value, minimum, reporting, disclosure = run.last
    alert.opened_period, alert.period, alert.period_start = run.first, period, start
    alert.value, alert.minimum, alert.reporting_enterprises = value, minimum, reporting
    alert.disclosed = disclosure == Disclosure.PUBLISHED
    if run.closed:
        if alert.status != AlertStatus.CLOSED or alert.closed_period != run.closed:
            alert.closed_at = now
        alert.status, alert.closed_period = AlertStatus.CLOSED, run.closed
    else:
        alert.status, alert.closed_period, alert.closed_at = AlertStatus.OPEN, "", None


def _refresh_contributors(alerts: list[Alert], active: dict[tuple[int, int], ClusterKpi]) -> None:
    """Name again the enterprises that pull each alert's latest month down (a fixed number of queries for all of
    them: their enterprises' values are computed by one statement)."""
    if not alerts:
        return
    AlertContributor.objects.filter(alert__in=[a.pk for a in alerts]).delete()
    wanted = {(a.cluster_id, a.period, a.kpi_id) for a in alerts}
    rows = {
        (r.cluster_id, r.period, r.kpi_id, r.scope, r.link): r
        for r in KpiValue.objects.filter(
            cluster__in={a.cluster_id for a in alerts},
            period__in={a.period for a in alerts},
            kpi__in={a.kpi_id for a in alerts},
            enterprise__isnull=True,
        )
    }
    enterprises: dict[tuple[int, str, int], list[KpiValue]] = {}
    clusters = Cluster.objects.filter(pk__in={a.cluster_id for a in alerts}).order_by("pk")
    for e in enterprise_values(
        clusters=list(clusters),
        spans={a.period for a in alerts},
        readable=Readable.everything({a.cluster_id for a in alerts}),
        kpi_ids={a.kpi_id for a in alerts},
    ):
        if (e.cluster_id, e.period, e.kpi_id) in wanted:
            enterprises.setdefault((e.cluster_id, e.period, e.kpi_id), []).append(e)
    contributors = []
    for alert in alerts:
        row = rows.get((alert.cluster_id, alert.period, alert.kpi_id, alert.scope, alert.link))
        setting = active.get((alert.cluster_id, alert.kpi_id))
        if row is None or setting is None:
            continue
        by_kpi = {alert.kpi_id: enterprises.get((alert.cluster_id, alert.period, alert.kpi_id), [])}
        contributors += _contributors(alert, row, by_kpi, Span.parse(alert.period), setting)
    AlertContributor.objects.bulk_create(contributors)


@transaction.atomic
def alert_to_action_item(
    *, alert: Alert, user: AnyUser, deadline: datetime.date | None = None, title: str = ""
) -> ActionItem:
    """Make the alert an action item of its working group (once); the item names the link and the enterprises."""
    alert = Alert.objects.select_for_update(of=("self",)).select_related("kpi", "working_group").get(pk=alert.pk)
    if alert.action_item_id:
        raise ValidationError(_("This alert is already an action item."))
    if alert.working_group is None:
        raise ValidationError(
            {"working_group": _("No working group owns this KPI: choose one in the KPI settings first.")}
        )
    # Every member of the cluster may read an action item: it carries the value only where it is published, and
    # leaves the enterprises behind it to the alert, where only those who may see them named do.
    facts = {
        "kpi": alert.kpi.label,
        "value": display(alert.value, alert.kpi.unit),
        "minimum": display(alert.minimum, alert.kpi.unit),
        "where": alert.where,
        "period": alert.period,
        "url": django_settings.SITE_URL + alert.get_absolute_url(),
    }
    if alert.disclosed:
        description = _("%(kpi)s is %(value)s against a minimum of %(minimum)s (%(where)s, %(period)s).") % facts
    else:
        description = _("%(kpi)s has breached its minimum of %(minimum)s (%(where)s, %(period)s).") % facts
    description += " " + _("The alert names the enterprises that pull it down: %(url)s") % facts
    item = ActionItem(
        cluster_id=alert.cluster_id,
        body=alert.working_group,
        owner_group=alert.working_group,
        title=(
            title
            or _("Bring %(kpi)s back within its minimum (%(where)s)")
            % {
                "kpi": alert.kpi.label,
                "where": alert.where,
            }
        )[:255],
        description=description,
        deadline=deadline or timezone.localdate() + datetime.timedelta(days=ACTION_ITEM_DAYS),
    )
    action_item_save(item=item)
    alert.action_item = item
    alert.save(update_fields=["action_item"])
    return item
