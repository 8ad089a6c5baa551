"""After every migrate, the catalogue of data elements and KPIs is what the code says (no migration writes it)."""

from django.db.models.signals import post_migrate
from django.dispatch import Signal, receiver

# Figures of some months of a cluster changed (approved, returned, corrected, linked): sent inside the change's
# transaction with `cluster_id` and `months`, for what reads figures beside the KPI values (the incentives'
# evaluations).
figures_changed = Signal()


@receiver(post_migrate, dispatch_uid="kpi_catalogue_sync")
def catalogue_sync(sender, apps=None, using="default", plan=None, **kwargs) -> None:
    """After every `migrate` (once, for this app), the catalogue of data elements and KPIs is what the code says
    (`kpi/catalogue.py`): new elements and KPIs appear, changed names and formulas follow. Migrations no longer
    write it, so none imports live code."""
    if sender.name != "kpi" or apps is None:
        return
    try:
        data_element, kpi = apps.get_model("kpi", "DataElement"), apps.get_model("kpi", "Kpi")
    except LookupError:  # migrated backwards past the catalogue's tables
        return
    from .catalogue import cluster_kpi_defaults, kpi_catalogue_sync

    kpi_catalogue_sync(data_element, kpi)
    # Every cluster has a row for every KPI of the catalogue (a new KPI arrives inactive where the catalogue says).
    cluster_kpi = apps.get_model("kpi", "ClusterKpi")
    fields = {f.name for f in cluster_kpi._meta.get_fields()}
    have = set(cluster_kpi.objects.values_list("cluster_id", "kpi_id"))
    cluster_ids = list(apps.get_model("governance", "Cluster").objects.values_list("pk", flat=True))
    rows = []
    for kpi_id, code in kpi.objects.values_list("pk", "code"):
        for cluster_id in cluster_ids:
            if (cluster_id, kpi_id) not in have:
                defaults = cluster_kpi_defaults(code)
                rows.append(
                    cluster_kpi(
                        cluster_id=cluster_id, kpi_id=kpi_id, **{k: v for k, v in defaults.items() if k in fields}
                    )
                )
    cluster_kpi.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)
