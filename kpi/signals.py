"""KPI values follow changes made elsewhere that move them."""

from django.db import transaction
from django.db.models.signals import post_save
from django.dispatch import receiver

from governance.models import Enterprise


@receiver(post_save, sender=Enterprise, dispatch_uid="kpi_enterprise_link_changed")
def enterprise_link_changed(sender, instance: Enterprise, created: bool, raw: bool = False, **kwargs) -> None:
    """An enterprise moved to another value-chain link (the form, the API or the admin): every computed period of
    its cluster is recomputed, in one task recorded in the same transaction. Until then the stored link values
    count it under the link it had, and disclosure control would compare values that count it under two links
    (two enterprises swapping links leave every count as it was)."""
    before = getattr(instance, "loaded_link", None)
    if created or raw or before is None or before == instance.value_chain_link:
        return
    from .services.aggregation import kpi_values_recompute_computed

    instance.loaded_link = instance.value_chain_link
    with transaction.atomic():
        kpi_values_recompute_computed(cluster=instance.cluster, trigger="link")
