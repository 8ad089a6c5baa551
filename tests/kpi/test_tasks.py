import datetime
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cluster_platform.celery import app
from kpi import tasks
from kpi.models import ReportingPeriod, add_months

pytestmark = pytest.mark.django_db


def test_the_beat_schedule_opens_periods_and_locks_submissions():
    names = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"kpi.tasks.periods_open_task", "kpi.tasks.submissions_lock_task"} <= names


def test_the_beat_schedule_computes_the_due_kpi_periods_after_the_locking_and_expires():
    entries = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    due, lock = entries["kpi.tasks.kpi_values_due_task"], entries["kpi.tasks.submissions_lock_task"]
    assert due["options"]["expires"] > 0

    # The computation runs after the night's locking, so a month past its lock date counts its locked figures.
    def at(entry):
        return min(entry["schedule"].hour), min(entry["schedule"].minute)

    assert at(due) > at(lock)


def test_the_opening_task_and_command_open_the_ended_months_once(cluster):
    cluster.start_date = add_months(timezone.localdate().replace(day=1), -3)
    cluster.save()
    assert tasks.periods_open_task.delay().get() == 3
    out = StringIO()
    call_command("open_periods", stdout=out)
    assert "0" in out.getvalue()
    assert ReportingPeriod.objects.filter(cluster=cluster).count() == 3


def test_the_command_opens_a_chosen_month_and_refuses_a_malformed_one(cluster):
    call_command("open_periods", "--month", "2030-01", "--cluster", str(cluster.pk), stdout=StringIO())
    assert ReportingPeriod.objects.filter(cluster=cluster, month=datetime.date(2030, 1, 1)).exists()
    with pytest.raises(CommandError):
        call_command("open_periods", "--month", "January", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("open_periods", "--cluster", "999999", stdout=StringIO())


def test_the_lock_command_runs(cluster):
    out = StringIO()
    call_command("lock_submissions", stdout=out)
    assert "0" in out.getvalue()


def test_the_nightly_job_queues_a_batch_per_group_of_clusters_due_for_the_same_periods(cluster, other_cluster):
    """Batches are independent (a worker pool runs them side by side); a cluster's months stay in order."""
    from governance.models import Cluster
    from kpi import services
    from kpi.models import KpiComputation
    from tests.governance.factories import ClusterFactory

    third = ClusterFactory(name="Samarkand Cluster")
    month = datetime.date(2025, 2, 1)
    for c in (cluster, other_cluster, third):
        for m in (datetime.date(2025, 1, 1), month):
            ReportingPeriod.objects.create(
                cluster=c,
                month=m,
                deadline=add_months(m, 1).replace(day=10),
                lock_date=add_months(m, 1).replace(day=20),
            )
    services.kpi_values_compute(cluster=third, span="2025-01")  # already computed after its lock
    batches = services.kpi_values_due_batches(
        clusters=Cluster.objects.filter(pk__in=[cluster.pk, other_cluster.pk, third.pk])
    )
    assert sorted(batches) == sorted(
        [([cluster.pk, other_cluster.pk], ["2025-01", "2025-02"]), ([third.pk], ["2025-02"])]
    )
    assert tasks.kpi_values_due_task.delay().get() == 2
    assert set(KpiComputation.objects.filter(trigger="schedule").values_list("cluster_id", "period")) == {
        (cluster.pk, "2025-01"),
        (cluster.pk, "2025-02"),
        (other_cluster.pk, "2025-01"),
        (other_cluster.pk, "2025-02"),
        (third.pk, "2025-02"),
    }
