import os
import uuid

import pytest

from tests.governance.factories import ClusterFactory


def pytest_configure(config):
    """Before any worker starts: the run's id (its test databases carry it, so two runs on one server do not
    collide), and PostgreSQL reachable, or one line that says what is needed (not a traceback per test)."""
    if hasattr(config, "workerinput"):
        return
    os.environ.setdefault("CP_TEST_RUN", uuid.uuid4().hex[:6])
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    import psycopg2

    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    try:
        psycopg2.connect(
            dbname="postgres", user=database.get("USER"), password=database.get("PASSWORD"), host=host, port=port,
            connect_timeout=5,
        ).close()  # fmt: skip
    except psycopg2.OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
        pytest.exit(
            f"PostgreSQL is not reachable at {host}:{port} ({reason}). Start it (see README, 'Tests'), point "
            "DATABASE_URL at one, or run `make test-sqlite`.",
            returncode=3,
        )


@pytest.fixture(scope="session")
def django_db_modify_db_settings_tox_suffix() -> None:
    """pytest-django's, extended: the run's id goes into every test database's name (test_test_1a2b3c_gw0)."""
    from pytest_django.fixtures import _set_suffix_to_test_databases

    suffix = "_".join(filter(None, [os.getenv("TOX_PARALLEL_ENV"), os.environ.get("CP_TEST_RUN", "solo")]))
    _set_suffix_to_test_databases(suffix=suffix)


@pytest.fixture
def cluster(db):
    return ClusterFactory(name="Bukhara Cotton-Textile Cluster")


@pytest.fixture
def other_cluster(db):
    return ClusterFactory(name="Fergana Textile Cluster", region="Fergana")


@pytest.fixture(autouse=True)
def _empty_cache():
    """The log-in rate limits count in the cache: each test starts with none counted."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in another language leaves that language active in the thread; the next test starts in English."""
    yield
    from django.utils import translation

    translation.activate("en")


@pytest.fixture
def kpi_catalogue(db):
    """The KPI catalogue, written by a data migration, as every real installation has it.

    The flush after a transactional test empties every table. serialized_rollback should bring the catalogue
    back, but when other tests ran first in the same process a transactional test was seen without the
    serialized contents: write it again wherever it is missing, so no test depends on the order tests ran in.
    """
    from kpi.catalogue import kpi_catalogue_sync
    from kpi.models import DataElement, Kpi

    if not Kpi.objects.exists():
        kpi_catalogue_sync(DataElement, Kpi)
