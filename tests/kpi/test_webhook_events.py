"""The KPI workflow announces its events (core.events): figures submitted and approved, values computed."""

import json

import pytest

from core.events import Event
from kpi import services
from kpi.models import Submission
from tests.kpi.test_services import fill_form
from webhooks.models import Delivery, Endpoint


@pytest.fixture
def endpoint(cluster):
    return Endpoint.objects.create(
        cluster=cluster,
        url="https://erp.example.uz/hook",
        events=[Event.FIGURES_SUBMITTED, Event.FIGURES_APPROVED, Event.KPI_VALUES_COMPUTED],
    )


def test_submitting_and_approving_figures_are_announced_without_a_figure(
    cluster, period, enterprise, representative, office_user, endpoint, django_capture_on_commit_callbacks
):
    fill_form(cluster, representative, enterprise, period)
    submission = Submission.objects.get(enterprise=enterprise)
    services.submission_submit(submission=submission, user=representative)
    with django_capture_on_commit_callbacks(execute=True):  # the month is computed once the approval commits
        services.submission_approve(submission=submission, user=office_user)
    events = [json.loads(d.body) for d in Delivery.objects.order_by("pk")]
    names = [e["event"] for e in events]
    assert names[:2] == ["figures.submitted", "figures.approved"] and "kpi_values.computed" in names
    assert events[0]["data"] == {
        "submission": submission.pk,
        "enterprise": enterprise.taxpayer_id,
        "period": period.key,
        "status": "submitted",
    }
    computed = next(e for e in events if e["event"] == "kpi_values.computed")
    assert period.key in computed["data"]["periods"] and computed["data"]["values"] >= 0
    assert set(events[1]["data"]) == {"submission", "enterprise", "period", "status"}  # ids, no figure
