from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = _("Incentives")

    def ready(self) -> None:
        from kpi.signals import figures_changed
        from portfolio.services import register_request_discount, register_request_priority

        from .services import fee_discount, figures_changed_received, queue_priority

        # The shared-services queue orders by the tier of an enterprise's award in force, and a request's price
        # takes off the award's fee discount (portfolio's hooks).
        register_request_priority(queue_priority)
        register_request_discount(fee_discount)
        # Corrected figures check again the evaluated quarters they reach.
        figures_changed.connect(figures_changed_received, dispatch_uid="incentives_recheck")
