import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from governance.models import ActionItem
from kpi import services
from kpi.choices import SubmissionStatus
from kpi.models import Alert, ClusterKpi, DataElement, DataValue, ReportingPeriod, Span, Submission, add_months
from tests.governance.factories import (
    BodyFactory,
    ClusterRoleFactory,
    EnterpriseFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

FIRST = datetime.date(2025, 3, 1)


@pytest.fixture
def quality_group(cluster):
    group = BodyFactory(cluster=cluster, name="Quality WG", area="quality")
    MembershipFactory(body=group, person=UserFactory(email="sifat@example.org"))
    return group


@pytest.fixture
def firms(cluster):
    return [
        EnterpriseFactory(cluster=cluster, name=name, value_chain_link=link)
        for name, link in [
            ("Good Yarn", "processing"),
            ("Bad Weave", "processing"),
            ("Fair Dye", "processing"),
            ("Field Supply", "supply"),
        ]
    ]


def report(cluster, month, figures: dict):
    """figures: {enterprise: (produced, defective)}, approved."""
    period, _ = ReportingPeriod.objects.get_or_create(
        cluster=cluster,
        month=month,
        defaults={"deadline": add_months(month, 1).replace(day=10), "lock_date": add_months(month, 1).replace(day=25)},
    )
    produced, defective = (
        DataElement.objects.get(code="produced_units"),
        DataElement.objects.get(code="defective_units"),
    )
    for enterprise, (p, d) in figures.items():
        Submission.objects.create(
            cluster=cluster,
            enterprise=enterprise,
            period=period,
            status=SubmissionStatus.APPROVED,
            submitted_at=datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC),
        )
        DataValue.objects.create(cluster=cluster, enterprise=enterprise, period=period, data_element=produced, value=p)
        DataValue.objects.create(cluster=cluster, enterprise=enterprise, period=period, data_element=defective, value=d)


@pytest.fixture
def defect_minimum(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )


def test_a_kpi_below_its_minimum_opens_an_alert_for_the_areas_working_group(
    cluster, firms, quality_group, defect_minimum, django_capture_on_commit_callbacks
):
    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 10), bad: (1000, 200), fair: (1000, 60), supply: (1000, 10)})
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_values_compute(cluster=cluster, span="2025-03")

    alerts = Alert.objects.filter(cluster=cluster, kpi__code="DEFECT")
    assert {(a.scope, a.link) for a in alerts} == {("cluster", ""), ("link", "processing")}
    link_alert = alerts.get(scope="link")
    assert link_alert.working_group == quality_group
    assert link_alert.value == Decimal("0.09")  # 270 / 3000: a ratio of sums
    named = list(link_alert.contributors.values_list("enterprise__name", "share"))
    # minimum 5 %: Bad Weave misses 150 defective units' worth, Fair Dye 10: shares of the shortfall.
    assert named == [("Bad Weave", Decimal("0.9375")), ("Fair Dye", Decimal("0.0625"))]
    assert [m.to for m in mail.outbox] == [["sifat@example.org"], ["sifat@example.org"]]


def test_an_alert_follows_the_months_below_and_closes_when_back_above(cluster, firms, quality_group, defect_minimum):
    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 10), bad: (1000, 200), fair: (1000, 10), supply: (1000, 10)})
    report(cluster, add_months(FIRST, 1), {good: (1000, 10), bad: (1000, 150), fair: (1000, 10), supply: (1000, 10)})
    report(cluster, add_months(FIRST, 2), {good: (1000, 10), bad: (1000, 20), fair: (1000, 10), supply: (1000, 10)})
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    services.kpi_values_compute(cluster=cluster, span="2025-04")
    alert = Alert.objects.get(cluster=cluster, kpi__code="DEFECT", scope="link")
    assert (alert.status, alert.opened_period, alert.period) == ("open", "2025-03", "2025-04")
    assert alert.value == Decimal("0.17") / 3 * 1 or alert.value.quantize(Decimal("0.0001")) == Decimal("0.0567")

    services.kpi_values_compute(cluster=cluster, span="2025-03")  # an older month again: nothing moves
    alert.refresh_from_db()
    assert (alert.status, alert.period) == ("open", "2025-04")

    services.kpi_values_compute(cluster=cluster, span="2025-05")
    alert.refresh_from_db()
    assert (alert.status, alert.closed_period) == ("closed", "2025-05")
    assert Alert.objects.filter(cluster=cluster, status="open").count() == 0


def test_the_office_can_give_a_kpi_to_another_working_group(cluster, firms, quality_group, defect_minimum):
    other = BodyFactory(cluster=cluster, name="Logistics WG", area="logistics")
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(working_group=other)
    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 100), bad: (1000, 200), fair: (1000, 100), supply: (1000, 100)})
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    assert set(Alert.objects.values_list("working_group__name", flat=True)) == {"Logistics WG"}


def test_one_click_makes_an_alert_an_action_item_of_the_working_group(
    cluster, firms, quality_group, defect_minimum, office_user
):
    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 10), bad: (1000, 200), fair: (1000, 60), supply: (1000, 10)})
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    alert = Alert.objects.get(scope="link")

    item = services.alert_to_action_item(alert=alert, user=office_user)

    assert item.owner_group == quality_group and item.body == quality_group
    # Every member of the cluster reads action items: the enterprises are named on the alert, for those who may.
    assert "Bad Weave" not in item.description and alert.get_absolute_url() in item.description
    assert alert.contributors.get(rank=1).enterprise == bad
    alert.refresh_from_db()
    assert alert.action_item == item
    with pytest.raises(ValidationError):
        services.alert_to_action_item(alert=alert, user=office_user)
    assert ActionItem.objects.count() == 1


def test_an_alert_without_a_working_group_asks_for_one(cluster, firms, defect_minimum, office_user):
    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 100), bad: (1000, 200), fair: (1000, 100), supply: (1000, 100)})
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    alert = Alert.objects.get(scope="cluster")
    assert alert.working_group is None
    with pytest.raises(ValidationError) as error:
        services.alert_to_action_item(alert=alert, user=office_user)
    assert "working_group" in error.value.message_dict
    assert ActionItem.objects.count() == 0


def test_an_alert_opened_and_closed_within_one_recomputation_sends_no_mail(
    cluster, firms, quality_group, defect_minimum, django_capture_on_commit_callbacks
):
    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 10), bad: (1000, 200), fair: (1000, 10), supply: (1000, 10)})
    report(cluster, add_months(FIRST, 1), {good: (1000, 10), bad: (1000, 10), fair: (1000, 10), supply: (1000, 10)})
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_values_compute_many(clusters=[cluster], spans=["2025-03", "2025-04"])
    assert Alert.objects.filter(cluster=cluster, kpi__code="DEFECT", status="closed").exists()
    assert mail.outbox == []


def test_when_corrected_figures_join_two_runs_the_alert_people_were_told_of_stays_open(
    cluster, firms, quality_group, defect_minimum, django_capture_on_commit_callbacks
):
    """March below, April back above (March's alert closes unseen), May and June below (an alert, e-mailed); then
    April's figures are corrected to below: one run, March to June, and it is the e-mailed alert, mailed once."""
    good, bad, fair, supply = firms
    months = [add_months(FIRST, i) for i in range(4)]
    for month, defective in zip(months, (200, 10, 200, 200), strict=True):
        report(cluster, month, {good: (1000, 10), bad: (1000, defective), fair: (1000, 10), supply: (1000, 10)})
    for month in months:
        with django_capture_on_commit_callbacks(execute=True):
            services.kpi_values_compute(cluster=cluster, span=Span.month(month))
    told = Alert.objects.get(cluster=cluster, scope="link", status="open")
    assert (told.opened_period, told.period, told.notified_at is not None) == ("2025-05", "2025-06", True)
    assert len(mail.outbox) == 2  # the cluster's and the link's alert, once each

    DataValue.objects.filter(enterprise=bad, period__month=months[1], data_element__code="defective_units").update(
        value=200
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_values_compute(cluster=cluster, span="2025-04")
    open_alerts = Alert.objects.filter(cluster=cluster, scope="link", status="open")
    assert [a.pk for a in open_alerts] == [told.pk]
    told.refresh_from_db()
    assert (told.opened_period, told.period) == ("2025-03", "2025-06")
    assert len(mail.outbox) == 2  # nobody is told twice


def test_the_working_groups_members_find_an_alert_among_their_notifications_once(
    client, cluster, firms, quality_group, defect_minimum, django_capture_on_commit_callbacks
):
    from governance.models import Notification

    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 10), bad: (1000, 200), fair: (1000, 60), supply: (1000, 10)})
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_values_compute(cluster=cluster, span="2025-03")
        services.kpi_values_compute(cluster=cluster, span="2025-03")  # computed again: nobody is told twice
    member = quality_group.memberships.get().person
    notes = Notification.objects.filter(recipient=member, kind="alert").order_by("key")
    alerts = Alert.objects.filter(cluster=cluster).order_by("pk")
    assert [n.url for n in notes] == [a.get_absolute_url() for a in alerts]
    ClusterRoleFactory(cluster=cluster, role="working_group", user=member)
    client.force_login(member)
    client.post("/i18n/setlang/", {"language": "uz", "next": "/"})
    page = client.get("/notifications/").content.decode()
    # The KPI's name in the reader's language, and no value: the group need not see unpublished figures.
    assert "Nuqson (brak) darajasi" in page and "butun klaster" in page
    assert "0.09" not in page and "9%" not in page


@pytest.fixture
def two_alerts(cluster, firms, quality_group, defect_minimum):
    """DEFECT below its minimum in the whole cluster and in processing, March 2025 (both the quality group's)."""
    good, bad, fair, supply = firms
    report(cluster, FIRST, {good: (1000, 10), bad: (1000, 200), fair: (1000, 60), supply: (1000, 10)})
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    return Alert.objects.get(scope="cluster"), Alert.objects.get(scope="link")


def test_the_kpi_page_links_its_alerts_and_the_alert_names_the_firms_behind_it(client, cluster, two_alerts):
    from tests.governance.factories import user_with_role

    whole, processing = two_alerts
    client.force_login(user_with_role(cluster, "council"))
    page = client.get("/data/kpis/DEFECT/?period=2025-03").content.decode()
    assert 'id="kpi-alerts"' in page
    assert page.count(f'href="{whole.get_absolute_url()}"') >= 2  # listed, and at the cluster's value
    assert f'href="{processing.get_absolute_url()}"' in page
    assert "/data/alerts/?kpi=DEFECT&amp;status=all" in page
    # One click on: the alert names the enterprises that pull the value down, worst first.
    names = [c.enterprise.name for c in client.get(processing.get_absolute_url()).context["contributors"]]
    assert names == ["Bad Weave", "Fair Dye"]
    # A KPI without alerts lists none.
    assert 'id="kpi-alerts"' not in client.get("/data/kpis/OTD/?period=2025-03").content.decode()


def test_the_alert_list_filters_by_kpi_link_working_group_and_state(client, cluster, office_user, two_alerts):
    whole, processing = two_alerts
    other_group = BodyFactory(cluster=cluster, name="Logistics WG", area="logistics")
    client.force_login(office_user)

    def listed(query):
        response = client.get("/data/alerts/", query)
        assert response.status_code == 200
        return sorted(a.pk for a in response.context["alerts"])

    assert listed({}) == sorted([whole.pk, processing.pk])  # open ones
    assert listed({"link": "processing"}) == [processing.pk]
    assert listed({"link": "cluster"}) == [whole.pk]
    assert listed({"kpi": "DEFECT", "working_group": whole.working_group_id}) == sorted([whole.pk, processing.pk])
    assert listed({"working_group": other_group.pk}) == []
    assert listed({"kpi": "OTD"}) == []
    Alert.objects.filter(pk=whole.pk).update(status="closed", closed_period="2025-04", closed_at=whole.opened_at)
    assert listed({}) == [processing.pk]
    assert listed({"status": "closed"}) == [whole.pk]
    assert listed({"status": "all"}) == sorted([whole.pk, processing.pk])
    page = client.get("/data/alerts/").content.decode()
    assert '<option value="DEFECT">Defect rate</option>' in page  # KPIs by name, not code
    # A working group of another cluster is not offered, and asking for it is refused at the field.
    foreign = BodyFactory(name="Fergana WG")
    assert f'value="{foreign.pk}"' not in page
    refused = client.get("/data/alerts/", {"working_group": foreign.pk})
    assert refused.context["filter"].errors
    assert [a.pk for a in refused.context["alerts"]] == [processing.pk]  # the open ones, not every alert


def test_an_action_item_made_from_an_alert_links_back_and_states_formatted_figures(
    client, cluster, office_user, two_alerts
):
    whole, processing = two_alerts
    Alert.objects.filter(pk=processing.pk).update(disclosed=True)
    processing.refresh_from_db()
    client.force_login(office_user)
    item = services.alert_to_action_item(alert=processing, user=office_user)
    assert "9.0 %" in item.description and "5.0 %" in item.description  # 0.09 and 0.05 as people read them
    assert "0.09" not in item.description and "0.0500" not in item.description
    page = client.get(item.get_absolute_url()).content.decode()
    assert f'<a href="{processing.get_absolute_url()}" class="source">' in page
    assert "Alert: Defect rate breached its minimum (Processing, since 2025-03)" in page
