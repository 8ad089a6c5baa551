"""Each role lands on a home made for it (issue 13, item 1): what waits for the office, the KPIs and what is due
for a council member, a working group's alerts, items and projects, an enterprise's month of reporting. Each sees
only what the scoping helper lets it see; the navigation shows each role what it uses."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from governance.choices import BodyKind
from governance.models import AgendaItem
from kpi import services
from kpi.choices import SubmissionStatus
from kpi.models import ClusterKpi, ReportingPeriod, Submission, add_months
from tests.governance.factories import (
    ActionItemFactory,
    BodyFactory,
    EnterpriseFactory,
    MeetingFactory,
    MembershipFactory,
    user_with_role,
)
from tests.kpi.test_alerts import FIRST, report
from tests.kpi.test_views import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def open_month(cluster):
    """The month being reported now: its deadline in ten days."""
    today = timezone.localdate()
    month = add_months(today.replace(day=1), -1)
    return ReportingPeriod.objects.create(
        cluster=cluster,
        month=month,
        deadline=today + datetime.timedelta(days=10),
        lock_date=today + datetime.timedelta(days=20),
    )


def test_login_lands_on_the_home(client, cluster):
    user = user_with_role(cluster, "council", username="council", password="pass-12345-long")
    response = client.post(reverse("login"), {"username": "council", "password": "pass-12345-long"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert response.context["roles"] == ["council"] and user.is_authenticated


def test_the_office_sees_what_waits_for_it(client, cluster, open_month):
    firms = [EnterpriseFactory(cluster=cluster, name=f"Tegirmon {i}") for i in range(3)]
    Submission.objects.create(
        cluster=cluster, enterprise=firms[0], period=open_month, status=SubmissionStatus.SUBMITTED,
        submitted_at=timezone.now(),
    )  # fmt: skip
    today = timezone.localdate()
    past = ReportingPeriod.objects.create(
        cluster=cluster, month=add_months(open_month.month, -1), deadline=today - datetime.timedelta(days=3),
        lock_date=today + datetime.timedelta(days=5),
    )  # fmt: skip
    Submission.objects.create(
        cluster=cluster, enterprise=firms[1], period=past, status=SubmissionStatus.APPROVED, submitted_at=timezone.now()
    )
    ActionItemFactory(body=BodyFactory(cluster=cluster), deadline=timezone.localdate() - datetime.timedelta(days=1))
    login(client, user_with_role(cluster, "office"))
    page = client.get(reverse("home"))
    assert page.status_code == 200
    panel = page.context["panels"]["office"]
    assert [s.enterprise for s in panel.to_approve.rows] == [firms[0]] and panel.to_approve.count == 1
    assert panel.missing_period == past
    assert {e.name for e in panel.missing.rows} == {"Tegirmon 0", "Tegirmon 2"}  # Tegirmon 1 is approved
    assert panel.overdue.count == 1
    text = page.content.decode()
    assert "Tegirmon 0" in text and 'href="/api/docs/"' in text


def test_an_enterprise_sees_its_month_with_the_deadline_and_a_return_reason(client, cluster, open_month):
    own, other = (
        EnterpriseFactory(cluster=cluster, name="Olot Baraka"),
        EnterpriseFactory(cluster=cluster, name="Raqib"),
    )
    Submission.objects.create(
        cluster=cluster, enterprise=own, period=open_month, status=SubmissionStatus.RETURNED,
        returned_reason="Nuqsonli birliklar soni ishlab chiqarilgandan ko'p", submitted_at=timezone.now(),
    )  # fmt: skip
    Submission.objects.create(
        cluster=cluster, enterprise=other, period=open_month, status=SubmissionStatus.RETURNED,
        submitted_at=timezone.now(),
    )  # fmt: skip
    login(client, user_with_role(cluster, "enterprise", enterprises=[own]))
    page = client.get(reverse("home"))
    panel = page.context["panels"]["enterprise"]
    assert [(d.enterprise, d.status, d.days_left) for d in panel.due] == [(own, "returned", 10)]
    text = page.content.decode()
    assert "Nuqsonli birliklar soni" in text and "Raqib" not in text
    assert reverse("kpi:report_form", args=[own.pk, open_month.key]) in text
    assert 'href="/api/docs/"' not in text  # no API link in a farm's menu
    assert 'href="/data/"' in text  # its monthly data


def test_a_council_member_sees_the_latest_final_month_and_the_next_meeting(client, cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )
    report(cluster, FIRST, {EnterpriseFactory(cluster=cluster): (1000, 10 + i) for i in range(4)})
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    council = BodyFactory(cluster=cluster, kind=BodyKind.COUNCIL, name="Klaster kengashi")
    meeting = MeetingFactory(
        body=council, title="Kengash yig'ilishi", date=timezone.localdate() + datetime.timedelta(days=7)
    )
    AgendaItem.objects.create(meeting=meeting, position=1, title="2027 yil byudjetini tasdiqlash")
    follow_up = ActionItemFactory(body=council, title="Ombor", deadline=timezone.localdate())
    AgendaItem.objects.create(meeting=meeting, position=2, title="Ombor: bajarilishi", action_item=follow_up)
    login(client, user_with_role(cluster, "council"))
    page = client.get(reverse("home"))
    panel = page.context["panels"]["council"]
    assert [item.title for item in panel.to_decide] == ["2027 yil byudjetini tasdiqlash"]  # not the follow-up
    assert panel.period.key == "2025-03"
    assert any(t.kpi.code == "DEFECT" and t.current is not None for t in panel.tiles)
    assert panel.next_meeting == meeting
    text = page.content.decode()
    assert "Kengash yig&#x27;ilishi" in text and 'href="/api/docs/"' not in text and 'href="/data/"' not in text


def test_a_working_group_member_sees_the_groups_work_only(client, cluster):
    user = user_with_role(cluster, "working_group")
    mine, theirs = (
        BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, name="Sifat ishchi guruhi"),
        BodyFactory(cluster=cluster, kind=BodyKind.WORKING_GROUP, name="Logistika ishchi guruhi"),
    )
    MembershipFactory(body=mine, person=user)
    today = timezone.localdate()
    ActionItemFactory(body=mine, owner_group=mine, owner_person=None, title="Laboratoriya jadvali", deadline=today)
    ActionItemFactory(body=theirs, owner_group=theirs, owner_person=None, title="Ombor hisobi", deadline=today)
    login(client, user)
    page = client.get(reverse("home"))
    panel = page.context["panels"]["working_group"]
    assert panel.groups == [mine]
    assert [i.title for i in panel.items.rows] == ["Laboratoriya jadvali"]


def test_the_homes_take_the_same_queries_for_4_and_40_enterprises(client, cluster, other_cluster):
    counts = []
    for c, n in ((cluster, 4), (other_cluster, 40)):
        services.cluster_kpis_ensure(cluster=c)
        firms = [EnterpriseFactory(cluster=c) for _ in range(n)]
        report(c, FIRST, {f: (1000, 10) for f in firms})
        services.kpi_values_compute(cluster=c, span="2025-03")
        per_role = []
        for role, extra in (("office", {}), ("council", {}), ("enterprise", {"enterprises": firms[:1]})):
            login(client, user_with_role(c, role, **extra))
            client.get(reverse("home"))
            with CaptureQueriesContext(connection) as queries:
                assert client.get(reverse("home")).status_code == 200
            per_role.append(len(queries))
            client.logout()
        counts.append(per_role)
    assert counts[0] == counts[1]


def test_someone_without_a_cluster_is_told_so(client, db):
    from tests.governance.factories import UserFactory

    login(client, UserFactory())
    response = client.get(reverse("home"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("governance:overview")
