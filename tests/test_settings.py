"""Start-up settings: malformed values stop start-up naming the variable; SQLite copes with two writers."""

import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_manage(*args, env_overrides, timeout=120):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DEBUG", "REDIS_URL"}}
    env.update({"DJANGO_SETTINGS_MODULE": "cluster_platform.settings.local", **env_overrides})
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DEBUG", "maybe"),
        ("DATABASE_URL", "mysqlish://nowhere"),
        ("REDIS_URL", "http://127.0.0.1:6379"),
        ("EMAIL_PORT", "twenty-five"),
        ("SQLITE_BUSY_TIMEOUT", "0"),
    ],
)
def test_malformed_setting_stops_start_up_naming_the_variable(variable, value):
    result = run_manage("check", env_overrides={variable: value})
    assert result.returncode != 0
    assert variable in result.stderr
    assert "Traceback" not in result.stderr


def test_well_formed_settings_start():
    result = run_manage("check", env_overrides={"DEBUG": "off", "DATABASE_URL": "sqlite:////tmp/cp-check.sqlite3"})
    assert result.returncode == 0, result.stderr


def test_production_settings_refuse_the_development_secret():
    result = run_manage(
        "check",
        env_overrides={
            "DJANGO_SETTINGS_MODULE": "cluster_platform.settings.production",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/test",
        },
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


PREAMBLE = textwrap.dedent(
    """
    import os, sys
    import django
    os.environ["DJANGO_SETTINGS_MODULE"] = "cluster_platform.settings.local"
    django.setup()
    from django.db import connection, transaction
    """
)
SETUP = PREAMBLE + textwrap.dedent(
    """
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE counter (writer TEXT, n INT)")
        cursor.execute("PRAGMA journal_mode")
        print(cursor.fetchone()[0])
    """
)
WRITER = PREAMBLE + textwrap.dedent(
    """
    for i in range(int(sys.argv[2])):
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT COUNT(*) FROM counter")
                n = cursor.fetchone()[0]
                cursor.execute("INSERT INTO counter (writer, n) VALUES (%s, %s)", [sys.argv[1], n])
    print("ok")
    """
)


def test_embedded_sqlite_takes_two_concurrent_writers_without_locking_errors(tmp_path):
    """The server and a worker writing at once: WAL + IMMEDIATE transactions + busy timeout."""
    db = tmp_path / "embedded.sqlite3"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update({"DATABASE_URL": f"sqlite:///{db}", "PYTHONPATH": str(ROOT)})
    made = subprocess.run([sys.executable, "-c", SETUP], env=env, capture_output=True, text=True)
    assert made.returncode == 0, made.stderr
    assert made.stdout.strip() == "wal"
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, name, "300"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in ("server", "worker")
    ]
    outcomes = [w.communicate(timeout=120) for w in writers]
    for writer, (out, err) in zip(writers, outcomes, strict=True):
        assert writer.returncode == 0, err
        assert "database is locked" not in err
        assert out.strip() == "ok"
    import sqlite3

    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM counter").fetchone()[0] == 600
        # Each read-then-insert ran under the write lock, so no two rows saw the same count.
        assert conn.execute("SELECT COUNT(DISTINCT n) FROM counter").fetchone()[0] == 600


def test_the_suite_pointed_at_an_unreachable_postgresql_says_so_in_one_line_and_stops():
    """DATABASE_URL names a server that does not answer: one line naming what is needed, not a traceback per test
    (a private server would hide the mistake)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "CP_"))}
    env.update(
        {
            "DATABASE_URL": "postgres://postgres@127.0.0.1:9/test",
            "DJANGO_SETTINGS_MODULE": "cluster_platform.settings.test",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests/test_layers.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 3, output
    assert "PostgreSQL is not reachable at 127.0.0.1:9" in output and "make test-sqlite" in output
    assert "Traceback" not in output and output.count("\n") < 10


def test_the_suite_without_a_local_postgresql_starts_a_private_one_for_the_run():
    """`make test` where nothing answers on 127.0.0.1:5432 and DATABASE_URL is not set: a private PostgreSQL from
    the pgserver wheel serves the run (its workers included) and is gone afterwards. CP_TEST_POSTGRES=private takes
    that road here, where the local server does answer."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DATABASE_URL", "CP_"))}
    env.update({"CP_TEST_POSTGRES": "private", "DJANGO_SETTINGS_MODULE": "cluster_platform.settings.test"})
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "-n", "2", "tests/private_postgres_probe.py"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "1 passed" in output and "Testing on a private PostgreSQL started for this run in" in output
    directory = output.split("started for this run in ", 1)[1].split(":", 1)[0]
    assert directory.startswith(tempfile.gettempdir()) and not os.path.exists(directory)
    assert "Traceback" not in output and "initdb" not in output
