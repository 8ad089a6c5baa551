"""The Celery application. Without REDIS_URL every task runs in-process (CELERY_TASK_ALWAYS_EAGER)."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cluster_platform.settings.local")

app = Celery("cluster_platform")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The beat schedule lives in code. `expires` drops a run that could not start in time, so a stopped
# beat or worker does not leave a pile of stale runs behind it.
app.conf.beat_schedule = {
    "governance-agenda-follow-ups": {
        "task": "governance.tasks.agenda_follow_ups_task",
        "schedule": crontab(minute=15, hour="*/1"),
        "options": {"expires": 55 * 60},
    },
    "governance-action-item-reminders": {
        "task": "governance.tasks.action_item_reminders_task",
        "schedule": crontab(minute=0, hour=8),
        "options": {"expires": 6 * 60 * 60},
    },
    "incentives-evaluate-due": {
        # Daily: a quarter is evaluated the day its last month becomes final (once; later runs find it done).
        "task": "incentives.tasks.incentives_evaluate_due_task",
        "schedule": crontab(minute=40, hour=1),
        "options": {"expires": 6 * 60 * 60},
    },
    "roadmap-gates-due": {
        # Daily: each gate read as of the month that ended (once a month; later runs find it done), and the gate
        # decisions' evidence checked against corrected data.
        "task": "roadmap.tasks.roadmap_gates_due_task",
        "schedule": crontab(minute=50, hour=1),
        "options": {"expires": 6 * 60 * 60},
    },
    "governance-seat-roles": {
        "task": "governance.tasks.seat_roles_sync_task",
        "schedule": crontab(minute=5, hour=0),
        "options": {"expires": 6 * 60 * 60},
    },
    "kpi-open-periods": {
        "task": "kpi.tasks.periods_open_task",
        "schedule": crontab(minute=10, hour=0),
        "options": {"expires": 6 * 60 * 60},
    },
    "kpi-lock-submissions": {
        "task": "kpi.tasks.submissions_lock_task",
        "schedule": crontab(minute=20, hour=0),
        "options": {"expires": 6 * 60 * 60},
    },
    "kpi-data-reminders": {
        "task": "kpi.tasks.data_reminders_task",
        # Mid-morning in Tashkent, away from midnight: each reminder belongs to one day of the cluster.
        "schedule": crontab(minute=0, hour=9),
        "options": {"expires": 6 * 60 * 60},
    },
    "kpi-sweep-pending": {
        # A change records the periods it calls for in its own transaction; this computes any whose task never ran.
        "task": "kpi.tasks.kpi_values_sweep_task",
        "schedule": crontab(minute="*/10"),
        "options": {"expires": 9 * 60},
    },
    "webhooks-sweep": {
        # Webhook deliveries whose retry is due but whose task is not coming (a worker killed, tasks in-process).
        "task": "webhooks.tasks.webhooks_sweep_task",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    "kpi-aggregate-due": {
        # After the night's locking (00:20): months past their lock date, and quarters whose last month is.
        "task": "kpi.tasks.kpi_values_due_task",
        "schedule": crontab(minute=40, hour=0),
        "options": {"expires": 12 * 60 * 60},
    },
}
