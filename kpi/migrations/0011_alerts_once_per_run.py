
import datetime
import zoneinfo

from django.db import migrations, models


def forward(apps, schema_editor):
    """Alerts: one per KPI, scope, link and first month (duplicates left by recomputations go, the one acted on
    stays) and none e-mailed again; computations: the moment each period became final."""
    Alert = apps.get_model("kpi", "Alert")
    seen = set()
    for alert in Alert.objects.order_by("action_item_id", "status", "pk").iterator():
        key = (alert.cluster_id, alert.kpi_id, alert.scope, alert.link, alert.opened_period)
        if key in seen:
            alert.delete()
        else:
            seen.add(key)
    Alert.objects.filter(notified_at__isnull=True).update(notified_at=models.F("opened_at"))

    KpiComputation = apps.get_model("kpi", "KpiComputation")
    ReportingPeriod = apps.get_model("kpi", "ReportingPeriod")
    deadlines = {
        (p.cluster_id, p.month): datetime.datetime.combine(
            p.deadline + datetime.timedelta(days=1), datetime.time.min, zoneinfo.ZoneInfo(p.cluster.time_zone)
        )
        for p in ReportingPeriod.objects.select_related("cluster")
    }
    for computation in KpiComputation.objects.iterator():
        start = computation.period_start
        last = start if computation.period_kind == "month" else datetime.date(start.year, start.month + 2, 1)
        computation.final_at = deadlines.get((computation.cluster_id, last))
        computation.save(update_fields=["final_at"])


class Migration(migrations.Migration):

    dependencies = [
        ("kpi", "0010_provisional_months_idempotent_alerts"),
    ]

    operations = [
        migrations.RunPython(forward, migrations.RunPython.noop),
    ]
