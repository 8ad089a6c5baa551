"""Confidential benchmarking that holds against arithmetic: the attacks a competitor would run on what the platform
publishes (API, pages, exports) recover no enterprise's figure; the office still reads every figure.

The cluster: five mills, a single farm (the supply link), three laboratories, and four innovation firms of which
one makes most of the link's exports. Figures are approved, so the month is final unless a test says otherwise.
"""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kpi import services
from kpi.models import (
    Alert,
    ClusterKpi,
    DataCollectionRules,
    DataElement,
    DataValue,
    Kpi,
    KpiComputation,
    KpiValue,
    ReportingPeriod,
    Submission,
)
from tests.governance.factories import BodyFactory, EnterpriseFactory
from tests.governance.test_api import API, token_client
from tests.kpi.test_dashboards import role
from tests.kpi.test_views import login
from tests.kpi.values import enterprise_rows

pytestmark = pytest.mark.django_db

MONTH = datetime.date(2025, 3, 1)
KEY = "2025-03"

# link: [(produced, defective, export), ...]
FIRMS = {
    "processing": [(1000, 10, 100), (1000, 20, 125), (1000, 30, 135), (1000, 40, 160), (1000, 50, 185)],
    "supply": [(800, 40, 50)],
    "service": [(300, 3, 10), (300, 6, 12), (300, 9, 14)],
    "innovation": [(200, 2, 300), (200, 4, 18), (200, 6, 19), (200, 8, 20)],
}


def write(cluster, month, firms_by_link, *, deadline=None, status="approved"):
    deadline = deadline or datetime.date(month.year, month.month + 1, 10)
    period = ReportingPeriod.objects.create(
        cluster=cluster, month=month, deadline=deadline, lock_date=deadline + datetime.timedelta(days=15)
    )
    elements = {
        e.code: e for e in DataElement.objects.filter(code__in=["produced_units", "defective_units", "export_revenue"])
    }
    firms = {}
    for link, rows in firms_by_link.items():
        for i, (produced, defective, export) in enumerate(rows):
            firm = EnterpriseFactory(cluster=cluster, value_chain_link=link, name=f"{link} {i}")
            firms[firm] = (produced, defective, export)
            Submission.objects.create(
                cluster=cluster,
                enterprise=firm,
                period=period,
                status=status,
                submitted_at=datetime.datetime(2025, 4, 1, tzinfo=datetime.UTC),
            )
            figures = (produced, defective, export)
            for code, value in zip(("produced_units", "defective_units", "export_revenue"), figures, strict=True):
                DataValue.objects.create(
                    cluster=cluster, enterprise=firm, period=period, data_element=elements[code], value=value
                )
    return firms


@pytest.fixture
def cluster_with_secrets(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code__in=["DEFECT", "EXPORT"]).update(active=True)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="DEFECT").update(
        target=Decimal("0.02"), minimum=Decimal("0.025")
    )
    BodyFactory(cluster=cluster, name="Quality WG", area="quality")
    firms = write(cluster, MONTH, FIRMS)
    services.kpi_values_compute(cluster=cluster, span=KEY)
    return firms


def single_firm_figures(firms) -> set[Decimal]:
    """Every figure an attacker must not learn: each firm's export, defective units, units produced and ratio."""
    found = set()
    for produced, defective, export in firms.values():
        found |= {Decimal(produced), Decimal(defective), Decimal(export), Decimal(defective) / Decimal(produced)}
    return found


def close_to_one_of(value, figures, tolerance=Decimal("1e-6")) -> bool:
    return value is not None and any(abs(Decimal(str(value)) - f) <= tolerance for f in figures)


def published(user, cluster) -> list[dict]:
    body = token_client(user).get(f"{API}/kpi-values/", {"cluster": cluster.pk, "page_size": 1000}).json()
    return [r for r in body["results"] if r["enterprise"] is None]


def test_three_firms_quartiles_give_nothing_away(cluster, cluster_with_secrets):
    """The attack: with three firms, p25 = (a + b) / 2, median = b, p75 = (b + c) / 2 give a, b and c."""
    secrets = single_firm_figures(cluster_with_secrets)
    for row in published(role(cluster, "viewer"), cluster):
        if row["median"] is None:
            continue
        assert row["reporting_enterprises"] >= 10
        p25, median, p75 = (Decimal(row[k]) for k in ("p25", "median", "p75"))
        for guess in (2 * p25 - median, median, 2 * p75 - median, p25, p75):
            assert not close_to_one_of(guess, secrets), row
    service = [r for r in published(role(cluster, "viewer"), cluster) if r["link"] == "service"]
    assert all(r["p25"] is None and r["median"] is None and r["p75"] is None for r in service)


def test_the_cluster_minus_the_links_shown_rebuilds_no_hidden_link(cluster, cluster_with_secrets):
    """The attack: a hidden link of one firm is the cluster value minus the links shown (for sums), and the same
    with every combination of the numerators and denominators the platform publishes."""
    secrets = single_firm_figures(cluster_with_secrets)
    rows = published(role(cluster, "viewer"), cluster)
    export = {r["link"]: r for r in rows if r["kpi"] == "EXPORT"}
    assert None in export and "supply" not in export  # the single farm's link is hidden
    assert "innovation" not in export  # one firm makes 84 % of the link's exports, two 90 %
    visible_links = [link for link in export if link]
    recovered = Decimal(export[None]["value"]) - sum(Decimal(export[link]["value"]) for link in visible_links)
    assert not close_to_one_of(recovered, secrets)
    for size in range(1, len(visible_links) + 1):
        for combination in itertools.combinations(visible_links, size):
            rest = Decimal(export[None]["value"]) - sum(Decimal(export[link]["value"]) for link in combination)
            assert not close_to_one_of(rest, secrets), combination
    for row in rows:  # numerators and denominators are the office's: no sums to subtract across KPIs
        assert row["numerator"] is None and row["denominator"] is None, row


def test_what_stays_hidden_is_hidden_on_the_pages_and_in_the_exports(client, cluster, cluster_with_secrets):
    viewer = role(cluster, "viewer")
    login(client, viewer)
    page = client.get(reverse("kpi:kpi_detail", args=["EXPORT"]), {"period": KEY})
    shown = {v.link for v in page.context["detail"].links}
    assert "supply" not in shown and "innovation" not in shown and "processing" in shown
    html = page.content.decode()
    assert 'data-link="supply"' not in html and 'id="hidden-links"' in html
    chain = client.get(reverse("kpi:value_chain"), {"period": KEY}).context["links"]
    assert {link.link: bool(link.values) for link in chain}["supply"] is False
    csv = client.get(reverse("kpi:kpi_values_export"), {"period": KEY}).content.decode().splitlines()
    header = csv[0].split(",")
    for line in csv[1:]:
        cells = dict(zip(header, line.split(","), strict=False))
        assert cells["link"] not in ("supply",) and cells["numerator"] == "" and cells["denominator"] == ""
    assert not any(line.split(",")[0] == "EXPORT" and line.split(",")[4] == "innovation" for line in csv[1:])


def test_the_office_still_reads_every_figure_and_sees_why_a_value_is_hidden(client, cluster, cluster_with_secrets):
    office = role(cluster, "office")
    body = token_client(office).get(f"{API}/kpi-values/", {"cluster": cluster.pk, "page_size": 1000}).json()
    export = {(r["scope"], r["link"]): r for r in body["results"] if r["kpi"] == "EXPORT"}
    assert export[("link", "supply")]["value"] == "50.00000000"
    assert export[("link", "innovation")]["numerator"] is not None
    assert sum(1 for r in body["results"] if r["scope"] == "enterprise" and r["kpi"] == "EXPORT") == 13
    reasons = dict(
        KpiValue.objects.filter(kpi__code="EXPORT", scope="link", period=KEY).values_list("link", "disclosure")
    )
    assert reasons == {"supply": "few", "innovation": "dominated", "service": "complement", "processing": ""}
    login(client, office)
    html = client.get(reverse("kpi:kpi_detail", args=["EXPORT"]), {"period": KEY}).content.decode()
    assert 'data-link="supply"' in html and "Too few enterprises" in html


def test_an_enterprise_reads_its_own_figures_and_the_published_cells_only(cluster, cluster_with_secrets):
    farm = next(f for f in cluster_with_secrets if f.value_chain_link == "supply")
    rows = (
        token_client(role(cluster, "enterprise", enterprises=[farm]))
        .get(f"{API}/kpi-values/", {"cluster": cluster.pk, "page_size": 1000})
        .json()["results"]
    )
    own = [r for r in rows if r["enterprise"] is not None]
    assert {r["enterprise"] for r in own} == {farm.taxpayer_id}
    assert all(r["numerator"] is not None for r in own if r["kpi"] == "DEFECT")  # its own figures
    others = [r for r in rows if r["enterprise"] is None]
    assert not [r for r in others if r["link"] in ("supply", "innovation", "service") and r["kpi"] == "EXPORT"]
    assert all(r["numerator"] is None for r in others)


def test_sums_and_quartiles_wait_until_the_month_is_locked(cluster, cluster_with_secrets):
    """The attack: until the lock date approvals and returns change who counts one enterprise at a time, so a sum
    moves by that enterprise's figure, and the quartiles' shifts tell the enterprises' places apart."""
    april = datetime.date(2025, 4, 1)
    today = datetime.date.today()
    firms = write(cluster, april, {"processing": FIRMS["processing"] * 2}, deadline=today - datetime.timedelta(days=2))
    assert len(firms) == 10
    services.kpi_values_compute(cluster=cluster, span="2025-04")  # final (past its deadline), not locked

    def april_rows():
        viewer = role(cluster, "viewer")
        return {(r["kpi"], r["link"]): r for r in published(viewer, cluster) if r["period"] == "2025-04"}

    rows = april_rows()
    assert ("EXPORT", None) not in rows and ("DEFECT", None) in rows
    assert rows[("DEFECT", None)]["median"] is None  # ten firms, but the month may still change
    assert KpiValue.objects.get(kpi__code="EXPORT", scope="cluster", period="2025-04").disclosure == "provisional"
    after_lock = timezone.now() + datetime.timedelta(days=15)
    services.kpi_values_compute(cluster=cluster, span="2025-04", now=after_lock)  # the run after the lock date
    rows = april_rows()
    assert Decimal(rows[("EXPORT", None)]["value"]) == 2 * sum(export for _p, _d, export in FIRMS["processing"])
    assert rows[("DEFECT", None)]["median"] is not None


def test_the_page_says_why_the_cluster_value_is_missing(client, cluster, cluster_with_secrets):
    """A hidden cluster value is a dash with a reason, not a blank: 'not yet' for a sum waiting for the lock,
    and to the office, what the others do not see; a link chart with nothing to draw is left out."""
    april = datetime.date(2025, 4, 1)
    today = datetime.date.today()
    write(cluster, april, {"processing": FIRMS["processing"] * 2}, deadline=today - datetime.timedelta(days=2))
    services.kpi_values_compute(cluster=cluster, span="2025-04")
    login(client, role(cluster, "council"))
    page = client.get(reverse("kpi:kpi_detail", args=["EXPORT"]), {"period": "2025-04"})
    html = page.content.decode()
    assert page.context["detail"].cluster_hidden
    assert 'id="cluster-hidden"' in html and "wait until the period is locked" in html
    assert 'class="value">— / 23<' in html  # counted: not shown either (23 firms expected)
    assert "Processing" in page.context["link_chart"]  # March's link values are drawn
    login(client, role(cluster, "office"))
    html = client.get(reverse("kpi:kpi_detail", args=["EXPORT"]), {"period": "2025-04"}).content.decode()
    assert "Not shown to others" in html and "A sum or growth shown once the period is locked" in html
    login(client, role(cluster, "council"))
    html = client.get(reverse("kpi:kpi_detail", args=["DEFECT"]), {"period": "2025-04"}).content.decode()
    assert 'id="cluster-hidden"' not in html  # a ratio over ten firms: shown


def test_a_link_chart_with_no_value_to_draw_is_left_out(cluster, cluster_with_secrets):
    from types import SimpleNamespace

    from kpi import charts
    from kpi.models import Kpi

    empty = [KpiValue(period_start=MONTH, value=None, link="supply")]
    detail = SimpleNamespace(kpi=Kpi.objects.get(code="EXPGR"), link_series={"supply": empty})
    assert charts.kpi_by_link(detail, {}) == ""
    detail.link_series["processing"] = [KpiValue(period_start=MONTH, value=Decimal("0.1"), link="processing")]
    assert "plotly-graph-div" in charts.kpi_by_link(detail, {})


def report_months(cluster, figures_by_month):
    """Figures of the same enterprises over several months: {month: {firm: (produced, defective, export)}}."""
    elements = {
        e.code: e for e in DataElement.objects.filter(code__in=["produced_units", "defective_units", "export_revenue"])
    }
    for month, figures in figures_by_month.items():
        deadline = datetime.date(month.year + (month.month == 12), month.month % 12 + 1, 10)
        period = ReportingPeriod.objects.create(
            cluster=cluster, month=month, deadline=deadline, lock_date=deadline + datetime.timedelta(days=10)
        )
        for firm, triple in figures.items():
            Submission.objects.create(
                cluster=cluster,
                enterprise=firm,
                period=period,
                status="approved",
                submitted_at=datetime.datetime.combine(deadline, datetime.time(9), datetime.UTC),
            )
            for code, value in zip(("produced_units", "defective_units", "export_revenue"), triple, strict=True):
                DataValue.objects.create(
                    cluster=cluster, enterprise=firm, period=period, data_element=elements[code], value=value
                )


@pytest.fixture
def exporters(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code__in=["DEFECT", "EXPORT", "EXPGR"]).update(active=True)
    return [EnterpriseFactory(cluster=cluster, value_chain_link="processing", name=f"Mill {i}") for i in range(8)]


def by_key(user, cluster) -> dict[tuple, Decimal]:
    return {
        (r["kpi"], r["period"], r["link"]): Decimal(r["value"])
        for r in published(user, cluster)
        if r["value"] is not None
    }


def test_the_months_minus_the_quarter_give_no_firm_that_missed_a_month_away(cluster, exporters):
    """The attack: a quarter counts the firms that reported all three months, each month every firm that reported
    in it; so January + February + March − Q1 is the export of the one firm that missed a month."""
    steady, late = exporters[:5], exporters[5]
    months = [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    figures = {m: {f: (1000, 10 * (i + 1), 100 + 10 * i + m.month) for i, f in enumerate(steady)} for m in months}
    figures[months[2]][late] = (900, 30, 77)  # joined in March
    report_months(cluster, figures)
    services.kpi_values_compute_history(cluster=cluster)
    values = by_key(role(cluster, "viewer"), cluster)
    assert ("EXPORT", "2025-03", None) in values  # the months are published
    for (kpi, period, link), quarter in values.items():
        if period != "2025-Q1":
            continue
        months_total = sum(values.get((kpi, f"2025-0{m}", link), Decimal(0)) for m in (1, 2, 3))
        assert months_total - quarter != Decimal(77), (kpi, link)
    assert ("EXPORT", "2025-Q1", None) not in values
    assert ("DEFECT", "2025-Q1", None) in values  # a ratio: its sums are the office's, nothing subtracts
    quarter = KpiValue.objects.filter(period="2025-Q1", kpi__code="EXPORT", enterprise__isnull=True)
    reasons = set(quarter.values_list("disclosure", flat=True))
    assert reasons == {"complement"}
    # The office still reads the quarter.
    office = by_key(role(cluster, "office"), cluster)
    assert office[("EXPORT", "2025-Q1", None)] == sum(100 + 10 * i + m for i in range(5) for m in (1, 2, 3))


def test_a_quarter_is_published_where_those_who_missed_a_month_are_enough(cluster, exporters):
    months = [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    figures = {m: {f: (1000, 10 * (i + 1), 100 + 10 * i) for i, f in enumerate(exporters[:5])} for m in months}
    for i, late in enumerate(exporters[5:8]):  # three firms joined in March, none of them dominant
        figures[months[2]][late] = (900, 30, 90 + i)
    report_months(cluster, figures)
    services.kpi_values_compute_history(cluster=cluster)
    assert ("EXPORT", "2025-Q1", None) in by_key(role(cluster, "viewer"), cluster)


def test_growth_minus_the_sums_gives_no_new_or_leaving_firm_away(cluster, exporters):
    """The attack: growth counts the firms with exports in both years, the sums every firm of each year, so
    EXPORT now − (1 + EXPGR) × EXPORT a year before is the export of a firm that joined (or the reverse for one
    that left)."""
    before, now = datetime.date(2024, 3, 1), datetime.date(2025, 3, 1)
    both = exporters[:5]
    report_months(
        cluster,
        {
            before: {f: (1000, 10, 100 + 10 * i) for i, f in enumerate(both)},
            now: {**{f: (1000, 10, 120 + 10 * i) for i, f in enumerate(both)}, exporters[5]: (800, 8, 64)},
        },
    )
    services.kpi_values_compute_history(cluster=cluster)
    values = by_key(role(cluster, "viewer"), cluster)
    assert ("EXPORT", "2025-03", None) in values and ("EXPORT", "2024-03", None) in values
    assert ("EXPGR", "2025-03", None) not in values
    assert KpiValue.objects.get(kpi__code="EXPGR", period="2025-03", scope="cluster").disclosure == "complement"
    # Where the same firms reported in both years, growth gives nothing more than the two sums: published.
    KpiValue.objects.all().delete()
    DataValue.objects.filter(enterprise=exporters[5]).delete()
    Submission.objects.filter(enterprise=exporters[5]).delete()
    services.kpi_values_compute_history(cluster=cluster)
    values = by_key(role(cluster, "viewer"), cluster)
    assert abs(values[("EXPGR", "2025-03", None)] - (Decimal(700) / Decimal(600) - 1)) < Decimal("1e-8")


def test_growth_hides_a_firm_that_left_as_well(cluster, exporters):
    before, now = datetime.date(2024, 3, 1), datetime.date(2025, 3, 1)
    both = exporters[:5]
    report_months(
        cluster,
        {
            before: {**{f: (1000, 10, 100 + 10 * i) for i, f in enumerate(both)}, exporters[6]: (700, 7, 55)},
            now: {f: (1000, 10, 120 + 10 * i) for i, f in enumerate(both)},
        },
    )
    services.kpi_values_compute_history(cluster=cluster)
    assert ("EXPGR", "2025-03", None) not in by_key(role(cluster, "viewer"), cluster)


def test_an_alert_about_a_hidden_value_shows_no_value_but_to_the_office(client, cluster, cluster_with_secrets):
    supply = Alert.objects.filter(cluster=cluster, kpi__code="DEFECT", link="supply").first()
    assert supply is not None and not supply.disclosed  # 40 / 800 = 5 %, of a single farm
    council = token_client(role(cluster, "council")).get(f"{API}/alerts/{supply.pk}/").json()
    assert council["value"] is None
    assert all(c["value"] is None and c["share"] is None for c in council["contributors"])
    assert token_client(role(cluster, "viewer")).get(f"{API}/alerts/{supply.pk}/").status_code == 404
    office = token_client(role(cluster, "office")).get(f"{API}/alerts/{supply.pk}/").json()
    assert office["value"] is not None


def test_a_hidden_alert_value_stays_out_of_reports_mails_and_action_items(client, cluster, cluster_with_secrets):
    """Council and working-group members read every alert, but a hidden value only through the office: not in the
    report they download, the e-mail to the group, or the action item every member of the cluster reads."""
    import io

    import openpyxl
    from django.core import mail

    from kpi import reports
    from kpi.models import Span
    from kpi.services.alerts import _notify_group, alert_to_action_item
    from tests.governance.factories import MembershipFactory, UserFactory

    supply = Alert.objects.get(cluster=cluster, kpi__code="DEFECT", link="supply")
    farm = next(f for f in cluster_with_secrets if f.value_chain_link == "supply")
    secret = "5.0"  # 40 defective of 800: 5.0 %
    council = role(cluster, "council")
    login(client, council)
    book = openpyxl.load_workbook(io.BytesIO(client.get(reverse("kpi:report_download", args=[KEY, "xlsx"])).content))
    rows = [[c.value for c in row] for row in book["Alerts"].iter_rows(min_row=2)]
    supply_row = next(r for r in rows if r[1] == supply.where)
    assert supply_row[2] == "hidden"
    pdf_alerts = reports.report_build(user=council, cluster=cluster, span=Span.parse(KEY)).alerts
    assert next(a for a in pdf_alerts if a.pk == supply.pk).value is None
    office_alerts = reports.report_build(user=role(cluster, "office"), cluster=cluster, span=Span.parse(KEY)).alerts
    assert next(a for a in office_alerts if a.pk == supply.pk).value == Decimal("0.05")

    MembershipFactory(body=supply.working_group, person=UserFactory(email="sifat@example.org"))
    _notify_group(supply)
    assert len(mail.outbox) == 1 and secret not in mail.outbox[0].body and "0.05" not in mail.outbox[0].body

    item = alert_to_action_item(alert=supply, user=role(cluster, "office"))
    assert "0.05" not in item.description and secret not in item.description and farm.name not in item.description
    assert supply.get_absolute_url() in item.description


def test_the_office_sets_the_thresholds_and_unsafe_ones_are_refused(client, cluster, cluster_with_secrets):
    office = role(cluster, "office")
    login(client, office)
    form = client.get(reverse("kpi:collection_rules")).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data["publish_min_enterprises"] = "2"
    page = client.post(reverse("kpi:collection_rules"), data)
    assert page.status_code == 200 and 'id="field-publish_min_enterprises"' in page.content.decode()
    data["publish_min_enterprises"] = "6"
    data["publish_min_enterprises_quartiles"] = "9"  # at 5 to 8 firms, quartiles and the total give one away
    page = client.post(reverse("kpi:collection_rules"), data)
    assert page.status_code == 200 and 'id="field-publish_min_enterprises_quartiles"' in page.content.decode()
    data["publish_min_enterprises_quartiles"] = "10"
    client.post(reverse("kpi:collection_rules"), data)
    assert DataCollectionRules.objects.get(cluster=cluster).publish_min_enterprises == 6
    services.kpi_values_compute(cluster=cluster, span=KEY)  # what the queued recomputation does
    links = {r["link"] for r in published(role(cluster, "viewer"), cluster) if r["kpi"] == "DEFECT"}
    assert links == {None}  # no link has six firms


def firms_of(cluster, link, count, name):
    return [EnterpriseFactory(cluster=cluster, value_chain_link=link, name=f"{name} {i}") for i in range(count)]


def test_a_link_quarter_hidden_for_its_months_is_not_rebuilt_from_the_cluster(cluster, exporters):
    """The attack: one firm of the service link joined in March, so that link's quarter is hidden; three firms of
    the supply link joined too, enough for the cluster's quarter to be shown. The cluster quarter minus the other
    links' quarters is the service link's quarter, and its months added up minus that quarter the late firm's
    exports."""
    mills, services_link, farms = (
        exporters[:5],
        firms_of(cluster, "service", 5, "Lab"),
        firms_of(cluster, "supply", 5, "Farm"),
    )
    late_lab = firms_of(cluster, "service", 1, "New lab")[0]
    late_farms = firms_of(cluster, "supply", 3, "New farm")
    months = [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    figures = {
        m: {f: (1000, 10, 100 + 10 * i + m.month) for i, f in enumerate(mills + services_link + farms)} for m in months
    }
    figures[months[2]][late_lab] = (900, 9, 77)
    for i, farm in enumerate(late_farms):
        figures[months[2]][farm] = (900, 9, 90 + i)
    report_months(cluster, figures)
    services.kpi_values_compute_history(cluster=cluster)
    values = by_key(role(cluster, "viewer"), cluster)
    links = ["processing", "service", "supply"]
    cluster_quarter = values.get(("EXPORT", "2025-Q1", None))
    for link in links:
        months_total = [values.get(("EXPORT", f"2025-0{m}", link)) for m in (1, 2, 3)]
        quarter = values.get(("EXPORT", "2025-Q1", link))
        others = [values.get(("EXPORT", "2025-Q1", other)) for other in links if other != link]
        if quarter is None and cluster_quarter is not None and None not in others:
            quarter = cluster_quarter - sum(others)
        if quarter is None or None in months_total:
            continue
        assert sum(months_total) - quarter != Decimal(77), link


def test_a_link_quarter_known_from_its_months_is_no_cover_for_a_hidden_one(cluster, exporters):
    """The attack: two laboratories (50 and 60 a month) are the only ones of their link to report all three months,
    so their link's quarter is hidden (too few); three others each missed a month, enough for the cluster quarter
    to be shown. Hiding the processing link's quarter beside it covers nothing: nobody there missed a month, so
    its months added up are its quarter. The cluster quarter minus them is the two laboratories', and either of
    them then knows the other's."""
    mills = exporters[:5]
    a, b = firms_of(cluster, "service", 2, "Lab")
    late = firms_of(cluster, "service", 3, "Late lab")
    months = [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    figures = {m: {f: (1000, 10, 100 + 10 * i) for i, f in enumerate(mills)} for m in months}
    for m in months:
        figures[m][a], figures[m][b] = (1000, 10, 50), (1000, 10, 60)
    for i, firm in enumerate(late):  # each misses a different month
        for j, m in enumerate(months):
            if i != j:
                figures[m][firm] = (1000, 10, 55 + 3 * i)
    report_months(cluster, figures)
    services.kpi_values_compute_history(cluster=cluster)
    values = by_key(role(cluster, "viewer"), cluster)
    assert all(("EXPORT", f"2025-0{m}", link) in values for m in (1, 2, 3) for link in ("processing", "service"))
    assert ("EXPORT", "2025-Q1", "service") not in values
    processing = values.get(("EXPORT", "2025-Q1", "processing"))
    if processing is None:  # its months added up, nobody having missed one
        processing = sum(values[("EXPORT", f"2025-0{m}", "processing")] for m in (1, 2, 3))
    cluster_quarter = values.get(("EXPORT", "2025-Q1", None))
    if cluster_quarter is not None:
        assert cluster_quarter - processing != Decimal(3 * (50 + 60))
    assert KpiValue.objects.get(kpi__code="EXPORT", period="2025-Q1", scope="cluster").disclosure == "complement"


def test_growth_does_not_rebuild_a_sum_held_until_the_lock(cluster, exporters):
    """The attack: until the lock a month's sums are held back; growth on the same firms a year before, times the
    sum a year before, is the sum held."""
    today = datetime.date.today()
    month = datetime.date(today.year, today.month, 1) - datetime.timedelta(days=1)
    month = month.replace(day=1)  # last month: past its deadline below, not locked
    before = month.replace(year=month.year - 1)
    report_months(cluster, {before: {f: (1000, 10, 100 + 10 * i) for i, f in enumerate(exporters)}})
    period = ReportingPeriod.objects.create(
        cluster=cluster,
        month=month,
        deadline=today - datetime.timedelta(days=1),
        lock_date=today + datetime.timedelta(days=20),
    )
    element = DataElement.objects.get(code="export_revenue")
    for i, firm in enumerate(exporters):
        Submission.objects.create(
            cluster=cluster, enterprise=firm, period=period, status="approved", submitted_at=timezone.now()
        )
        DataValue.objects.create(
            cluster=cluster, enterprise=firm, period=period, data_element=element, value=130 + 10 * i
        )
    services.kpi_values_compute(cluster=cluster, span=before.strftime("%Y-%m"))
    services.kpi_values_compute(cluster=cluster, span=month.strftime("%Y-%m"))
    key, key_before = month.strftime("%Y-%m"), before.strftime("%Y-%m")
    values = by_key(role(cluster, "viewer"), cluster)
    assert ("EXPORT", key_before, None) in values and ("EXPORT", key, None) not in values
    assert ("EXPGR", key, None) not in values
    assert KpiValue.objects.get(kpi__code="EXPGR", period=key, scope="cluster").disclosure == "provisional"
    services.kpi_values_compute(cluster=cluster, span=key, now=timezone.now() + datetime.timedelta(days=21))
    values = by_key(role(cluster, "viewer"), cluster)
    assert values[("EXPORT", key, None)] == sum(130 + 10 * i for i in range(8))
    assert ("EXPGR", key, None) in values


def test_growth_of_a_link_does_not_rebuild_its_hidden_sum(cluster, exporters):
    """The attack: the supply link's single farm hides its sum, and the smallest other link is hidden with it. Growth
    is over fewer firms (three innovation firms are new), so another link is hidden beside the farm's growth and the
    service link's growth is shown: × its sum a year before, it is its sum now, and the cluster's sum minus the
    links shown then gives the farm's export."""
    before, now = datetime.date(2024, 3, 1), datetime.date(2025, 3, 1)
    mills = exporters[:5]
    farm = firms_of(cluster, "supply", 1, "Farm")[0]
    labs = firms_of(cluster, "service", 4, "Lab")
    old, new = firms_of(cluster, "innovation", 3, "Old studio"), firms_of(cluster, "innovation", 3, "New studio")
    steady = [*mills, farm, *labs, *old]
    report_months(
        cluster,
        {
            before: {f: (1000, 10, 100 + 3 * i) for i, f in enumerate(steady)},
            now: {
                **{f: (1000, 10, 110 + 3 * i) for i, f in enumerate(steady)},
                **{f: (1000, 10, 105 + i) for i, f in enumerate(new)},
            },
        },
    )
    services.kpi_values_compute_history(cluster=cluster)
    values = by_key(role(cluster, "viewer"), cluster)
    links = ["processing", "supply", "service", "innovation"]
    # What the attack works from is there: the sums now and a year before, and the links' growth but the farm's.
    assert ("EXPORT", "2025-03", None) in values and ("EXPGR", "2025-03", "processing") in values
    assert all(("EXPORT", "2024-03", link) in values for link in ("processing", "service"))
    known = {link: values.get(("EXPORT", "2025-03", link)) for link in links}
    for link in links:  # the sum now from growth and the sum a year before
        growth, sum_before = values.get(("EXPGR", "2025-03", link)), values.get(("EXPORT", "2024-03", link))
        if known[link] is None and growth is not None and sum_before is not None:
            known[link] = (1 + growth) * sum_before
    unknown = [link for link in links if known[link] is None]
    if len(unknown) == 1 and ("EXPORT", "2025-03", None) in values:
        known[unknown[0]] = values[("EXPORT", "2025-03", None)] - sum(v for v in known.values() if v is not None)
    assert not close_to_one_of(known["supply"], {Decimal(110 + 3 * 5)}, Decimal("1e-4"))


def test_a_firm_that_moved_link_and_missed_a_month_stays_in_the_clusters_difference(cluster, exporters):
    """The attack: January was computed while a mill was in the processing link, February after it was moved to
    the service link by a bulk update (no past link kept: the stored values count it under two links), and it
    missed March. The cluster's January +
    February + March − Q1 is that mill's January and February exports: the cluster quarter is hidden."""
    mills, labs = exporters[:5], firms_of(cluster, "service", 5, "Lab")
    mover = mills[4]
    months = [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    figures = {m: {f: (1000, 10, 100 + 10 * i) for i, f in enumerate(mills[:4] + labs)} for m in months}
    figures[months[0]][mover] = (1000, 10, 71)
    figures[months[1]][mover] = (1000, 10, 72)
    report_months(cluster, figures)
    services.kpi_values_compute(cluster=cluster, span="2025-01")
    type(mover).objects.filter(pk=mover.pk).update(value_chain_link="service")  # no recomputation yet
    for key in ("2025-02", "2025-03", "2025-Q1"):
        services.kpi_values_compute(cluster=cluster, span=key)
    values = by_key(role(cluster, "viewer"), cluster)
    for link in (None, "processing", "service"):
        quarter = values.get(("EXPORT", "2025-Q1", link))
        months_total = [values.get(("EXPORT", f"2025-0{m}", link)) for m in (1, 2, 3)]
        if quarter is not None and None not in months_total:
            assert sum(months_total) - quarter not in (Decimal(71 + 72), Decimal(71), Decimal(72)), link
    assert ("EXPORT", "2025-Q1", None) not in values


def test_two_firms_that_swap_links_move_no_value_published_before(
    cluster, exporters, django_capture_on_commit_callbacks
):
    """The attack: a mill and a laboratory swap links (two wrong links corrected together). Had the months before
    been computed again under the new links, each link's values before and after would differ by the mill's
    figures less the laboratory's, which either of them turns into the other's; had they been kept while the
    quarter was computed under the new links, the link's months minus its quarter would give the same. Their
    figures of the months before the swap keep the links they had: every value of those months stays as published,
    however often it is computed again, and the months from the swap on count them under their new links."""
    from governance.models import EnterprisePastLink
    from kpi.models import PendingComputation

    mills, labs = exporters[:5], firms_of(cluster, "service", 5, "Lab")
    mill, lab = mills[4], labs[4]
    months = [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    figures = {m: {f: (1000, 10, 100 + 10 * i + m.month) for i, f in enumerate(mills + labs)} for m in months}
    report_months(cluster, figures)
    services.kpi_values_compute_many(clusters=[cluster], spans=["2025-01", "2025-02"])
    published_before = by_key(role(cluster, "viewer"), cluster)
    from governance.services import enterprise_save
    from tests.governance.test_api import token_client
    from tests.kpi.test_dashboards import role as cluster_role

    with django_capture_on_commit_callbacks(execute=True):
        firm = type(mill).objects.only("pk", "name").get(pk=mill.pk)  # read without its link
        firm.value_chain_link = "service"
        enterprise_save(enterprise=firm)  # as the form and the admin save it
        office = token_client(cluster_role(cluster, "office"))
        answer = office.patch(f"{API}/enterprises/{lab.pk}/", {"value_chain_link": "processing"}, format="json")
        assert answer.status_code == 200, answer.content
    this_month = timezone.localdate().replace(day=1)
    assert set(EnterprisePastLink.objects.values_list("enterprise_id", "link", "until")) == {
        (mill.pk, "processing", this_month),
        (lab.pk, "service", this_month),
    }
    assert not PendingComputation.objects.filter(cluster=cluster).exists()
    services.kpi_values_compute_history(cluster=cluster)  # every month and quarter again
    values = by_key(role(cluster, "viewer"), cluster)
    assert {k: v for k, v in values.items() if k[1] in ("2025-01", "2025-02")} == published_before
    history = KpiComputation.objects.filter(cluster=cluster).values_list("period", flat=True)
    assert {v.link for p in history for v in enterprise_rows(cluster, p) if v.enterprise_id == mill.pk} == {
        "processing"
    }
    for link in ("processing", "service"):
        months_total = sum(values[("EXPORT", f"2025-0{m}", link)] for m in (1, 2, 3))
        assert months_total == values[("EXPORT", "2025-Q1", link)], link  # the same enterprises: nothing left over
    # From this month on, the mill counts under its new link.
    period = ReportingPeriod.objects.create(
        cluster=cluster, month=this_month, deadline=timezone.localdate(), lock_date=timezone.localdate()
    )
    DataValue.objects.create(
        cluster=cluster, enterprise=mill, period=period, data_element=DataElement.objects.get(code="export_revenue"),
        value=5,
    )  # fmt: skip
    Submission.objects.create(
        cluster=cluster, enterprise=mill, period=period, status="approved", submitted_at=timezone.now()
    )
    services.kpi_values_compute(cluster=cluster, span=this_month.strftime("%Y-%m"))
    export = Kpi.objects.get(code="EXPORT")
    (row,) = [v for v in enterprise_rows(cluster, this_month.strftime("%Y-%m"), export) if v.enterprise_id == mill.pk]
    assert row.link == "service"


def test_growth_of_a_hidden_link_is_not_rebuilt_from_the_cluster_and_the_links_shown(cluster, exporters):
    """The attack: a single new laboratory hides the service link's growth (its export is the link's sum now minus
    the growth base). Three new mills leave the processing link's growth shown, and the cluster's. For each value
    shown, the base now is (1 + growth) × the sum a year before; the cluster's base minus the links' shown is the
    service link's, and its sum now minus that base is the new laboratory's export."""
    before, now = datetime.date(2024, 3, 1), datetime.date(2025, 3, 1)
    mills = exporters[:5]
    labs, farms = firms_of(cluster, "service", 5, "Lab"), firms_of(cluster, "supply", 5, "Farm")
    new_mills, new_lab = firms_of(cluster, "processing", 3, "New mill"), firms_of(cluster, "service", 1, "New lab")
    steady = [*mills, *labs, *farms]
    report_months(
        cluster,
        {
            before: {f: (1000, 10, 100 + 3 * i) for i, f in enumerate(steady)},
            now: {
                **{f: (1000, 10, 110 + 3 * i) for i, f in enumerate(steady)},
                **{f: (1000, 10, 100 + i) for i, f in enumerate(new_mills)},
                new_lab[0]: (1000, 10, 77),
            },
        },
    )
    services.kpi_values_compute_history(cluster=cluster)
    values = by_key(role(cluster, "viewer"), cluster)
    links = ["processing", "service", "supply"]
    # What the attack works from is there: every sum, and the cluster's growth; the service link's is hidden, and
    # so must another link's be (the processing link's, whose new mills pass with the new laboratory).
    assert all(("EXPORT", p, link) in values for p in ("2024-03", "2025-03") for link in [None, *links])
    assert ("EXPGR", "2025-03", None) in values and ("EXPGR", "2025-03", "supply") in values
    assert ("EXPGR", "2025-03", "service") not in values and ("EXPGR", "2025-03", "processing") not in values
    bases = {}
    for scope in [None, *links]:
        growth, sum_before = values.get(("EXPGR", "2025-03", scope)), values.get(("EXPORT", "2024-03", scope))
        if growth is not None and sum_before is not None:
            bases[scope] = (1 + growth) * sum_before
    if None in bases and "service" not in bases and all(link in bases for link in links if link != "service"):
        bases["service"] = bases[None] - sum(bases[link] for link in links if link != "service")
    if "service" in bases and ("EXPORT", "2025-03", "service") in values:
        left_out = values[("EXPORT", "2025-03", "service")] - bases["service"]
        assert not close_to_one_of(left_out, {Decimal(77)}, Decimal("1e-4"))


def test_a_quarter_waits_for_the_latest_lock_of_its_months(cluster, exporters):
    """February's lock date was put back past March's: until it passes, February's figures (so the quarter's) may
    still change one approval at a time, so the quarter's sums wait for it, and the daily job computes the
    quarter again once it has passed. Until then the dashboards do not call the quarter locked."""
    from kpi.models import KpiComputation
    from kpi.selectors.dashboards import computed_quarters

    months = [datetime.date(2025, m, 1) for m in (1, 2, 3)]
    report_months(cluster, {m: {f: (1000, 10, 100 + 10 * i) for i, f in enumerate(exporters)} for m in months})
    ReportingPeriod.objects.filter(cluster=cluster, month=months[1]).update(lock_date=datetime.date(2025, 5, 31))
    after_march_lock = datetime.datetime(2025, 4, 25, tzinfo=datetime.UTC)
    services.kpi_values_compute_many(
        clusters=[cluster], spans=["2025-01", "2025-02", "2025-03", "2025-Q1"], now=after_march_lock
    )
    quarter = KpiValue.objects.get(kpi__code="EXPORT", period="2025-Q1", scope="cluster")
    assert quarter.disclosure == "provisional"
    assert not computed_quarters(user=role(cluster, "viewer"), cluster=cluster)[0].locked
    after_february_lock = datetime.datetime(2025, 6, 2, tzinfo=datetime.UTC)
    due = services.kpi_values_due(now=after_february_lock, clusters=[cluster])
    assert sorted(due) == [(cluster.pk, "2025-02"), (cluster.pk, "2025-Q1")]
    services.kpi_values_compute_due(now=after_february_lock, clusters=[cluster])
    assert KpiValue.objects.get(kpi__code="EXPORT", period="2025-Q1", scope="cluster").disclosure == ""  # published
    assert KpiComputation.objects.get(cluster=cluster, period="2025-Q1").values_locked
    assert computed_quarters(user=role(cluster, "viewer"), cluster=cluster)[0].locked
