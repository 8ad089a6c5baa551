"""Background work that failed for good: what the office sees when a task gives up."""

from __future__ import annotations

from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..choices import Role
from ..scoping import ScopeRule


class FailedTask(models.Model):
    """A task that failed after its retries (Celery's task_failure): its error, for the office of the cluster it
    worked for (a task of no cluster: the platform's administrators only)."""

    cluster = models.ForeignKey(
        "governance.Cluster", models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("cluster")
    )
    task = models.CharField(_("task"), max_length=200)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    arguments = models.CharField(_("arguments"), max_length=500, blank=True)
    error = models.CharField(_("error"), max_length=1000)
    traceback = models.TextField(_("traceback"), blank=True)
    retries = models.PositiveSmallIntegerField(_("retries"), default=0)
    failed_at = models.DateTimeField(_("failed at"), default=timezone.now)
    seen_at = models.DateTimeField(_("seen at"), null=True, blank=True)

    scope_rule = ScopeRule(cluster="cluster", readers=frozenset({Role.OFFICE}), editors=frozenset({Role.OFFICE}))

    class Meta:
        ordering = ["-failed_at", "-pk"]
        verbose_name = _("failed task")
        verbose_name_plural = _("failed tasks")

    def __str__(self) -> str:
        return f"{self.task} ({self.failed_at:%Y-%m-%d %H:%M})"

    def get_absolute_url(self) -> str:
        return reverse("governance:failed_tasks")
