import datetime

import pytest
from django.utils import timezone

from kpi.models import add_months
from tests.governance.factories import ClusterRoleFactory, EnterpriseFactory
from tests.kpi.factories import ReportingPeriodFactory


@pytest.fixture
def open_month():
    """Last month: open for reporting today (its deadline is the 10th of this month or later)."""
    return add_months(timezone.localdate().replace(day=1), -1)


@pytest.fixture
def period(cluster, open_month):
    deadline = timezone.localdate() + datetime.timedelta(days=5)
    return ReportingPeriodFactory(
        cluster=cluster, month=open_month, deadline=deadline, lock_date=deadline + datetime.timedelta(days=15)
    )


@pytest.fixture
def enterprise(cluster):
    return EnterpriseFactory(cluster=cluster, name="Buxoro Ip Yigiruv MChJ", taxpayer_id="301000001")


@pytest.fixture
def neighbour(cluster):
    return EnterpriseFactory(cluster=cluster, name="Qorako'l Paxta Tozalash AJ", taxpayer_id="301000002")


@pytest.fixture
def office_user(cluster):
    return ClusterRoleFactory(cluster=cluster, role="office").user


@pytest.fixture
def representative(cluster, enterprise):
    return ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[enterprise]).user
