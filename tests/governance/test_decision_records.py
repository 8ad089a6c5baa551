"""A decision says how it was taken (votes, or consensus: never rejected by votes left at zero), and is numbered
per body and year (2026/14) wherever it is cited; lists sort by their columns; empty choices read as words."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from governance import services
from governance.choices import BodyKind
from governance.models import Decision
from tests.governance.factories import (
    ActionItemFactory,
    ClusterRoleFactory,
    body_with_members,
    meeting_with_attendance,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def council(cluster):
    return body_with_members(cluster, BodyKind.COUNCIL, members=5, name="Klaster kengashi")


def meeting(council, day=datetime.date(2026, 3, 10)):
    body, people = council
    return meeting_with_attendance(body, people, present=4, date=day)


def record(at, **fields):
    return services.decision_save(decision=Decision(meeting=at, title=fields.pop("title", "Qaror"), **fields))


def test_votes_left_at_zero_are_refused_consensus_is_adopted(council):
    at = meeting(council)
    with pytest.raises(ValidationError) as error:
        record(at)
    assert "Enter the votes, or mark the decision as taken by consensus." in str(error.value)
    assert not Decision.objects.exists()
    agreed = record(at, by_consensus=True)
    assert agreed.outcome == "adopted"
    with pytest.raises(ValidationError):
        record(at, by_consensus=True, votes_for=3)
    assert record(at, votes_for=1, votes_against=3).outcome == "rejected"


def test_decisions_are_numbered_per_body_and_year(cluster, council):
    first, second = meeting(council), meeting(council, datetime.date(2026, 9, 1))
    assert [record(first, votes_for=4).number, record(second, votes_for=4).number] == ["2026/1", "2026/2"]
    assert record(meeting(council, datetime.date(2027, 1, 20)), votes_for=4).number == "2027/1"
    office = body_with_members(cluster, BodyKind.OFFICE, members=3, name="Klaster ofisi")
    assert record(meeting_with_attendance(*office, present=3, date=datetime.date(2026, 5, 5)), votes_for=3).number == (
        "2026/1"
    )
    assert str(Decision.objects.get(number="2026/2", meeting__body=council[0])) == "2026/2 Qaror"
    with pytest.raises(ValidationError) as error:
        record(second, votes_for=4, number="2026/1")
    assert "already has a decision with this number" in str(error.value)


def test_the_form_offers_consensus_and_says_empty_choices_in_words(client, cluster, council):
    at = meeting(council)
    client.force_login(ClusterRoleFactory(cluster=cluster, role="office").user)
    page = client.get("/governance/decisions/add/", {"meeting": at.pk}).content.decode()
    assert 'name="by_consensus"' in page and "---------" not in page and "Choose…" in page
    response = client.post(
        "/governance/decisions/add/",
        {"meeting": at.pk, "title": "Laboratoriya", "kind": "operational", "votes_for": 0, "votes_against": 0,
         "votes_abstain": 0, "items-TOTAL_FORMS": 0, "items-INITIAL_FORMS": 0},
    )  # fmt: skip
    assert response.status_code == 200 and "Enter the votes, or mark the decision" in response.content.decode()
    assert not Decision.objects.exists()
    for url in ("/governance/action-items/add/", "/governance/enterprises/", "/data/alerts/"):
        assert "---------" not in client.get(url).content.decode(), url


def test_the_office_sorts_its_tables_by_their_columns(client, cluster, council):
    body, _people = council
    for title, day in (("B", 3), ("A", 1), ("C", 2)):
        ActionItemFactory(body=body, cluster=cluster, title=title, deadline=datetime.date(2026, 1, day))
    client.force_login(ClusterRoleFactory(cluster=cluster, role="office").user)

    def titles(query):
        return [i.title for i in client.get("/governance/action-items/", query).context["object_list"]]

    assert titles({"sort": "title"}) == ["A", "B", "C"]
    assert titles({"sort": "-title"}) == ["C", "B", "A"]
    assert titles({"sort": "deadline"}) == ["A", "C", "B"]
    assert titles({"sort": "nonsense"}) == titles({})  # the list's own order
    page = client.get("/governance/action-items/", {"sort": "title"}).content.decode()
    assert 'aria-sort="ascending"><a href="?sort=-title" class="sort">' in page
    assert 'aria-sort="none"><a href="?sort=deadline" class="sort">' in page
