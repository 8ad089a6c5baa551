import datetime
from decimal import Decimal

import factory

from portfolio import models
from tests.governance.factories import BodyFactory, ClusterFactory


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Project

    cluster = factory.SubFactory(ClusterFactory)
    title = factory.Sequence(lambda n: f"Joint project {n}")
    category = "supply_chain"
    lead_group = factory.LazyAttribute(lambda p: BodyFactory(cluster=p.cluster, area="logistics"))
    budget = Decimal("400000")
    expected_effect = Decimal("200000")
    months_to_first_result = 4
    risk = "medium"


class MilestoneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Milestone

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Milestone {n}")
    due_on = datetime.date(2030, 1, 1)
    progress = 0
