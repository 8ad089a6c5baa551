import datetime

import factory

from kpi import models
from tests.governance.factories import ClusterFactory, EnterpriseFactory  # noqa: F401 (re-exported)


class ReportingPeriodFactory(factory.django.DjangoModelFactory):
    """A month of a cluster; deadline the 10th of the next month, lock 15 days later (the defaults)."""

    class Meta:
        model = models.ReportingPeriod
        django_get_or_create = ("cluster", "month")

    cluster = factory.SubFactory(ClusterFactory)
    month = datetime.date(2026, 9, 1)
    deadline = factory.LazyAttribute(lambda p: models.add_months(p.month, 1).replace(day=10))
    lock_date = factory.LazyAttribute(lambda p: p.deadline + datetime.timedelta(days=15))


class SubmissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Submission

    enterprise = factory.SubFactory(EnterpriseFactory)
    period = factory.SubFactory(ReportingPeriodFactory, cluster=factory.SelfAttribute("..enterprise.cluster"))
    cluster = factory.SelfAttribute("enterprise.cluster")


def element(code: str) -> models.DataElement:
    return models.DataElement.objects.get(code=code)


class DataValueFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.DataValue

    enterprise = factory.SubFactory(EnterpriseFactory)
    period = factory.SubFactory(ReportingPeriodFactory, cluster=factory.SelfAttribute("..enterprise.cluster"))
    cluster = factory.SelfAttribute("enterprise.cluster")
    data_element = factory.LazyFunction(lambda: element("total_output"))
    value = 100
