"""The office's set-up of data collection: which KPIs are active with what targets, and the calendar rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.utils.translation import gettext as _

from governance.models import Cluster

from ..catalogue import ACTIVE_KPI_RANGE
from ..choices import Trigger
from ..models import ClusterKpi, DataCollectionRules, DataElement
from .cluster_kpis import cluster_kpis_ensure
from .scheduling import kpi_values_recompute_computed


@dataclass(frozen=True)
class KpiSetting:
    kpi_id: int
    active: bool
    target: Decimal | None
    minimum: Decimal | None
    working_group_id: int | None = None
    compare_links: bool = True


def active_kpis_warning(count: int) -> str | None:
    low, high = ACTIVE_KPI_RANGE
    if low <= count <= high:
        return None
    return _(
        "%(count)s KPIs are active: the model asks for %(low)s to %(high)s, enough to steer by and few enough "
        "to collect every month."
    ) % {"count": count, "low": low, "high": high}


@transaction.atomic
def cluster_kpis_save(*, cluster: Cluster, settings: Iterable[KpiSetting]) -> str | None:
    """Store the active KPIs with their targets and minimums; answer a warning outside 12–15 active."""
    cluster_kpis_ensure(cluster=cluster)
    rows = {ck.kpi_id: ck for ck in ClusterKpi.objects.select_related("kpi").filter(cluster=cluster)}
    for setting in settings:
        row = rows[setting.kpi_id]
        row.active, row.target, row.minimum = setting.active, setting.target, setting.minimum
        row.working_group_id, row.compare_links = setting.working_group_id, setting.compare_links
        row.full_clean()
        row.save(update_fields=["active", "target", "minimum", "working_group", "compare_links"])
    # The dashboards show the latest month and quarter with the new settings; older periods keep the
    # targets they were computed with until they are recomputed.
    kpi_values_recompute_computed(cluster=cluster, latest=True)
    return active_kpis_warning(sum(1 for r in rows.values() if r.active and not r.kpi.is_platform))


# The rules that change what the KPI values are, or who may read them: a change recomputes every computed period.
RECOMPUTING_RULES = (
    "count_submitted",
    "publish_min_enterprises",
    "publish_min_enterprises_quartiles",
    "publish_dominance_share",
)


@transaction.atomic
def collection_rules_save(*, rules: DataCollectionRules) -> DataCollectionRules:
    """Store the rules; when which submissions count or what may be published changes, every computed period
    is recomputed."""
    rules.full_clean()
    stored = DataCollectionRules.objects.filter(pk=rules.pk).first() if rules.pk else None
    before = [getattr(stored or DataCollectionRules(), name) for name in RECOMPUTING_RULES]
    rules.save()
    if before != [getattr(rules, name) for name in RECOMPUTING_RULES]:
        kpi_values_recompute_computed(cluster=rules.cluster, trigger=Trigger.SETTINGS)
    return rules


def active_data_elements(*, cluster: Cluster) -> list[DataElement]:
    """The data elements the cluster's active KPIs read: what its enterprises report each month."""
    cluster_kpis_ensure(cluster=cluster)
    active = ClusterKpi.objects.filter(cluster=cluster, active=True)
    ids = set(active.exclude(kpi__numerator=None).values_list("kpi__numerator", flat=True)) | set(
        active.exclude(kpi__denominator=None).values_list("kpi__denominator", flat=True)
    )
    return list(DataElement.objects.filter(pk__in=ids).order_by("position"))
