"""Projects: the allowed moves only, selection by a council decision, the priority score, milestones."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from governance.choices import BodyKind, Role
from governance.models import Body
from portfolio import services
from portfolio.models import PortfolioRules, Project
from tests.governance.factories import (
    BodyFactory,
    DecisionFactory,
    EnterpriseFactory,
    MeetingFactory,
    user_with_role,
)
from tests.portfolio.factories import MilestoneFactory, ProjectFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(cluster):
    return user_with_role(cluster, Role.OFFICE)


def council_decision(cluster, *, kind="strategic", outcome="adopted", body_kind=BodyKind.COUNCIL):
    body = Body.objects.filter(cluster=cluster, kind=body_kind).first() or BodyFactory(
        cluster=cluster, kind=body_kind, area=""
    )
    return DecisionFactory(meeting=MeetingFactory(body=body), kind=kind, outcome=outcome)


def test_the_office_proposes_a_project_with_the_clusters_enterprises(cluster, other_cluster, office):
    project = ProjectFactory.build(cluster=cluster, lead_group=BodyFactory(cluster=cluster))
    firms = EnterpriseFactory.create_batch(2, cluster=cluster)
    saved = services.project_save(project=project, user=office, enterprises=firms)
    assert saved.status == "proposed" and set(saved.enterprises.all()) == set(firms)
    with pytest.raises(ValidationError) as error:
        services.project_save(project=saved, user=office, enterprises=[EnterpriseFactory(cluster=other_cluster)])
    assert "enterprises" in error.value.message_dict
    with pytest.raises(PermissionDenied):
        services.project_save(project=saved, user=user_with_role(cluster, Role.COUNCIL))


def test_the_lead_group_is_a_working_group_of_the_cluster(cluster, other_cluster, office):
    foreign = ProjectFactory.build(cluster=cluster, lead_group=BodyFactory(cluster=other_cluster))
    with pytest.raises(ValidationError) as error:
        services.project_save(project=foreign, user=office)
    assert "lead_group" in error.value.message_dict
    council = ProjectFactory.build(cluster=cluster, lead_group=BodyFactory(cluster=cluster, kind="council", area=""))
    with pytest.raises(ValidationError):
        services.project_save(project=council, user=office)


def test_a_project_moves_only_along_the_allowed_transitions(cluster, office):
    project = ProjectFactory(cluster=cluster)
    decision = council_decision(cluster)
    for wrong in ("active", "completed"):
        with pytest.raises(ValidationError):
            services.project_transition(project=project, to=wrong, user=office)
    project = services.project_transition(project=project, to="selected", user=office, decision=decision)
    assert project.selection_decision == decision
    project = services.project_transition(project=project, to="active", user=office, on=datetime.date(2025, 7, 1))
    assert project.started_on == datetime.date(2025, 7, 1)
    with pytest.raises(ValidationError):
        services.project_transition(project=project, to="selected", user=office, decision=decision)
    project = services.project_transition(project=project, to="completed", user=office)
    for any_state in ("proposed", "selected", "active", "cancelled"):
        with pytest.raises(ValidationError):
            services.project_transition(project=project, to=any_state, user=office)
    assert Project.objects.get(pk=project.pk).status == "completed"


def test_selection_takes_an_adopted_strategic_decision_of_the_clusters_council(cluster, other_cluster, office):
    project = ProjectFactory(cluster=cluster)
    for decision in (
        None,
        council_decision(other_cluster),
        council_decision(cluster, outcome="rejected"),
        council_decision(cluster, kind="operational"),
        council_decision(cluster, body_kind=BodyKind.OFFICE),
    ):
        with pytest.raises(ValidationError) as error:
            services.project_transition(project=project, to="selected", user=office, decision=decision)
        assert "selection_decision" in error.value.message_dict
    assert Project.objects.get(pk=project.pk).status == "proposed"


def test_the_database_refuses_a_selected_project_without_its_decision(cluster):
    from django.db import IntegrityError, transaction

    project = ProjectFactory(cluster=cluster)
    with pytest.raises(IntegrityError), transaction.atomic():
        Project.objects.filter(pk=project.pk).update(status="active")


def test_a_cancelled_project_stays_cancelled(cluster, office):
    project = services.project_transition(project=ProjectFactory(cluster=cluster), to="cancelled", user=office)
    with pytest.raises(ValidationError):
        services.project_transition(project=project, to="selected", user=office, decision=council_decision(cluster))


@pytest.mark.parametrize(
    ("budget", "effect", "months", "risk", "parts", "quick"),
    [
        # effect twice the cost a year or more: all 50; first result at once: 30; low risk: 20
        ("100", "300", 0, "low", ("50.0", "30.0", "20.0"), True),
        # effect half the cost: 12.5; a year to the first result: 15; medium risk: 10
        ("400000", "200000", 12, "medium", ("12.5", "15.0", "10.0"), False),
        # two years or later: no speed points; high risk: none
        ("1000", "1000", 30, "high", ("25.0", "0.0", "0.0"), False),
        # six months and under the threshold: a quick win
        ("500000", "0", 6, "medium", ("0.0", "22.5", "10.0"), True),
        # no budget at all and some effect: full effect points
        ("0", "10", 3, "low", ("50.0", "26.3", "20.0"), True),
    ],
)
def test_the_priority_score_shows_its_parts(budget, effect, months, risk, parts, quick):
    project = Project(budget=Decimal(budget), expected_effect=Decimal(effect), months_to_first_result=months, risk=risk)
    score = services.project_score(project=project)
    assert (score.effect, score.speed, score.risk) == tuple(Decimal(p) for p in parts)
    assert score.total == sum(Decimal(p) for p in parts)
    assert score.quick_win is quick


def test_the_quick_win_threshold_is_the_clusters(cluster):
    PortfolioRules.objects.create(cluster=cluster, quick_win_max_budget=Decimal("100000"))
    project = ProjectFactory(cluster=cluster, budget=Decimal("200000"), months_to_first_result=3)
    limit = services.quick_win_max_budget(cluster)
    assert limit == Decimal("100000")
    assert services.project_score(project=project, quick_win_max_budget=limit).quick_win is False


def test_a_milestone_at_100_percent_is_done_and_progress_is_a_percentage(cluster, office):
    milestone = MilestoneFactory(project=ProjectFactory(cluster=cluster))
    milestone.progress = 100
    services.milestone_save(milestone=milestone, user=office)
    assert milestone.done_on is not None
    milestone.progress = 60
    services.milestone_save(milestone=milestone, user=office)
    assert milestone.done_on is None
    milestone.progress = 120
    with pytest.raises(ValidationError):
        services.milestone_save(milestone=milestone, user=office)
