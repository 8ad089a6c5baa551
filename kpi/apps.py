from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from governance import services as governance

        from . import signals  # noqa: F401  (connects the receivers)
        from .choices import Trigger
        from .services.cluster_kpis import cluster_kpis_ensure
        from .services.scheduling import kpi_values_changed

        def every_kpi(cluster):  # a new cluster has its row for every KPI of the catalogue
            cluster_kpis_ensure(cluster=cluster)

        def months_from(enterprise, since):  # a move to another link: the months from then on, computed again
            kpi_values_changed(cluster_id=enterprise.cluster_id, months=[since], trigger=Trigger.LINK)

        governance.CLUSTER_CREATED[:] = [h for h in governance.CLUSTER_CREATED if h.__module__ != __name__]
        governance.ENTERPRISE_MOVED[:] = [h for h in governance.ENTERPRISE_MOVED if h.__module__ != __name__]
        governance.CLUSTER_CREATED.append(every_kpi)
        governance.ENTERPRISE_MOVED.append(months_from)
