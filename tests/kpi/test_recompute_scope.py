"""A change of figures recomputes only what it can move (issue 12, item 4): its months and their quarters, the
same periods a year later only where an active growth KPI reads a changed element, nothing where no active KPI
reads it; the periods of one change are replaced together, and computing any period again gives the same rows."""

import datetime
from decimal import Decimal

import pytest

from kpi import services
from kpi.models import ClusterKpi, DataElement, DataValue, KpiComputation, KpiValue, PendingComputation
from tests.governance.factories import ClusterRoleFactory
from tests.kpi.aggregation_data import generate

pytestmark = pytest.mark.django_db

MARCH = datetime.date(2025, 3, 1)


@pytest.fixture
def history(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster).update(active=True)
    data = generate(cluster)
    services.kpi_values_compute_history(cluster=cluster)
    return data


def element(code: str) -> int:
    return DataElement.objects.get(code=code).pk


def test_a_figure_no_growth_kpi_reads_moves_its_month_and_quarter_only(history, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.kpi_values_changed(
            cluster_id=history.cluster.pk, months=[MARCH], elements=[element("defective_units")]
        )
    assert queued == ["2025-03", "2025-Q1"]  # 2026-03 is computed too, but no growth KPI reads defects


def test_an_export_figure_moves_the_growth_a_year_later_too(history, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.kpi_values_changed(
            cluster_id=history.cluster.pk, months=[MARCH], elements=[element("export_revenue")]
        )
    assert queued == ["2025-03", "2025-Q1", "2026-03", "2026-Q1"]


def test_without_an_active_growth_kpi_a_year_later_is_left_alone(history, django_capture_on_commit_callbacks):
    ClusterKpi.objects.filter(cluster=history.cluster, kpi__year_over_year=True).update(active=False)
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.kpi_values_changed(
            cluster_id=history.cluster.pk, months=[MARCH], elements=[element("export_revenue")]
        )
    assert queued == ["2025-03", "2025-Q1"]


def test_a_figure_no_active_kpi_reads_moves_nothing(history, django_capture_on_commit_callbacks):
    trained = element("employees_trained")
    ClusterKpi.objects.filter(cluster=history.cluster, kpi__numerator_id=trained).update(active=False)
    ClusterKpi.objects.filter(cluster=history.cluster, kpi__denominator_id=trained).update(active=False)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert services.kpi_values_changed(cluster_id=history.cluster.pk, months=[MARCH], elements=[trained]) == []
    assert not callbacks and not PendingComputation.objects.exists()


def test_an_approval_moves_every_kpi_of_its_month(history, django_capture_on_commit_callbacks):
    """Which figures count changed: every element, so the growth a year later too."""
    with django_capture_on_commit_callbacks(execute=False):
        queued = services.kpi_values_changed(cluster_id=history.cluster.pk, months=[MARCH])
    assert queued == ["2025-03", "2025-Q1", "2026-03", "2026-Q1"]


def test_a_corrected_figure_recomputes_its_periods_together_and_leaves_the_rest(
    history, django_capture_on_commit_callbacks
):
    cluster = history.cluster
    before = dict(KpiComputation.objects.filter(cluster=cluster).values_list("period", "computed_at"))
    firm = next(
        e
        for e in history.enterprises
        if history.statuses.get((e.pk, MARCH)) in ("approved", "locked")
        and DataValue.objects.filter(enterprise=e, period__month=MARCH, data_element__code="defective_units").exists()
    )
    rows = [{"enterprise": firm.taxpayer_id, "period": "2025-03", "data_element": "defective_units", "value": 7}]
    office = ClusterRoleFactory(cluster=cluster, role="office").user
    with django_capture_on_commit_callbacks(execute=True):
        result = services.data_values_write(cluster=cluster, user=office, rows=rows, channel="correction")
    assert result.updated + result.created == 1
    after = dict(KpiComputation.objects.filter(cluster=cluster).values_list("period", "computed_at"))
    moved = {key for key in after if after[key] != before[key]}
    assert moved == {"2025-03", "2025-Q1"}  # not 2026-03 nor 2026-Q1, computed too
    assert len({after[key] for key in moved}) == 1  # one computation, one transaction


def test_computing_a_period_again_gives_identical_rows(history):
    fields = [f.name for f in KpiValue._meta.fields if f.name != "id"]

    def snapshot():
        return sorted(KpiValue.objects.filter(cluster=history.cluster).values_list(*fields), key=str)

    first = snapshot()
    for key in ("2025-03", "2025-Q1", "2026-03"):
        services.kpi_values_compute(cluster=history.cluster, span=key)
    assert snapshot() == first
    assert KpiValue.objects.filter(cluster=history.cluster, value__gt=Decimal(0)).exists()
