"""A task that keeps failing stops retrying and shows to the office of its cluster, with its error."""

import time
from unittest import mock

import pytest
from django.urls import reverse

from governance.choices import NotificationKind, Role
from governance.models import FailedTask, Notification
from tests.governance.factories import ClusterRoleFactory, UserFactory, user_with_role


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_task_that_keeps_failing_gives_up_after_its_retries_and_is_recorded(cluster, client):
    """Run by a real worker (Celery's testing worker, in a thread, on the in-memory broker): retried 3 times with
    growing pauses, then given up, recorded with its error and shown to the office."""
    from celery.contrib.testing.worker import start_worker

    from cluster_platform.celery import app
    from roadmap.tasks import roadmap_recheck_task

    office = user_with_role(cluster, Role.OFFICE)
    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise ConnectionError("database server closed the connection")

    eager = app.conf.task_always_eager
    app.conf.task_always_eager = False
    try:
        with mock.patch("roadmap.services.decisions_recheck", side_effect=broken):
            with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
                roadmap_recheck_task.delay(cluster.pk)
                for _ in range(600):
                    if FailedTask.objects.exists():
                        break
                    time.sleep(0.1)
    finally:
        app.conf.task_always_eager = eager
    assert len(calls) == 4  # the first run and its 3 retries, then it stops
    failed = FailedTask.objects.get()
    assert failed.cluster == cluster and failed.task == "roadmap.tasks.roadmap_recheck_task"
    assert failed.error == "ConnectionError: database server closed the connection" and failed.retries == 3
    assert "ConnectionError" in failed.traceback
    told = Notification.objects.get(kind=NotificationKind.TASK_FAILED)
    assert told.recipient == office and "roadmap_recheck_task" in told.text

    client.force_login(office)
    page = client.get(reverse("governance:failed_tasks"))
    assert page.status_code == 200 and b"database server closed the connection" in page.content
    client.post(reverse("governance:failed_task_seen", args=[failed.pk]))
    failed.refresh_from_db()
    assert failed.seen_at is not None


def test_an_error_that_is_not_retried_is_recorded_at_once(cluster):
    from incentives.tasks import incentives_evaluate_task

    calls = []

    def broken(**kwargs):
        calls.append(kwargs)
        raise ValueError("no rule in force")

    with mock.patch("incentives.services.evaluate_quarter", side_effect=broken):
        incentives_evaluate_task.apply(args=[cluster.pk, "2026-Q1"], throw=False)
    assert len(calls) == 1
    failed = FailedTask.objects.get()
    assert failed.retries == 0 and failed.error == "ValueError: no rule in force" and failed.cluster == cluster


def test_only_the_office_of_the_tasks_cluster_sees_it(cluster, other_cluster, client):
    FailedTask.objects.create(cluster=cluster, task="kpi.tasks.x", error="ConnectionError: Xq-cluster-task")
    FailedTask.objects.create(cluster=None, task="kpi.tasks.sweep", error="ConnectionError: Xq-platform-task")
    for role in (Role.COUNCIL, Role.ENTERPRISE, Role.VIEWER, Role.WORKING_GROUP):
        client.force_login(user_with_role(cluster, role))
        assert client.get(reverse("governance:failed_tasks")).status_code == 403
    stranger = UserFactory()
    ClusterRoleFactory(cluster=other_cluster, user=stranger, role=Role.OFFICE)
    client.force_login(stranger)
    page = client.get(reverse("governance:failed_tasks"))
    assert page.status_code == 200 and b"Xq-cluster-task" not in page.content and b"Xq-platform" not in page.content
    client.force_login(user_with_role(cluster, Role.OFFICE))
    page = client.get(reverse("governance:failed_tasks"))
    assert b"Xq-cluster-task" in page.content and b"Xq-platform" not in page.content
