"""The incentives pages: packages and their rules for everyone in the cluster; evaluation results that explain
themselves, read by the office and the council, and by each enterprise for itself only."""

from decimal import Decimal

import pytest
from django.utils import translation

from incentives import services
from incentives.explain import explain
from incentives.models import Evaluation
from kpi.models import Submission
from tests.governance.factories import ClusterRoleFactory, EnterpriseFactory
from tests.incentives.test_evaluation import DEC, FEB, JAN, MAR, defect, package
from tests.incentives.test_evaluation import decision as decision  # noqa: F401  (a fixture)
from tests.kpi.test_alerts import report

pytestmark = pytest.mark.django_db


@pytest.fixture
def evaluated(cluster, decision):
    mine, theirs = (EnterpriseFactory(cluster=cluster, name=n) for n in ("Buxoro Ip", "Vobkent Tikuv"))
    for month in (DEC, JAN, FEB, MAR):
        report(cluster, month, {mine: (1000, 36), theirs: (1000, 10)})
    Submission.objects.update(on_time=True)  # both report on time: the KPI alone tells them apart
    package(cluster, decision, defect("0.03"), {"measure": "discipline", "window": "last_quarter", "comparison": "gte",
                                                "threshold": Decimal("0.8")})  # fmt: skip
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    return Evaluation.objects.get(enterprise=mine), Evaluation.objects.get(enterprise=theirs)


def test_a_condition_not_met_says_how_far_it_is_in_the_readers_language(evaluated):
    mine, _theirs = evaluated
    result = mine.results.get(condition__measure="kpi")
    with translation.override("en"):
        assert explain(result) == (
            "Defect rate 3.6 % over the last quarter; the package asks at most 3.0 %: 0.6 p.p. to go."
        )
    with translation.override("uz"):
        assert "0,6 f.p." in explain(result) and "3,6 %" in explain(result)
    met = _theirs.results.get(condition__measure="kpi")
    with translation.override("en"):
        assert explain(met) == "Defect rate 1.0 % over the last quarter; the package asks at most 3.0 %: met."


def test_an_enterprise_reads_its_own_evaluation_and_not_anothers(client, cluster, evaluated):
    mine, theirs = evaluated
    accountant = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[mine.enterprise]).user
    client.force_login(accountant)
    page = client.get(mine.get_absolute_url())
    assert page.status_code == 200 and "0.6 p.p. to go" in page.content.decode()
    assert client.get(theirs.get_absolute_url()).status_code == 404
    listed = client.get("/incentives/evaluations/").context["object_list"]
    assert [e.pk for e in listed] == [mine.pk]


def test_the_office_and_the_council_read_every_evaluation_and_filter_them(client, cluster, evaluated):
    mine, theirs = evaluated
    for role in ("office", "council"):
        client.force_login(ClusterRoleFactory(cluster=cluster, role=role).user)
        assert client.get(theirs.get_absolute_url()).status_code == 200
        listed = client.get("/incentives/evaluations/", {"verdict": "met"}).context["object_list"]
        assert [e.pk for e in listed] == [theirs.pk]
    viewer = ClusterRoleFactory(cluster=cluster, role="viewer").user
    client.force_login(viewer)
    assert client.get(mine.get_absolute_url()).status_code == 404
    assert list(client.get("/incentives/evaluations/").context["object_list"]) == []
    overview = client.get("/incentives/").content.decode()  # the packages and rules are the whole cluster's
    assert "Tier 1" in overview and "at most 3.0 %" in overview


def test_another_clusters_office_reads_none(client, cluster, other_cluster, evaluated):
    mine, _theirs = evaluated
    client.force_login(ClusterRoleFactory(cluster=other_cluster, role="office").user)
    assert client.get(mine.get_absolute_url()).status_code == 404
