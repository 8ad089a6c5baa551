"""An office user records a meeting with attendance, a decision and an action item; a council member sees them."""

import datetime

import pytest
from django.utils import timezone

from governance.choices import BodyKind, Role
from governance.models import ActionItem, Decision, Meeting
from tests.governance.factories import BodyFactory, MembershipFactory, UserFactory, user_with_role

# serialized_rollback: the flush after a transactional test would take the KPI catalogue (loaded by a
# migration) away from the tests that follow.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "pass-1234-word"


def log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("main button[type=submit]")
    page.wait_for_url(f"{base}/")  # each role lands on its home


def log_out(page):
    page.click("form[action$='/accounts/logout/'] button")


def test_office_records_a_meeting_decision_and_action_item_that_the_council_sees(page, live_server, cluster):
    base = live_server.url
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="", name="Cluster council")
    logistics = BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, area="logistics", name="Logistics group")
    chair = user_with_role(cluster, Role.COUNCIL, username="chair", first_name="Dilshod", last_name="Karimov")
    members = [chair] + [UserFactory(first_name=f"Member{i}", last_name="Aliyev") for i in range(3)]
    for person in members:
        MembershipFactory(body=council, person=person)
    user_with_role(cluster, Role.OFFICE, username="office")
    today = timezone.localdate()

    # The office plans the council meeting with an agenda.
    log_in(page, base, "office")
    page.click("header >> text=Governance")
    page.click("nav.subnav >> text=Meetings")
    page.click("text=Plan a meeting")
    page.select_option("#id_body", str(council.pk))
    page.fill("#id_title", "Quarterly council meeting")
    page.fill("#id_date", today.isoformat())
    page.fill("#id_agenda", "Logistics bottlenecks\nQuality programme")
    page.click("main button[type=submit]")
    page.wait_for_selector("#agenda >> text=Logistics bottlenecks")
    meeting = Meeting.objects.get(title="Quarterly council meeting")

    # Attendance: three of four members present, so the meeting has its quorum.
    page.click("text=Record attendance")
    for person in members[:3]:
        page.check(f"input[name=present][value='{person.pk}']")
    page.click("main button[type=submit]")
    page.wait_for_selector("#quorum >> text=Quorum present")
    assert "3 of 4 members present" in page.inner_text("#quorum")

    # A strategic decision that gives the logistics group an action item.
    page.click("text=Record a decision")
    page.fill("#id_number", "K-2025/07")
    page.fill("#id_title", "Cut delivery lead time to 4 days")
    page.select_option("#id_kind", "strategic")
    page.fill("#id_votes_for", "3")
    page.fill("#id_items-0-title", "Map the routes of raw cotton deliveries")
    page.select_option("#id_items-0-owner_group", str(logistics.pk))
    page.fill("#id_items-0-deadline", (today + datetime.timedelta(days=30)).isoformat())
    page.click("main button[type=submit]")
    page.wait_for_selector("text=Map the routes of raw cotton deliveries")
    assert "Adopted" in page.content()
    decision = Decision.objects.get(meeting=meeting)
    assert decision.action_items.get().owner_group == logistics
    log_out(page)

    # The council member sees the meeting, the decision and the action item.
    log_in(page, base, "chair")
    page.click("header >> text=Governance")
    page.click("nav.subnav >> text=Meetings")
    page.click("text=Quarterly council meeting")
    assert "Cut delivery lead time to 4 days" in page.inner_text("#decisions")
    assert "Dilshod Karimov — present" in page.inner_text("#attendance")
    page.click("#decisions a")
    page.wait_for_selector("text=Map the routes of raw cotton deliveries")
    assert page.locator("text=Record a decision").count() == 0  # read-only for the council member
    page.click("nav.subnav >> text=Action items")
    assert "Map the routes of raw cotton deliveries" in page.inner_text("table.action-items")
    assert ActionItem.objects.count() == 1
