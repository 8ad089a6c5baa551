from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GovernanceConfig(AppConfig):
    name = "governance"
    verbose_name = _("Governance")

    def ready(self) -> None:
        # The scoping mechanism in `core` knows no role: tell it where roles come from and which administer.
        from django.contrib.auth import get_user_model

        from core import scoping

        from .choices import Role
        from .filters import choose_people
        from .scoping import OFFICE, load_access
        from .selectors import current_cluster

        scoping.configure(
            load_access=load_access, roles=Role.values, administrators=OFFICE, current_cluster=current_cluster
        )
        scoping.register_choices(get_user_model(), choose_people)

        # A task that gives up is recorded and shown to the office of its cluster (governance/failures.py).
        from celery.signals import task_failure

        from .failures import task_failed

        task_failure.connect(task_failed, dispatch_uid="governance_task_failed", weak=False)
