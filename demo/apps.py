from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The `load_demo` command and the generators behind it; nothing runs at start-up."""

    name = "demo"
    verbose_name = _("Demo cluster")
