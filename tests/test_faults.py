"""Faults: a Celery worker killed in the middle of an aggregation, an evaluation and a gate evaluation leaves
nothing half-written, and running the work again gives exactly what an undisturbed run gives. A task that keeps
failing stops after its retries and shows to the office with its error.

"In the middle" is made certain, not hoped for: another connection holds a lock on the table the task writes
last, so the worker stops there with its earlier rows written (its transaction has an id) and is killed with
SIGKILL, as an out-of-memory kill or a lost machine would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg2
import pytest
from celery import Celery
from django.conf import settings
from django.db import connection, transaction

from tests.governance.test_tasks import _redis_or_skip, worker_database_url

ROOT = Path(__file__).resolve().parent.parent

pytestmark = [
    pytest.mark.worker,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="the worker runs in another process and reaches the test database over the network",
    ),
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _connect():
    db = connection.settings_dict
    params = {"dbname": db["NAME"], "user": db["USER"], "password": db["PASSWORD"]}
    params.update(db.get("OPTIONS") or {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or 5432})
    return psycopg2.connect(**params)


class Worker:
    """A real worker (one process, Redis, the test database) on a queue of its own."""

    def __init__(self):
        self.queue = f"faults-{uuid.uuid4().hex[:8]}"
        self.log = tempfile.TemporaryFile(mode="w+")  # what the worker said, shown when a test fails
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cluster_platform.settings.local",
            "DEBUG": "false",
            "REDIS_URL": settings.TEST_REDIS_URL,
            "DATABASE_URL": worker_database_url(),
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "cluster_platform", "worker", "-Q", self.queue, "-c", "1",
             "--pool", "solo", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
            cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        self.client = Celery(broker=settings.TEST_REDIS_URL, backend=settings.TEST_REDIS_URL)

    def send(self, name: str, *args):
        return self.client.send_task(name, args=list(args), queue=self.queue)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.client.close()

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read()[-5000:]


def _kill_midway(task: str, args: tuple, blocking_table: str) -> None:
    """Run `task` on a worker, stop it at `blocking_table` after it has written, kill it, end its session."""
    blocker = _connect()
    blocker.autocommit = False
    worker = Worker()
    try:
        with blocker.cursor() as cursor:
            cursor.execute(f'LOCK TABLE "{blocking_table}" IN ACCESS EXCLUSIVE MODE')
        worker.send(task, *args)
        stuck = None
        watcher = _connect()
        watcher.autocommit = True
        with watcher.cursor() as cursor:
            # pg_locks, not pg_stat_activity (whose rows a session reads once per snapshot): the worker's backend
            # waiting for the table, and whether it holds a transaction id, i.e. has written already.
            for _ in range(900):  # up to 90 s: the worker starts, takes the task, writes, then waits on the lock
                cursor.execute(
                    "SELECT pid, EXISTS (SELECT 1 FROM pg_locks x WHERE x.pid = l.pid AND x.locktype = "
                    "'transactionid' AND x.granted) FROM pg_locks l WHERE l.relation = %s::regclass AND NOT l.granted",
                    [blocking_table],
                )
                stuck = cursor.fetchone()
                if stuck:
                    break
                time.sleep(0.1)
            assert stuck, f"{task} never reached {blocking_table}: {worker.output()}"
            pid, has_written = stuck
            assert has_written, f"{task} waits on {blocking_table} before writing anything: not the middle"
            worker.kill()
            blocker.rollback()  # the lock goes; the dead worker's transaction must not survive it
            cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
            for _ in range(100):
                cursor.execute("SELECT count(*) FROM pg_locks WHERE pid = %s", [pid])
                if cursor.fetchone()[0] == 0:
                    break
                time.sleep(0.1)
        watcher.close()
    finally:
        blocker.close()
        worker.close()


def _rows(queryset) -> list[tuple]:
    """Rows in a stable order, nulls included (None sorts before any value)."""
    return sorted(queryset, key=lambda row: [(value is not None, value) for value in row])


def _undisturbed(run, snapshot):
    """What an undisturbed run leaves (computed in a transaction that is then rolled back)."""
    with transaction.atomic():
        run()
        result = snapshot()
        transaction.set_rollback(True)
    return result


def test_a_worker_killed_midway_leaves_nothing_half_done_and_a_rerun_gives_the_undisturbed_result(kpi_catalogue):
    _redis_or_skip(settings.TEST_REDIS_URL)
    from demo.governance import load_demo
    from incentives import services as incentives
    from incentives.choices import Verdict
    from incentives.models import ConditionResult, Evaluation
    from kpi import services as kpi
    from kpi.choices import PeriodKind, Scope
    from kpi.models import Alert, KpiValue
    from roadmap import services as roadmap
    from roadmap.models import GateEvaluation, GateResult

    cluster = load_demo().cluster
    assert not connection.in_atomic_block  # committed: the worker reads it

    # 1. An aggregation: a month's stored values gone (as after a change), computed again.
    month = (
        KpiValue.objects.filter(cluster=cluster, period_kind=PeriodKind.MONTH, scope=Scope.CLUSTER)
        .order_by("-period")
        .values_list("period", flat=True)[3]
    )

    def values():
        return _rows(
            KpiValue.objects.filter(cluster=cluster, period=month).values_list(
                "kpi__code", "scope", "link", "value", "numerator", "denominator", "status", "reporting_enterprises",
                "p25", "median", "p75", "disclosure",
            )
        )  # fmt: skip

    KpiValue.objects.filter(cluster=cluster, period=month).delete()
    before = values()
    expected = _undisturbed(lambda: kpi.kpi_values_compute_many(clusters=[cluster], spans=[month]), values)
    assert before == [] and expected
    _kill_midway("kpi.tasks.kpi_values_compute_periods_task", (cluster.pk, [month]), Alert._meta.db_table)
    assert values() == before, "a killed aggregation left rows behind"
    kpi.kpi_values_compute_many(clusters=[cluster], spans=[month])
    assert values() == expected

    # 2. An incentives evaluation: a quarter's verdicts lost, evaluated again.
    quarter = Evaluation.objects.filter(cluster=cluster).order_by("-quarter").values_list("quarter", flat=True)[0]

    def evaluations():
        rows = Evaluation.objects.filter(cluster=cluster, quarter=quarter)
        results = ConditionResult.objects.filter(evaluation__in=rows)
        return (
            _rows(rows.values_list("enterprise__taxpayer_id", "package__tier", "rule__number", "verdict")),
            _rows(
                results.values_list(
                    "evaluation__enterprise__taxpayer_id", "condition__position", "measured", "months_counted",
                    "verdict",
                )
            ),
        )  # fmt: skip

    # Awards and reviews rest on the evaluations, so they stay; their verdicts and condition results are lost.
    ConditionResult.objects.filter(evaluation__cluster=cluster, evaluation__quarter=quarter).delete()
    Evaluation.objects.filter(cluster=cluster, quarter=quarter).update(verdict=Verdict.INSUFFICIENT)
    before = evaluations()
    expected = _undisturbed(lambda: incentives.evaluate_quarter(cluster=cluster, quarter=quarter), evaluations)
    assert expected[1] and expected != before
    _kill_midway("incentives.tasks.incentives_evaluate_task", (cluster.pk, quarter), ConditionResult._meta.db_table)
    assert evaluations() == before, "a killed evaluation left rows behind"
    incentives.evaluate_quarter(cluster=cluster, quarter=quarter)
    assert evaluations() == expected

    # 3. A gate evaluation: a month's reading of the gate gone, read again.
    latest = GateEvaluation.objects.filter(cluster=cluster).order_by("-month").select_related("phase").first()
    phase, gate_month = latest.phase, latest.month

    def gate():
        rows = GateEvaluation.objects.filter(phase=phase, month=gate_month)
        return (
            _rows(rows.values_list("readiness", "must_met", "ready")),
            _rows(
                GateResult.objects.filter(evaluation__in=rows).values_list(
                    "criterion__position", "measured", "threshold", "coverage", "result"
                )
            ),
        )

    GateEvaluation.objects.filter(phase=phase, month=gate_month).delete()
    before = gate()
    expected = _undisturbed(lambda: roadmap.gate_evaluate(phase=phase, month=gate_month), gate)
    assert expected[1]
    task = "roadmap.tasks.roadmap_gate_evaluate_task"
    _kill_midway(task, (phase.pk, gate_month.isoformat()), GateResult._meta.db_table)
    assert gate() == before, "a killed gate evaluation left rows behind"
    roadmap.gate_evaluate(phase=phase, month=gate_month)
    assert gate() == expected


def test_a_task_that_keeps_failing_stops_and_shows_to_the_office():
    """A worker runs a task whose cluster does not answer the way it should (here: its recheck service is broken
    by a setting the worker reads): the task retries 3 times with growing pauses, then stops; the office finds it
    with its error among the failed tasks, and is told."""
    _redis_or_skip(settings.TEST_REDIS_URL)
    from governance.choices import NotificationKind, Role
    from governance.models import FailedTask, Notification
    from tests.governance.factories import ClusterFactory, user_with_role

    cluster = ClusterFactory()
    office = user_with_role(cluster, Role.OFFICE)
    worker = Worker()
    try:
        # A phase id that does not exist: the task's first query raises DoesNotExist, an error no retry can fix.
        result = worker.send("roadmap.tasks.roadmap_gate_evaluate_task", 999_999_999, "2026-01-01")
        with pytest.raises(Exception, match="does not exist"):
            result.get(timeout=90)
        for _ in range(100):
            if FailedTask.objects.exists():
                break
            time.sleep(0.1)
    finally:
        worker.close()
    failed = FailedTask.objects.get()
    assert failed.task == "roadmap.tasks.roadmap_gate_evaluate_task" and "DoesNotExist" in failed.error
    assert failed.cluster is None  # a task of no cluster: the administrators', not an office's
    assert not Notification.objects.filter(kind=NotificationKind.TASK_FAILED, recipient=office).exists()
