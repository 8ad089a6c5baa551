"""Reading a cluster's KPI values in tests as the platform serves them: cluster and link values stored, each
enterprise's own values computed on read."""

from kpi.models import Kpi, KpiValue
from kpi.services.enterprise_values import Readable, enterprise_values


def enterprise_rows(cluster, period: str, kpi: Kpi | None = None) -> list[KpiValue]:
    """Every enterprise's own values of the cluster's active KPIs (or of one) for a period."""
    return enterprise_values(
        clusters=[cluster],
        spans=[period],
        readable=Readable.everything([cluster]),
        kpi_ids=None if kpi is None else [kpi.pk],
    )


def all_values(cluster, period: str) -> list[KpiValue]:
    """The stored cluster and link values of a period, then its enterprises' own."""
    stored = list(KpiValue.objects.filter(cluster=cluster, period=period).select_related("kpi"))
    return stored + enterprise_rows(cluster, period)
