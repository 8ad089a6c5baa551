"""The demo portfolio: projects over the categories and states, the phase-1 quick wins the model asks for,
contracts along the value chain, the services centre at work; loaded once."""

import pytest
from django.db.models import F

from demo.governance import QUICK_WINS_MEETING, load_demo
from portfolio import selectors, services
from portfolio.models import CooperationContract, Project, Service, ServiceRequest

pytestmark = pytest.mark.django_db


def test_the_demo_portfolio_is_believable_and_loaded_once():
    result = load_demo()
    counts = result.extensions["portfolio"]
    cluster = result.cluster
    assert 8 <= counts["projects"] <= 12 and counts["contracts"] >= 40
    assert (counts["services"], counts["requests"]) == (5, 30)
    projects = list(Project.objects.filter(cluster=cluster).select_related("lead_group"))
    assert {p.status for p in projects} == {"proposed", "selected", "active", "completed", "cancelled"}
    assert len({p.category for p in projects}) >= 6
    limit = services.quick_win_max_budget(cluster)
    scores = {p.pk: services.project_score(project=p, quick_win_max_budget=limit) for p in projects}
    check = selectors.quick_win_check(projects=projects, scores=scores)
    assert check.enough and check.areas_missing == ()
    assert all(p.selection_decision.outcome == "adopted" for p in projects if p.status in ("selected", "active"))
    assert ServiceRequest.objects.filter(status="done", done_at__gt=F("due_at")).exists()  # some promises missed
    # The phase-1 quick wins were selected at the council meeting that chose them (matched on its title).
    phase_1 = [p for p in projects if p.phase == 1 and p.selection_decision_id]
    assert phase_1 and {p.selection_decision.meeting.title for p in phase_1} == {QUICK_WINS_MEETING}
    assert {p.selection_decision.title for p in phase_1} == {"1-bosqichning tez natija beradigan loyihalarini tanlash"}

    again = load_demo()
    assert again.extensions["portfolio"] == {"projects": 0, "contracts": 0, "services": 0, "requests": 0}
    assert (Project.objects.count(), CooperationContract.objects.count(), Service.objects.count()) == (
        counts["projects"],
        counts["contracts"],
        5,
    )
