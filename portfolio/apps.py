from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Collaboration portfolio")

    def ready(self) -> None:
        # kpi sits below the portfolio: the portfolio tells it how many projects the council selected.
        from kpi.platform import register_platform_source

        from .selectors import selected_project_counts

        def selected_projects(clusters, span):
            return {pk: (n, None) for pk, n in selected_project_counts(clusters=clusters, on=span.end).items()}

        register_platform_source("PROJSEL", selected_projects)
