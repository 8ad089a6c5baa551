"""The office proposes a joint project, a council decision selects it, and a milestone's progress shows on the
portfolio page."""

import pytest

from governance.choices import BodyKind, Role
from portfolio.models import Project
from tests.governance.factories import BodyFactory, DecisionFactory, MeetingFactory, user_with_role

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "pass-1234-word"


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")  # each role lands on its home


def test_office_proposes_council_selects_and_progress_shows_on_the_portfolio(page, live_server, cluster):
    base = live_server.url
    logistics = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="logistics", name="Logistics group")
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="", name="Cluster council")
    decision = DecisionFactory(
        meeting=MeetingFactory(body=council), number="K-2025/09", title="Select the logistics hub", kind="strategic"
    )
    user_with_role(cluster, Role.OFFICE, username="office")
    user_with_role(cluster, Role.COUNCIL, username="council")

    # The office proposes the project.
    log_in(page, base, "office")
    page.click("header >> text=Portfolio")
    page.click("#new-project")
    page.fill("#id_title", "Cotton logistics hub")
    page.select_option("#id_category", "supply_chain")
    page.select_option("#id_lead_group", str(logistics.pk))
    page.fill("#id_budget", "300000")
    page.fill("#id_expected_effect", "450000")
    page.fill("#id_months_to_first_result", "4")
    page.click("main button[type=submit]")
    page.wait_for_selector("#project-status >> text=Proposed")

    # The council's decision selects it.
    page.select_option("#transition select[name=to]", "selected")
    page.select_option("#transition select[name=decision]", str(decision.pk))
    page.click("#transition button")
    page.wait_for_selector("#project-status >> text=Selected")
    assert Project.objects.get().selection_decision == decision

    # A milestone, half done.
    page.fill("#new-milestone input[name=title]", "Routes of raw cotton mapped")
    page.fill("#new-milestone input[name=due_on]", "2030-01-01")
    page.click("#new-milestone button")
    page.wait_for_selector("#milestones >> text=Routes of raw cotton mapped")
    page.fill("#milestones input[name=progress]", "50")
    page.click("#milestones button")
    page.wait_for_selector("#project-progress >> text=50 %")
    page.click("form[action$='/accounts/logout/'] button")

    # The council member sees it on the portfolio page.
    log_in(page, base, "council")
    page.click("header >> text=Portfolio")
    row = page.inner_text("#projects tbody tr >> nth=0")
    assert "Cotton logistics hub" in row and "Selected" in row and "50 %" in row
    assert page.inner_text("#portfolio-progress") == "50 %"
