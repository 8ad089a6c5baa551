"""Alerts: a KPI of the cluster or of a value-chain link below its minimum, raised to the working group that owns
the KPI's area, naming the enterprises that pull the value down; one click turns it into an action item."""

from __future__ import annotations

import datetime

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from governance.choices import BodyKind
from governance.models import ActionItem, Body, Cluster, Membership
from governance.services import action_item_save

from ..choices import AlertStatus, Direction, KpiStatus, Scope
from ..models import Alert, AlertContributor, ClusterKpi, KpiValue, Span

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
    from .aggregation import Term

    term = Term.of(setting, span)
    minimum = row.minimum
    if minimum is None or not enterprises:
        return []
    per_unit = (minimum - term.offset) / term.factor
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
    """E-mail the working group's current members that an alert was opened for them.

    Only an alert still open when the computation commits: recomputing a history opens and closes alerts
    of past months on the way, and nobody needs mail about those.
    """
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
        subject = _("Alert: %(kpi)s below its minimum (%(where)s, %(period)s)") % {
            "kpi": alert.kpi.label,
            "where": alert.where,
            "period": alert.period,
        }
        body = _("%(kpi)s is %(value)s against a minimum of %(minimum)s. Open the alert: %(url)s") % {
            "kpi": alert.kpi.label,
            "value": alert.value,
            "minimum": alert.minimum,
            "url": django_settings.SITE_URL + alert.get_absolute_url(),
        }
    send_mail(subject, body, None, emails)


def alerts_update(*, cluster: Cluster, span: Span, settings: list[ClusterKpi], now: datetime.datetime) -> None:
    """Open, follow or close the cluster's alerts from a month's cluster and link values (just computed).

    A value below its minimum opens an alert, or moves the open one to this month; a value back at or
    above the minimum closes it. Recomputing an older month leaves alerts of later months alone.
    """
    by_setting = {s.kpi_id: s for s in settings}
    rows = list(
        KpiValue.objects.filter(
            cluster=cluster, period=span.key, scope__in=[Scope.CLUSTER, Scope.LINK], enterprise__isnull=True
        ).exclude(value=None)
    )
    below = [r for r in rows if r.status == KpiStatus.BELOW_MINIMUM]
    open_alerts = {
        (a.kpi_id, a.scope, a.link): a for a in Alert.objects.filter(cluster=cluster, status=AlertStatus.OPEN)
    }
    closing = []
    for row in rows:
        alert = open_alerts.get((row.kpi_id, row.scope, row.link))
        if row.status != KpiStatus.BELOW_MINIMUM and alert is not None and span.start >= alert.period_start:
            alert.status, alert.closed_period, alert.closed_at = AlertStatus.CLOSED, span.key, now
            closing.append(alert)
    Alert.objects.bulk_update(closing, ["status", "closed_period", "closed_at"])
    if not below:
        return
    groups = list(
        Body.objects.filter(cluster=cluster, kind=BodyKind.WORKING_GROUP, is_active=True).order_by("name", "pk")
    )
    enterprises: dict[int, list[KpiValue]] = {}
    for e in KpiValue.objects.filter(
        cluster=cluster,
        period=span.key,
        scope=Scope.ENTERPRISE,
        enterprise__isnull=False,  # the enterprise rows' unique index
        kpi_id__in={r.kpi_id for r in below},
    ):
        enterprises.setdefault(e.kpi_id, []).append(e)
    opened, followed, contributors = [], [], []
    for row in below:
        setting = by_setting[row.kpi_id]
        alert = open_alerts.get((row.kpi_id, row.scope, row.link))
        if alert is None:
            alert = Alert(
                cluster=cluster,
                kpi_id=row.kpi_id,
                scope=row.scope,
                link=row.link,
                working_group=alert_working_group(setting, groups),
                opened_period=span.key,
                opened_at=now,
            )
            opened.append(alert)
        elif span.start >= alert.period_start:
            followed.append(alert)
        else:
            continue
        alert.period, alert.period_start, alert.value, alert.minimum = span.key, span.start, row.value, row.minimum
        alert.reporting_enterprises = row.reporting_enterprises
        alert._row = row
    Alert.objects.bulk_create(opened)
    Alert.objects.bulk_update(followed, ["period", "period_start", "value", "minimum", "reporting_enterprises"])
    AlertContributor.objects.filter(alert__in=followed).delete()
    for alert in opened + followed:
        contributors += _contributors(alert, alert._row, enterprises, span, by_setting[alert.kpi_id])
    AlertContributor.objects.bulk_create(contributors)
    for alert in opened:
        transaction.on_commit(lambda alert=alert: _notify_group(alert))


@transaction.atomic
def alert_to_action_item(*, alert: Alert, user, deadline: datetime.date | None = None, title: str = "") -> ActionItem:
    """Make the alert an action item of its working group (once); the item names the link and the enterprises."""
    alert = Alert.objects.select_for_update(of=("self",)).select_related("kpi", "working_group").get(pk=alert.pk)
    if alert.action_item_id:
        raise ValidationError(_("This alert is already an action item."))
    if alert.working_group is None:
        raise ValidationError(
            {"working_group": _("No working group owns this KPI: choose one in the KPI settings first.")}
        )
    names = ", ".join(
        f"{c.enterprise.name} ({c.share:.0%})" for c in alert.contributors.select_related("enterprise")[:5]
    )
    description = _("%(kpi)s is %(value)s against a minimum of %(minimum)s (%(where)s, %(period)s).") % {
        "kpi": alert.kpi.label,
        "value": alert.value,
        "minimum": alert.minimum,
        "where": alert.where,
        "period": alert.period,
    }
    if names:
        description += " " + _("Pulling it down most: %(names)s.") % {"names": names}
    item = ActionItem(
        cluster_id=alert.cluster_id,
        body=alert.working_group,
        owner_group=alert.working_group,
        title=(
            title
            or _("Bring %(kpi)s back above its minimum (%(where)s)")
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
