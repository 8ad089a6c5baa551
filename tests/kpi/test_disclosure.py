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

from kpi import services
from kpi.models import (
    Alert,
    ClusterKpi,
    DataCollectionRules,
    DataElement,
    DataValue,
    KpiValue,
    ReportingPeriod,
    Submission,
)
from tests.governance.factories import BodyFactory, EnterpriseFactory
from tests.governance.test_api import API, token_client
from tests.kpi.test_dashboards import role
from tests.kpi.test_views import login

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


def test_sums_of_a_provisional_month_wait_until_it_is_final(cluster, cluster_with_secrets):
    """The attack: a provisional sum moves by one enterprise's figure each time its submission is approved."""
    april = datetime.date(2025, 4, 1)
    future_deadline = datetime.date.today() + datetime.timedelta(days=5)
    write(cluster, april, {"processing": FIRMS["processing"]}, deadline=future_deadline)
    services.kpi_values_compute(cluster=cluster, span="2025-04")
    rows = {(r["kpi"], r["link"]): r for r in published(role(cluster, "viewer"), cluster) if r["period"] == "2025-04"}
    assert ("EXPORT", None) not in rows and ("DEFECT", None) in rows
    assert KpiValue.objects.get(kpi__code="EXPORT", scope="cluster", period="2025-04").disclosure == "provisional"


def test_an_alert_about_a_hidden_value_shows_no_value_but_to_the_office(client, cluster, cluster_with_secrets):
    supply = Alert.objects.filter(cluster=cluster, kpi__code="DEFECT", link="supply").first()
    assert supply is not None and not supply.disclosed  # 40 / 800 = 5 %, of a single farm
    council = token_client(role(cluster, "council")).get(f"{API}/alerts/{supply.pk}/").json()
    assert council["value"] is None
    assert all(c["value"] is None and c["share"] is None for c in council["contributors"])
    assert token_client(role(cluster, "viewer")).get(f"{API}/alerts/{supply.pk}/").status_code == 404
    office = token_client(role(cluster, "office")).get(f"{API}/alerts/{supply.pk}/").json()
    assert office["value"] is not None


def test_the_office_sets_the_thresholds_and_unsafe_ones_are_refused(client, cluster, cluster_with_secrets):
    office = role(cluster, "office")
    login(client, office)
    form = client.get(reverse("kpi:collection_rules")).context["form"]
    data = {k: ("" if v is None else v) for k, v in form.initial.items() if k in form.fields}
    data["publish_min_enterprises"] = "2"
    page = client.post(reverse("kpi:collection_rules"), data)
    assert page.status_code == 200 and 'id="field-publish_min_enterprises"' in page.content.decode()
    data["publish_min_enterprises"] = "6"
    data["publish_min_enterprises_quartiles"] = "6"
    client.post(reverse("kpi:collection_rules"), data)
    assert DataCollectionRules.objects.get(cluster=cluster).publish_min_enterprises == 6
    services.kpi_values_compute(cluster=cluster, span=KEY)  # what the queued recomputation does
    links = {r["link"] for r in published(role(cluster, "viewer"), cluster) if r["kpi"] == "DEFECT"}
    assert links == {None}  # no link has six firms
