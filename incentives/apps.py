from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncentivesConfig(AppConfig):
    name = "incentives"
    verbose_name = _("Incentives")

    def ready(self) -> None:
        from portfolio.services import register_request_discount, register_request_priority

        from .services import fee_discount, queue_priority

        # The shared-services queue orders by the tier of an enterprise's award in force, and a request's price
        # takes off the award's fee discount (portfolio's hooks).
        register_request_priority(queue_priority)
        register_request_discount(fee_discount)
