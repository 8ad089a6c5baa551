"""Run by tests/test_settings.py in a pytest of its own with CP_TEST_POSTGRES=private (its name keeps it out of the
suite's collection): the run's database is the private server that tests/conftest.py started, not the local one."""

import os

import pytest
from django.db import connection


@pytest.mark.django_db
def test_the_run_uses_the_private_server():
    socket_directory = connection.settings_dict["OPTIONS"]["host"]
    assert os.path.basename(socket_directory).startswith("cp-test-postgres-")
    assert os.path.exists(os.path.join(socket_directory, "PG_VERSION"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('data_directory'), current_database()")
        data_directory, name = cursor.fetchone()
    assert os.path.realpath(data_directory) == os.path.realpath(socket_directory)
    assert name.startswith("test_postgres_") and os.environ["CP_TEST_RUN"] in name
