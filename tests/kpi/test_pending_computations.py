"""A change of figures and the KPI recomputation it calls for cannot drift apart: the recomputation is recorded in the
change's own transaction, carried out after it, and a sweep computes whatever was left pending."""

import datetime

import pytest
from django.core.management import call_command

from kpi import services, tasks
from kpi.choices import SubmissionStatus
from kpi.models import KpiComputation, KpiValue, PendingComputation, Submission
from tests.governance.factories import ClusterRoleFactory
from tests.kpi.aggregation_data import generate
from tests.kpi.values import enterprise_rows

pytestmark = pytest.mark.django_db

JULY = datetime.date(2025, 7, 1)
NOW = datetime.datetime(2025, 8, 5, 9, 0, tzinfo=datetime.UTC)  # July's figures still open to approval


def values_of(cluster) -> dict[tuple, tuple]:
    """Every KPI value of the cluster, keyed without ids (the enterprises by name), as readers see them."""
    periods = KpiComputation.objects.filter(cluster=cluster).values_list("period", flat=True)
    rows = list(KpiValue.objects.filter(cluster=cluster).select_related("kpi")) + [
        v for period in periods for v in enterprise_rows(cluster, period)
    ]
    return {
        (v.kpi.code, v.period, v.scope, v.link, v.enterprise.name if v.enterprise_id else ""): (
            v.value,
            v.numerator,
            v.denominator,
            v.status,
            v.reporting_enterprises,
            v.p25,
            v.median,
            v.p75,
            v.disclosure,
        )
        for v in rows
    }


def approve_the_submitted(cluster, month: datetime.date, user) -> int:
    """The office approves every submitted submission of a month (figures that count from now on)."""
    submissions = list(
        Submission.objects.filter(cluster=cluster, period__month=month, status=SubmissionStatus.SUBMITTED)
    )
    for submission in submissions:
        services.submission_approve(submission=submission, user=user, now=NOW)
    return len(submissions)


@pytest.fixture
def twins(cluster, other_cluster):
    """Two clusters with the same firms and figures (same seed), their history computed."""
    for c in (cluster, other_cluster):
        services.cluster_kpis_ensure(cluster=c)
        generate(c, seed=11)
        services.kpi_values_compute_history(cluster=c)
    return cluster, other_cluster


def test_a_crash_after_the_change_is_restored_by_the_next_sweep(twins, monkeypatch, django_capture_on_commit_callbacks):
    undisturbed, crashed = twins
    assert values_of(undisturbed) == values_of(crashed)
    for c in twins:
        assert Submission.objects.filter(cluster=c, status=SubmissionStatus.SUBMITTED).exists()

    # Undisturbed: the approval commits, then its recomputation runs.
    with django_capture_on_commit_callbacks(execute=True):
        approved = approve_the_submitted(undisturbed, JULY, ClusterRoleFactory(cluster=undisturbed).user)
    assert approved and not PendingComputation.objects.filter(cluster=undisturbed).exists()

    # Crashed: the approval commits with its recomputation recorded, and the work after the commit never runs.
    monkeypatch.setattr(tasks.kpi_values_compute_periods_task, "delay", lambda *args, **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        assert approve_the_submitted(crashed, JULY, ClusterRoleFactory(cluster=crashed).user) == approved
    pending = set(PendingComputation.objects.filter(cluster=crashed).values_list("period", flat=True))
    assert {"2025-07", "2025-Q3", "2026-07", "2026-Q3"} & pending == pending and "2025-07" in pending
    expected = values_of(undisturbed)
    stale = {k for k, v in values_of(crashed).items() if expected.get(k) != v}
    assert len(stale) > 10  # the crashed cluster shows the values from before the approval

    # The next sweep computes what was left pending: the values are those of the undisturbed run.
    call_command("aggregate_kpis", "--pending", stdout=None)
    assert values_of(crashed) == expected
    assert not PendingComputation.objects.exists()


def test_a_change_during_a_computation_stays_pending(cluster, monkeypatch):
    """A computation clears only the requests it saw before reading the figures."""
    services.cluster_kpis_ensure(cluster=cluster)
    generate(cluster, seed=3)
    services.pending_record(cluster_id=cluster.pk, keys=["2025-07"], trigger="change")
    from kpi.services import computation

    insert = computation.insert_data_kpis

    def change_meanwhile(*args, **kwargs):
        services.pending_record(cluster_id=cluster.pk, keys=["2025-07"], trigger="change")  # committed meanwhile
        return insert(*args, **kwargs)

    monkeypatch.setattr(computation, "insert_data_kpis", change_meanwhile)
    services.kpi_values_compute(cluster=cluster, span="2025-07")
    assert PendingComputation.objects.get(cluster=cluster, period="2025-07").requested == 2
    monkeypatch.setattr(computation, "insert_data_kpis", insert)
    assert services.kpi_values_sweep(older_than=datetime.timedelta(0)) == 1
    assert not PendingComputation.objects.exists()


def test_a_change_to_a_month_never_computed_is_recorded_too(cluster, monkeypatch):
    """The month's first computation may be reading the figures as the change commits: with nothing computed yet
    there was nothing to record before, and the month kept the old figures until the next scheduled run."""
    services.cluster_kpis_ensure(cluster=cluster)
    generate(cluster, seed=5)
    assert not services.kpi_values_changed(cluster_id=cluster.pk, months=[datetime.date(2030, 1, 1)])  # not opened
    monkeypatch.setattr(tasks.kpi_values_compute_periods_task, "delay", lambda *args, **kwargs: None)
    queued = services.kpi_values_changed(cluster_id=cluster.pk, months=[JULY])
    assert queued == ["2025-07", "2025-Q3"]  # July 2026 is not opened: no growth to recompute a year later
    assert set(PendingComputation.objects.filter(cluster=cluster).values_list("period", flat=True)) == set(queued)
