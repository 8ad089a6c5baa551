from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = _("Webhooks")

    def ready(self) -> None:
        from core.events import platform_event

        from .services import event_received

        # Every event the apps announce becomes deliveries, in the transaction of the change that caused it.
        platform_event.connect(event_received, dispatch_uid="webhooks_event_received")
