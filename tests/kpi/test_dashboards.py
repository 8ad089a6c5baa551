"""KPI pages and the kpi-values and alerts API: who sees what, query counts, recomputation."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.models import ActionItem
from kpi import services
from kpi.models import Alert, ClusterKpi, Kpi, KpiValue
from tests.governance.factories import BodyFactory, ClusterRoleFactory, EnterpriseFactory
from tests.governance.test_api import API, token_client
from tests.kpi.test_alerts import FIRST, report
from tests.kpi.test_views import login
from tests.kpi.values import enterprise_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def computed(cluster):
    """Five processing firms, two supply firms and three service firms reporting defects; DEFECT has a target and
    minimum. The supply link (two firms) is the office's only, and so is the service link: the cluster minus the
    links shown would give the supply link otherwise."""
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )
    BodyFactory(cluster=cluster, name="Quality WG", area="quality")
    processing = [EnterpriseFactory(cluster=cluster, value_chain_link="processing", name=f"Mill {i}") for i in range(5)]
    supply = [EnterpriseFactory(cluster=cluster, value_chain_link="supply", name=f"Farm {i}") for i in range(2)]
    service = [EnterpriseFactory(cluster=cluster, value_chain_link="service", name=f"Lab {i}") for i in range(3)]
    defects = [10, 20, 30, 200, 15]
    report(
        cluster,
        FIRST,
        {e: (1000, d) for e, d in zip(processing, defects, strict=True)}
        | {s: (500, 5) for s in supply}
        | {s: (500, 5) for s in service},
    )
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    return processing, supply


def role(cluster, name, **kwargs):
    return ClusterRoleFactory(cluster=cluster, role=name, **kwargs).user


# --- Pages ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["office", "council", "working_group", "viewer"])
def test_every_role_sees_the_overview_and_the_kpi_detail(client, cluster, computed, name):
    login(client, role(cluster, name))
    overview = client.get(reverse("kpi:overview"))
    assert overview.status_code == 200
    assert 'data-kpi="DEFECT"' in overview.content.decode()
    detail = client.get(reverse("kpi:kpi_detail", args=["DEFECT"]), {"period": "2025-03"})
    assert detail.status_code == 200
    assert "plotly.min.js" in detail.content.decode()


def test_only_the_office_sees_enterprise_names_on_the_kpi_detail(client, cluster, computed):
    login(client, role(cluster, "council"))
    page = client.get(reverse("kpi:kpi_detail", args=["DEFECT"]), {"period": "2025-03"}).content.decode()
    assert "Mill 3" not in page
    assert "Lower quartile" in page
    login(client, role(cluster, "office"))
    assert "Mill 3" in client.get(reverse("kpi:kpi_detail", args=["DEFECT"]), {"period": "2025-03"}).content.decode()


def test_a_link_with_fewer_than_three_firms_and_its_complement_are_the_offices_only(client, cluster, computed):
    council = role(cluster, "council")
    links = dict(KpiValue.objects.filter(kpi__code="DEFECT", scope="link").values_list("link", "disclosure"))
    assert links == {"processing": "", "supply": "few", "service": "complement"}
    login(client, council)
    page = client.get(reverse("kpi:value_chain"), {"period": "2025-03"})
    chain = {link.link: link.values for link in page.context["links"]}
    assert chain["supply"] == [] and chain["service"] == [] and chain["processing"]
    assert page.context["links"][1].worst == "below_minimum"  # processing: 275 / 5000 = 5.5 %


def test_an_enterprise_sees_itself_against_quartiles_and_not_another_enterprise(client, cluster, computed):
    processing, supply = computed
    representative = role(cluster, "enterprise", enterprises=[processing[3]])
    login(client, representative)
    own = client.get(reverse("kpi:enterprise_own"), follow=True)
    assert own.status_code == 200
    rows = own.context["rows"]
    defect = next(r for r in rows if r.own.kpi.code == "DEFECT")
    assert defect.own.value == Decimal("0.2") and defect.position == "bottom"
    assert defect.cluster.median is not None
    other = client.get(reverse("kpi:enterprise_view", args=[processing[0].pk]))
    assert other.status_code in (403, 404)


def test_the_data_quality_view_is_the_offices(client, cluster, computed):
    login(client, role(cluster, "council"))
    assert client.get(reverse("kpi:data_quality")).status_code == 403
    login(client, role(cluster, "office"))
    page = client.get(reverse("kpi:data_quality"))
    assert page.status_code == 200 and '"type":"heatmap"' in page.content.decode()


def test_another_clusters_kpis_and_alerts_stay_hidden(client, cluster, other_cluster, computed):
    outsider = role(other_cluster, "office")
    login(client, outsider)
    assert client.get(reverse("kpi:overview")).context.get("tiles") is None
    alert = Alert.objects.filter(cluster=cluster).first()
    assert client.get(reverse("kpi:alert_detail", args=[alert.pk])).status_code == 404
    api = token_client(outsider)
    # Not a cluster of theirs: nothing matches, as for a cluster that does not exist.
    foreign = api.get(f"{API}/kpi-values/", {"cluster": cluster.pk})
    assert foreign.status_code == 200 and foreign.json()["count"] == 0
    assert foreign.json() == api.get(f"{API}/kpi-values/", {"cluster": 999_999_999}).json()
    assert api.get(f"{API}/kpi-values/").json()["count"] == 0
    assert api.get(f"{API}/alerts/").json()["count"] == 0
    assert api.post(f"{API}/kpi-values/recompute/", {"cluster": cluster.pk, "period": "2025-03"}).status_code == 400


def test_the_overview_and_detail_queries_do_not_grow_with_enterprises(client, cluster, other_cluster):
    counts = []
    for c, firms in ((cluster, 4), (other_cluster, 40)):
        services.cluster_kpis_ensure(cluster=c)
        report(
            c, FIRST, {EnterpriseFactory(cluster=c, value_chain_link="processing"): (1000, 10) for _ in range(firms)}
        )
        services.kpi_values_compute(cluster=c, span="2025-03")
        office = role(c, "office")
        login(client, office)
        client.get(reverse("kpi:overview"))  # warm the session's cluster choice
        per_page = []
        for url in (reverse("kpi:overview"), reverse("kpi:kpi_detail", args=["DEFECT"])):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            per_page.append(len(queries))
        counts.append(per_page)
        client.logout()
    assert counts[0] == counts[1]


def test_the_office_recomputes_from_the_overview(client, cluster, computed, django_capture_on_commit_callbacks):
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(minimum=Decimal("0.5"))
    login(client, role(cluster, "council"))
    assert client.post(reverse("kpi:recompute"), {"period": "2025-03"}).status_code == 403
    login(client, role(cluster, "office"))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("kpi:recompute"), {"period": "2025-03"})
    row = KpiValue.objects.get(kpi__code="DEFECT", scope="cluster", period="2025-03")
    assert row.minimum == Decimal("0.5") and row.status == "below_target"
    assert Alert.objects.get(scope="link", link="processing").status == "closed"


def test_an_alert_becomes_an_action_item_in_one_click(client, cluster, computed):
    alert = Alert.objects.get(scope="link", link="processing")
    login(client, role(cluster, "viewer"))
    assert client.post(reverse("kpi:alert_action_item", args=[alert.pk])).status_code == 403
    login(client, role(cluster, "office"))
    page = client.get(reverse("kpi:alert_detail", args=[alert.pk])).content.decode()
    assert "Mill 3" in page and 'id="make-action-item"' in page
    response = client.post(reverse("kpi:alert_action_item", args=[alert.pk]), follow=True)
    item = ActionItem.objects.get()
    assert response.redirect_chain[-1][0] == item.get_absolute_url()
    assert item.owner_group.name == "Quality WG"


# --- API -----------------------------------------------------------------------------------------------


def test_kpi_values_as_in_the_contract(cluster, computed):
    processing, _supply = computed
    office = token_client(role(cluster, "office"))
    body = office.get(
        f"{API}/kpi-values/", {"cluster": cluster.pk, "kpi": "DEFECT", "period": "2025-03", "scope": "enterprise"}
    ).json()
    assert body["count"] == 10
    row = next(r for r in body["results"] if r["enterprise"] == processing[3].taxpayer_id)
    assert set(row) >= {
        "kpi",
        "period",
        "scope",
        "link",
        "enterprise",
        "value",
        "numerator",
        "denominator",
        "target",
        "minimum",
        "status",
        "reporting_enterprises",
    }
    assert (row["kpi"], row["period"], row["link"], row["status"]) == (
        "DEFECT",
        "2025-03",
        "processing",
        "below_minimum",
    )
    cluster_row = office.get(f"{API}/kpi-values/", {"cluster": cluster.pk, "kpi": "DEFECT", "scope": "cluster"}).json()
    assert cluster_row["results"][0]["link"] is None and cluster_row["results"][0]["enterprise"] is None
    assert office.get(f"{API}/kpi-values/", {"period": "2025-13"}).status_code == 400


def test_an_enterprise_token_reads_its_own_rows_and_aggregates_only(cluster, computed):
    processing, supply = computed
    api = token_client(role(cluster, "enterprise", enterprises=[supply[0]]))
    rows = api.get(f"{API}/kpi-values/", {"kpi": "DEFECT"}).json()["results"]
    enterprises = {r["enterprise"] for r in rows if r["scope"] == "enterprise"}
    assert enterprises == {supply[0].taxpayer_id}
    assert {(r["scope"], r["link"]) for r in rows if r["scope"] != "enterprise"} == {
        ("cluster", None),
        ("link", "processing"),
    }
    assert api.get(f"{API}/kpi-values/", {"enterprise": processing[0].taxpayer_id}).json()["count"] == 0


def test_alerts_api_names_enterprises_only_to_those_who_act(cluster, computed):
    processing, _supply = computed
    council = token_client(role(cluster, "council")).get(f"{API}/alerts/", {"status": "open"}).json()
    link = next(a for a in council["results"] if a["link"] == "processing")
    assert link["contributors"][0]["enterprise"] == processing[3].taxpayer_id
    mill = token_client(role(cluster, "enterprise", enterprises=[processing[4]]))
    seen = next(a for a in mill.get(f"{API}/alerts/").json()["results"] if a["link"] == "processing")
    assert [c["enterprise"] for c in seen["contributors"]] in ([], [processing[4].taxpayer_id])


def test_recompute_through_the_api(cluster, computed, django_capture_on_commit_callbacks):
    office = token_client(role(cluster, "office"))
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(target=Decimal("0.06"))
    with django_capture_on_commit_callbacks(execute=True):
        response = office.post(f"{API}/kpi-values/recompute/", {"cluster": cluster.pk, "period": "2025-Q1"})
    assert response.status_code == 202 and response.json() == {
        "cluster": cluster.pk,
        "period": "2025-Q1",
        "queued": True,
    }
    assert KpiValue.objects.filter(period="2025-Q1", kpi__code="DEFECT").exists()
    council = token_client(role(cluster, "council"))
    assert council.post(f"{API}/kpi-values/recompute/", {"cluster": cluster.pk, "period": "2025-03"}).status_code == 403
    assert office.post(f"{API}/kpi-values/recompute/", {"cluster": cluster.pk, "period": "March"}).status_code == 400


def test_an_approved_change_recomputes_a_computed_month(cluster, computed, django_capture_on_commit_callbacks):
    processing, _supply = computed
    office = role(cluster, "office")
    rows = [
        {"enterprise": processing[3].taxpayer_id, "period": "2025-03", "data_element": "defective_units", "value": 10}
    ]
    with django_capture_on_commit_callbacks(execute=True):
        # The month is locked: an approved correction writes through the "correction" channel.
        result = services.data_values_write(cluster=cluster, user=office, rows=rows, channel="correction")
    assert result.updated == 1
    (value,) = [
        v
        for v in enterprise_rows(cluster, "2025-03", Kpi.objects.get(code="DEFECT"))
        if v.enterprise_id == processing[3].pk
    ]
    assert value.value == Decimal("0.01")


def test_the_daily_job_computes_months_past_their_lock_and_their_quarter(cluster, computed):
    from kpi.models import KpiComputation

    now = datetime.datetime(2025, 6, 1, tzinfo=datetime.UTC)
    assert services.kpi_values_due(now=now, clusters=[cluster]) == [(cluster.pk, "2025-Q1")]
    assert services.kpi_values_compute_due(now=now, clusters=[cluster]) == 1
    assert KpiComputation.objects.filter(cluster=cluster, period="2025-Q1").exists()
    assert services.kpi_values_due(now=now, clusters=[cluster]) == []


# --- Reports and exports -------------------------------------------------------------------------------


@pytest.mark.parametrize("period", ["2025-03", "2025-Q1"])
def test_monthly_and_quarterly_reports_as_xlsx_and_pdf(client, cluster, computed, period):
    import io

    from openpyxl import load_workbook

    services.kpi_values_compute(cluster=cluster, span="2025-Q1")
    login(client, role(cluster, "council"))
    xlsx = client.get(reverse("kpi:report_download", args=[period, "xlsx"]))
    assert xlsx.status_code == 200
    book = load_workbook(io.BytesIO(xlsx.content))
    assert book.sheetnames == ["KPIs", "Trend", "Alerts", "Completeness"]
    kpis = {row[0]: row for row in book["KPIs"].iter_rows(min_row=5, values_only=True)}
    if period == "2025-03":
        assert kpis["DEFECT"][3] == pytest.approx(0.04)  # 300 / 7500, a fraction the cell shows as a percentage
        cells = {row[0].value: row for row in book["KPIs"].iter_rows(min_row=5)}
        assert cells["DEFECT"][3].number_format == "0.0%"
        assert cells["DEFECT"][8].number_format.startswith('+0.0" p.p."')  # a change in percentage points
        assert kpis["DEFECT"][6] == "Target missed"  # DEFECT is lower-is-better: words that hold both ways
    else:  # only March has figures: no enterprise reported every month of the quarter
        assert kpis["DEFECT"][3] is None
    assert book["Trend"]._charts  # a line chart per KPI with a trend
    assert [a[0] for a in book["Alerts"].iter_rows(min_row=2, values_only=True)] == ["Defect rate"]
    pdf = client.get(reverse("kpi:report_download", args=[period, "pdf"]))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000


def test_the_reports_page_lists_each_computed_period_with_its_downloads(client, cluster, computed):
    services.kpi_values_compute(cluster=cluster, span="2025-Q1")
    login(client, role(cluster, "council"))
    page = client.get(reverse("kpi:reports"))
    assert page.status_code == 200
    html = page.content.decode()
    assert reverse("kpi:report_download", args=["2025-03", "pdf"]) in html
    assert reverse("kpi:report_download", args=["2025-Q1", "xlsx"]) in html


def test_a_report_of_a_period_without_values_is_not_found(client, cluster, computed):
    login(client, role(cluster, "office"))
    assert client.get(reverse("kpi:report_download", args=["2024-01", "pdf"])).status_code == 404


def test_the_csv_export_neutralises_formulas_and_follows_the_scoping(client, cluster, computed):
    processing, _supply = computed
    processing[3].name = '=HYPERLINK("http://evil")'
    processing[3].save()
    login(client, role(cluster, "office"))
    office_csv = client.get(reverse("kpi:kpi_values_export"), {"period": "2025-03"}).content.decode()
    assert "'=HYPERLINK" in office_csv and "\n=HYPERLINK" not in office_csv and ",=HYPERLINK" not in office_csv
    login(client, role(cluster, "council"))
    council_csv = client.get(reverse("kpi:kpi_values_export"), {"period": "2025-03"}).content.decode()
    assert "HYPERLINK" not in council_csv
    assert {line.split(",")[3] for line in council_csv.splitlines()[1:]} == {"cluster", "link"}


def test_the_aggregate_kpis_command(cluster, computed):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    KpiValue.objects.all().delete()
    out = StringIO()
    call_command("aggregate_kpis", "--cluster", str(cluster.pk), "--period", "2025-03", stdout=out)
    assert KpiValue.objects.filter(period="2025-03").count() == int(out.getvalue().split(":")[1].strip(" .\n"))
    call_command("aggregate_kpis", "--all", stdout=StringIO())
    assert set(KpiValue.objects.values_list("period", flat=True)) == {"2025-03", "2025-Q1"}
    with pytest.raises(CommandError):
        call_command("aggregate_kpis", "--period", "March")
    with pytest.raises(CommandError):
        call_command("aggregate_kpis", "--cluster", "999999", "--all")


def test_the_compute_task_takes_ids_and_a_period_key(cluster, computed):
    from kpi.tasks import kpi_values_compute_task

    KpiValue.objects.all().delete()
    assert kpi_values_compute_task.delay(cluster.pk, "2025-03").get() > 0
    assert kpi_values_compute_task.delay(999999, "2025-03").get() == 0


# --- Who sees what: the forbidden cases -------------------------------------------------------------------


@pytest.fixture
def thin_link(cluster):
    """Four mills, two farms and three labs, all below the DEFECT minimum; the supply link is over two firms
    only, so the smaller of the others (the service link) is hidden with it."""
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.05")
    )
    mills = [EnterpriseFactory(cluster=cluster, value_chain_link="processing", name=f"Mill {i}") for i in range(4)]
    farms = [EnterpriseFactory(cluster=cluster, value_chain_link="supply", name=f"Farm {i}") for i in range(2)]
    labs = [EnterpriseFactory(cluster=cluster, value_chain_link="service", name=f"Lab {i}") for i in range(3)]
    report(
        cluster, FIRST, {m: (1000, 90) for m in mills} | {f: (500, 60) for f in farms} | {x: (300, 30) for x in labs}
    )
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    return mills, farms


def test_an_alert_over_fewer_than_three_firms_is_read_only_by_those_who_act(client, cluster, thin_link):
    mills, farms = thin_link
    thin = Alert.objects.get(scope="link", link="supply")
    wide = Alert.objects.get(scope="link", link="processing")
    assert (thin.reporting_enterprises, wide.reporting_enterprises) == (2, 4)

    farm = token_client(role(cluster, "enterprise", enterprises=[farms[0]]))
    assert {a["link"] for a in farm.get(f"{API}/alerts/").json()["results"]} == {None, "processing"}
    assert farm.get(f"{API}/alerts/{thin.pk}/").status_code == 404
    council = token_client(role(cluster, "council"))
    by_link = {a["link"]: a for a in council.get(f"{API}/alerts/").json()["results"]}
    assert set(by_link) == {None, "processing", "supply", "service"}
    # Those who act read every alert, but the value only where it is published.
    assert by_link["supply"]["value"] is None and by_link["service"]["value"] is None
    assert by_link["processing"]["value"] is not None

    login(client, role(cluster, "viewer"))
    assert client.get(reverse("kpi:alert_detail", args=[thin.pk])).status_code == 404
    assert client.get(reverse("kpi:alert_detail", args=[wide.pk])).status_code == 200
    overview = client.get(reverse("kpi:overview")).content.decode()
    # The farms by name: "Farm" alone also matched a generated person's surname (Farmer) in the header.
    assert not any(f.name in overview for f in farms)


def test_another_clusters_alert_is_not_found_by_id(client, cluster, other_cluster, computed):
    alert = Alert.objects.get(scope="link", link="processing")
    outsider = role(other_cluster, "office")
    api = token_client(outsider)
    assert api.get(f"{API}/alerts/{alert.pk}/").status_code == 404
    assert api.post(f"{API}/alerts/{alert.pk}/action-item/").status_code == 404
    login(client, outsider)
    assert client.post(reverse("kpi:alert_action_item", args=[alert.pk])).status_code == 404
    assert not ActionItem.objects.exists()


def test_an_enterprise_sees_no_other_firm_on_the_kpi_detail_in_reports_and_exports(client, cluster, computed):
    import io

    from openpyxl import load_workbook

    processing, supply = computed
    login(client, role(cluster, "enterprise", enterprises=[processing[0]]))
    detail = client.get(reverse("kpi:kpi_detail", args=["DEFECT"]), {"period": "2025-03"}).content.decode()
    assert not any(e.name in detail for e in processing[1:] + supply)
    csv_rows = client.get(reverse("kpi:kpi_values_export"), {"period": "2025-03"}).content.decode().splitlines()[1:]
    named = {line.split(",")[5] for line in csv_rows if line.split(",")[3] == "enterprise"}
    assert named == {processing[0].taxpayer_id}
    book = load_workbook(io.BytesIO(client.get(reverse("kpi:report_download", args=["2025-03", "xlsx"])).content))
    cells = " ".join(str(c) for sheet in book.worksheets for row in sheet.iter_rows(values_only=True) for c in row)
    assert not any(e.name in cells for e in processing + supply)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_is_neutralised_in_the_csv_and_negative_numbers_stay_numbers(
    client, cluster, computed, start
):
    processing, _supply = computed
    processing[3].name = f'{start}HYPERLINK("http://evil")'
    processing[3].save()
    KpiValue.objects.filter(kpi__code="DEFECT", scope="cluster").update(value=Decimal("-0.25"))
    login(client, role(cluster, "office"))
    body = client.get(reverse("kpi:kpi_values_export"), {"period": "2025-03"}).content.decode()
    assert f"'{start}HYPERLINK" in body
    assert f",{start}HYPERLINK" not in body and f'"{start}HYPERLINK' not in body
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(body)))
    cluster_row = next(r for r in rows if (r["kpi"], r["scope"]) == ("DEFECT", "cluster"))
    assert Decimal(cluster_row["value"]) == Decimal("-0.25")  # a number, not neutralised text


def test_a_working_group_named_like_a_formula_stays_text_in_the_xlsx_report(client, cluster, computed):
    import io

    from openpyxl import load_workbook

    from governance.models import Body

    Body.objects.filter(cluster=cluster, name="Quality WG").update(name='=HYPERLINK("http://evil","x")')
    login(client, role(cluster, "office"))
    book = load_workbook(io.BytesIO(client.get(reverse("kpi:report_download", args=["2025-03", "xlsx"])).content))
    cells = [row[6] for row in book["Alerts"].iter_rows(min_row=2)]
    # The name as it is, stored as text and marked to stay text when the cell is edited.
    assert cells and all(c.value == '=HYPERLINK("http://evil","x")' and c.quotePrefix for c in cells)
    assert not any(c.data_type == "f" for sheet in book.worksheets for row in sheet.iter_rows() for c in row)


def test_an_export_of_a_malformed_period_is_not_found(client, cluster, computed):
    login(client, role(cluster, "office"))
    assert client.get(reverse("kpi:kpi_values_export"), {"period": '2025"; x=.exe'}).status_code == 404


# --- Settings that change what the values are -----------------------------------------------------------


def test_counting_submitted_figures_is_set_by_the_office_and_recomputes(
    client, cluster, computed, django_capture_on_commit_callbacks
):
    processing, _supply = computed
    draft = EnterpriseFactory(cluster=cluster, value_chain_link="processing", name="Late Mill")
    report(cluster, FIRST, {draft: (1000, 500)})
    from kpi.models import Submission

    Submission.objects.filter(enterprise=draft).update(status="submitted")
    services.kpi_values_compute(cluster=cluster, span="2025-03")
    before = KpiValue.objects.get(kpi__code="DEFECT", scope="cluster", period="2025-03")
    assert before.reporting_enterprises == 10
    login(client, role(cluster, "office"))
    form = client.get(reverse("kpi:collection_rules")).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data["count_submitted"] = "on"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kpi:collection_rules"), data, follow=True)
    assert "recomputed" in response.content.decode()
    after = KpiValue.objects.get(kpi__code="DEFECT", scope="cluster", period="2025-03")
    assert after.reporting_enterprises == 11 and after.value > before.value


def test_saving_kpi_settings_recomputes_the_latest_month(client, cluster, computed, django_capture_on_commit_callbacks):
    setting = ClusterKpi.objects.get(cluster=cluster, kpi__code="DEFECT")
    login(client, role(cluster, "office"))
    formset = client.get(reverse("kpi:kpi_settings")).context["formset"]
    data = {f"form-{k}": v for k, v in formset.management_form.initial.items()}
    for i, form in enumerate(formset.forms):
        for name, field in form.fields.items():
            value = form.initial.get(name, field.initial)
            if isinstance(value, bool):
                if value:
                    data[f"form-{i}-{name}"] = "on"
            elif value is not None:
                data[f"form-{i}-{name}"] = getattr(value, "pk", value)
        if form.instance.pk == setting.pk:
            data[f"form-{i}-minimum"] = "0.5"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("kpi:kpi_settings"), data)
    assert response.status_code == 302, response.context and response.context["formset"].errors
    row = KpiValue.objects.get(kpi__code="DEFECT", scope="cluster", period="2025-03")
    assert row.minimum == Decimal("0.5") and row.status == "below_target"
