import datetime
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings
from django.db import connection
from django.utils import timezone

from governance.choices import BodyKind, MeetingStatus
from governance.models import ActionItem, AgendaItem
from governance.tasks import agenda_follow_ups_task
from tests.governance.factories import BodyFactory, MeetingFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]


def _follow_up_setup(cluster):
    group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="logistics")
    today = timezone.localdate()
    meeting = MeetingFactory(body=group, date=today + datetime.timedelta(days=7), status=MeetingStatus.PLANNED)
    item = ActionItem.objects.create(
        cluster=cluster, body=group, owner_person=UserFactory(), title="Cut lead time", deadline=today
    )
    return meeting, item


def test_agenda_task_runs_in_process_without_broker(cluster):
    meeting, item = _follow_up_setup(cluster)
    assert agenda_follow_ups_task.delay().get() == 1
    assert AgendaItem.objects.filter(meeting=meeting, action_item=item).exists()


def worker_database_url() -> str:
    """The test database, as a worker in another process reaches it (the run's private server: its socket)."""
    db = connection.settings_dict
    if db.get("OPTIONS", {}).get("host"):
        return f"postgres://{db['USER']}@/{db['NAME']}?host={db['OPTIONS']['host']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _redis_or_skip(url):
    try:
        redis.Redis.from_url(url).ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis is not reachable at {url}")


@pytest.mark.worker
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="the worker runs in another process and reaches the test database over the network: on SQLite it is "
    "in memory, in this process only",
)
# serialized_rollback like every transactional test: a flush without it re-creates the content types under new ids,
# and the next test that restores the serialized database (on the same xdist worker) then collides with them.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_real_worker_round_trips_a_task_through_redis(cluster):
    """A real Celery worker, started against Redis and the test database, runs a task and answers."""
    url = settings.TEST_REDIS_URL
    _redis_or_skip(url)
    meeting, item = _follow_up_setup(cluster)
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cluster_platform.settings.local",
        "DEBUG": "false",
        "REDIS_URL": url,
        "DATABASE_URL": worker_database_url(),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cluster_platform",
            "worker",
            "-Q",
            queue,
            "-c",
            "1",
            "--pool",
            "solo",
            "--without-gossip",
            "--without-mingle",
            "--loglevel",
            "WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    client = Celery(broker=url, backend=url)
    try:
        result = client.send_task("governance.tasks.agenda_follow_ups_task", queue=queue)
        assert result.get(timeout=90) == 1
        assert AgendaItem.objects.filter(meeting=meeting, action_item=item).exists()
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
        client.close()


def test_scheduled_jobs_have_commands_and_expire(cluster):
    from io import StringIO

    from django.core.management import call_command

    from cluster_platform.celery import app

    meeting, item = _follow_up_setup(cluster)
    out = StringIO()
    call_command("agenda_follow_ups", stdout=out)
    assert "1" in out.getvalue()
    assert AgendaItem.objects.filter(meeting=meeting, action_item=item).exists()
    call_command("remind_action_items", stdout=out)
    call_command("sync_seat_roles", stdout=out)
    schedule = app.conf.beat_schedule
    assert {entry["task"] for entry in schedule.values()} >= {
        "governance.tasks.agenda_follow_ups_task",
        "governance.tasks.action_item_reminders_task",
        "governance.tasks.seat_roles_sync_task",
    }
    app.loader.import_default_modules()
    assert {entry["task"] for entry in schedule.values()} <= set(app.tasks)  # every entry names a real task
    assert all(entry["options"]["expires"] > 0 for entry in schedule.values())
