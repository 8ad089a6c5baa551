from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortfolioConfig(AppConfig):
    name = "portfolio"
    verbose_name = _("Collaboration portfolio")

    def ready(self) -> None:
        # kpi sits below the portfolio: the portfolio tells it how many projects the council selected.
        from kpi.platform import register_platform_source

        from .selectors import selected_project_counts_by_date

        def selected_projects(clusters, spans):
            found = selected_project_counts_by_date(clusters=clusters, dates={s.key: s.end for s in spans})
            return {key: (n, None) for key, n in found.items()}

        register_platform_source("PROJSEL", selected_projects)
