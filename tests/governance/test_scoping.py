import datetime

import pytest
from django.contrib.auth.models import AnonymousUser

from governance.choices import BodyKind, Role
from governance.models import ActionItem, Cluster, Enterprise, Meeting
from governance.scoping import CHANGE, VIEW, may_create_in, restrict
from tests.governance.factories import (
    BodyFactory,
    EnterpriseFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
    user_with_role,
)

pytestmark = pytest.mark.django_db


def test_members_see_only_their_clusters(cluster, other_cluster):
    office = user_with_role(cluster, Role.OFFICE)
    assert list(restrict(Cluster.objects.all(), office)) == [cluster]
    MeetingFactory(body=BodyFactory(cluster=cluster))
    MeetingFactory(body=BodyFactory(cluster=other_cluster))
    assert {m.body.cluster_id for m in restrict(Meeting.objects.all(), office)} == {cluster.pk}


def test_superuser_sees_every_cluster(cluster, other_cluster):
    admin = UserFactory(is_superuser=True, is_staff=True)
    assert set(restrict(Cluster.objects.all(), admin, CHANGE)) == {cluster, other_cluster}


def test_anonymous_and_roleless_users_see_nothing(cluster):
    assert not restrict(Cluster.objects.all(), AnonymousUser()).exists()
    assert not restrict(Cluster.objects.all(), UserFactory()).exists()


def test_withdrawn_role_gives_no_access(cluster):
    user = user_with_role(cluster, Role.OFFICE)
    user.cluster_roles.update(is_active=False)
    user = type(user).objects.get(pk=user.pk)
    assert not restrict(Cluster.objects.all(), user).exists()


def test_only_office_staff_change_a_clusters_records(cluster):
    office = user_with_role(cluster, Role.OFFICE)
    council = user_with_role(cluster, Role.COUNCIL)
    EnterpriseFactory(cluster=cluster)
    assert restrict(Enterprise.objects.all(), office, CHANGE).count() == 1
    assert restrict(Enterprise.objects.all(), council, CHANGE).count() == 0
    assert restrict(Enterprise.objects.all(), council, VIEW).count() == 1
    assert may_create_in(office, Enterprise, cluster.pk) and not may_create_in(council, Enterprise, cluster.pk)


def test_enterprise_representative_changes_only_their_own_enterprise(cluster):
    own, other = EnterpriseFactory(cluster=cluster), EnterpriseFactory(cluster=cluster)
    rep = user_with_role(cluster, Role.ENTERPRISE, enterprises=[own])
    assert list(restrict(Enterprise.objects.all(), rep, CHANGE)) == [own]
    assert set(restrict(Enterprise.objects.all(), rep, VIEW)) == {own, other}


def test_enterprise_role_in_one_cluster_gives_nothing_in_another(cluster, other_cluster):
    own = EnterpriseFactory(cluster=cluster)
    foreign = EnterpriseFactory(cluster=other_cluster)
    rep = user_with_role(cluster, Role.ENTERPRISE, enterprises=[own])
    assert foreign not in restrict(Enterprise.objects.all(), rep, VIEW)
    assert foreign not in restrict(Enterprise.objects.all(), rep, CHANGE)


def test_owners_change_their_action_items(cluster):
    group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="quality")
    member = user_with_role(cluster, Role.WORKING_GROUP)
    MembershipFactory(body=group, person=member)
    owner = user_with_role(cluster, Role.COUNCIL)
    mine = ActionItem.objects.create(
        cluster=cluster, body=group, owner_person=owner, title="a", deadline=datetime.date(2025, 5, 1)
    )
    groups = ActionItem.objects.create(
        cluster=cluster, body=group, owner_group=group, title="b", deadline=datetime.date(2025, 5, 1)
    )
    assert list(restrict(ActionItem.objects.all(), owner, CHANGE)) == [mine]
    assert list(restrict(ActionItem.objects.all(), member, CHANGE)) == [groups]


def test_owner_rule_does_not_repeat_rows(cluster):
    group = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="quality")
    for _ in range(3):
        MembershipFactory(body=group)
    office = user_with_role(cluster, Role.OFFICE)
    ActionItem.objects.create(
        cluster=cluster, body=group, owner_group=group, title="b", deadline=datetime.date(2025, 5, 1)
    )
    assert restrict(ActionItem.objects.all(), office, VIEW).count() == 1
    assert restrict(ActionItem.objects.all(), office, CHANGE).count() == 1


def test_an_enterprise_grant_in_one_cluster_never_reaches_another_clusters_enterprise(cluster, other_cluster):
    own, foreign = EnterpriseFactory(cluster=cluster), EnterpriseFactory(cluster=other_cluster)
    user = user_with_role(cluster, Role.ENTERPRISE, enterprises=[own])
    from governance.models import ClusterRole

    ClusterRole.objects.create(user=user, cluster=other_cluster, role=Role.COUNCIL)
    ClusterRole.objects.get(user=user, cluster=cluster).enterprises.add(foreign)  # an administrator's slip
    user = type(user).objects.get(pk=user.pk)
    assert list(restrict(Enterprise.objects.all(), user, CHANGE)) == [own]


def test_the_role_helpers_answer_the_one_question_everywhere(cluster, other_cluster):
    from governance.scoping import has_role, is_office, represented
    from tests.governance.factories import ClusterRoleFactory, EnterpriseFactory, UserFactory

    farm = EnterpriseFactory(cluster=cluster)
    office = ClusterRoleFactory(cluster=cluster, role="office").user
    council = ClusterRoleFactory(cluster=cluster, role="council").user
    farmer = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[farm]).user
    admin = UserFactory(is_superuser=True)
    assert is_office(office, cluster) and is_office(office, cluster.pk)
    assert not is_office(office, other_cluster) and not is_office(council, cluster) and not is_office(None, cluster)
    assert is_office(admin, other_cluster)  # a platform administrator holds every role
    assert has_role(council, cluster, "office", "council") and not has_role(council, cluster, "office")
    assert represented(farmer, cluster) == {farm.pk} and represented(farmer, other_cluster) == frozenset()
    assert represented(office, cluster) == frozenset()
