import pytest

from tests.governance.factories import ClusterFactory


@pytest.fixture
def cluster(db):
    return ClusterFactory(name="Bukhara Cotton-Textile Cluster")


@pytest.fixture
def other_cluster(db):
    return ClusterFactory(name="Fergana Textile Cluster", region="Fergana")
