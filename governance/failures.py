"""Tasks that fail for good are recorded and shown to the office (Celery's task_failure signal).

Celery sends task_failure once a task gives up: after its last retry (`autoretry_for`, `max_retries`), or at once
for an error it does not retry. The row names the task, its arguments, the error and the end of the traceback;
a task that worked for one cluster (its `cluster_id` argument) is that cluster's office's to see, and they are
told by a notification; another is for the platform's administrators.
"""

from __future__ import annotations

import inspect
import traceback as tb

from django.db import transaction

from .choices import NotificationKind

TRACEBACK_KEPT = 4000


def _cluster_id(task, args, kwargs) -> int | None:
    if "cluster_id" in (kwargs or {}):
        return kwargs["cluster_id"]
    try:
        parameters = list(inspect.signature(task.run).parameters)
    except (TypeError, ValueError):
        return None
    if "cluster_id" in parameters and parameters.index("cluster_id") < len(args or ()):
        return args[parameters.index("cluster_id")]
    return None


def task_failed(sender=None, task_id=None, exception=None, args=None, kwargs=None, einfo=None, **_ignored) -> None:
    from .models import Cluster, FailedTask
    from .notifications import notify, office_people

    cluster_id = _cluster_id(sender, args, kwargs)
    if cluster_id is not None and not Cluster.objects.filter(pk=cluster_id).exists():
        cluster_id = None
    trace = str(einfo) if einfo is not None else "".join(tb.format_exception(exception))
    request = getattr(sender, "request", None)
    with transaction.atomic():
        failed = FailedTask.objects.create(
            cluster_id=cluster_id,
            task=getattr(sender, "name", str(sender)),
            task_id=task_id or "",
            arguments=repr({"args": list(args or ()), "kwargs": dict(kwargs or {})})[:500],
            error=f"{type(exception).__name__}: {exception}"[:1000],
            traceback=trace[-TRACEBACK_KEPT:],
            retries=getattr(request, "retries", 0) or 0,
        )
        if cluster_id is not None:
            notify(
                cluster_id=cluster_id,
                recipients=office_people(cluster_id),
                kind=NotificationKind.TASK_FAILED,
                key=f"task:{failed.pk}",
                facts={"task": failed.task.rsplit(".", 1)[-1], "error": failed.error[:200]},
                url=failed.get_absolute_url(),
            )
