"""The demo cluster's KPI history: 24 believable months for every enterprise, every hard rule kept, loaded once."""

import calendar
import datetime
import random
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import Avg, Count, F, Max, Q, Sum

from demo.governance import load_demo
from demo.kpi import PROFILES, load_kpi_demo, month_figures
from governance.choices import EnterpriseStatus, RegulationKind, RegulationStatus, ValueChainLink
from governance.models import Cluster, Enterprise
from kpi.catalogue import DATA_ELEMENTS
from kpi.choices import Channel, CorrectionStatus, Direction, SubmissionStatus
from kpi.models import (
    ClusterKpi,
    Correction,
    DataCollectionRules,
    DataValue,
    DataValueChange,
    ReportingPeriod,
    Submission,
    add_months,
)

# Between April's deadline (10 May) and its lock (25 May): the office is still collecting April.
TODAY = datetime.date(2026, 5, 14)
TASHKENT = zoneinfo.ZoneInfo("Asia/Tashkent")
CODES = [spec.code for spec in DATA_ELEMENTS]
INTEGER_CODES = [spec.code for spec in DATA_ELEMENTS if spec.value_type == "integer"]
# The hard rules of DESIGN.md, written out here so the test does not lean on the code it checks.
NOT_ABOVE = [
    ("defective_units", "produced_units"),
    ("shipments_on_time", "shipments_total"),
    ("purchases_in_cluster", "purchases_total"),
    ("local_inputs", "purchases_total"),
    ("finished_output", "total_output"),
    ("value_added", "total_output"),
    ("employees_trained", "employees"),
]
FINAL = (SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED, SubmissionStatus.APPROVED, SubmissionStatus.LOCKED)


@dataclass
class Demo:
    cluster: Cluster
    counts: dict[str, int]


def start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, TASHKENT)


def values(cluster: Cluster):
    return DataValue.objects.filter(cluster=cluster)


def ratio_of_sums(queryset, numerator: str, denominator: str) -> Decimal:
    sums = queryset.aggregate(
        n=Sum("value", filter=Q(data_element__code=numerator)), d=Sum("value", filter=Q(data_element__code=denominator))
    )
    return sums["n"] / sums["d"]


def row_counts() -> dict[str, int]:
    models = [ReportingPeriod, Submission, DataValue, DataValueChange, Correction, ClusterKpi, DataCollectionRules]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo loaded once for the class, inside a transaction rolled back when the class is done."""
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            result = load_demo(today=TODAY)  # the KPI history comes with it, as a demo extension
            yield Demo(cluster=result.cluster, counts=result.extensions["kpi"])
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.mark.django_db
class TestDemoHistory:
    def test_opens_the_24_months_before_today_on_the_regulation_calendar(self, demo):
        periods = list(ReportingPeriod.objects.filter(cluster=demo.cluster).order_by("month"))
        assert [p.month for p in periods] == [add_months(TODAY.replace(day=1), k - 24) for k in range(24)]
        for period in periods:
            assert period.deadline == add_months(period.month, 1).replace(day=10)
            assert period.lock_date == period.deadline + datetime.timedelta(days=15)
        rules = DataCollectionRules.objects.get(cluster=demo.cluster)
        assert (rules.deadline_day, rules.lock_delay_days) == (10, 15)
        assert rules.regulation.kind == RegulationKind.DATA_COLLECTION
        assert rules.regulation.status == RegulationStatus.APPROVED
        assert demo.counts["periods"] == 24

    def test_every_active_kpi_has_a_target_and_a_worse_minimum(self, demo):
        rows = list(
            ClusterKpi.objects.filter(cluster=demo.cluster, active=True, kpi__source="data").select_related("kpi")
        )
        assert 12 <= len(rows) <= 15
        for row in rows:
            row.full_clean()
            assert row.target is not None and row.minimum is not None, row.kpi.code
            if row.kpi.direction == Direction.LOWER:
                assert row.minimum > row.target, row.kpi.code
            else:
                assert row.minimum < row.target, row.kpi.code
        targets = {row.kpi.code: (row.target, row.minimum) for row in rows}
        assert targets["FPS"] == (Decimal("0.45"), Decimal("0.35"))
        assert targets["DEFECT"] == (Decimal("0.02"), Decimal("0.04"))
        assert targets["LEAD"] == (Decimal(4), Decimal(7))

    def test_every_enterprise_reports_every_element_in_most_months(self, demo):
        months = dict(
            values(demo.cluster)
            .values("enterprise_id")
            .annotate(months=Count("period", distinct=True))
            .values_list("enterprise_id", "months")
        )
        enterprises = list(Enterprise.objects.filter(cluster=demo.cluster))
        assert len(enterprises) >= 30
        for enterprise in enterprises:
            assert months.get(enterprise.pk, 0) >= 18, enterprise.name
        # A month past draft holds every element of the catalogue, none of them empty.
        counts = {
            (row["enterprise_id"], row["period_id"]): row["n"]
            for row in values(demo.cluster).values("enterprise_id", "period_id").annotate(n=Count("pk"))
        }
        final = Submission.objects.filter(cluster=demo.cluster, status__in=FINAL)
        assert final.count() > 0.9 * len(counts)
        for key in final.values_list("enterprise_id", "period_id"):
            assert counts[key] == len(CODES)
        assert not values(demo.cluster).filter(value__isnull=True).exists()
        assert demo.counts["values"] == values(demo.cluster).count() > 13_000

    def test_no_figure_breaks_a_hard_rule(self, demo):
        pivot = (
            values(demo.cluster)
            .values("enterprise_id", "period_id")
            .annotate(**{code: Max("value", filter=Q(data_element__code=code)) for code in CODES})
        )
        for part, whole in NOT_ABOVE:
            assert not pivot.filter(**{f"{part}__gt": F(whole)}).exists(), f"{part} > {whole}"
        for month, downtime in (
            values(demo.cluster).filter(data_element__code="downtime_days").values_list("period__month", "value")
        ):
            assert downtime <= calendar.monthrange(month.year, month.month)[1]
        assert not values(demo.cluster).filter(value__lt=0).exists()
        for value in values(demo.cluster).filter(data_element__code__in=INTEGER_CODES).values_list("value", flat=True):
            assert value == value.to_integral_value()

    def test_second_run_adds_nothing_and_keeps_the_offices_changes(self, demo):
        ClusterKpi.objects.filter(cluster=demo.cluster, kpi__code="FPS").update(target=Decimal("0.5"))
        before = row_counts()
        assert load_demo(today=TODAY).created is False
        assert set(load_kpi_demo(cluster=demo.cluster, today=TODAY).values()) == {0}
        assert row_counts() == before
        assert ClusterKpi.objects.get(cluster=demo.cluster, kpi__code="FPS").target == Decimal("0.5")

    def test_each_figure_has_one_system_change_before_today(self, demo):
        changes = DataValueChange.objects.filter(cluster=demo.cluster)
        assert changes.count() == values(demo.cluster).count() == demo.counts["changes"]
        assert set(changes.values_list("channel", flat=True)) == {Channel.SYSTEM}
        repeated = changes.values("enterprise", "period", "data_element").annotate(n=Count("pk")).filter(n__gt=1)
        assert not repeated.exists()
        assert changes.aggregate(last=Max("changed_at"))["last"] < start_of(TODAY)

    def test_supply_is_the_weak_link(self, demo):
        def link(name):
            return values(demo.cluster).filter(enterprise__value_chain_link=name)

        supply, processing = link(ValueChainLink.SUPPLY), link(ValueChainLink.PROCESSING)
        supply_lead = ratio_of_sums(supply, "delivery_days_total", "shipments_total")
        processing_lead = ratio_of_sums(processing, "delivery_days_total", "shipments_total")
        assert supply_lead > 6
        assert supply_lead > Decimal("1.8") * processing_lead
        assert ratio_of_sums(supply, "shipments_on_time", "shipments_total") < Decimal("0.7")
        assert ratio_of_sums(processing, "shipments_on_time", "shipments_total") > Decimal("0.85")
        # The processors stand idle waiting for raw cotton in the harvest, not in spring.
        downtime = processing.filter(data_element__code="downtime_days")
        harvest = downtime.filter(period__month__month__in=[9, 10, 11]).aggregate(a=Avg("value"))["a"]
        spring = downtime.filter(period__month__month__in=[4, 5, 6]).aggregate(a=Avg("value"))["a"]
        assert harvest > 3 * spring

    def test_seasons_and_trends_show(self, demo):
        output = values(demo.cluster).filter(
            enterprise__value_chain_link=ValueChainLink.SUPPLY, data_element__code="total_output"
        )
        october = output.filter(period__month__month=10).aggregate(a=Avg("value"))["a"]
        march = output.filter(period__month__month=3).aggregate(a=Avg("value"))["a"]
        assert october > 5 * march
        downtime = values(demo.cluster).filter(
            enterprise__value_chain_link=ValueChainLink.PROCESSING, data_element__code="downtime_days"
        )
        winter = downtime.filter(period__month__month__in=[12, 1, 2]).aggregate(a=Avg("value"))["a"]
        spring = downtime.filter(period__month__month__in=[4, 5, 6]).aggregate(a=Avg("value"))["a"]
        assert winter > spring
        split = add_months(TODAY.replace(day=1), -12)
        first, second = (
            values(demo.cluster).filter(period__month__lt=split),
            values(demo.cluster).filter(period__month__gte=split),
        )
        assert ratio_of_sums(second, "finished_output", "total_output") > ratio_of_sums(
            first, "finished_output", "total_output"
        )
        exports = [
            q.filter(data_element__code="export_revenue").aggregate(s=Sum("value"))["s"] for q in (first, second)
        ]
        assert exports[1] > Decimal("1.08") * exports[0]

    def test_most_months_approved_on_time_some_late_some_missing(self, demo):
        now = start_of(TODAY)
        periods = list(ReportingPeriod.objects.filter(cluster=demo.cluster).select_related("cluster"))
        locked = [p for p in periods if p.locks_at <= now]
        assert len(locked) == 23
        done = Submission.objects.filter(period__in=locked)
        assert set(done.values_list("status", flat=True)) == {SubmissionStatus.LOCKED}
        assert not done.filter(Q(decided_at__isnull=True) | Q(submitted_at__isnull=True)).exists()
        assert not done.filter(decided_at__lte=F("submitted_at")).exists()
        for submission in done.select_related("period__cluster"):
            assert submission.on_time == (submission.submitted_at < submission.period.deadline_at)
            assert submission.decided_at < submission.period.locks_at
        late = done.filter(on_time=False).count()
        assert 10 <= late <= 0.15 * done.count()
        # Missing: no figures and no submission, for two or three active enterprises in scattered months.
        reported = set(done.values_list("enterprise_id", "period_id"))
        active = Enterprise.objects.filter(cluster=demo.cluster).exclude(status=EnterpriseStatus.LEFT)
        missing = [(e.pk, p.pk) for e in active for p in locked if (e.pk, p.pk) not in reported]
        assert 2 <= len({e for e, _p in missing}) <= 3
        assert len({p for _e, p in missing}) >= 4
        assert (
            not values(demo.cluster)
            .filter(Q(*[Q(enterprise_id=e, period_id=p) for e, p in missing], _connector=Q.OR))
            .exists()
        )

    def test_the_month_being_collected_leaves_work_for_the_office(self, demo):
        last = ReportingPeriod.objects.filter(cluster=demo.cluster).latest("month")
        now = start_of(TODAY)
        assert last.deadline_at <= now < last.locks_at
        statuses = Submission.objects.filter(period=last).values("status").annotate(n=Count("pk"))
        statuses = {row["status"]: row["n"] for row in statuses}
        assert statuses.get(SubmissionStatus.APPROVED, 0) > 0
        assert statuses.get(SubmissionStatus.SUBMITTED, 0) > 0
        assert statuses.get(SubmissionStatus.DRAFT, 0) > 0
        returned = Submission.objects.get(period=last, status=SubmissionStatus.RETURNED)
        assert returned.returned_reason
        assert Submission.objects.filter(period=last, on_time=False).exists()
        farm = Submission.objects.get(period=last, enterprise__taxpayer_id="311402567")
        assert farm.status == SubmissionStatus.DRAFT
        assert Correction.objects.filter(cluster=demo.cluster, status=CorrectionStatus.PENDING).count() == 1
        stamps = Submission.objects.filter(cluster=demo.cluster).aggregate(s=Max("submitted_at"), d=Max("decided_at"))
        assert stamps["s"] < now and stamps["d"] < now


@pytest.mark.django_db
@pytest.mark.parametrize(
    "today, expected, not_expected",
    [
        # Before April's deadline: some submitted on time, many drafts, nobody late yet.
        (datetime.date(2026, 5, 4), {SubmissionStatus.DRAFT, SubmissionStatus.SUBMITTED}, {SubmissionStatus.LOCKED}),
        # After April's lock: approved figures are locked; a few drafts were never submitted.
        (
            datetime.date(2026, 5, 28),
            {SubmissionStatus.LOCKED, SubmissionStatus.DRAFT},
            {SubmissionStatus.APPROVED, SubmissionStatus.SUBMITTED, SubmissionStatus.RETURNED},
        ),
    ],
)
def test_the_last_month_follows_the_calendar(today, expected, not_expected):
    cluster = load_demo(today=today).cluster
    last = ReportingPeriod.objects.filter(cluster=cluster).latest("month")
    assert last.month == add_months(today.replace(day=1), -1)
    statuses = set(Submission.objects.filter(period=last).values_list("status", flat=True))
    assert expected <= statuses
    assert not statuses & not_expected
    if today < last.deadline:
        assert not Submission.objects.filter(period=last, on_time=False).exists()
    assert DataValueChange.objects.filter(cluster=cluster).aggregate(m=Max("changed_at"))["m"] < start_of(today)


def test_generated_figures_keep_the_hard_rules_for_every_profile_and_month():
    """The generator itself, without a database: every profile, every month, both ends of the cluster's ramp."""
    for name, profile in PROFILES.items():
        rng = random.Random(name)
        for index in range(24):
            month = add_months(datetime.date(2025, 1, 1), index)
            for ramp in (0.0, 1.0):
                figures = month_figures(
                    profile=profile, scale=1.5, month=month, index=index, ramp=ramp, dual=True, rng=rng
                )
                assert set(figures) == set(CODES)
                assert all(value >= 0 for value in figures.values())
                for part, whole in NOT_ABOVE:
                    assert figures[part] <= figures[whole], (name, month, part)
                assert figures["downtime_days"] <= calendar.monthrange(month.year, month.month)[1]
                for code in INTEGER_CODES:
                    assert figures[code] == figures[code].to_integral_value()


def test_generated_figures_are_deterministic():
    def figures(seed):
        return month_figures(
            profile=PROFILES["farm"],
            scale=1.0,
            month=datetime.date(2025, 10, 1),
            index=5,
            ramp=0.5,
            dual=False,
            rng=random.Random(seed),
        )

    assert figures("a") == figures("a")
    assert figures("a") != figures("b")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner statistics (ANALYZE)")
def test_the_demo_computes_its_kpis_on_statistics_that_count_the_figures_it_wrote(db, monkeypatch):
    """The KPI values at the end of the demo read the figures written in the same transaction. A server whose
    autovacuum analysed the tables while they were empty would plan that read for empty tables (a nested loop of
    every submission over every figure: 45 s on PostgreSQL 16 instead of under a second)."""
    import demo.kpi

    with connection.cursor() as cursor:  # what autovacuum leaves after seeing the tables empty
        cursor.execute("ANALYZE kpi_datavalue, kpi_submission")
    believed: dict[str, float] = {}
    compute = demo.kpi.kpi_values_compute_due

    def planned_sizes_then_compute(**arguments):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT relname, reltuples FROM pg_class WHERE relname IN ('kpi_datavalue', 'kpi_submission')"
            )
            believed.update(cursor.fetchall())
        return compute(**arguments)

    monkeypatch.setattr(demo.kpi, "kpi_values_compute_due", planned_sizes_then_compute)
    load_demo(today=TODAY)

    figures, submissions = DataValue.objects.count(), Submission.objects.count()
    assert figures > 10_000 and submissions > 500
    # ANALYZE samples 30 000 rows of a larger table: its count is an estimate.
    assert believed["kpi_datavalue"] == pytest.approx(figures, rel=0.1)
    assert believed["kpi_submission"] == pytest.approx(submissions, rel=0.1)
