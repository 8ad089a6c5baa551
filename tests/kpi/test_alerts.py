import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from governance.models import ActionItem
from kpi import services
from kpi.choices import SubmissionStatus
from kpi.models import Alert, ClusterKpi, DataElement, DataValue, ReportingPeriod, Span, Submission, add_months
from tests.governance.factories import BodyFactory, EnterpriseFactory, MembershipFactory, UserFactory

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
