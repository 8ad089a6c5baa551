"""Progress rolls up to projects and, weighted by budget, to the portfolio; the PROJSEL KPI counts selections."""

import datetime
from decimal import Decimal

import pytest

from governance.choices import BodyKind, Role
from governance.models import Body
from kpi import services as kpi_services
from kpi.models import KpiValue
from portfolio import selectors
from portfolio.models import Project
from tests.governance.factories import BodyFactory, DecisionFactory, MeetingFactory, user_with_role
from tests.portfolio.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


def selected(cluster, on=datetime.date(2025, 3, 10), **fields):
    council = Body.objects.filter(cluster=cluster, kind=BodyKind.COUNCIL).first() or BodyFactory(
        cluster=cluster, kind=BodyKind.COUNCIL, area=""
    )
    decision = DecisionFactory(meeting=MeetingFactory(body=council, date=on), kind="strategic")
    return ProjectFactory(cluster=cluster, status="selected", selection_decision=decision, **fields)


def test_progress_rolls_up_to_the_project_and_by_budget_to_the_portfolio(cluster):
    small = selected(cluster, budget=Decimal("100"))
    large = selected(cluster, budget=Decimal("300"))
    ProjectFactory(cluster=cluster, budget=Decimal("10000"))  # proposed: not carried
    MilestoneFactory(project=small, progress=100, done_on=datetime.date(2025, 4, 1))
    MilestoneFactory(project=small, progress=50)
    MilestoneFactory(project=large, progress=20)
    office = user_with_role(cluster, Role.OFFICE)
    rows = {p.pk: p.progress for p in selectors.projects_with_progress(user=office)}
    assert (rows[small.pk], rows[large.pk]) == (75, 20)
    assert selectors.portfolio_progress(user=office, cluster=cluster) == Decimal("33.75")  # (100·75 + 300·20) / 400


def test_overdue_milestones_show_like_overdue_action_items(cluster):
    project = selected(cluster)
    late = MilestoneFactory(project=project, due_on=datetime.date(2025, 1, 1))
    MilestoneFactory(project=project, due_on=datetime.date(2025, 1, 1), progress=100, done_on=datetime.date(2025, 1, 1))
    MilestoneFactory(project=project, due_on=datetime.date(2030, 1, 1))
    office = user_with_role(cluster, Role.OFFICE)
    assert list(selectors.overdue_milestones(user=office, cluster=cluster, today=datetime.date(2025, 6, 1))) == [late]
    assert selectors.projects_with_progress(user=office).get(pk=project.pk).overdue_milestones == 1


def test_another_clusters_projects_stay_hidden(cluster, other_cluster):
    selected(cluster)
    outsider = user_with_role(other_cluster, Role.OFFICE)
    assert not selectors.projects_with_progress(user=outsider).exists()
    assert selectors.portfolio_progress(user=outsider, cluster=cluster) is None


def test_the_selected_projects_kpi_counts_the_councils_selections_by_the_end_of_the_period(cluster):
    selected(cluster, on=datetime.date(2025, 3, 10))
    selected(cluster, on=datetime.date(2025, 8, 1))
    cancelled = selected(cluster, on=datetime.date(2025, 3, 1))
    Project.objects.filter(pk=cancelled.pk).update(status="cancelled")
    ProjectFactory(cluster=cluster)  # proposed
    kpi_services.kpi_values_compute_many(clusters=[cluster], spans=["2025-06", "2025-Q3"])
    values = dict(KpiValue.objects.filter(cluster=cluster, kpi__code="PROJSEL").values_list("period", "value"))
    assert values == {"2025-06": 1, "2025-Q3": 2}
