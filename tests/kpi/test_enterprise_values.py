"""Enterprises' own KPI values are computed when read, never stored: the same values as the rows they replaced
(tests/kpi/test_aggregation.py checks them against the plain Python reference), read in a fixed number of queries,
paged with the stored rows in one order, and seen only by those `restrict` lets see an enterprise's rows."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpi import services
from kpi.models import DataValue, KpiValue
from tests.governance.factories import EnterpriseFactory
from tests.governance.test_api import API, token_client
from tests.kpi.test_alerts import FIRST, report
from tests.kpi.test_dashboards import computed, role  # noqa: F401  (the fixture)
from tests.kpi.test_views import login

pytestmark = pytest.mark.django_db


def test_no_enterprise_value_is_stored_and_the_table_refuses_one(cluster, computed):  # noqa: F811
    processing, _supply = computed
    assert KpiValue.objects.filter(cluster=cluster).exists()
    assert not KpiValue.objects.filter(enterprise__isnull=False).exists()
    assert not KpiValue.objects.filter(scope="enterprise").exists()
    row = KpiValue.objects.filter(cluster=cluster, scope="cluster").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiValue.objects.create(
            cluster=cluster, kpi=row.kpi, period="2025-03", period_kind="month", period_start=row.period_start,
            scope="enterprise", enterprise=processing[0], value=Decimal(1),
        )  # fmt: skip


def _firms(c, n: int) -> None:
    services.cluster_kpis_ensure(cluster=c)
    report(c, FIRST, {EnterpriseFactory(cluster=c, value_chain_link="processing"): (1000, 10 + i) for i in range(n)})
    services.kpi_values_compute(cluster=c, span="2025-03")


def test_pages_and_the_api_computing_on_read_take_the_same_queries_for_4_and_40_firms(client, cluster, other_cluster):
    counts = []
    for c, n in ((cluster, 4), (other_cluster, 40)):
        _firms(c, n)
        firm = c.enterprises.order_by("pk").first()
        per_reader = []
        office = role(c, "office")
        login(client, office)
        client.get(reverse("kpi:overview"))  # warm the session's cluster choice
        for url, params in (
            (reverse("kpi:kpi_detail", args=["DEFECT"]), {"period": "2025-03"}),
            (reverse("kpi:enterprise_view", args=[firm.pk]), {"period": "2025-03"}),
            (reverse("kpi:enterprise_view", args=[firm.pk]), {"period": "2025-03", "kpi": "DEFECT"}),
        ):
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url, params).status_code == 200
            per_reader.append(len(queries))
        client.logout()
        api = token_client(office)
        with CaptureQueriesContext(connection) as queries:
            body = api.get(f"{API}/kpi-values/", {"cluster": c.pk, "scope": "enterprise", "page_size": 3}).json()
        assert body["count"] == n and len(body["results"]) == 3
        per_reader.append(len(queries))
        counts.append(per_reader)
    assert counts[0] == counts[1]


def test_api_pages_merge_stored_and_computed_rows_in_one_order(cluster, computed):  # noqa: F811
    office = token_client(role(cluster, "office"))
    whole = office.get(f"{API}/kpi-values/", {"cluster": cluster.pk, "page_size": 1000}).json()
    rows = whole["results"]
    assert whole["count"] == len(rows) and {r["scope"] for r in rows} == {"cluster", "link", "enterprise"}
    paged, page = [], 1
    while True:
        body = office.get(f"{API}/kpi-values/", {"cluster": cluster.pk, "page_size": 7, "page": page}).json()
        assert body["count"] == whole["count"]
        paged += body["results"]
        if not body["next"]:
            break
        page += 1
    assert paged == rows
    # The order of the contract: period, KPI, scope (cluster, enterprise, link), link, taxpayer id.
    defect = [(r["scope"], r["link"] or "", r["enterprise"] or "") for r in rows if r["kpi"] == "DEFECT"]
    assert defect == sorted(defect)
    backwards = office.get(f"{API}/kpi-values/", {"cluster": cluster.pk, "page_size": 1000, "ordering": "-link"}).json()
    links = [r["link"] or "" for r in backwards["results"] if r["kpi"] == "DEFECT"]
    assert links == sorted(links, reverse=True)
    assert sorted(map(str, backwards["results"])) == sorted(map(str, rows))


def test_api_filters_apply_to_computed_rows(cluster, computed):  # noqa: F811
    processing, supply = computed
    office = token_client(role(cluster, "office"))
    base = {"cluster": cluster.pk, "kpi": "DEFECT", "scope": "enterprise", "period": "2025-03"}
    below = office.get(f"{API}/kpi-values/", {**base, "status": "below_minimum"}).json()["results"]
    assert {r["enterprise"] for r in below} == {processing[3].taxpayer_id}  # 200 defects of 1 000
    farms = office.get(f"{API}/kpi-values/", {**base, "link": "supply"}).json()["results"]
    assert {r["enterprise"] for r in farms} == {s.taxpayer_id for s in supply}
    one = office.get(f"{API}/kpi-values/", {**base, "enterprise": supply[1].taxpayer_id}).json()
    assert one["count"] == 1 and one["results"][0]["value"] == "0.01000000"
    assert office.get(f"{API}/kpi-values/", {**base, "period": "2025-04"}).json()["count"] == 0
    assert office.get(f"{API}/kpi-values/", {**base, "provisional": "true"}).json()["count"] == 0


def test_a_competitor_reads_no_other_firms_values_through_any_filter(cluster, computed):  # noqa: F811
    processing, supply = computed
    api = token_client(role(cluster, "enterprise", enterprises=[supply[0]]))
    for params in ({}, {"scope": "enterprise"}, {"enterprise": processing[3].taxpayer_id}, {"link": "processing"}):
        rows = api.get(f"{API}/kpi-values/", {"page_size": 1000, **params}).json()["results"]
        assert {r["enterprise"] for r in rows if r["scope"] == "enterprise"} <= {supply[0].taxpayer_id}, params
    council = token_client(role(cluster, "council"))
    assert council.get(f"{API}/kpi-values/", {"scope": "enterprise"}).json()["count"] == 0


def test_an_enterprise_reads_its_values_from_the_figures_as_they_stand(client, cluster, computed):  # noqa: F811
    """Its own values are computed when read: a corrected figure shows at once, before the cluster's value is
    computed again."""
    processing, _supply = computed
    login(client, role(cluster, "enterprise", enterprises=[processing[3]]))

    def own_defect():
        page = client.get(reverse("kpi:enterprise_own"), {"period": "2025-03"}, follow=True)
        return next(r for r in page.context["rows"] if r.own.kpi.code == "DEFECT").own.value

    assert own_defect() == Decimal("0.2")
    DataValue.objects.filter(enterprise=processing[3], data_element__code="defective_units").update(value=50)
    assert own_defect() == Decimal("0.05")


def test_pages_of_enterprise_values_alone_read_only_their_rows(cluster, computed):  # noqa: F811
    office = token_client(role(cluster, "office"))
    base = {"cluster": cluster.pk, "scope": "enterprise"}
    whole = office.get(f"{API}/kpi-values/", {**base, "page_size": 1000}).json()
    assert whole["count"] == len(whole["results"]) >= 10
    paged, page = [], 1
    while True:
        body = office.get(f"{API}/kpi-values/", {**base, "page_size": 4, "page": page}).json()
        assert body["count"] == whole["count"]
        paged += body["results"]
        if not body["next"]:
            break
        page += 1
    assert paged == whole["results"]
    assert office.get(f"{API}/kpi-values/", {**base, "page_size": 4, "page": page + 1}).status_code == 404
