import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.choices import BodyKind, Role
from governance.models import ActionItem, Decision, Enterprise, Regulation
from tests.governance.factories import (
    BodyFactory,
    EnterpriseFactory,
    MeetingFactory,
    body_with_members,
    meeting_with_attendance,
    user_with_role,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def office(cluster):
    return user_with_role(cluster, Role.OFFICE, username="office")


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


def _foreign_objects(other_cluster):
    council, people = body_with_members(other_cluster, BodyKind.COUNCIL, members=3)
    meeting = meeting_with_attendance(council, people, present=3)
    decision = Decision.objects.create(meeting=meeting, title="Foreign", votes_for=3, outcome="adopted")
    item = ActionItem.objects.create(
        cluster=other_cluster, body=council, owner_person=people[0], title="Foreign item", deadline=meeting.date
    )
    regulation = Regulation.objects.create(cluster=other_cluster, kind="council", title="Foreign reg")
    enterprise = EnterpriseFactory(cluster=other_cluster)
    return {
        "cluster": other_cluster,
        "enterprise": enterprise,
        "body": council,
        "meeting": meeting,
        "decision": decision,
        "actionitem": item,
        "regulation": regulation,
    }


def test_pages_of_another_clusters_objects_answer_404(office_client, other_cluster):
    foreign = _foreign_objects(other_cluster)
    for name, obj in foreign.items():
        assert office_client.get(reverse(f"governance:{name}_detail", args=[obj.pk])).status_code == 404, name
        edit = reverse(f"governance:{name}_update", args=[obj.pk])
        assert office_client.get(edit).status_code == 404, name
        assert office_client.post(edit, {"name": "hijacked", "title": "hijacked"}).status_code == 404, name
    assert office_client.post(reverse("governance:meeting_attendance", args=[foreign["meeting"].pk])).status_code == 404
    assert (
        office_client.post(
            reverse("governance:actionitem_status", args=[foreign["actionitem"].pk]), {"status": "done"}
        ).status_code
        == 404
    )
    foreign["enterprise"].refresh_from_db()
    assert foreign["enterprise"].name != "hijacked"


def test_lists_show_only_the_current_cluster(office_client, cluster, other_cluster):
    EnterpriseFactory(cluster=cluster, name="Ours LLC")
    EnterpriseFactory(cluster=other_cluster, name="Theirs LLC")
    page = office_client.get(reverse("governance:enterprise_list")).content.decode()
    assert "Ours LLC" in page and "Theirs LLC" not in page


def test_switching_to_a_cluster_you_do_not_belong_to_is_ignored(office_client, cluster, other_cluster):
    office_client.post(reverse("governance:cluster_switch"), {"cluster": other_cluster.pk})
    page = office_client.get(reverse("governance:overview")).content.decode()
    assert cluster.name in page and other_cluster.name not in page


def test_enterprise_representative_cannot_change_another_enterprise(client, cluster):
    own, other = EnterpriseFactory(cluster=cluster, name="Own"), EnterpriseFactory(cluster=cluster, name="Other")
    rep = user_with_role(cluster, Role.ENTERPRISE, enterprises=[own])
    client.force_login(rep)
    assert client.get(reverse("governance:enterprise_update", args=[other.pk])).status_code == 403
    response = client.post(reverse("governance:enterprise_update", args=[other.pk]), {"phone": "+998 90 000 00 00"})
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.phone == ""
    response = client.post(reverse("governance:enterprise_update", args=[own.pk]), {"phone": "+998 90 111 22 33"})
    assert response.status_code == 302
    own.refresh_from_db()
    assert own.phone == "+998 90 111 22 33"
    assert own.name == "Own"  # a representative edits contact details only


def test_council_member_reads_but_cannot_create(client, cluster):
    council = user_with_role(cluster, Role.COUNCIL)
    client.force_login(council)
    assert client.get(reverse("governance:meeting_list")).status_code == 200
    assert client.get(reverse("governance:meeting_create")).status_code == 403
    assert client.post(reverse("governance:enterprise_create"), {"name": "x"}).status_code == 403


def _enterprise_data(**overrides):
    data = {
        "name": "Vobkent Tekstil MChJ",
        "taxpayer_id": "301112223",
        "kind": "processor",
        "value_chain_link": "processing",
        "status": "active",
        "joined_on": "2025-02-01",
    }
    data.update(overrides)
    return data


def test_office_adds_an_enterprise(office_client, cluster):
    response = office_client.post(reverse("governance:enterprise_create"), _enterprise_data())
    assert response.status_code == 302
    assert Enterprise.objects.get(taxpayer_id="301112223").cluster == cluster


@pytest.mark.parametrize("taxpayer_id", ["30111222", "3011122233", "30111222x"])
def test_wrong_taxpayer_id_is_shown_at_the_field_and_saves_nothing(office_client, taxpayer_id):
    response = office_client.post(reverse("governance:enterprise_create"), _enterprise_data(taxpayer_id=taxpayer_id))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "9 digits" in errors["taxpayer_id"][0]
    assert 'id="id_taxpayer_id_errors"' in response.content.decode()
    assert not Enterprise.objects.exists()


def test_duplicate_enterprise_is_shown_at_the_field_and_saves_nothing(office_client, cluster):
    EnterpriseFactory(cluster=cluster, taxpayer_id="301112223")
    response = office_client.post(reverse("governance:enterprise_create"), _enterprise_data())
    assert response.status_code == 200
    form = response.context["form"]
    assert any("already a participant" in e for e in form.errors.get("taxpayer_id", []) + form.non_field_errors())
    assert Enterprise.objects.count() == 1


def post_decision(client, meeting, items=(), **fields):
    """Post the decision page: the decision's fields and up to three action-item rows."""
    data = {
        "meeting": meeting.pk,
        "title": "Approve",
        "kind": "operational",
        "votes_for": 0,
        "votes_against": 0,
        "votes_abstain": 0,
        "items-TOTAL_FORMS": 3,
        "items-INITIAL_FORMS": 0,
        **fields,
    }
    for i, item in enumerate(items):
        data.update({f"items-{i}-{name}": value for name, value in item.items()})
    return client.post(reverse("governance:decision_create"), data)


def test_decision_at_an_inquorate_meeting_is_refused_on_the_page(office_client, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=5)
    meeting = meeting_with_attendance(council, people, present=2)
    item = {"title": "Do it", "owner_person": people[0].pk, "deadline": "2025-04-01"}
    response = post_decision(office_client, meeting, [item], votes_for=2)
    assert response.status_code == 200
    assert "no quorum" in response.context["form"].errors["meeting"][0]
    assert not Decision.objects.exists() and not ActionItem.objects.exists()


def test_deadline_before_the_meeting_is_refused_and_nothing_is_saved(office_client, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    meeting = meeting_with_attendance(council, people, present=3, date=datetime.date(2025, 3, 10))
    item = {"title": "Do it", "owner_person": people[0].pk, "deadline": "2025-03-01"}
    response = post_decision(office_client, meeting, [item], votes_for=3)
    assert response.status_code == 200
    assert "before the meeting" in str(response.context["form"].errors)
    assert not Decision.objects.exists() and not ActionItem.objects.exists()


def test_office_records_a_decision_with_action_items(office_client, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    group = BodyFactory(cluster=cluster, area="logistics")
    meeting = meeting_with_attendance(council, people, present=3, date=datetime.date(2025, 3, 10))
    items = [
        {"title": "Map routes", "owner_group": group.pk, "deadline": "2025-04-01"},
        {"title": "Report", "owner_person": people[0].pk, "deadline": "2025-05-01"},
    ]
    response = post_decision(
        office_client, meeting, items, number="K-1", title="Cut lead time", kind="strategic", votes_for=3
    )
    assert response.status_code == 302
    decision = Decision.objects.get()
    assert decision.outcome == "adopted"
    assert sorted(decision.action_items.values_list("title", flat=True)) == ["Map routes", "Report"]


def test_action_item_page_lists_overdue_first(office_client, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    today = timezone.localdate()
    for title, days in [("later", 10), ("overdue", -3), ("soon", 1)]:
        ActionItem.objects.create(
            cluster=cluster,
            body=council,
            owner_person=people[0],
            title=title,
            deadline=today + datetime.timedelta(days=days),
        )
    items = list(office_client.get(reverse("governance:actionitem_list")).context["object_list"])
    assert [i.title for i in items] == ["overdue", "soon", "later"]


def test_owner_updates_the_status_of_their_item(client, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    owner = user_with_role(cluster, Role.WORKING_GROUP)
    bystander = user_with_role(cluster, Role.WORKING_GROUP)
    item = ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=owner, title="x", deadline=timezone.localdate()
    )
    client.force_login(bystander)
    assert client.post(reverse("governance:actionitem_status", args=[item.pk]), {"status": "done"}).status_code == 403
    client.force_login(owner)
    client.post(reverse("governance:actionitem_status", args=[item.pk]), {"status": "done", "lock_version": 1})
    item.refresh_from_db()
    assert item.status == "done" and item.done_on == timezone.localdate()


def test_overview_shows_execution_discipline(office_client, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    today = timezone.localdate()
    ActionItem.objects.create(
        cluster=cluster,
        body=council,
        owner_person=people[0],
        title="a",
        deadline=today - datetime.timedelta(days=5),
        status="done",
        done_on=today - datetime.timedelta(days=6),
    )
    ActionItem.objects.create(
        cluster=cluster, body=council, owner_person=people[0], title="b", deadline=today - datetime.timedelta(days=2)
    )
    response = office_client.get(reverse("governance:overview"))
    assert response.context["discipline"].due == 2 and response.context["discipline"].on_time == 1
    assert "50 %" in response.content.decode()
    assert "plotly/plotly.min.js" in response.content.decode()


def test_meeting_attendance_page_records_quorum(office_client, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=4)
    meeting = MeetingFactory(body=council, status="planned")
    office_client.post(
        reverse("governance:meeting_attendance", args=[meeting.pk]), {"present": [p.pk for p in people[:3]]}
    )
    meeting.refresh_from_db()
    assert meeting.status == "held" and meeting.quorum().met


def test_responsibility_matrix_is_edited_by_the_office(office_client, cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, area="", name="Council")
    response = office_client.post(reverse("governance:matrix_edit"), {f"strategy__{council.pk}": "decides"})
    assert response.status_code == 302
    page = office_client.get(reverse("governance:matrix")).content.decode()
    assert "resp-decides" in page


LIST_PAGES = ["enterprise_list", "meeting_list", "actionitem_list", "body_list", "decision_list", "membership_list"]


def test_list_pages_do_not_grow_queries_with_rows(office_client, cluster):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=2)

    def add(n):
        for i in range(n):
            meeting = MeetingFactory(body=council, title=f"M{i}")
            EnterpriseFactory(cluster=cluster)
            ActionItem.objects.create(
                cluster=cluster, body=council, owner_person=people[i % 2], title=f"A{i}", deadline=meeting.date
            )

    def counts():
        result = {}
        for name in [*LIST_PAGES, "people", "overview"]:
            with CaptureQueriesContext(connection) as captured:
                assert office_client.get(reverse(f"governance:{name}")).status_code == 200
            result[name] = len(captured)
        return result

    add(3)
    few = counts()
    add(27)
    assert counts() == few


def test_login_and_password_reset_pages(client, office):
    assert client.get(reverse("governance:overview")).status_code == 302
    response = client.post(reverse("login"), {"username": "office", "password": "pass-1234-word"})
    assert response.status_code == 302
    client.post(reverse("logout"))
    from django.core import mail

    client.post(reverse("password_reset"), {"email": office.email})
    assert len(mail.outbox) == 1 and "/accounts/reset/" in mail.outbox[0].body


def test_language_switcher_changes_the_interface(office_client):
    office_client.post(reverse("set_language"), {"language": "ru", "next": "/governance/"})
    page = office_client.get(reverse("governance:overview")).content.decode()
    assert 'lang="ru"' in page


def test_office_adds_an_agenda_item_but_not_to_another_clusters_meeting(office_client, cluster, other_cluster):
    ours = MeetingFactory(body=BodyFactory(cluster=cluster), status="planned")
    theirs = MeetingFactory(body=BodyFactory(cluster=other_cluster), status="planned")
    office_client.post(reverse("governance:meeting_agenda_add", args=[ours.pk]), {"title": "Tender for the lab"})
    assert list(ours.agenda_items.values_list("title", flat=True)) == ["Tender for the lab"]
    response = office_client.post(reverse("governance:meeting_agenda_add", args=[theirs.pk]), {"title": "x"})
    assert response.status_code == 404 and not theirs.agenda_items.exists()


def test_the_admin_is_for_platform_administrators_only(client, office, cluster):
    from tests.governance.factories import UserFactory

    client.force_login(office)
    assert client.get("/admin/governance/enterprise/").status_code == 302  # to the admin log-in
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert client.get("/admin/governance/enterprise/").status_code == 200
    assert client.get(reverse("governance:cluster_create")).status_code == 200


def test_list_page_counts_its_records(office_client, cluster):
    for _ in range(3):
        EnterpriseFactory(cluster=cluster)
    assert "3 records" in office_client.get(reverse("governance:enterprise_list")).content.decode()


def test_add_person_lists_only_people_of_the_cluster(office_client, cluster, other_cluster):
    from tests.governance.factories import MembershipFactory, UserFactory

    outsider = UserFactory(first_name="Outside", last_name="Person")
    MembershipFactory(body=BodyFactory(cluster=other_cluster), person=outsider)
    UserFactory(first_name="Root", last_name="Admin", is_superuser=True)
    insider = user_with_role(cluster, Role.VIEWER, first_name="Inside", last_name="Person")
    choices = set(office_client.get(reverse("governance:person_add")).context["form"].fields["existing"].queryset)
    assert insider in choices and outsider not in choices and not any(u.is_superuser for u in choices)


@pytest.mark.parametrize("url", ["/governance/regulations/add/?from=abc"])
def test_malformed_ids_do_not_break_pages(office_client, url):
    assert office_client.get(url).status_code == 200
    assert office_client.post(reverse("governance:cluster_switch"), {"cluster": "abc"}).status_code == 302


def test_representatives_do_not_read_other_enterprises_contact_details(client, cluster):
    own = EnterpriseFactory(cluster=cluster, phone="+998 90 111 11 11")
    rival = EnterpriseFactory(cluster=cluster, phone="+998 90 222 22 22", contact_email="secret@rival.uz")
    rep = user_with_role(cluster, Role.ENTERPRISE, enterprises=[own])
    client.force_login(rep)
    assert "+998 90 111 11 11" in client.get(reverse("governance:enterprise_detail", args=[own.pk])).content.decode()
    page = client.get(reverse("governance:enterprise_detail", args=[rival.pk])).content.decode()
    assert rival.name in page and "+998 90 222 22 22" not in page
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(rep)
    row = api.get(f"/api/v1/enterprises/{rival.pk}/").json()
    assert row["name"] == rival.name and row["contact_email"] == "" and row["phone"] == ""
    council = user_with_role(cluster, Role.COUNCIL)
    api.force_authenticate(council)
    assert api.get(f"/api/v1/enterprises/{rival.pk}/").json()["contact_email"] == "secret@rival.uz"
