import pytest

from tests.governance.factories import ClusterFactory


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
