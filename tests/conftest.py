import pytest

from tests.governance.factories import ClusterFactory


@pytest.fixture
def cluster(db):
    return ClusterFactory(name="Bukhara Cotton-Textile Cluster")


@pytest.fixture
def other_cluster(db):
    return ClusterFactory(name="Fergana Textile Cluster", region="Fergana")


@pytest.fixture(autouse=True)
def _english_after_each_test():
    """A request in another language leaves that language active in the thread; the next test starts in English."""
    yield
    from django.utils import translation

    translation.activate("en")
