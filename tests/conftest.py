import os
import uuid

import pytest

from tests.governance.factories import ClusterFactory


def pytest_configure(config):
    """Before any worker starts: the run's id (its test databases carry it, so two runs on one server do not
    collide), and a PostgreSQL to test on.

    Where DATABASE_URL was not set and the local server does not answer, a private PostgreSQL is started for
    the run from the `pgserver` wheel (a dev dependency that carries the server) and stopped at the end; the
    workers find it through DATABASE_URL. Where DATABASE_URL names a server that does not answer, one line says
    what is needed (not a traceback per test). CP_TEST_POSTGRES=private starts the private server anyway.
    """
    if hasattr(config, "workerinput"):
        return
    os.environ.setdefault("CP_TEST_RUN", uuid.uuid4().hex[:6])
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        return
    host, port = database.get("HOST") or "127.0.0.1", database.get("PORT") or 5432
    reason = None if os.environ.get("CP_TEST_POSTGRES") == "private" else _postgres_unreachable(database, host, port)
    if reason is None and os.environ.get("CP_TEST_POSTGRES") != "private":
        return
    if os.environ.get("CP_DATABASE_URL_GIVEN") == "1":
        pytest.exit(
            f"PostgreSQL is not reachable at {host}:{port} ({reason}). Start it (see README, 'Tests'), point "
            "DATABASE_URL at one, or run `make test-sqlite`.",
            returncode=3,
        )
    _start_private_postgres(config, database, reason)


def _postgres_unreachable(database: dict, host, port) -> str | None:
    """None when the server answers, else the first line of why not."""
    import psycopg2

    try:
        psycopg2.connect(
            dbname="postgres", user=database.get("USER"), password=database.get("PASSWORD"), host=host, port=port,
            connect_timeout=5, **database.get("OPTIONS", {}),
        ).close()  # fmt: skip
    except psycopg2.OperationalError as error:
        return str(error).strip().splitlines()[0] if str(error).strip() else "no answer"
    return None


def _start_private_postgres(config, database: dict, reason: str | None) -> None:
    import logging
    import warnings

    logging.getLogger("pgserver").setLevel(logging.WARNING)  # it logs every initdb and pg_ctl line at INFO
    try:
        with warnings.catch_warnings():  # platformdirs warns that XDG_RUNTIME_DIR is unset, as it is in CI
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        pytest.exit(
            f"PostgreSQL is not reachable ({reason}) and pgserver, which would start a private one, is not "
            "installed: run `make install`, start PostgreSQL, or run `make test-sqlite`.",
            returncode=3,
        )
    import tempfile

    directory = tempfile.mkdtemp(prefix="cp-test-postgres-")
    try:
        server = pgserver.get_server(directory, cleanup_mode="delete")
    except Exception as error:  # the wheel's server could not start here: say so once
        pytest.exit(f"Could not start a private PostgreSQL for the run ({error}); run `make test-sqlite`.", 3)
    config.add_cleanup(server.cleanup)
    url = f"postgres://postgres@/postgres?host={directory}"
    os.environ["DATABASE_URL"] = url  # the workers read their settings from it
    database.update(NAME="postgres", USER="postgres", PASSWORD="", HOST="", PORT="", OPTIONS={"host": directory})
    why = f"the local PostgreSQL did not answer ({reason})" if reason else "CP_TEST_POSTGRES=private"
    print(f"Testing on a private PostgreSQL started for this run in {directory}: {why}.")


@pytest.fixture(scope="session")
def django_db_modify_db_settings_tox_suffix() -> None:
    """pytest-django's, extended: the run's id goes into every test database's name (test_test_1a2b3c_gw0)."""
    from pytest_django.fixtures import _set_suffix_to_test_databases

    suffix = "_".join(filter(None, [os.getenv("TOX_PARALLEL_ENV"), os.environ.get("CP_TEST_RUN", "solo")]))
    _set_suffix_to_test_databases(suffix=suffix)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's, then, before it drops the test database: end the sessions that something the tests started
    (a Celery worker, a server) still holds on it, naming them in a warning. PostgreSQL does not drop a database in
    use, and pytest-django would only warn and leave it on the server."""
    yield
    import warnings

    from django.db import connection

    if connection.vendor != "postgresql":
        return
    from django.db import DatabaseError

    try:
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            # Clients only (not autovacuum); a role without the right to end them gets a warning, not an error.
            cursor.execute(
                "SELECT application_name, backend_start, state, left(query, 80), pg_terminate_backend(pid) "
                "FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND backend_type = 'client backend'"
            )
            ended = cursor.fetchall()
    except DatabaseError as error:
        warnings.warn(f"could not end the sessions still open on the test database: {error}", stacklevel=1)
        return
    if ended:
        warnings.warn(f"sessions still open on the test database at the end, ended: {ended}", stacklevel=1)


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
