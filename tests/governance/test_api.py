"""The governance REST API: token auth, cluster scoping, model validation, services, filters, query counts."""

import datetime

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from governance.choices import BodyKind, Role
from governance.models import ActionItem, Body, ClusterRole, Decision, Enterprise, Meeting, Membership, Regulation
from tests.governance.factories import (
    ActionItemFactory,
    BodyFactory,
    ClusterFactory,
    DecisionFactory,
    EnterpriseFactory,
    MeetingFactory,
    MembershipFactory,
    RegulationFactory,
    UserFactory,
    body_with_members,
    meeting_with_attendance,
    user_with_role,
)

pytestmark = pytest.mark.django_db

API = "/api/v1"
PASSWORD = "pass-1234-word"  # UserFactory's


def token_client(user) -> APIClient:
    """A client that authenticates as integrations do: a token from the token endpoint in the header."""
    client = APIClient()
    response = client.post(f"{API}/auth/token/", {"username": user.username, "password": PASSWORD}, format="json")
    assert response.status_code == 200, response.content
    client.credentials(HTTP_AUTHORIZATION=f"Token {response.json()['token']}")
    return client


@pytest.fixture
def office(cluster):
    return user_with_role(cluster, Role.OFFICE, username="office")


@pytest.fixture
def api(office):
    return token_client(office)


def governance_rows(cluster) -> dict:
    """One row of every resource in `cluster`, around a council meeting with a quorum."""
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    meeting = meeting_with_attendance(council, people, present=3)
    decision = DecisionFactory(meeting=meeting, votes_for=3)
    return {
        "clusters": cluster,
        "enterprises": EnterpriseFactory(cluster=cluster),
        "bodies": council,
        "memberships": council.memberships.first(),
        "regulations": RegulationFactory(cluster=cluster),
        "meetings": meeting,
        "decisions": decision,
        "action-items": ActionItemFactory(body=council, decision=decision, owner_person=people[0]),
    }


def ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def enterprise_data(cluster, **overrides) -> dict:
    data = {
        "cluster": cluster.pk,
        "name": "Vobkent Tekstil",
        "taxpayer_id": "301112223",
        "kind": "processor",
        "value_chain_link": "processing",
        "status": "active",
        "joined_on": "2025-02-01",
    }
    data.update(overrides)
    return data


# --- Authentication -------------------------------------------------------------------------------


def test_token_from_username_and_password_authenticates_requests(office):
    anonymous = APIClient()
    assert anonymous.get(f"{API}/clusters/").status_code == 401
    wrong = anonymous.post(f"{API}/auth/token/", {"username": "office", "password": "wrong"}, format="json")
    assert wrong.status_code == 400
    client = token_client(office)
    assert client.get(f"{API}/clusters/").status_code == 200


# --- Scoping --------------------------------------------------------------------------------------


def test_another_clusters_rows_are_404_on_read_update_and_delete_on_every_resource(api, cluster, other_cluster):
    own = governance_rows(cluster)
    foreign = governance_rows(other_cluster)
    for resource, obj in foreign.items():
        url = f"{API}/{resource}/{obj.pk}/"
        assert api.get(url).status_code == 404, resource
        assert api.patch(url, {"name": "hijacked", "title": "hijacked"}, format="json").status_code == 404, resource
        assert api.put(url, {"name": "hijacked", "title": "hijacked"}, format="json").status_code == 404, resource
        if resource != "memberships":  # seats end with an end date; they are never deleted
            assert api.delete(url).status_code == 404, resource
        assert type(obj).objects.filter(pk=obj.pk).exists(), resource
    for resource in foreign:
        listed = ids(api.get(f"{API}/{resource}/"))
        assert own[resource].pk in listed, resource
        assert foreign[resource].pk not in listed, resource


def test_extra_actions_on_another_clusters_rows_are_404(api, other_cluster):
    foreign = governance_rows(other_cluster)
    assert api.post(f"{API}/meetings/{foreign['meetings'].pk}/attendance/", {"present": []}).status_code == 404
    approve = api.post(
        f"{API}/regulations/{foreign['regulations'].pk}/approve/", {"decision": foreign["decisions"].pk}, format="json"
    )
    assert approve.status_code == 404
    status = api.post(f"{API}/action-items/{foreign['action-items'].pk}/status/", {"status": "done"}, format="json")
    assert status.status_code == 404
    assert Meeting.objects.get(pk=foreign["meetings"].pk).attendances.filter(present=True).count() == 3
    assert Regulation.objects.get(pk=foreign["regulations"].pk).status == "draft"
    assert ActionItem.objects.get(pk=foreign["action-items"].pk).status == "open"


def test_another_clusters_ids_are_refused_as_nonexistent_and_nothing_is_written(api, cluster, other_cluster):
    foreign = governance_rows(other_cluster)
    own = governance_rows(cluster)
    missing = 10**9
    models = [Enterprise, Membership, Decision, ActionItem]

    def counts():
        return [model.objects.count() for model in models]

    before = counts()

    def error(url, field, data):
        response = api.post(url, data, format="json")
        assert response.status_code == 400, (url, response.content)
        return response.json()[field]

    def same_answer(url, field, data, foreign_pk):
        # Another cluster's row gets the answer a row that does not exist gets: nothing to learn from it.
        answers = [
            [message.replace(str(pk), "<id>") for message in error(url, field, {**data, field: pk})]
            for pk in (foreign_pk, missing)
        ]
        return answers[0] == answers[1]

    assert same_answer(f"{API}/enterprises/", "cluster", enterprise_data(cluster), other_cluster.pk)
    seat = {"body": own["bodies"].pk, "person": own["memberships"].person_id, "start_date": "2025-05-01"}
    assert same_answer(f"{API}/memberships/", "body", seat, foreign["bodies"].pk)
    assert same_answer(f"{API}/memberships/", "person", seat, foreign["memberships"].person_id)
    assert error(f"{API}/decisions/", "meeting", {"meeting": foreign["meetings"].pk, "title": "x"})
    assert error(
        f"{API}/action-items/",
        "decision",
        {"decision": foreign["decisions"].pk, "title": "x", "deadline": "2025-09-01"},
    )
    approve = api.post(
        f"{API}/regulations/{own['regulations'].pk}/approve/", {"decision": foreign["decisions"].pk}, format="json"
    )
    assert approve.status_code == 400 and "decision" in approve.json()
    # A filter on another cluster's row matches nothing, as one on a row that does not exist (core/api/filters.py).
    foreign_filter = api.get(f"{API}/meetings/?body={foreign['bodies'].pk}")
    assert foreign_filter.status_code == 200 and foreign_filter.json()["count"] == 0
    assert foreign_filter.json() == api.get(f"{API}/meetings/?body=999999999").json()
    assert counts() == before
    assert Regulation.objects.get(pk=own["regulations"].pk).status == "draft"


def test_platform_administrator_sees_every_cluster(cluster, other_cluster):
    rows = [governance_rows(cluster), governance_rows(other_cluster)]
    admin = token_client(UserFactory(is_superuser=True, is_staff=True))
    for resource in rows[0]:
        assert ids(admin.get(f"{API}/{resource}/")) >= {r[resource].pk for r in rows}, resource
    assert ids(admin.get(f"{API}/enterprises/?cluster={other_cluster.pk}")) == {rows[1]["enterprises"].pk}


def test_enterprise_representative_changes_only_the_contact_details_of_their_own_enterprise(cluster):
    own, other = EnterpriseFactory(cluster=cluster), EnterpriseFactory(cluster=cluster)
    rep = token_client(user_with_role(cluster, Role.ENTERPRISE, enterprises=[own]))
    assert rep.get(f"{API}/enterprises/{other.pk}/").status_code == 200  # the directory is the cluster's
    assert rep.patch(f"{API}/enterprises/{other.pk}/", {"phone": "+998 1"}, format="json").status_code == 403
    response = rep.patch(f"{API}/enterprises/{own.pk}/", {"phone": "+998 2"}, format="json")
    assert response.status_code == 200 and response.json()["phone"] == "+998 2"
    assert rep.patch(f"{API}/enterprises/{own.pk}/", {"name": "Renamed"}, format="json").status_code == 403
    assert rep.delete(f"{API}/enterprises/{own.pk}/").status_code == 403
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.phone, own.name, other.phone) == ("+998 2", own.name, "")
    assert own.name != "Renamed"


@pytest.mark.parametrize("role", [Role.VIEWER, Role.COUNCIL, Role.WORKING_GROUP, Role.ENTERPRISE])
def test_roles_other_than_office_cannot_create(cluster, role):
    enterprise = EnterpriseFactory(cluster=cluster)
    client = token_client(user_with_role(cluster, role, enterprises=[enterprise] if role == Role.ENTERPRISE else []))
    created = client.post(f"{API}/enterprises/", enterprise_data(cluster), format="json")
    assert created.status_code == 403
    body = client.post(
        f"{API}/bodies/", {"cluster": cluster.pk, "kind": "working_group", "name": "Export", "area": "export"}
    )
    assert body.status_code == 403
    assert Enterprise.objects.count() == 1 and not Body.objects.exists()


def test_office_of_one_cluster_cannot_create_in_another_it_only_views(api, office, other_cluster):
    ClusterRole.objects.create(user=office, cluster=other_cluster, role=Role.VIEWER)
    response = api.post(f"{API}/enterprises/", enterprise_data(other_cluster), format="json")
    assert response.status_code == 403
    assert not Enterprise.objects.exists()


def test_office_edits_its_cluster_but_only_administrators_add_or_delete_clusters(api, cluster):
    new = {"name": "Navoi Cluster", "sector": "Textile", "region": "Navoi", "start_date": "2026-01-01"}
    assert api.patch(f"{API}/clusters/{cluster.pk}/", {"sector": "Cotton"}, format="json").status_code == 200
    assert api.post(f"{API}/clusters/", new, format="json").status_code == 403
    assert api.delete(f"{API}/clusters/{cluster.pk}/").status_code == 403
    admin = token_client(UserFactory(is_superuser=True, is_staff=True))
    created = admin.post(f"{API}/clusters/", new, format="json")
    assert created.status_code == 201, created.content
    assert {"id", "name", "sector", "region", "start_date"} <= set(created.json())
    assert admin.delete(f"{API}/clusters/{created.json()['id']}/").status_code == 204
    cluster.refresh_from_db()
    assert cluster.sector == "Cotton"


# --- Enterprises and validation -------------------------------------------------------------------


def test_office_creates_an_enterprise_with_the_contract_fields(api, cluster):
    response = api.post(f"{API}/enterprises/", enterprise_data(cluster), format="json")
    assert response.status_code == 201, response.content
    row = response.json()
    expected = enterprise_data(cluster)
    assert {key: row[key] for key in expected} == expected
    assert Enterprise.objects.get(pk=row["id"]).taxpayer_id == "301112223"


@pytest.mark.parametrize("taxpayer_id", ["12345678", "1234567890", "12345678x"])
def test_taxpayer_id_that_is_not_nine_digits_is_400_on_the_field_and_writes_nothing(api, cluster, taxpayer_id):
    response = api.post(f"{API}/enterprises/", enterprise_data(cluster, taxpayer_id=taxpayer_id), format="json")
    assert response.status_code == 400
    assert response.json() == {"taxpayer_id": ["The taxpayer id (STIR) has exactly 9 digits."]}
    assert not Enterprise.objects.exists()


def test_duplicate_taxpayer_id_in_the_cluster_is_400_on_the_field_and_writes_nothing(api, cluster):
    EnterpriseFactory(cluster=cluster, taxpayer_id="301112223")
    response = api.post(f"{API}/enterprises/", enterprise_data(cluster), format="json")
    assert response.status_code == 400
    assert response.json() == {
        "taxpayer_id": ["An enterprise with this taxpayer id is already a participant of this cluster."]
    }
    assert Enterprise.objects.count() == 1


def test_changing_a_taxpayer_id_to_a_taken_one_is_400_and_changes_nothing(api, cluster):
    EnterpriseFactory(cluster=cluster, taxpayer_id="301112223")
    other = EnterpriseFactory(cluster=cluster, taxpayer_id="309999999")
    response = api.patch(f"{API}/enterprises/{other.pk}/", {"taxpayer_id": "301112223"}, format="json")
    assert response.status_code == 400 and list(response.json()) == ["taxpayer_id"]
    other.refresh_from_db()
    assert other.taxpayer_id == "309999999"


def test_the_same_taxpayer_id_may_join_another_cluster(api, office, cluster, other_cluster):
    ClusterRole.objects.create(user=office, cluster=other_cluster, role=Role.OFFICE)
    EnterpriseFactory(cluster=other_cluster, taxpayer_id="301112223")
    response = api.post(f"{API}/enterprises/", enterprise_data(cluster), format="json")
    assert response.status_code == 201, response.content


def test_a_second_council_is_400_on_kind(api, cluster):
    BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, name="Council")
    response = api.post(f"{API}/bodies/", {"cluster": cluster.pk, "kind": "council", "name": "Another council"})
    assert response.status_code == 400
    assert response.json() == {"kind": ["A cluster has one council and one office."]}


def test_protected_rows_are_not_deleted_409(api, cluster):
    rows = governance_rows(cluster)
    response = api.delete(f"{API}/meetings/{rows['meetings'].pk}/")
    assert response.status_code == 409
    assert Meeting.objects.filter(pk=rows["meetings"].pk).exists()


# --- Bodies and memberships -----------------------------------------------------------------------


def test_membership_through_the_api_gives_the_seats_cluster_role(api, cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, name="Council", area="")
    person = user_with_role(cluster, Role.VIEWER)
    response = api.post(
        f"{API}/memberships/",
        {"body": council.pk, "person": person.pk, "role": "chair", "start_date": "2025-01-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    row = response.json()
    assert (row["person"], row["person_name"], row["cluster"], row["active"]) == (
        person.pk,
        person.get_full_name(),
        cluster.pk,
        True,
    )
    assert ClusterRole.objects.filter(user=person, cluster=cluster, role=Role.COUNCIL, is_active=True).exists()
    assert api.delete(f"{API}/memberships/{row['id']}/").status_code == 405


def test_membership_ending_before_it_starts_is_400_on_end_date(api, cluster):
    membership = MembershipFactory(body=BodyFactory(cluster=cluster))
    response = api.patch(f"{API}/memberships/{membership.pk}/", {"end_date": "2024-12-31"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"end_date": ["A membership cannot end before it starts."]}


def test_a_person_outside_the_cluster_cannot_get_a_seat(api, cluster, other_cluster):
    stranger = user_with_role(other_cluster, Role.OFFICE)
    body = BodyFactory(cluster=cluster)
    response = api.post(
        f"{API}/memberships/", {"body": body.pk, "person": stranger.pk, "start_date": "2025-01-01"}, format="json"
    )
    assert response.status_code == 400 and "person" in response.json()
    assert not Membership.objects.exists()


# --- Meetings and decisions -----------------------------------------------------------------------


def test_meeting_with_agenda_then_attendance_answers_the_quorum(api, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=4)
    created = api.post(
        f"{API}/meetings/",
        {"body": council.pk, "title": "Q3", "date": "2025-07-01", "agenda": ["Strategy", "Budget"]},
        format="json",
    )
    assert created.status_code == 201, created.content
    meeting = created.json()
    assert [a["title"] for a in meeting["agenda_items"]] == ["Strategy", "Budget"]
    assert meeting["quorum"] == {"eligible": 4, "present": 0, "required": 3, "met": False}
    response = api.post(f"{API}/meetings/{meeting['id']}/attendance/", {"present": [p.pk for p in people[:3]]})
    assert response.status_code == 200, response.content
    assert response.json()["quorum"] == {"eligible": 4, "present": 3, "required": 3, "met": True}
    assert response.json()["status"] == "held"
    present = {a["person"] for a in response.json()["attendances"] if a["present"]}
    assert present == {p.pk for p in people[:3]}


def test_attendance_of_someone_who_is_not_a_member_is_400_on_present(api, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=2)
    meeting = MeetingFactory(body=council, status="planned")
    outsider = user_with_role(cluster, Role.VIEWER)
    response = api.post(f"{API}/meetings/{meeting.pk}/attendance/", {"present": [outsider.pk]}, format="json")
    assert response.status_code == 400
    assert response.json() == {"present": ["Only members of the body can be marked present."]}
    assert not meeting.attendances.exists()


def test_quorum_in_the_list_is_the_models_quorum(api, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=5)
    MembershipFactory(body=council, start_date=datetime.date(2025, 6, 1))  # not yet a member on the date
    for present in (1, 3, 5):
        meeting_with_attendance(council, people, present=present, title=f"p{present}", quorum_rule="two_thirds")
    rows = api.get(f"{API}/meetings/").json()["results"]
    assert len(rows) == 3
    for row in rows:
        quorum = Meeting.objects.get(pk=row["id"]).quorum()
        assert row["quorum"] == {
            "eligible": quorum.eligible,
            "present": quorum.present,
            "required": quorum.required,
            "met": quorum.met,
        }


def test_decision_at_a_meeting_without_quorum_is_400_on_meeting_and_writes_nothing(api, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=5)
    meeting = meeting_with_attendance(council, people, present=2)
    response = api.post(f"{API}/decisions/", {"meeting": meeting.pk, "title": "Budget", "votes_for": 2}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["meeting"]
    assert "no quorum" in response.json()["meeting"][0]
    assert not Decision.objects.exists()


@pytest.mark.parametrize(("votes_for", "outcome"), [(3, "adopted"), (1, "rejected")])
def test_decision_outcome_follows_from_the_votes(api, cluster, votes_for, outcome):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    meeting = meeting_with_attendance(council, people, present=3)
    response = api.post(
        f"{API}/decisions/",
        {"meeting": meeting.pk, "title": "Budget", "votes_for": votes_for, "outcome": "adopted"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert (response.json()["outcome"], response.json()["body"]) == (outcome, council.pk)
    assert Decision.objects.get().outcome == outcome


# --- Action items ---------------------------------------------------------------------------------


def test_action_item_deadline_before_the_meeting_is_400_on_deadline_and_writes_nothing(api, cluster):
    rows = governance_rows(cluster)
    owner = rows["memberships"].person
    response = api.post(
        f"{API}/action-items/",
        {"decision": rows["decisions"].pk, "title": "Late", "owner_person": owner.pk, "deadline": "2025-03-01"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"deadline": ["The deadline cannot be before the meeting (2025-03-10)."]}
    assert ActionItem.objects.count() == 1


def test_action_item_from_a_decision_takes_its_cluster_and_body(api, cluster):
    rows = governance_rows(cluster)
    owner = rows["memberships"].person
    response = api.post(
        f"{API}/action-items/",
        {"decision": rows["decisions"].pk, "title": "Plan", "owner_person": owner.pk, "deadline": "2025-04-01"},
        format="json",
    )
    assert response.status_code == 201, response.content
    row = response.json()
    assert (row["cluster"], row["body"], row["owner_name"], row["overdue"]) == (
        cluster.pk,
        rows["bodies"].pk,
        owner.get_full_name(),
        True,
    )


def test_action_item_owned_by_a_person_outside_the_cluster_is_400(api, cluster, other_cluster):
    rows = governance_rows(cluster)
    stranger = user_with_role(other_cluster, Role.OFFICE)
    response = api.post(
        f"{API}/action-items/",
        {"cluster": cluster.pk, "body": rows["bodies"].pk, "title": "x", "owner_person": stranger.pk},
        format="json",
    )
    assert response.status_code == 400 and "owner_person" in response.json()


def test_owner_sets_the_status_but_cannot_edit_or_delete_the_item(cluster):
    council, _people = body_with_members(cluster, BodyKind.COUNCIL, members=1)
    owner = user_with_role(cluster, Role.WORKING_GROUP)
    item = ActionItemFactory(body=council, owner_person=owner)
    colleague = token_client(user_with_role(cluster, Role.WORKING_GROUP))
    assert colleague.post(f"{API}/action-items/{item.pk}/status/", {"status": "done"}).status_code == 403
    client = token_client(owner)
    assert client.patch(f"{API}/action-items/{item.pk}/", {"title": "Mine now"}, format="json").status_code == 403
    assert client.delete(f"{API}/action-items/{item.pk}/").status_code == 403
    response = client.post(f"{API}/action-items/{item.pk}/status/", {"status": "done", "done_on": "2025-06-01"})
    assert response.status_code == 200, response.content
    assert (response.json()["status"], response.json()["done_on"], response.json()["overdue"]) == (
        "done",
        "2025-06-01",
        False,
    )
    item.refresh_from_db()
    assert (item.title, item.status) != ("Mine now", "open")


def test_done_date_in_the_future_is_400_on_done_on(api, cluster):
    item = ActionItemFactory(body=BodyFactory(cluster=cluster))
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    response = api.post(f"{API}/action-items/{item.pk}/status/", {"status": "done", "done_on": tomorrow})
    assert response.status_code == 400 and "done_on" in response.json()
    item.refresh_from_db()
    assert item.status == "open"


# --- Regulations ----------------------------------------------------------------------------------


def test_regulation_approval_supersedes_the_approved_version_and_freezes_it(api, cluster):
    rows = governance_rows(cluster)
    first = api.post(f"{API}/regulations/", {"cluster": cluster.pk, "kind": "decision_procedure", "title": "Votes"})
    second = api.post(f"{API}/regulations/", {"cluster": cluster.pk, "kind": "decision_procedure", "title": "Votes"})
    assert (first.json()["version"], second.json()["version"]) == (1, 2)
    for draft in (first.json(), second.json()):
        approved = api.post(f"{API}/regulations/{draft['id']}/approve/", {"decision": rows["decisions"].pk})
        assert approved.status_code == 200, approved.content
        assert (approved.json()["status"], approved.json()["effective_from"]) == ("approved", "2025-03-10")
    assert Regulation.objects.get(pk=first.json()["id"]).status == "superseded"
    edit = api.patch(f"{API}/regulations/{second.json()['id']}/", {"title": "Changed"}, format="json")
    assert edit.status_code == 400
    assert edit.json() == {"non_field_errors": ["Only a draft can be edited; make a new version instead."]}
    assert api.delete(f"{API}/regulations/{second.json()['id']}/").status_code == 409


def test_regulation_approved_by_an_office_decision_is_400_on_decision(api, cluster):
    office_body, people = body_with_members(cluster, BodyKind.OFFICE, members=1)
    decision = DecisionFactory(meeting=meeting_with_attendance(office_body, people, present=1))
    draft = RegulationFactory(cluster=cluster)
    response = api.post(f"{API}/regulations/{draft.pk}/approve/", {"decision": decision.pk}, format="json")
    assert response.status_code == 400
    assert response.json() == {"decision": ["Regulations are approved by a decision of the council."]}


# --- Filters and ordering -------------------------------------------------------------------------


def test_enterprise_filters_search_and_ordering(api, cluster, other_cluster):
    EnterpriseFactory(cluster=cluster, name="Farm One", kind="supplier", value_chain_link="supply")
    mill = EnterpriseFactory(
        cluster=cluster, name="Spinning Mill", kind="processor", value_chain_link="processing", taxpayer_id="307777777"
    )
    EnterpriseFactory(cluster=cluster, name="Left Farm", status="left")
    EnterpriseFactory(cluster=other_cluster, kind="processor", value_chain_link="processing")

    def names(query):
        response = api.get(f"{API}/enterprises/?{query}")
        assert response.status_code == 200, response.content
        return [row["name"] for row in response.json()["results"]]

    assert names("kind=processor") == ["Spinning Mill"]
    assert names("value_chain_link=processing") == ["Spinning Mill"]
    assert names("status=left") == ["Left Farm"]
    assert names(f"taxpayer_id={mill.taxpayer_id}") == ["Spinning Mill"]
    assert names("search=mill") == names("q=spin") == ["Spinning Mill"]
    assert names(f"cluster={cluster.pk}&ordering=-name") == ["Spinning Mill", "Left Farm", "Farm One"]
    assert api.get(f"{API}/enterprises/?kind=nonsense").status_code == 400


def test_body_and_membership_filters(api, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=2)
    BodyFactory(cluster=cluster, area="export", is_active=False)
    ended = MembershipFactory(body=council, end_date=datetime.date(2025, 2, 1))
    bodies = api.get(f"{API}/bodies/?kind=council&is_active=true").json()["results"]
    assert [(b["id"], b["member_count"]) for b in bodies] == [(council.pk, 2)]
    assert api.get(f"{API}/bodies/?area=export").json()["count"] == 1
    assert ids(api.get(f"{API}/memberships/?active=false")) == {ended.pk}
    assert len(ids(api.get(f"{API}/memberships/?active=true&body={council.pk}"))) == 2
    assert len(ids(api.get(f"{API}/memberships/?person={people[0].pk}"))) == 1


def test_meeting_and_decision_filters(api, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=3)
    group = BodyFactory(cluster=cluster)
    march = meeting_with_attendance(council, people, present=3, date=datetime.date(2025, 3, 10))
    may = MeetingFactory(body=group, date=datetime.date(2025, 5, 20), status="planned")
    adopted = DecisionFactory(meeting=march, votes_for=3)
    rejected = DecisionFactory(meeting=march, outcome="rejected", kind="strategic")
    assert ids(api.get(f"{API}/meetings/?date_after=2025-04-01")) == {may.pk}
    assert ids(api.get(f"{API}/meetings/?date_before=2025-04-01")) == {march.pk}
    assert ids(api.get(f"{API}/meetings/?status=planned&body={group.pk}")) == {may.pk}
    assert ids(api.get(f"{API}/decisions/?outcome=adopted")) == {adopted.pk}
    assert ids(api.get(f"{API}/decisions/?kind=strategic&body={council.pk}")) == {rejected.pk}
    assert ids(api.get(f"{API}/decisions/?meeting={march.pk}&cluster={cluster.pk}")) == {adopted.pk, rejected.pk}


def test_action_item_filters(api, cluster):
    council, people = body_with_members(cluster, BodyKind.COUNCIL, members=2)
    group = BodyFactory(cluster=cluster)
    today = timezone.localdate()
    late = ActionItemFactory(body=council, owner_person=people[0], deadline=today - datetime.timedelta(days=3))
    later = ActionItemFactory(body=council, owner_person=people[1], deadline=today + datetime.timedelta(days=30))
    grouped = ActionItemFactory(body=group, owner_person=None, owner_group=group, deadline=today)
    done = ActionItemFactory(body=council, owner_person=people[0], deadline=today - datetime.timedelta(days=9))
    ActionItem.objects.filter(pk=done.pk).update(status="done", done_on=today - datetime.timedelta(days=10))
    assert ids(api.get(f"{API}/action-items/?overdue=true")) == {late.pk}
    assert ids(api.get(f"{API}/action-items/?overdue=false")) == {later.pk, grouped.pk, done.pk}
    assert ids(api.get(f"{API}/action-items/?owner_person={people[0].pk}")) == {late.pk, done.pk}
    assert ids(api.get(f"{API}/action-items/?owner_group={group.pk}")) == {grouped.pk}
    assert ids(api.get(f"{API}/action-items/?status=done")) == {done.pk}
    assert ids(api.get(f"{API}/action-items/?deadline_after={today.isoformat()}")) == {later.pk, grouped.pk}
    assert ids(api.get(f"{API}/action-items/?body={council.pk}&deadline_before={today.isoformat()}")) == {
        late.pk,
        done.pk,
    }
    listed = [row["id"] for row in api.get(f"{API}/action-items/").json()["results"]]
    assert listed[0] == late.pk  # overdue first
    overdue = {row["id"]: row["overdue"] for row in api.get(f"{API}/action-items/").json()["results"]}
    assert overdue == {late.pk: True, later.pk: False, grouped.pk: False, done.pk: False}


# --- Query counts ---------------------------------------------------------------------------------


def _add_rows(cluster, n):
    """n rows of every resource in `cluster` (and n clusters the office does not belong to)."""
    for _ in range(n):
        group, people = body_with_members(cluster, BodyKind.WORKING_GROUP, members=2)
        meeting = meeting_with_attendance(group, people, present=2)
        meeting.agenda_items.create(title="Follow-up")
        decision = DecisionFactory(meeting=meeting, votes_for=2)
        ActionItemFactory(body=group, decision=decision, owner_person=people[0])
        ActionItemFactory(body=group, owner_person=None, owner_group=group)
        RegulationFactory(cluster=cluster, body=group, kind="working_group")
        EnterpriseFactory(cluster=cluster)
        ClusterFactory()


def _list_queries(client, resource) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(f"{API}/{resource}/")
    assert response.status_code == 200
    return len(captured), response.json()["count"]


@pytest.mark.parametrize(
    "resource",
    ["clusters", "enterprises", "bodies", "memberships", "regulations", "meetings", "decisions", "action-items"],
)
def test_list_query_count_does_not_grow_with_rows(api, cluster, resource):
    admin = token_client(UserFactory(is_superuser=True, is_staff=True))
    _add_rows(cluster, 3)
    few = {who: _list_queries(client, resource) for who, client in [("office", api), ("admin", admin)]}
    _add_rows(cluster, 27)
    many = {who: _list_queries(client, resource) for who, client in [("office", api), ("admin", admin)]}
    for who in few:
        assert many[who][1] > few[who][1] or resource == "clusters" and who == "office"
        assert many[who][0] == few[who][0], (who, few[who], many[who])


# --- Schema ---------------------------------------------------------------------------------------


def test_schema_and_docs_answer_200(api):
    schema = api.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/action-items/{id}/status/" in schema.content
    assert api.get("/api/docs/").status_code == 200


def test_schema_validates_without_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
