from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KpiConfig(AppConfig):
    name = "kpi"
    verbose_name = _("KPIs")

    def ready(self) -> None:
        from governance.demo import register_demo_extension

        from . import signals  # noqa: F401  (connects the receivers)
        from .demo import load_kpi_demo

        register_demo_extension("kpi", load_kpi_demo)
