import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kpi import services
from kpi.choices import SubmissionStatus
from kpi.models import ClusterKpi, DataCollectionRules, KpiComputation, KpiValue, Span
from tests.governance.factories import EnterpriseFactory
from tests.kpi.aggregation_data import generate, reference
from tests.kpi.values import all_values, enterprise_rows

pytestmark = pytest.mark.django_db

APPROVED = {SubmissionStatus.APPROVED, SubmissionStatus.LOCKED}


def stored(cluster, span: Span) -> dict:
    return {
        (v.kpi.code, v.scope, v.link, v.enterprise_id): v
        for v in all_values(cluster, span.key)
        if not v.kpi.is_platform
    }


def close(a, b) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(Decimal(a) - Decimal(b)) <= Decimal("1e-6") * max(Decimal(1), abs(Decimal(b)))


@pytest.fixture
def dataset(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster).update(active=True)  # all 15, COOP included
    return generate(cluster)


SPANS = ["2025-01", "2025-07", "2026-02", "2026-06", "2025-Q3", "2026-Q1", "2026-Q2"]


@pytest.mark.parametrize("key", SPANS)
def test_every_kpi_scope_and_period_matches_the_plain_python_reference(dataset, key):
    span = Span.parse(key)
    services.kpi_values_compute(cluster=dataset.cluster, span=span)
    expected = reference(dataset, span, APPROVED)
    got = stored(dataset.cluster, span)
    assert set(got) == set(expected)
    assert len(expected) > 15 * 5  # the data set exercises every scope
    for key_, (value, numerator, denominator, reporting) in expected.items():
        row = got[key_]
        assert close(row.value, value), (key_, row.value, value)
        assert close(row.numerator, numerator), key_
        assert close(row.denominator, denominator), key_
        assert row.reporting_enterprises == reporting, key_


def test_growth_reads_the_same_period_a_year_before(dataset):
    services.kpi_values_compute(cluster=dataset.cluster, span="2026-Q1")
    growth = KpiValue.objects.get(cluster=dataset.cluster, period="2026-Q1", kpi__code="EXPGR", scope="cluster")
    assert growth.reporting_enterprises > 0
    assert close(growth.value, growth.numerator / growth.denominator - 1)


def test_counting_submitted_figures_is_a_cluster_setting(dataset):
    DataCollectionRules.objects.update_or_create(cluster=dataset.cluster, defaults={"count_submitted": True})
    span = Span.parse("2025-07")
    services.kpi_values_compute(cluster=dataset.cluster, span=span)
    expected = reference(dataset, span, APPROVED | {SubmissionStatus.SUBMITTED})
    assert expected != reference(dataset, span, APPROVED)
    got = stored(dataset.cluster, span)
    assert {k: (close(got[k].value, v[0]), got[k].reporting_enterprises) for k, v in expected.items()} == {
        k: (True, v[3]) for k, v in expected.items()
    }


def test_statuses_follow_the_direction_of_the_kpi(cluster):
    assert services.kpi_status(Decimal("0.05"), Decimal("0.02"), Decimal("0.04"), "lower") == "below_minimum"
    assert services.kpi_status(Decimal("0.03"), Decimal("0.02"), Decimal("0.04"), "lower") == "below_target"
    assert services.kpi_status(Decimal("0.02"), Decimal("0.02"), Decimal("0.04"), "lower") == "on_target"
    assert services.kpi_status(Decimal("0.5"), Decimal("0.6"), Decimal("0.4"), "higher") == "below_target"
    assert services.kpi_status(Decimal("0.3"), Decimal("0.6"), Decimal("0.4"), "higher") == "below_minimum"
    assert services.kpi_status(None, Decimal("0.6"), Decimal("0.4"), "higher") == ""
    assert services.kpi_status(Decimal("0.3"), None, None, "higher") == ""


def test_stored_status_target_and_minimum_are_the_clusters(dataset):
    ClusterKpi.objects.filter(cluster=dataset.cluster, kpi__code="DEFECT").update(
        target=Decimal("0.3"), minimum=Decimal("0.5")
    )
    services.kpi_values_compute(cluster=dataset.cluster, span="2025-07")
    rows = KpiValue.objects.filter(cluster=dataset.cluster, period="2025-07", kpi__code="DEFECT").exclude(value=None)
    assert rows.count() > 3
    for row in rows:
        assert (row.target, row.minimum) == (Decimal("0.3"), Decimal("0.5"))
        assert row.status == services.kpi_status(row.value, row.target, row.minimum, "lower")


def test_sums_get_a_status_only_for_the_whole_cluster(dataset):
    ClusterKpi.objects.filter(cluster=dataset.cluster, kpi__code="EXPORT").update(
        target=Decimal("1"), minimum=Decimal("0")
    )
    services.kpi_values_compute(cluster=dataset.cluster, span="2025-07")
    rows = KpiValue.objects.filter(cluster=dataset.cluster, period="2025-07", kpi__code="EXPORT")
    assert set(rows.filter(scope="cluster").values_list("status", flat=True)) == {"on_target"}
    assert set(rows.exclude(scope="cluster").values_list("status", flat=True)) == {""}


def test_recomputing_gives_identical_rows(dataset):
    fields = [f.name for f in KpiValue._meta.fields if f.name != "id"]

    def snapshot():
        return sorted(
            KpiValue.objects.filter(cluster=dataset.cluster, period="2026-Q1").values_list(*fields),
            key=str,
        )

    services.kpi_values_compute(cluster=dataset.cluster, span="2026-Q1")
    first = snapshot()
    services.kpi_values_compute(cluster=dataset.cluster, span="2026-Q1")
    assert snapshot() == first
    assert KpiComputation.objects.filter(cluster=dataset.cluster, period="2026-Q1").count() == 1


def test_a_failed_computation_leaves_the_old_rows(dataset, monkeypatch):
    services.kpi_values_compute(cluster=dataset.cluster, span="2025-07")
    before = KpiValue.objects.filter(cluster=dataset.cluster, period="2025-07").count()

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr("kpi.services.computation._disclose", broken)
    with pytest.raises(RuntimeError):
        services.kpi_values_compute(cluster=dataset.cluster, span="2025-07")
    assert KpiValue.objects.filter(cluster=dataset.cluster, period="2025-07").count() == before


def smoothed_quartiles(values: list[Decimal]) -> list[Decimal]:
    """The reference: each quartile the mean of the three values around the place nearest (n - 1) × q."""
    ordered = sorted(values)
    n = len(ordered)
    found = []
    for q in (Decimal("0.25"), Decimal("0.5"), Decimal("0.75")):
        place = int(((n - 1) * q).to_integral_value(rounding="ROUND_HALF_UP"))  # 0-based
        centre = min(max(place, 1), n - 2)
        found.append(sum(ordered[centre - 1 : centre + 2]) / 3)
    return found


def test_quartiles_only_over_ten_firms_and_each_the_mean_of_three(cluster):
    services.cluster_kpis_ensure(cluster=cluster)
    dataset = generate(cluster, enterprises=40, months=8)
    services.kpi_values_compute(cluster=dataset.cluster, span="2025-07")
    rows = KpiValue.objects.filter(cluster=dataset.cluster, period="2025-07").exclude(scope="enterprise")
    published = 0
    for row in rows.exclude(kpi__source="platform"):
        firms = sorted(
            v.value
            for v in enterprise_rows(dataset.cluster, "2025-07", row.kpi)
            if v.value is not None and (row.scope != "link" or v.link == row.link)
        )
        if len(firms) >= 10:
            expected = smoothed_quartiles(firms)
            assert [row.p25, row.median, row.p75] == [pytest.approx(q, abs=Decimal("1e-7")) for q in expected]
            assert firms[0] <= row.p25 <= row.median <= row.p75 <= firms[-1]
            published += 1
        else:
            assert (row.p25, row.median, row.p75) == (None, None, None)
    assert published


@pytest.mark.parametrize("threshold", [10, 14])
def test_the_office_sets_how_many_firms_quartiles_need(cluster, threshold):
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster).update(active=True)
    dataset = generate(cluster, enterprises=24, months=7)
    DataCollectionRules.objects.update_or_create(
        cluster=dataset.cluster, defaults={"publish_min_enterprises_quartiles": threshold}
    )
    services.kpi_values_compute(cluster=dataset.cluster, span="2025-07")
    sizes = set()
    for row in KpiValue.objects.filter(cluster=dataset.cluster, period="2025-07", scope="cluster").exclude(
        kpi__source="platform"
    ):
        firms = [v.value for v in enterprise_rows(dataset.cluster, "2025-07", row.kpi) if v.value is not None]
        sizes.add(len(firms) >= threshold)
        assert (row.median is not None) == (len(firms) >= threshold), (row, len(firms))
        if len(firms) >= threshold:
            assert row.median == pytest.approx(smoothed_quartiles(firms)[1], abs=Decimal("1e-7"))
    assert sizes == {True, False}  # KPIs on either side of the threshold


def _cluster_with(cluster, enterprises: int):
    data = generate(cluster, enterprises=enterprises, months=13, seed=enterprises)
    return data


@pytest.mark.parametrize("key", ["2025-12", "2025-Q4"])
def test_the_number_of_queries_does_not_grow_with_the_enterprises(cluster, other_cluster, key):
    small, large = _cluster_with(cluster, 10), _cluster_with(other_cluster, 100)
    counts = []
    for data in (small, large):
        services.kpi_values_compute(cluster=data.cluster, span=key)  # warm: KPI settings exist
        with CaptureQueriesContext(connection) as queries:
            services.kpi_values_compute(cluster=data.cluster, span=key)
        counts.append(len(queries))
    # The small cluster has thin links, whose disclosure control reads their firms once more (one query).
    assert counts[1] <= counts[0]
    assert len(enterprise_rows(large.cluster, key)) > 300


def test_platform_kpis_come_from_the_platforms_records(cluster):
    EnterpriseFactory.create_batch(4, cluster=cluster, joined_on=datetime.date(2025, 1, 10))
    EnterpriseFactory(cluster=cluster, joined_on=datetime.date(2025, 9, 1))
    EnterpriseFactory(cluster=cluster, joined_on=datetime.date(2025, 1, 10), status="left")
    services.kpi_values_compute(cluster=cluster, span="2025-06")
    values = dict(
        KpiValue.objects.filter(cluster=cluster, period="2025-06", kpi__source="platform").values_list(
            "kpi__code", "value"
        )
    )
    assert values["PARTIC"] == 4
    assert values["PROJSEL"] == 0
    assert set(values) == {"PARTIC", "REGS", "WGS", "PROJSEL", "DISCIP", "TIMELY"}


def test_reporting_timeliness_counts_the_months_submitted_by_the_deadline(cluster):
    from kpi.models import ReportingPeriod, Submission

    firms = EnterpriseFactory.create_batch(4, cluster=cluster, joined_on=datetime.date(2025, 1, 10))
    periods = [
        ReportingPeriod.objects.create(
            cluster=cluster,
            month=datetime.date(2025, m, 1),
            deadline=datetime.date(2025, m + 1, 10),
            lock_date=datetime.date(2025, m + 1, 25),
        )
        for m in (4, 5, 6)
    ]
    # June: three of four on time; May: one; April (outside the quarter) all four.
    for period, on_time in ((periods[2], [True, True, True, False]), (periods[1], [True, False, None, None])):
        for firm, flag in zip(firms, on_time, strict=True):
            if flag is not None:
                Submission.objects.create(cluster=cluster, enterprise=firm, period=period, on_time=flag)
    for firm in firms:
        Submission.objects.create(cluster=cluster, enterprise=firm, period=periods[0], on_time=True)
    services.kpi_values_compute_many(clusters=[cluster], spans=["2025-06", "2025-Q2"])
    timely = dict(KpiValue.objects.filter(cluster=cluster, kpi__code="TIMELY").values_list("period", "value"))
    assert timely["2025-06"] == Decimal("0.75")
    assert timely["2025-Q2"] == pytest.approx(Decimal(8) / 12, abs=Decimal("1e-8"))


# --- Batches: the monthly job and history recomputation take many clusters and periods at once ----------


def _snapshot(clusters, keys=None) -> list:
    fields = [f.name for f in KpiValue._meta.fields if f.name not in ("id",)]
    rows = KpiValue.objects.filter(cluster__in=clusters)
    if keys is not None:
        rows = rows.filter(period__in=keys)
    return sorted(rows.values_list(*fields), key=str)


def test_a_batch_gives_each_cluster_and_period_the_rows_of_its_own_computation(cluster, other_cluster):
    generate(cluster, enterprises=8, months=15, seed=3)
    second = generate(other_cluster, enterprises=6, months=15, seed=4)
    services.cluster_kpis_ensure(cluster=other_cluster)
    # Each cluster keeps its own settings inside the one statement.
    ClusterKpi.objects.filter(cluster=other_cluster, kpi__code="DEFECT").update(
        target=Decimal("0.3"), minimum=Decimal("0.5")
    )
    DataCollectionRules.objects.update_or_create(cluster=other_cluster, defaults={"count_submitted": True})
    keys = ["2025-03", "2025-Q1", "2026-01", "2026-Q1", "2025-Q2"]

    results = services.kpi_values_compute_many(clusters=[other_cluster, cluster], spans=keys)
    batch = _snapshot([cluster, other_cluster])
    assert {(r.cluster_id, r.period): r.values for r in results} == {
        (c.pk, k): KpiValue.objects.filter(cluster=c, period=k).count() for c in (cluster, other_cluster) for k in keys
    }
    assert all(r.values > 0 for r in results)
    span = Span.parse("2025-03")
    expected = reference(second, span, APPROVED | {SubmissionStatus.SUBMITTED})
    got = stored(other_cluster, span)
    assert {k: close(got[k].value, v[0]) for k, v in expected.items()} == dict.fromkeys(expected, True)

    KpiValue.objects.all().delete()
    for c in (cluster, other_cluster):
        for key in keys:
            services.kpi_values_compute(cluster=c, span=key)
    assert _snapshot([cluster, other_cluster]) == batch


def test_recomputing_the_history_of_several_clusters_matches_month_by_month(cluster, other_cluster):
    from kpi.models import Alert

    for c, seed in ((cluster, 5), (other_cluster, 6)):
        generate(c, enterprises=8, months=8, seed=seed)
        services.cluster_kpis_ensure(cluster=c)
        ClusterKpi.objects.filter(cluster=c, kpi__code="DEFECT").update(target=Decimal("0.3"), minimum=Decimal("0.45"))
    now = timezone.now()

    def alerts():
        return sorted(
            Alert.objects.values_list("cluster_id", "kpi__code", "scope", "link", "status", "opened_period", "period"),
            key=str,
        )

    total = services.kpi_values_compute_history(clusters=[cluster, other_cluster], now=now)
    by_batch, alerts_by_batch = _snapshot([cluster, other_cluster]), alerts()
    assert total == len(by_batch)
    assert alerts_by_batch  # the data set dips below the minimum somewhere
    assert set(KpiComputation.objects.values_list("period", flat=True)) == {
        s.key for s in services.kpi_history_spans(cluster=cluster)
    }

    KpiValue.objects.all().delete()
    Alert.objects.all().delete()
    for c in (cluster, other_cluster):
        for span in services.kpi_history_spans(cluster=c):
            services.kpi_values_compute(cluster=c, span=span, now=now)
    assert _snapshot([cluster, other_cluster]) == by_batch
    assert alerts() == alerts_by_batch


def test_a_change_recomputes_the_growth_of_the_same_period_a_year_later(dataset, django_capture_on_commit_callbacks):
    services.kpi_values_compute(cluster=dataset.cluster, span="2026-01")
    services.kpi_values_compute(cluster=dataset.cluster, span="2026-Q1")
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.kpi_values_changed(cluster_id=dataset.cluster.pk, months=[datetime.date(2025, 1, 1)])
    assert {"2026-01", "2026-Q1"} <= set(queued)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks: the embedded SQLite locks the database")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_long_computation_does_not_hold_up_writes_that_refer_to_its_cluster(cluster, monkeypatch):
    """A history batch can take a minute: meanwhile enterprises submit and the office records meetings."""
    import threading

    from django.db import connections

    from kpi.models import ReportingPeriod, Submission
    from kpi.services import computation

    period = ReportingPeriod.objects.create(
        cluster=cluster,
        month=datetime.date(2025, 3, 1),
        deadline=datetime.date(2025, 4, 10),
        lock_date=datetime.date(2025, 4, 25),
    )
    firm = EnterpriseFactory(cluster=cluster)
    computing, release = threading.Event(), threading.Event()
    insert = computation.insert_data_kpis

    def slow_insert(*args, **kwargs):
        computing.set()
        release.wait(10)
        return insert(*args, **kwargs)

    monkeypatch.setattr(computation, "insert_data_kpis", slow_insert)

    def compute():
        try:
            services.kpi_values_compute(cluster=cluster, span="2025-03")
        finally:
            connections.close_all()

    worker = threading.Thread(target=compute)
    worker.start()
    try:
        assert computing.wait(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '2s'")
        # The foreign-key check of the new row shares the cluster row: it must not wait for the computation.
        Submission.objects.create(cluster=cluster, enterprise=firm, period=period)
    finally:
        release.set()
        worker.join(10)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert KpiComputation.objects.filter(cluster=cluster, period="2025-03").exists()
