from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The bottom package: base code that is no domain element (scoping mechanism, generic views, the API base,
    template tags, chart helpers, optimistic concurrency, settings parsing). It imports no app of the project."""

    name = "core"
    verbose_name = _("Core")
