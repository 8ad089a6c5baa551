from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RoadmapConfig(AppConfig):
    name = "roadmap"
    verbose_name = _("Roadmap")

    def ready(self) -> None:
        from governance import services as governance
        from kpi.signals import figures_changed

        from . import signals  # noqa: F401  (connects the receivers)
        from .services import figures_changed_received, roadmap_setup, tasks_to_follow_up

        def default_roadmap(cluster):  # a new cluster has the model's roadmap from its first day
            roadmap_setup(cluster=cluster)

        governance.CLUSTER_CREATED[:] = [h for h in governance.CLUSTER_CREATED if h.__module__ != __name__]
        governance.CLUSTER_CREATED.append(default_roadmap)

        # An overdue roadmap task joins its owner's next meeting agenda, as an overdue action item does.
        governance.register_follow_up_source(tasks_to_follow_up)
        # Corrected figures check the gate decisions' evidence again.
        figures_changed.connect(figures_changed_received, dispatch_uid="roadmap_recheck")
