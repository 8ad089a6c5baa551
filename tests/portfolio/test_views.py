"""Portfolio pages: the table, ranking and project page; the office writes, others read; other clusters 404."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.choices import BodyKind, Role
from governance.models import Body
from portfolio.models import Milestone, Project
from tests.governance.factories import BodyFactory, DecisionFactory, EnterpriseFactory, MeetingFactory, user_with_role
from tests.portfolio.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def council_decision(cluster, on=datetime.date(2025, 3, 10)):
    council = Body.objects.filter(cluster=cluster, kind=BodyKind.COUNCIL).first() or BodyFactory(
        cluster=cluster, kind=BodyKind.COUNCIL, area=""
    )
    return DecisionFactory(meeting=MeetingFactory(body=council, date=on), kind="strategic", number="K-1")


def selected(cluster, **fields):
    return ProjectFactory(cluster=cluster, status="selected", selection_decision=council_decision(cluster), **fields)


def test_the_portfolio_page_shows_projects_progress_and_the_quick_win_check(client, cluster):
    for area in ("logistics", "quality", "skills"):
        selected(cluster, lead_group=BodyFactory(cluster=cluster, area=area), months_to_first_result=3)
    slow = ProjectFactory(cluster=cluster, title="Shared lab", months_to_first_result=20)
    MilestoneFactory(project=slow, progress=50, due_on=datetime.date(2020, 1, 1))
    client.force_login(user_with_role(cluster, Role.COUNCIL))
    page = client.get(reverse("portfolio:overview"))
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count("data-project=") == 4
    assert page.context["quick_wins"].selected == 3 and page.context["quick_wins"].enough
    assert "1 overdue milestone" in html
    assert '"type":"scatter"' in html and '"type":"bar"' in html  # effect against cost, timeline
    assert 'id="new-project"' not in html  # the council reads
    filtered = client.get(reverse("portfolio:overview"), {"status": "proposed"})
    assert filtered.content.decode().count("data-project=") == 1


def test_the_ranking_orders_by_score_and_shows_its_parts(client, cluster):
    ProjectFactory(cluster=cluster, title="Slow and risky", months_to_first_result=30, risk="high")
    ProjectFactory(cluster=cluster, title="Fast", months_to_first_result=1, risk="low", expected_effect=Decimal("1e6"))
    client.force_login(user_with_role(cluster, Role.VIEWER))
    rows = client.get(reverse("portfolio:ranking")).context["rows"]
    assert [p.title for p, _s in rows] == ["Fast", "Slow and risky"]


def test_the_office_proposes_a_project_and_moves_it_and_others_may_not(client, cluster):
    group = BodyFactory(cluster=cluster, area="logistics")
    firm = EnterpriseFactory(cluster=cluster)
    client.force_login(user_with_role(cluster, Role.COUNCIL))
    assert client.get(reverse("portfolio:project_create")).status_code == 403
    client.force_login(user_with_role(cluster, Role.OFFICE))
    form = {
        "title": "Cotton logistics hub",
        "category": "supply_chain",
        "lead_group": group.pk,
        "enterprises": [firm.pk],
        "budget": "300000",
        "expected_effect": "-5",
        "months_to_first_result": "4",
        "risk": "medium",
        "phase": "1",
    }
    invalid = client.post(reverse("portfolio:project_create"), form)
    assert invalid.status_code == 200 and "expected_effect" in invalid.context["form"].errors
    assert not Project.objects.exists()
    response = client.post(reverse("portfolio:project_create"), {**form, "expected_effect": "450000"})
    project = Project.objects.get()
    assert response.status_code == 302 and list(project.enterprises.all()) == [firm]
    decision = council_decision(cluster)
    client.post(reverse("portfolio:project_transition", args=[project.pk]), {"to": "selected"})
    assert Project.objects.get().status == "proposed"  # no decision: refused with a message
    client.post(reverse("portfolio:project_transition", args=[project.pk]), {"to": "selected", "decision": decision.pk})
    assert Project.objects.get().status == "selected"
    client.post(reverse("portfolio:milestone_create", args=[project.pk]), {"title": "Routes", "due_on": "2030-01-01"})
    milestone = Milestone.objects.get()
    client.post(
        reverse("portfolio:milestone_progress", args=[milestone.pk]),
        {"progress": "60", "lock_version": milestone.lock_version},
    )
    page = client.get(reverse("portfolio:project_detail", args=[project.pk])).content.decode()
    assert "60 %" in page


def test_another_clusters_project_is_not_found(client, cluster, other_cluster):
    project = ProjectFactory(cluster=cluster)
    milestone = MilestoneFactory(project=project)
    client.force_login(user_with_role(other_cluster, Role.OFFICE))
    assert client.get(reverse("portfolio:project_detail", args=[project.pk])).status_code == 404
    assert (
        client.post(reverse("portfolio:project_transition", args=[project.pk]), {"to": "cancelled"}).status_code == 404
    )
    assert (
        client.post(reverse("portfolio:milestone_progress", args=[milestone.pk]), {"progress": "90"}).status_code == 404
    )
    assert Milestone.objects.get().progress == 0


def test_the_portfolio_page_costs_the_same_queries_for_3_and_30_projects(client, cluster, other_cluster):
    counts = []
    for c, n in ((cluster, 3), (other_cluster, 30)):
        decision = council_decision(c)
        for project in ProjectFactory.create_batch(n, cluster=c, status="selected", selection_decision=decision):
            MilestoneFactory(project=project, progress=30)
        client.force_login(user_with_role(c, Role.OFFICE))
        client.get(reverse("portfolio:overview"))
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("portfolio:overview")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_office_sets_the_quick_win_threshold_and_the_ranking_follows(client, cluster):
    project = ProjectFactory(cluster=cluster, budget=Decimal("300000"), months_to_first_result=3)
    client.force_login(user_with_role(cluster, Role.COUNCIL))
    assert client.post(reverse("portfolio:ranking"), {"quick_win_max_budget": "1"}).status_code == 403
    client.force_login(user_with_role(cluster, Role.OFFICE))
    refused = client.post(reverse("portfolio:ranking"), {"quick_win_max_budget": "-1"})
    assert "quick_win_max_budget" in refused.context["form"].errors
    client.post(reverse("portfolio:ranking"), {"quick_win_max_budget": "200000"})
    rows = client.get(reverse("portfolio:ranking")).context["rows"]
    assert [(p.pk, s.quick_win) for p, s in rows] == [(project.pk, False)]
