from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from governance import selectors as governance_selectors
        from governance import services as governance

        from . import signals  # noqa: F401  (connects the receivers)
        from .choices import Trigger
        from .services.cluster_kpis import cluster_kpis_ensure
        from .services.scheduling import kpi_values_changed

        def every_kpi(cluster):  # a new cluster has its row for every KPI of the catalogue
            cluster_kpis_ensure(cluster=cluster)

        def months_from(enterprise, since):  # a move to another link: the months from then on, computed again
            kpi_values_changed(cluster_id=enterprise.cluster_id, months=[since], trigger=Trigger.LINK)

        def alerts_behind(item, user):  # an action item made from an alert links back to it
            from django.utils.translation import gettext

            from governance.scoping import VIEW, restrict

            from .models import Alert

            alerts = restrict(Alert.objects.filter(action_item=item), user, VIEW).select_related("kpi")
            return [
                (
                    gettext("Alert: %(kpi)s breached its minimum (%(where)s, since %(since)s)")
                    % {"kpi": alert.kpi.label, "where": alert.where, "since": alert.opened_period},
                    alert.get_absolute_url(),
                )
                for alert in alerts.order_by("pk")
            ]

        governance_selectors.ACTION_ITEM_SOURCES[:] = [
            h for h in governance_selectors.ACTION_ITEM_SOURCES if h.__module__ != __name__
        ]
        governance_selectors.ACTION_ITEM_SOURCES.append(alerts_behind)
        governance.CLUSTER_CREATED[:] = [h for h in governance.CLUSTER_CREATED if h.__module__ != __name__]
        governance.ENTERPRISE_MOVED[:] = [h for h in governance.ENTERPRISE_MOVED if h.__module__ != __name__]
        governance.CLUSTER_CREATED.append(every_kpi)
        governance.ENTERPRISE_MOVED.append(months_from)
