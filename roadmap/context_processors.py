"""Every page shows where the cluster stands on its roadmap ("month 14 of 36 · phase 2"): from the cluster's start
date, without a query."""

from .defaults import PHASES
from .services import ROADMAP_MONTHS, months_since


def stand(request):
    from governance.selectors import current_cluster

    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    cluster = current_cluster(request)
    if cluster is None:
        return {}
    month = months_since(cluster.start_date, cluster.today())
    phase = next((p.number for p in PHASES if p.start <= month < p.end), None)
    return {"roadmap_month": month, "roadmap_months": ROADMAP_MONTHS, "roadmap_phase": phase}
