"""KPI values follow changes made elsewhere that move them."""

from django.db import transaction
from django.db.models.signals import post_migrate, post_save, pre_save
from django.dispatch import receiver

from governance.models import Cluster, Enterprise, EnterprisePastLink


@receiver(pre_save, sender=Enterprise, dispatch_uid="kpi_enterprise_link_before")
def enterprise_link_before(sender, instance: Enterprise, raw: bool = False, **kwargs) -> None:
    """The link stored before this save (read here: the instance may have been read without it, or long ago)."""
    instance._link_before = None
    if not raw and instance.pk is not None:
        instance._link_before = (
            Enterprise.objects.filter(pk=instance.pk).values_list("value_chain_link", flat=True).first()
        )


@receiver(post_save, sender=Enterprise, dispatch_uid="kpi_enterprise_link_changed")
def enterprise_link_changed(sender, instance: Enterprise, created: bool, raw: bool = False, **kwargs) -> None:
    """An enterprise moved to another value-chain link (the form, the API or the admin): from this month on its
    figures count under the new link; those of the months before keep the link they had (EnterprisePastLink). So
    no KPI value published before the move changes with it, recomputed or not: the link values before and after
    would give its figures away. The months from this one on that were already computed are recomputed, with
    the change (one transaction)."""
    before = getattr(instance, "_link_before", None)
    instance._link_before = None
    if created or raw or before is None or before == instance.value_chain_link:
        return
    from .services.aggregation import kpi_values_changed
    from .services.periods import cluster_today

    since = cluster_today(instance.cluster).replace(day=1)
    with transaction.atomic():
        # Moved twice this month: the months before it had the first link.
        EnterprisePastLink.objects.get_or_create(enterprise=instance, until=since, defaults={"link": before})
        kpi_values_changed(cluster_id=instance.cluster_id, months=[since], trigger="link")


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
    from .catalogue import kpi_catalogue_sync
    from .services.setup import DEFAULT_INACTIVE, STRUCTURAL_KPIS

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
                defaults = {"active": code not in DEFAULT_INACTIVE, "compare_links": code not in STRUCTURAL_KPIS}
                rows.append(
                    cluster_kpi(
                        cluster_id=cluster_id, kpi_id=kpi_id, **{k: v for k, v in defaults.items() if k in fields}
                    )
                )
    cluster_kpi.objects.bulk_create(rows, ignore_conflicts=True, batch_size=1000)


@receiver(post_save, sender=Cluster, dispatch_uid="kpi_cluster_created")
def cluster_created(sender, instance: Cluster, created: bool, raw: bool = False, **kwargs) -> None:
    """A new cluster has its row for every KPI of the catalogue at once: no page or list writes them when read."""
    if created and not raw:
        from .services.setup import cluster_kpis_ensure

        cluster_kpis_ensure(cluster=instance)
