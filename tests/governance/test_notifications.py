"""In-app notifications: who is told of what, once; the count in the header; the list, read and unread; nobody
reads another's."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance import services
from governance.choices import BodyKind, MeetingStatus
from governance.models import ActionItem, Notification
from governance.notifications import mark_read, notify, unread_count
from kpi import services as kpi_services
from kpi.choices import SubmissionStatus
from tests.governance.factories import (
    BodyFactory,
    ClusterRoleFactory,
    EnterpriseFactory,
    MeetingFactory,
    MembershipFactory,
    UserFactory,
)
from tests.kpi.factories import ReportingPeriodFactory, SubmissionFactory

pytestmark = pytest.mark.django_db


def texts(user):
    return [(n.kind, n.text) for n in Notification.objects.filter(recipient=user).order_by("pk")]


@pytest.fixture
def group(cluster):
    return BodyFactory(cluster=cluster, name="Sifat ishchi guruhi", area="quality")


def member(group, **fields):
    return MembershipFactory(body=group, person=UserFactory(**fields), start_date=datetime.date(2025, 1, 1)).person


def test_a_returned_submission_tells_the_enterprises_representatives_and_only_them(cluster):
    firm, neighbour = EnterpriseFactory(cluster=cluster, name="Buxoro Ip"), EnterpriseFactory(cluster=cluster)
    reporter = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[firm]).user
    other = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[neighbour]).user
    office = ClusterRoleFactory(cluster=cluster, role="office").user
    today = timezone.localdate()
    period = ReportingPeriodFactory(
        cluster=cluster,
        month=today.replace(day=1),
        deadline=today + datetime.timedelta(days=5),
        lock_date=today + datetime.timedelta(days=20),
    )
    submission = SubmissionFactory(
        enterprise=firm, period=period, status=SubmissionStatus.SUBMITTED, submitted_at=timezone.now()
    )
    kpi_services.submission_return(submission=submission, user=office, reason="Eksport ikki marta.")
    assert texts(reporter) == [
        ("submission_returned", f"The office returned the figures of Buxoro Ip for {period.key}: Eksport ikki marta.")
    ]
    assert texts(other) == [] and texts(office) == []
    assert Notification.objects.get(recipient=reporter).url == reverse("kpi:report_form", args=[firm.pk, period.key])
    # Returned again after a resubmission: a new event, told again.
    Notification.objects.update(read_at=timezone.now())
    submission.refresh_from_db()
    submission.status = SubmissionStatus.SUBMITTED
    submission.save()
    kpi_services.submission_return(submission=submission, user=office, reason="Yana.")
    assert unread_count(reporter) == 1


def test_an_action_item_tells_its_owner_once_and_a_new_owner_again(cluster, group):
    owner = ClusterRoleFactory(cluster=cluster, role="working_group").user
    first, second = member(group), member(group)
    item = ActionItem(
        cluster=cluster,
        body=group,
        title="Laboratoriya jadvali",
        owner_person=owner,
        deadline=datetime.date(2030, 1, 1),
    )
    services.action_item_save(item=item)
    services.action_item_save(item=item)  # saved again, same owner: not told twice
    assert texts(owner) == [("action_assigned", "Action item for you: Laboratoriya jadvali, due 2030-01-01.")]
    item.owner_person, item.owner_group = None, group
    services.action_item_save(item=item)
    assert [k for k, _t in texts(first)] == [k for k, _t in texts(second)] == ["action_assigned"]


def test_an_overdue_item_tells_its_owners_once_per_deadline(cluster, group):
    people = [member(group), member(group)]
    gone = MembershipFactory(body=group, person=UserFactory(), end_date=datetime.date(2025, 6, 1)).person
    item = ActionItem.objects.create(
        cluster=cluster, body=group, owner_group=group, title="Yetkazib berish", deadline=datetime.date(2026, 1, 10)
    )
    day = datetime.date(2026, 1, 11)
    assert services.action_items_overdue_notify(today=day) == 2
    assert services.action_items_overdue_notify(today=day + datetime.timedelta(days=1)) == 0
    assert texts(gone) == []
    ActionItem.objects.filter(pk=item.pk).update(deadline=datetime.date(2026, 1, 20))
    assert services.action_items_overdue_notify(today=datetime.date(2026, 1, 21)) == 2
    assert [t for _k, t in texts(people[0])] == [
        "Action item overdue since 2026-01-10: Yetkazib berish.",
        "Action item overdue since 2026-01-20: Yetkazib berish.",
    ]
    # Done items tell nobody.
    ActionItem.objects.filter(pk=item.pk).update(status="done", done_on=datetime.date(2026, 1, 22), deadline=day)
    assert services.action_items_overdue_notify(today=datetime.date(2026, 2, 1)) == 0


def test_an_item_on_a_coming_meetings_agenda_tells_the_members_to_decide(cluster):
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, name="Klaster kengashi", area="")
    people = [member(council), member(council)]
    coming = MeetingFactory(body=council, date=timezone.localdate() + datetime.timedelta(days=7), status="planned")
    services.agenda_item_add(meeting=coming, title="2027 yil byudjeti")
    assert [t for _k, t in texts(people[0])] == [
        f"On the agenda of Klaster kengashi on {coming.date.isoformat()}: 2027 yil byudjeti."
    ]
    held = MeetingFactory(body=council, date=datetime.date(2025, 3, 1), status=MeetingStatus.HELD)
    services.agenda_item_add(meeting=held, title="O'tgan masala")
    assert len(texts(people[1])) == 1


def test_the_header_counts_unread_and_the_list_opens_and_marks_them(client, cluster):
    person = ClusterRoleFactory(cluster=cluster, role="viewer").user
    for n in range(3):
        notify(
            cluster_id=cluster.pk,
            recipients=[person.pk],
            kind="to_decide",
            key=str(n),
            url="/governance/",
            facts={"body": "Kengash", "date": "2027-01-05", "title": f"Masala {n}"},
        )
    client.force_login(person)
    home = client.get("/").content.decode()
    assert 'id="unread-count">3<' in home
    listed = client.get("/notifications/")
    assert [n.text for n in listed.context["notifications"]][0] == "On the agenda of Kengash on 2027-01-05: Masala 2."
    newest = listed.context["notifications"][0]
    opened = client.get(reverse("notification_open", args=[newest.pk]))
    assert opened.status_code == 302 and opened["Location"] == "/governance/"
    assert unread_count(person) == 2
    assert len(client.get("/notifications/?show=unread").context["notifications"]) == 2
    assert len(client.get("/notifications/?show=all").context["notifications"]) == 3
    client.post(reverse("notifications_mark_read"), {"show": "all"})
    assert unread_count(person) == 0
    assert 'id="unread-count"' not in client.get("/").content.decode()


def test_nobody_opens_or_marks_anothers_notification(client, cluster, other_cluster):
    mine, theirs = UserFactory(), ClusterRoleFactory(cluster=cluster, role="office").user
    ClusterRoleFactory(cluster=cluster, role="viewer", user=mine)
    notify(cluster_id=cluster.pk, recipients=[theirs.pk], kind="to_decide", key="x", url="/", facts={})
    note = Notification.objects.get()
    client.force_login(mine)
    assert client.get(reverse("notification_open", args=[note.pk])).status_code == 404
    client.post(reverse("notifications_mark_read"), {"pk": [note.pk]})
    assert mark_read(mine) == 0
    note.refresh_from_db()
    assert note.read_at is None
    assert list(client.get("/notifications/?show=all").context["notifications"]) == []
    # A platform administrator reads only their own too.
    admin = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(admin)
    assert list(client.get("/notifications/?show=all").context["notifications"]) == []


def test_the_notification_count_costs_one_query_whatever_the_number(client, cluster):
    person = ClusterRoleFactory(cluster=cluster, role="viewer").user
    client.force_login(person)

    def queries():
        with CaptureQueriesContext(connection) as context:
            client.get("/notifications/?show=all")
        return len(context.captured_queries)

    notify(cluster_id=cluster.pk, recipients=[person.pk], kind="to_decide", key="0", url="/", facts={})
    few = queries()
    for n in range(1, 8):
        notify(cluster_id=cluster.pk, recipients=[person.pk], kind="to_decide", key=str(n), url="/", facts={})
    assert queries() == few
