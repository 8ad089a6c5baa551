"""The incentives pages: packages and their rules for everyone in the cluster; evaluation results that explain
themselves, read by the office and the council, and by each enterprise for itself only."""

import datetime
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


def conditions_post(rule, rows, combine="all", effective="2026-07-01"):
    """The draft's form as the page posts it: the rule's fields and its conditions' formset."""
    data = {
        "combine": combine,
        "effective_from": effective,
        "conditions-TOTAL_FORMS": str(len(rows)),
        "conditions-INITIAL_FORMS": str(sum(1 for r in rows if r.get("id"))),
        "conditions-MIN_NUM_FORMS": "0",
        "conditions-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"conditions-{i}-{key}"] = value
        data[f"conditions-{i}-rule"] = rule.pk
    return data


def test_the_office_drafts_a_rule_change_sees_who_gains_and_loses_and_records_the_approval(
    client, cluster, decision, evaluated
):
    from kpi.models import Kpi
    from tests.governance.factories import BodyFactory, DecisionFactory, MeetingFactory

    mine, theirs = evaluated
    chosen = mine.package
    office = ClusterRoleFactory(cluster=cluster, role="office").user
    client.force_login(office)
    made = client.post(f"/incentives/packages/{chosen.pk}/draft/")
    draft = chosen.rule_versions.get(status="draft")
    assert made["Location"] == f"/incentives/rules/{draft.pk}/" and draft.conditions.count() == 2  # copied
    page = client.get(made["Location"]).content.decode()
    assert 'id="preview"' in page and "2026-Q1" in page
    defect_id = Kpi.objects.get(code="DEFECT").pk
    kept = list(draft.conditions.order_by("position"))

    # A share above 1 is refused at its field; nothing of the draft changes.
    stricter = {"id": kept[0].pk, "measure": "kpi", "kpi": defect_id, "window": "last_quarter", "comparison": "lte"}
    stricter["threshold"] = "0.005"
    discipline = {"id": kept[1].pk, "measure": "discipline", "window": "last_quarter", "comparison": "gte"}
    wrong = conditions_post(draft, [stricter, {**discipline, "threshold": "80"}])
    refused = client.post(f"/incentives/rules/{draft.pk}/", wrong)
    assert refused.status_code == 200 and "A share is between 0 and 1" in refused.content.decode()
    assert draft.conditions.get(pk=kept[0].pk).threshold == Decimal("0.03")

    right = conditions_post(draft, [stricter, {**discipline, "threshold": "0.8"}])
    assert client.post(f"/incentives/rules/{draft.pk}/", right).status_code == 302
    preview = client.get(f"/incentives/rules/{draft.pk}/").context["preview"]
    assert [e.name for e in preview.lose] == ["Vobkent Tikuv"] and preview.gain == []  # 1.0 % > 0.5 %

    council = BodyFactory(cluster=cluster, kind="council", area="", name="Klaster kengashi")
    adopted = DecisionFactory(meeting=MeetingFactory(body=council, date=datetime.date(2026, 5, 5)))
    client.post(f"/incentives/rules/{draft.pk}/approve/", {"decision": adopted.pk})
    draft.refresh_from_db()
    assert (draft.status, draft.approved_by) == ("approved", adopted)
    # Approved, it no longer changes.
    assert client.post(f"/incentives/rules/{draft.pk}/", right).status_code == 403


def test_only_the_office_of_the_cluster_drafts_rules(client, cluster, other_cluster, evaluated):
    mine, _theirs = evaluated
    url = f"/incentives/packages/{mine.package.pk}/draft/"
    client.force_login(ClusterRoleFactory(cluster=cluster, role="council").user)
    assert client.post(url).status_code == 403
    client.force_login(ClusterRoleFactory(cluster=other_cluster, role="office").user)
    assert client.post(url).status_code == 404
    assert not mine.package.rule_versions.filter(status="draft").exists()


def test_an_enterprise_sees_what_it_receives_and_what_is_missing_for_the_next_tier(client, cluster, decision):
    from incentives.models import Award, Benefit
    from tests.governance.factories import BodyFactory, DecisionFactory, MeetingFactory
    from tests.incentives.test_evaluation import DEC as _DEC  # noqa: F401

    firm = EnterpriseFactory(cluster=cluster, name="Buxoro Ip")
    for month in (JAN, FEB, MAR):
        report(cluster, month, {firm: (1000, 20)})  # 2.0 %
    silver = package(cluster, decision, defect("0.03"))
    package(cluster, decision, defect("0.015"), tier=2)
    Benefit.objects.create(package=silver, kind="fee_discount", value=Decimal("5"))
    services.evaluate_quarter(cluster=cluster, quarter="2026-Q1")
    council = BodyFactory(cluster=cluster, kind="council", area="", name="Klaster kengashi")
    adopted = DecisionFactory(meeting=MeetingFactory(body=council, date=datetime.date.today()))

    office = ClusterRoleFactory(cluster=cluster, role="office").user
    client.force_login(office)
    award = Award.objects.get(enterprise=firm)
    client.post(f"/incentives/awards/{award.pk}/decide/", {"decision": adopted.pk, "approve": "yes"})
    award.refresh_from_db()
    assert award.status == "approved" and award.decision == adopted

    accountant = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[firm]).user
    client.force_login(accountant)
    page = client.get("/incentives/mine/").content.decode()
    assert "Fee discount: 5 %" in page
    assert "What is missing for 2. Tier 2" in page
    assert "Defect rate 2.0 % over the last quarter; the package asks at most 1.5 %: 0.5 p.p. to go." in page
    # The awards list shows the enterprise its own only, and no decision to take.
    listed = client.get("/incentives/awards/")
    assert [a.enterprise for a in listed.context["awards"]] == [
        firm
    ] and 'name="decision"' not in listed.content.decode()


def test_only_the_office_records_the_councils_decision_on_an_award(client, cluster, other_cluster, evaluated):
    from incentives.models import Award

    mine, _theirs = evaluated
    Award.objects.all().delete()
    award = Award.objects.create(cluster=cluster, enterprise=mine.enterprise, package=mine.package, evaluation=mine,
                                 quarter=mine.quarter)  # fmt: skip
    url = f"/incentives/awards/{award.pk}/decide/"
    client.force_login(ClusterRoleFactory(cluster=cluster, role="council").user)
    assert client.post(url, {"approve": "yes"}).status_code == 403
    client.force_login(ClusterRoleFactory(cluster=other_cluster, role="office").user)
    assert client.post(url, {"approve": "yes"}).status_code == 404
    award.refresh_from_db()
    assert award.status == "proposed"


def test_the_api_serves_evaluations_scoped_as_everything_else(cluster, other_cluster, evaluated):
    from tests.governance.test_api import API, token_client

    mine, theirs = evaluated
    accountant = ClusterRoleFactory(cluster=cluster, role="enterprise", enterprises=[mine.enterprise]).user
    api = token_client(accountant)
    listed = api.get(f"{API}/evaluations/").json()
    assert [e["id"] for e in listed["results"]] == [mine.pk]
    row = listed["results"][0]
    assert row["enterprise"] == mine.enterprise.taxpayer_id and row["rule_version"] == 1
    assert [(r["verdict"], r["months_counted"]) for r in row["results"]] == [("not_met", 3), ("met", 3)]
    assert api.get(f"{API}/evaluations/{theirs.pk}/").status_code == 404  # a competitor's: not there for them
    assert api.get(f"{API}/incentive-packages/").json()["results"][0]["rule_versions"][0]["conditions"][0]["kpi"] == (
        "DEFECT"
    )

    office = token_client(ClusterRoleFactory(cluster=cluster, role="office").user)
    assert office.get(f"{API}/evaluations/", {"verdict": "met"}).json()["count"] == 1
    assert office.get(f"{API}/evaluations/", {"quarter": "2026-Q5"}).status_code == 400
    assert office.post(f"{API}/evaluations/", {}).status_code == 405  # written by the evaluation only
    stranger = token_client(ClusterRoleFactory(cluster=other_cluster, role="office").user)
    assert stranger.get(f"{API}/evaluations/").json()["count"] == 0
    assert stranger.get(f"{API}/awards/").json()["count"] == 0


def test_the_office_evaluates_a_quarter_on_demand_and_no_one_else(client, cluster, decision):
    firm = EnterpriseFactory(cluster=cluster, name="Buxoro Ip")
    for month in (JAN, FEB, MAR):
        report(cluster, month, {firm: (1000, 20)})
    package(cluster, decision, defect("0.03"))
    client.force_login(ClusterRoleFactory(cluster=cluster, role="council").user)
    assert client.post("/incentives/evaluate/", {"quarter": "2026-Q1"}).status_code == 403
    assert not Evaluation.objects.exists()
    client.force_login(ClusterRoleFactory(cluster=cluster, role="office").user)
    page = client.get("/incentives/evaluations/").content.decode()
    assert 'id="evaluate-now"' in page and 'value="2026-Q1"' in page  # the latest final quarter, not evaluated yet
    done = client.post("/incentives/evaluate/", {"quarter": "2026-Q1"}, follow=True)
    assert "2026-Q1 evaluated: 1 package evaluations." in done.content.decode()
    assert Evaluation.objects.get().verdict == "met"
    refused = client.post("/incentives/evaluate/", {"quarter": "2031-Q1"}, follow=True).content.decode()
    assert "cannot be evaluated yet" in refused
