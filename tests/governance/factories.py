import datetime

import factory
from django.contrib.auth import get_user_model

from governance import models
from governance.choices import BodyKind, EnterpriseKind, MeetingStatus, Role, ValueChainLink


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.org")
    password = factory.django.Password("pass-1234-word")


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Cluster

    name = factory.Sequence(lambda n: f"Cluster {n}")
    sector = "Cotton and textile"
    region = "Bukhara"
    start_date = datetime.date(2025, 1, 1)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        """Through the service, as the admin creates one: a new cluster has what the apps give every cluster."""
        from governance.services import cluster_save

        return cluster_save(cluster=model_class(*args, **kwargs))


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Enterprise

    cluster = factory.SubFactory(ClusterFactory)
    name = factory.Sequence(lambda n: f"Enterprise {n} LLC")
    taxpayer_id = factory.Sequence(lambda n: f"{300000000 + n:09d}")
    kind = EnterpriseKind.SUPPLIER
    value_chain_link = ValueChainLink.SUPPLY
    joined_on = datetime.date(2025, 1, 15)


class ClusterRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ClusterRole
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    cluster = factory.SubFactory(ClusterFactory)
    role = Role.OFFICE

    @factory.post_generation
    def enterprises(self, create, extracted, **kwargs):
        if create and extracted:
            self.enterprises.add(*extracted)


class BodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Body

    cluster = factory.SubFactory(ClusterFactory)
    kind = BodyKind.WORKING_GROUP
    name = factory.Sequence(lambda n: f"Working group {n}")
    area = factory.LazyAttribute(lambda b: "quality" if b.kind == BodyKind.WORKING_GROUP else "")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Membership

    body = factory.SubFactory(BodyFactory)
    person = factory.SubFactory(UserFactory)
    start_date = datetime.date(2025, 1, 1)


class MeetingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Meeting

    body = factory.SubFactory(BodyFactory)
    title = factory.Sequence(lambda n: f"Meeting {n}")
    date = datetime.date(2025, 3, 10)
    status = MeetingStatus.HELD


def user_with_role(cluster, role, *, enterprises=(), **user_fields):
    user = UserFactory(**user_fields)
    ClusterRoleFactory(user=user, cluster=cluster, role=role, enterprises=list(enterprises))
    return user


def body_with_members(cluster, kind=BodyKind.COUNCIL, *, members=5, **fields):
    area = fields.pop("area", "quality" if kind == BodyKind.WORKING_GROUP else "")
    body = BodyFactory(cluster=cluster, kind=kind, area=area, **fields)
    people = [MembershipFactory(body=body).person for _ in range(members)]
    return body, people


def meeting_with_attendance(body, people, *, present, **fields):
    from governance.models import Attendance

    meeting = MeetingFactory(body=body, **fields)
    for i, person in enumerate(people):
        Attendance.objects.create(meeting=meeting, person=person, present=i < present)
    return meeting


class DecisionFactory(factory.django.DjangoModelFactory):
    """A decision recorded directly (no quorum check): set up the meeting's attendance where it matters."""

    class Meta:
        model = models.Decision

    meeting = factory.SubFactory(MeetingFactory)
    title = factory.Sequence(lambda n: f"Decision {n}")
    outcome = "adopted"


class RegulationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.Regulation

    cluster = factory.SubFactory(ClusterFactory)
    kind = "data_collection"
    title = factory.Sequence(lambda n: f"Regulation {n}")


class ActionItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = models.ActionItem

    body = factory.SubFactory(BodyFactory)
    cluster = factory.SelfAttribute("body.cluster")
    owner_person = factory.SubFactory(UserFactory)
    title = factory.Sequence(lambda n: f"Action item {n}")
    deadline = datetime.date(2025, 6, 30)
