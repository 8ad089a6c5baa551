from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = _("Incentives")

    def ready(self) -> None:
        from portfolio.services import register_request_priority

        from .services import queue_priority

        # The shared-services queue orders by the tier of an enterprise's award in force (portfolio's hook).
        register_request_priority(queue_priority)
