import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpi import services
from kpi.choices import Channel, SubmissionStatus
from kpi.models import ClusterKpi, DataValue, DataValueChange, Submission
from tests.governance.factories import ClusterRoleFactory, EnterpriseFactory
from tests.governance.test_api import API, token_client
from tests.kpi.factories import ReportingPeriodFactory

pytestmark = pytest.mark.django_db

URL = f"{API}/data-values/"


def row(enterprise, period, code, value):
    return {"enterprise": enterprise.taxpayer_id, "period": period.key, "data_element": code, "value": value}


def post(client, cluster, rows, **flags):
    return client.post(URL, {"cluster": cluster.pk, "rows": rows, **flags}, format="json")


@pytest.fixture
def office_api(office_user):
    return token_client(office_user)


@pytest.fixture
def enterprise_api(representative):
    return token_client(representative)


def test_bulk_write_answers_the_contract_and_reposting_counts_unchanged(office_api, cluster, period, enterprise):
    rows = [row(enterprise, period, "total_output", 1500.5), row(enterprise, period, "employees", 40)]
    first = post(office_api, cluster, rows)
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 2, "updated": 0, "unchanged": 0, "rejected": 0, "conflicts": [], "warnings": []}
    again = post(office_api, cluster, rows).json()
    assert (again["created"], again["updated"], again["unchanged"]) == (0, 0, 2)
    assert DataValue.objects.count() == 2
    assert DataValueChange.objects.filter(channel=Channel.API).count() == 2


def test_rejected_rows_write_nothing_and_name_row_field_and_message(office_api, cluster, period, enterprise):
    rows = [
        row(enterprise, period, "produced_units", 100),
        row(enterprise, period, "defective_units", 150),
        {"enterprise": "12345", "period": period.key, "data_element": "employees", "value": 3},
    ]
    body = post(office_api, cluster, rows).json()
    assert (body["created"], body["rejected"]) == (1, 2)
    assert [(c["row"], c["field"]) for c in body["conflicts"]] == [(1, "value"), (2, "enterprise")]
    assert "Defective units" in body["conflicts"][0]["message"]
    assert list(DataValue.objects.values_list("data_element__code", flat=True)) == ["produced_units"]


def test_atomic_batch_with_a_rejected_row_is_400_and_writes_nothing(office_api, cluster, period, enterprise):
    rows = [row(enterprise, period, "total_output", 100), row(enterprise, period, "employees", -1)]
    response = post(office_api, cluster, rows, atomic=True)
    assert response.status_code == 400
    assert response.json()["rejected"] == 2 and response.json()["created"] == 0
    assert not DataValue.objects.exists()


def test_dry_run_counts_but_writes_nothing(office_api, cluster, period, enterprise):
    body = post(office_api, cluster, [row(enterprise, period, "total_output", 100)], dry_run=True).json()
    assert body["created"] == 1
    assert not DataValue.objects.exists()


def test_an_enterprise_token_writes_only_its_own_enterprise(enterprise_api, cluster, period, enterprise, neighbour):
    body = post(
        enterprise_api, cluster, [row(enterprise, period, "employees", 4), row(neighbour, period, "employees", 4)]
    ).json()
    assert body["created"] == 1
    assert body["conflicts"] == [
        {"row": 1, "field": "enterprise", "message": "You may not report figures for this enterprise."}
    ]
    assert not DataValue.objects.filter(enterprise=neighbour).exists()


def test_another_clusters_id_is_refused_as_nonexistent(office_api, other_cluster, period, enterprise):
    foreign = EnterpriseFactory(cluster=other_cluster, taxpayer_id="305555555")
    ReportingPeriodFactory(
        cluster=other_cluster, month=period.month, deadline=period.deadline, lock_date=period.lock_date
    )
    response = post(office_api, other_cluster, [row(foreign, period, "employees", 4)])
    assert response.status_code == 400 and "cluster" in response.json()
    assert not DataValue.objects.exists()


@pytest.mark.parametrize("role", ["council", "working_group", "viewer"])
def test_roles_that_do_not_report_cannot_post_figures(cluster, period, enterprise, role):
    client = token_client(ClusterRoleFactory(cluster=cluster, role=role).user)
    assert post(client, cluster, [row(enterprise, period, "employees", 4)]).status_code == 403
    assert not DataValue.objects.exists()


def test_a_malformed_envelope_is_400_per_field(office_api, cluster):
    response = office_api.post(URL, {"cluster": cluster.pk, "rows": "many"}, format="json")
    assert response.status_code == 400 and "rows" in response.json()
    assert office_api.post(URL, {"cluster": cluster.pk, "rows": []}, format="json").status_code == 400


def test_too_many_rows_are_refused(office_api, cluster, settings):
    settings.KPI_MAX_BATCH_ROWS = 2
    response = office_api.post(URL, {"cluster": cluster.pk, "rows": [{}, {}, {}]}, format="json")
    assert response.status_code == 400 and "rows" in response.json()


def test_get_lists_rows_of_the_same_shape_filtered_by_taxpayer_id_period_and_element(
    office_api, enterprise_api, cluster, period, enterprise, neighbour
):
    post(
        office_api,
        cluster,
        [
            row(enterprise, period, "employees", 4),
            row(neighbour, period, "employees", 7),
            row(enterprise, period, "total_output", 10),
        ],
    )
    rows = office_api.get(
        URL, {"cluster": cluster.pk, "enterprise": neighbour.taxpayer_id, "period": period.key}
    ).json()
    assert [(r["enterprise"], r["period"], r["data_element"], r["value"]) for r in rows["results"]] == [
        (neighbour.taxpayer_id, period.key, "employees", "7.0000")
    ]
    assert office_api.get(URL, {"data_element": "total_output"}).json()["count"] == 1
    assert office_api.get(URL, {"period": "2026-13x"}).status_code == 400
    # A representative sees their own enterprise's figures only, whatever the filter says.
    own = enterprise_api.get(URL, {"enterprise": neighbour.taxpayer_id}).json()
    assert own["count"] == 0
    assert enterprise_api.get(URL).json()["count"] == 2


def test_other_roles_and_other_clusters_read_no_figures(office_api, cluster, other_cluster, period, enterprise):
    post(office_api, cluster, [row(enterprise, period, "employees", 4)])
    council = token_client(ClusterRoleFactory(cluster=cluster, role="council").user)
    assert council.get(URL).json()["count"] == 0
    stranger = token_client(ClusterRoleFactory(cluster=other_cluster, role="office").user)
    assert stranger.get(URL).json()["count"] == 0
    assert stranger.get(f"{API}/submissions/").json()["count"] == 0


def test_listing_figures_costs_the_same_queries_for_few_and_many_rows(office_api, cluster, period):
    def count_queries():
        with CaptureQueriesContext(connection) as captured:
            assert office_api.get(URL, {"page_size": 500}).status_code == 200
        return len(captured)

    few = [EnterpriseFactory(cluster=cluster) for _ in range(2)]
    services.data_values_write(
        cluster=cluster, user=None, channel=Channel.SYSTEM, rows=[row(e, period, "employees", 3) for e in few]
    )
    small = count_queries()
    many = [EnterpriseFactory(cluster=cluster) for _ in range(20)]
    services.data_values_write(
        cluster=cluster,
        user=None,
        channel=Channel.SYSTEM,
        rows=[row(e, period, c, 3) for e in many for c in ("employees", "total_output")],
    )
    assert count_queries() == small


def full_rows(cluster, enterprise, period):
    return [row(enterprise, period, e.code, 10) for e in services.active_data_elements(cluster=cluster)]


def test_submit_approve_and_return_through_the_api(
    office_api, enterprise_api, cluster, period, enterprise, mailoutbox, django_capture_on_commit_callbacks
):
    post(enterprise_api, cluster, full_rows(cluster, enterprise, period))
    submission = Submission.objects.get(enterprise=enterprise, period=period)
    detail = f"{API}/submissions/{submission.pk}/"
    assert enterprise_api.post(detail + "approve/").status_code == 403
    submitted = enterprise_api.post(detail + "submit/")
    assert submitted.status_code == 200, submitted.content
    assert submitted.json()["status"] == "submitted" and submitted.json()["on_time"] is True
    assert submitted.json()["enterprise"] == enterprise.taxpayer_id and submitted.json()["period"] == period.key
    assert office_api.post(detail + "return/", {}, format="json").status_code == 400
    with django_capture_on_commit_callbacks(execute=True):
        returned = office_api.post(detail + "return/", {"reason": "Check the exports."}, format="json")
    assert returned.json()["status"] == "returned" and returned.json()["returned_reason"] == "Check the exports."
    assert len(mailoutbox) == 1
    enterprise_api.post(detail + "submit/")
    assert office_api.post(detail + "approve/").json()["status"] == "approved"
    listed = office_api.get(f"{API}/submissions/", {"status": "approved", "enterprise": enterprise.taxpayer_id})
    assert [s["id"] for s in listed.json()["results"]] == [submission.pk]


def test_submitting_with_a_missing_figure_is_400_naming_it(enterprise_api, cluster, period, enterprise):
    post(enterprise_api, cluster, full_rows(cluster, enterprise, period)[1:])
    submission = Submission.objects.get(enterprise=enterprise)
    response = enterprise_api.post(f"{API}/submissions/{submission.pk}/submit/")
    assert response.status_code == 400
    assert list(response.json()) == [services.active_data_elements(cluster=cluster)[0].code]
    submission.refresh_from_db()
    assert submission.status == SubmissionStatus.DRAFT


def test_another_enterprises_submission_is_404_for_a_representative(enterprise_api, cluster, period, neighbour):
    services.data_values_write(
        cluster=cluster, user=None, channel=Channel.SYSTEM, rows=[row(neighbour, period, "employees", 3)]
    )
    submission = Submission.objects.get(enterprise=neighbour)
    assert enterprise_api.get(f"{API}/submissions/{submission.pk}/").status_code == 404
    assert enterprise_api.post(f"{API}/submissions/{submission.pk}/submit/").status_code == 404


def test_periods_list_deadline_lock_date_and_status(office_api, cluster, period):
    old = ReportingPeriodFactory(cluster=cluster, month=datetime.date(2024, 1, 1))
    body = office_api.get(f"{API}/periods/", {"cluster": cluster.pk}).json()
    assert [(p["period"], p["status"]) for p in body["results"]] == [(period.key, "open"), (old.key, "locked")]
    assert office_api.get(f"{API}/periods/", {"status": "locked"}).json()["count"] == 1


def test_kpis_of_a_cluster_and_the_office_sets_targets(office_api, cluster):
    body = office_api.get(f"{API}/kpis/", {"cluster": cluster.pk}).json()
    assert body["count"] == 21  # the 15 KPIs of enterprises' figures and 6 from the platform's records
    assert {k["source"] for k in body["results"]} == {"data", "platform"}
    fps = next(k for k in body["results"] if k["code"] == "FPS")
    assert (fps["unit"], fps["direction"], fps["active"]) == ("percent", "higher", True)
    changed = office_api.patch(f"{API}/kpis/{fps['id']}/", {"target": "0.45", "minimum": "0.35"}, format="json")
    assert changed.status_code == 200, changed.content
    bad = office_api.patch(f"{API}/kpis/{fps['id']}/", {"minimum": "0.60"}, format="json")
    assert bad.status_code == 400 and "minimum" in bad.json()
    council = token_client(ClusterRoleFactory(cluster=cluster, role="council").user)
    assert council.patch(f"{API}/kpis/{fps['id']}/", {"active": False}, format="json").status_code == 403
    assert ClusterKpi.objects.get(pk=fps["id"]).active is True


def test_data_elements_catalogue(office_api):
    body = office_api.get(f"{API}/data-elements/").json()
    assert len(body) == 18
    assert {"code": "employees", "aggregation": "stock"}.items() <= next(
        e for e in body if e["code"] == "employees"
    ).items()


def test_a_locked_month_through_the_api(office_api, cluster, enterprise):
    locked = ReportingPeriodFactory(cluster=cluster, month=datetime.date(2024, 1, 1))
    body = post(office_api, cluster, [row(enterprise, locked, "employees", 5)]).json()
    assert body["rejected"] == 1 and body["conflicts"][0]["field"] == "period"
    assert timezone.now() > locked.locks_at


def test_a_new_cluster_has_every_kpi_and_reading_the_list_writes_nothing(office_api, cluster):
    """The rows of a cluster's KPIs are made with the cluster, not by the first page or list that reads them."""
    from kpi.models import ClusterKpi, Kpi

    assert ClusterKpi.objects.filter(cluster=cluster).count() == Kpi.objects.count()
    ClusterKpi.objects.filter(cluster=cluster, kpi__code="EXPGR").delete()
    body = office_api.get("/api/v1/kpis/", {"cluster": cluster.pk, "page_size": 100}).json()
    assert "EXPGR" not in {row["code"] for row in body["results"]}
    assert not ClusterKpi.objects.filter(cluster=cluster, kpi__code="EXPGR").exists()
