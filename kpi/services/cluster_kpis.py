"""Every cluster has a row for every KPI of the catalogue (ClusterKpi): active or not, with its target and minimum."""

from __future__ import annotations

from collections.abc import Iterable

from governance.models import Cluster

from ..catalogue import cluster_kpi_defaults
from ..models import ClusterKpi, Kpi


def cluster_kpis_ensure(*, cluster: Cluster) -> None:
    """Give the cluster a row for every catalogue KPI it lacks (active by the catalogue's default)."""
    cluster_kpis_ensure_many(clusters=[cluster])


def cluster_kpis_ensure_many(*, clusters: Iterable[Cluster]) -> None:
    """The same for several clusters in three queries."""
    clusters = list(clusters)
    have = set(ClusterKpi.objects.filter(cluster__in=clusters).values_list("cluster_id", "kpi_id"))
    kpis = list(Kpi.objects.all())
    missing = [(c, k) for c in clusters for k in kpis if (c.pk, k.pk) not in have]
    if not missing:
        return
    ClusterKpi.objects.bulk_create(
        [
            ClusterKpi(
                cluster=c,
                kpi=k,
                **cluster_kpi_defaults(k.code),
            )
            for c, k in missing
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
