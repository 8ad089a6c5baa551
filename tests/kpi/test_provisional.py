"""Provisional and final months: a month's values are provisional until its deadline has passed; dashboards open
on the latest final month, say so and show the coverage; only final months open (and e-mail) alerts; a month that
has not begun is not computed."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from kpi import services
from kpi.models import Alert, ClusterKpi, KpiComputation, KpiValue, ReportingPeriod, add_months
from tests.governance.factories import BodyFactory, EnterpriseFactory, MembershipFactory, UserFactory
from tests.governance.test_api import API, token_client
from tests.kpi.test_alerts import report
from tests.kpi.test_dashboards import role
from tests.kpi.test_views import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def setup(cluster):
    """Eight processing mills, a DEFECT minimum of 5 %, a quality group with a member who gets mail."""
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )
    group = BodyFactory(cluster=cluster, name="Quality WG", area="quality")
    MembershipFactory(body=group, person=UserFactory(email="sifat@example.org"))
    mills = [EnterpriseFactory(cluster=cluster, value_chain_link="processing", name=f"Mill {i}") for i in range(8)]
    return mills


def this_month():
    return timezone.localdate().replace(day=1)


def open_month(cluster, month, deadline):
    return ReportingPeriod.objects.create(
        cluster=cluster, month=month, deadline=deadline, lock_date=deadline + datetime.timedelta(days=15)
    )


def final_and_provisional(cluster, mills):
    """Two months before last: final and fine; last month: its deadline ahead, three mills in, all bad."""
    last = add_months(this_month(), -1)
    earlier = add_months(last, -1)
    report(cluster, earlier, {m: (1000, 10) for m in mills})  # 1 %: on target, and final
    open_month(cluster, last, deadline=timezone.localdate() + datetime.timedelta(days=5))
    report(cluster, last, {m: (1000, 250) for m in mills[:3]})  # 25 % from three firms: provisional
    return earlier, last


def test_a_month_before_its_deadline_is_provisional_and_opens_no_alert_until_it_is_final(
    cluster, setup, django_capture_on_commit_callbacks
):
    earlier, last = final_and_provisional(cluster, setup)
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_values_compute_many(clusters=[cluster], spans=[f"{earlier:%Y-%m}", f"{last:%Y-%m}"])
    value = KpiValue.objects.get(cluster=cluster, kpi__code="DEFECT", scope="cluster", period=f"{last:%Y-%m}")
    assert value.status == "below_minimum"  # 25 %, but from three of eight mills before the deadline
    assert not Alert.objects.exists() and mail.outbox == []
    computation = KpiComputation.objects.get(cluster=cluster, period=f"{last:%Y-%m}")
    assert computation.is_provisional() and computation.coverage() == (3, 8)
    assert computation.coverage("processing") == (3, 8)

    # The deadline passes: the nightly job computes the month as final, and the alert opens and is e-mailed once.
    after = ReportingPeriod.objects.get(cluster=cluster, month=last).deadline_at + datetime.timedelta(hours=1)
    assert (cluster.pk, f"{last:%Y-%m}") in services.kpi_values_due(now=after)
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_values_compute_due(now=after)
    alert = Alert.objects.get(cluster=cluster, scope="cluster")
    assert (alert.status, alert.opened_period) == ("open", f"{last:%Y-%m}")
    assert [m.to for m in mail.outbox] == [["sifat@example.org"]] * Alert.objects.count()
    assert not KpiComputation.objects.get(cluster=cluster, period=f"{last:%Y-%m}").is_provisional(after)
    with django_capture_on_commit_callbacks(execute=True):
        services.kpi_values_compute(cluster=cluster, span=f"{last:%Y-%m}", now=after)
    assert len(mail.outbox) == Alert.objects.count()  # computed again: no second e-mail


def test_dashboards_open_on_the_latest_final_month_with_the_provisional_one_a_click_away(client, cluster, setup):
    earlier, last = final_and_provisional(cluster, setup)
    for month in (earlier, last):
        services.kpi_values_compute(cluster=cluster, span=f"{month:%Y-%m}")
    login(client, role(cluster, "council"))
    page = client.get(reverse("kpi:overview")).content.decode()
    assert f"· {earlier:%Y-%m}</h1>" in page
    assert "8 of 8 enterprises counted." in page
    assert f'href="?period={last:%Y-%m}" id="see-provisional"' in page
    assert "3 of 8 enterprises counted so far" in page

    page = client.get(reverse("kpi:overview"), {"period": f"{last:%Y-%m}"}).content.decode()
    assert f"· {last:%Y-%m}</h1>" in page and "Provisional" in page and "3 of 8 enterprises counted." in page
    assert f"{last:%Y-%m} · provisional</option>" in page
    detail = client.get(reverse("kpi:kpi_detail", args=["DEFECT"])).content.decode()
    assert f"· {earlier:%Y-%m}</h1>" in detail and "8 / 8" in detail


def test_the_enterprise_self_view_says_provisional(client, cluster, setup):
    earlier, last = final_and_provisional(cluster, setup)
    for month in (earlier, last):
        services.kpi_values_compute(cluster=cluster, span=f"{month:%Y-%m}")
    login(client, role(cluster, "enterprise", enterprises=[setup[0]]))
    page = client.get(reverse("kpi:enterprise_view", args=[setup[0].pk]), {"period": f"{last:%Y-%m}"})
    assert "Provisional" in page.content.decode() and "3 of 8 enterprises counted." in page.content.decode()


def test_kpi_values_say_provisional_and_the_coverage_in_the_api_csv_and_reports(client, cluster, setup):
    earlier, last = final_and_provisional(cluster, setup)
    for month in (earlier, last):
        services.kpi_values_compute(cluster=cluster, span=f"{month:%Y-%m}")
    api = token_client(role(cluster, "council"))
    rows = api.get(API + "/kpi-values/", {"cluster": cluster.pk, "kpi": "DEFECT", "scope": "cluster"}).json()
    by_period = {r["period"]: r for r in rows["results"]}
    assert by_period[f"{last:%Y-%m}"]["provisional"] is True
    provisional = by_period[f"{last:%Y-%m}"]
    assert (provisional["reporting_enterprises"], provisional["expected_enterprises"]) == (3, 8)
    assert by_period[f"{earlier:%Y-%m}"]["provisional"] is False
    final_only = api.get(API + "/kpi-values/", {"cluster": cluster.pk, "provisional": "false"}).json()
    assert final_only["count"] and {r["period"] for r in final_only["results"]} == {f"{earlier:%Y-%m}"}

    login(client, role(cluster, "office"))
    csv = client.get(reverse("kpi:kpi_values_export"), {"period": f"{last:%Y-%m}"}).content.decode()
    assert csv.splitlines()[0].endswith(",provisional") and csv.splitlines()[1].endswith(",true")
    import io

    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(reverse("kpi:report_download", args=[f"{last:%Y-%m}", "xlsx"])).content))
    title, _generated, note = (book.worksheets[0].cell(row=r, column=1).value for r in (1, 2, 3))
    assert title.endswith("provisional") and "3 of 8 enterprises counted" in note
    pdf = client.get(reverse("kpi:report_download", args=[f"{earlier:%Y-%m}", "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_a_month_that_has_not_begun_is_refused_and_dashboards_do_not_open_on_it(
    client, cluster, setup, django_capture_on_commit_callbacks
):
    earlier, _last = final_and_provisional(cluster, setup)
    services.kpi_values_compute(cluster=cluster, span=f"{earlier:%Y-%m}")
    future = add_months(this_month(), 1)
    office = role(cluster, "office")
    answer = token_client(office).post(API + "/kpi-values/recompute/", {"cluster": cluster.pk, "period": "2030-01"})
    assert answer.status_code == 400 and "has not begun" in answer.json()["period"][0]
    login(client, office)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kpi:recompute"), {"period": f"{future:%Y-%m}"}, follow=True)
    assert "has not begun" in response.content.decode()
    assert not KpiComputation.objects.filter(period__in=["2030-01", f"{future:%Y-%m}"]).exists()
    with pytest.raises(Exception, match="has not begun"):
        services.kpi_values_compute(cluster=cluster, span="2030-Q1")
    # This month has begun (it is not open for reporting yet): computing it is allowed, and it stays provisional.
    services.kpi_values_compute(cluster=cluster, span=f"{this_month():%Y-%m}")
    assert KpiComputation.objects.get(cluster=cluster, period=f"{this_month():%Y-%m}").is_provisional()
    page = client.get(reverse("kpi:overview")).content.decode()
    assert f"· {earlier:%Y-%m}</h1>" in page


def test_the_nightly_job_computes_the_month_being_reported_once_a_day(cluster, setup):
    _earlier, last = final_and_provisional(cluster, setup)
    key = f"{last:%Y-%m}"
    now = timezone.now()
    assert (cluster.pk, key) in services.kpi_values_due(now=now)
    services.kpi_values_compute(cluster=cluster, span=key, now=now)
    assert (cluster.pk, key) not in services.kpi_values_due(now=now)
    assert (cluster.pk, key) in services.kpi_values_due(now=now + datetime.timedelta(days=1))
