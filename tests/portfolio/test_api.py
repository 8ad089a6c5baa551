"""The portfolio API: projects with progress and score, transitions, contracts, services and requests, scoped."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from governance.choices import BodyKind, Role
from governance.models import Body
from portfolio.models import CooperationContract, Service
from tests.governance.factories import (
    BodyFactory,
    DecisionFactory,
    EnterpriseFactory,
    MeetingFactory,
    user_with_role,
)
from tests.governance.test_api import API, token_client
from tests.portfolio.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def council_decision(cluster):
    council = Body.objects.filter(cluster=cluster, kind=BodyKind.COUNCIL).first() or BodyFactory(
        cluster=cluster, kind=BodyKind.COUNCIL, area=""
    )
    return DecisionFactory(meeting=MeetingFactory(body=council), kind="strategic", outcome="adopted")


def test_the_office_proposes_a_project_and_the_list_shows_progress_and_score(cluster):
    office = token_client(user_with_role(cluster, Role.OFFICE))
    group = BodyFactory(cluster=cluster, area="logistics")
    firm = EnterpriseFactory(cluster=cluster)
    body = {
        "cluster": cluster.pk,
        "title": "Joint cotton logistics hub",
        "category": "supply_chain",
        "lead_group": group.pk,
        "enterprises": [firm.pk],
        "budget": "400000",
        "expected_effect": "800000",
        "months_to_first_result": 3,
        "risk": "low",
        "phase": 1,
    }
    created = office.post(f"{API}/projects/", body, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "proposed"
    assert created.json()["score"] == {
        "total": "96.3",
        "effect": "50.0",
        "speed": "26.3",
        "risk": "20.0",
        "quick_win": True,
    }
    council = token_client(user_with_role(cluster, Role.COUNCIL))
    assert council.post(f"{API}/projects/", body, format="json").status_code == 403
    bad = office.post(f"{API}/projects/", {**body, "budget": "-1"}, format="json")
    assert bad.status_code == 400 and "budget" in bad.json()


def test_a_transition_takes_a_council_decision_and_only_allowed_moves(cluster):
    project = ProjectFactory(cluster=cluster)
    office = token_client(user_with_role(cluster, Role.OFFICE))
    url = f"{API}/projects/{project.pk}/transition/"
    assert office.post(url, {"to": "active"}, format="json").status_code == 400
    missing = office.post(url, {"to": "selected"}, format="json")
    assert missing.status_code == 400 and "selection_decision" in missing.json()
    decision = council_decision(cluster)
    moved = office.post(url, {"to": "selected", "decision": decision.pk}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "selected"
    assert moved.json()["selection_decision"] == decision.pk


def test_another_clusters_portfolio_does_not_exist_for_a_user(cluster, other_cluster):
    project = ProjectFactory(cluster=cluster)
    outsider = token_client(user_with_role(other_cluster, Role.OFFICE))
    assert outsider.get(f"{API}/projects/").json()["count"] == 0
    assert outsider.get(f"{API}/projects/{project.pk}/").status_code == 404
    assert outsider.post(f"{API}/projects/{project.pk}/transition/", {"to": "cancelled"}).status_code == 404
    farm, gin = EnterpriseFactory.create_batch(2, cluster=cluster)
    contract = CooperationContract.objects.create(
        cluster=cluster, supplier=farm, buyer=gin, subject="x", annual_value=1, start_date=datetime.date(2025, 1, 1)
    )
    assert outsider.get(f"{API}/cooperation-contracts/{contract.pk}/").status_code == 404


def test_the_project_list_costs_the_same_queries_for_3_and_30_projects(cluster, other_cluster):
    counts = []
    for c, n in ((cluster, 3), (other_cluster, 30)):
        for project in ProjectFactory.create_batch(n, cluster=c):
            MilestoneFactory(project=project, progress=40)
            project.enterprises.add(EnterpriseFactory(cluster=c))
        api = token_client(user_with_role(c, Role.OFFICE))
        with CaptureQueriesContext(connection) as queries:
            assert api.get(f"{API}/projects/", {"page_size": 50}).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_a_party_reads_its_own_contracts_through_the_api(cluster):
    farm, gin, mill = EnterpriseFactory.create_batch(3, cluster=cluster)
    for supplier, buyer in ((farm, gin), (gin, mill)):
        CooperationContract.objects.create(
            cluster=cluster,
            supplier=supplier,
            buyer=buyer,
            subject="Yarn",
            annual_value=Decimal("10"),
            start_date=datetime.date(2025, 1, 1),
        )
    farmer = token_client(user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm]))
    assert [c["buyer"] for c in farmer.get(f"{API}/cooperation-contracts/").json()["results"]] == [gin.pk]
    assert (
        farmer.post(
            f"{API}/cooperation-contracts/",
            {
                "cluster": cluster.pk,
                "supplier": farm.pk,
                "buyer": mill.pk,
                "subject": "x",
                "annual_value": "1",
                "start_date": "2025-01-01",
            },
            format="json",
        ).status_code
        == 403
    )


def test_an_enterprise_requests_a_service_and_the_office_works_the_queue(cluster):
    farm, gin = EnterpriseFactory.create_batch(2, cluster=cluster)
    lab = Service.objects.create(cluster=cluster, name="Fibre test", price=Decimal("2"), turnaround_days=5)
    farmer = token_client(user_with_role(cluster, Role.ENTERPRISE, enterprises=[farm]))
    created = farmer.post(f"{API}/service-requests/", {"service": lab.pk, "enterprise": farm.pk}, format="json")
    assert created.status_code == 201, created.content
    assert (
        farmer.post(f"{API}/service-requests/", {"service": lab.pk, "enterprise": gin.pk}, format="json").status_code
        == 403
    )
    office = token_client(user_with_role(cluster, Role.OFFICE))
    request_id = created.json()["id"]
    assert office.post(f"{API}/service-requests/{request_id}/move/", {"to": "done"}).status_code == 400
    moved = office.post(f"{API}/service-requests/{request_id}/move/", {"to": "in_progress"})
    assert moved.status_code == 200 and moved.json()["status"] == "in_progress"
    assert [r["id"] for r in farmer.get(f"{API}/service-requests/").json()["results"]] == [request_id]
    gin_user = token_client(user_with_role(cluster, Role.ENTERPRISE, enterprises=[gin]))
    assert gin_user.get(f"{API}/service-requests/").json()["count"] == 0


def test_a_project_is_cancelled_not_deleted_and_keeps_to_its_clusters_enterprises(cluster, other_cluster):
    project = ProjectFactory(cluster=cluster)
    person = user_with_role(cluster, Role.OFFICE)
    from governance.models import ClusterRole

    ClusterRole.objects.create(user=person, cluster=other_cluster, role=Role.OFFICE)  # office in both clusters
    api = token_client(person)
    assert api.delete(f"{API}/projects/{project.pk}/").status_code == 405
    foreign = EnterpriseFactory(cluster=other_cluster)
    response = api.patch(f"{API}/projects/{project.pk}/", {"enterprises": [foreign.pk]}, format="json")
    assert response.status_code == 400 and "enterprises" in response.json()
    assert not project.enterprises.exists()


def test_a_finished_milestone_can_be_reopened_through_the_api(cluster):
    milestone = MilestoneFactory(
        project=ProjectFactory(cluster=cluster), progress=100, done_on=datetime.date(2025, 1, 1)
    )
    api = token_client(user_with_role(cluster, Role.OFFICE))
    response = api.patch(f"{API}/milestones/{milestone.pk}/", {"progress": 60}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["progress"], response.json()["done_on"]) == (60, None)
