"""After every migrate, every cluster has its roadmap (an installation that had clusters before the roadmap)."""

from django.db.models.signals import post_migrate
from django.dispatch import receiver


@receiver(post_migrate, dispatch_uid="roadmap_every_cluster")
def every_cluster_has_its_roadmap(sender, **kwargs) -> None:
    if sender.name != "roadmap":
        return
    from governance.models import Cluster

    from .services import roadmap_setup

    for cluster in Cluster.objects.filter(phases__isnull=True).order_by("pk"):
        roadmap_setup(cluster=cluster)
