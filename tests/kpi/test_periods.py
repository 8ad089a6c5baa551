"""Period arithmetic with expectations written by hand: months, quarters, the same period a year before, and export
growth worked out on paper (the aggregation reference calls `Span` itself, so it cannot catch a wrong year before)."""

import datetime
from decimal import Decimal

import pytest

from kpi import services
from kpi.models import ClusterKpi, Kpi, KpiValue, Span, add_months
from tests.governance.factories import EnterpriseFactory
from tests.kpi.test_disclosure import report_months
from tests.kpi.values import enterprise_rows

D = datetime.date


@pytest.mark.parametrize(
    ("key", "kind", "months", "end", "days", "year_before"),
    [
        ("2026-03", "month", [D(2026, 3, 1)], D(2026, 3, 31), 31, "2025-03"),
        ("2024-02", "month", [D(2024, 2, 1)], D(2024, 2, 29), 29, "2023-02"),  # a leap year
        ("2025-02", "month", [D(2025, 2, 1)], D(2025, 2, 28), 28, "2024-02"),
        ("2025-12", "month", [D(2025, 12, 1)], D(2025, 12, 31), 31, "2024-12"),
        ("2026-01", "month", [D(2026, 1, 1)], D(2026, 1, 31), 31, "2025-01"),
        ("2026-Q1", "quarter", [D(2026, 1, 1), D(2026, 2, 1), D(2026, 3, 1)], D(2026, 3, 31), 90, "2025-Q1"),
        ("2024-Q1", "quarter", [D(2024, 1, 1), D(2024, 2, 1), D(2024, 3, 1)], D(2024, 3, 31), 91, "2023-Q1"),
        ("2025-Q2", "quarter", [D(2025, 4, 1), D(2025, 5, 1), D(2025, 6, 1)], D(2025, 6, 30), 91, "2024-Q2"),
        ("2025-Q3", "quarter", [D(2025, 7, 1), D(2025, 8, 1), D(2025, 9, 1)], D(2025, 9, 30), 92, "2024-Q3"),
        ("2025-Q4", "quarter", [D(2025, 10, 1), D(2025, 11, 1), D(2025, 12, 1)], D(2025, 12, 31), 92, "2024-Q4"),
    ],
)
def test_a_span_its_months_end_days_and_year_before(key, kind, months, end, days, year_before):
    span = Span.parse(key)
    assert (span.kind, list(span.months), span.end, span.days) == (kind, months, end, days)
    assert span.key == key and str(span) == key
    assert span.year_before.key == year_before
    assert span.start == months[0]


@pytest.mark.parametrize(
    ("month", "quarter"),
    [(D(2026, 1, 1), "2026-Q1"), (D(2026, 3, 15), "2026-Q1"), (D(2026, 4, 1), "2026-Q2"), (D(2026, 12, 31), "2026-Q4")],
)
def test_the_quarter_of_a_month(month, quarter):
    assert Span.quarter_of(month).key == quarter
    assert Span.month(month).key == f"{month.year}-{month.month:02d}"


@pytest.mark.parametrize(
    ("month", "shift", "expected"),
    [
        (D(2026, 1, 1), -1, D(2025, 12, 1)),
        (D(2025, 12, 1), 1, D(2026, 1, 1)),
        (D(2026, 3, 1), -12, D(2025, 3, 1)),
        (D(2026, 3, 1), 12, D(2027, 3, 1)),
        (D(2026, 3, 1), -14, D(2025, 1, 1)),
        (D(2026, 3, 1), 0, D(2026, 3, 1)),
    ],
)
def test_adding_months(month, shift, expected):
    assert add_months(month, shift) == expected


@pytest.mark.parametrize(
    "key", ["2026-13", "2026-00", "2026-Q5", "2026-Q0", "26-03", "2026/03", "2026-3", "", None, 202603]
)
def test_anything_but_a_month_or_quarter_key_is_refused(key):
    with pytest.raises((ValueError, TypeError)):
        Span.parse(key)


def test_export_growth_worked_by_hand(cluster):
    """Export growth = exports of the firms with exports in both years / the same firms' exports a year before − 1.

    March 2025 against March 2024: the mill 130 against 100, the farm 190 against 200; the laboratory joined in 2025
    (left out). Cluster: (130 + 190) / (100 + 200) − 1 = 320 / 300 − 1 = 0.0666…; the mill: 0.3; the farm: −0.05.
    Decoys in June and December 2024 (nine and three months before) make a wrong "year before" show.
    The first quarter: the mill and the farm reported every month of both quarters (January, February, March):
    Q1 2025 = 130 + 131 + 130 + 190 + 191 + 190 = 962 against Q1 2024 = 100 + 101 + 100 + 200 + 201 + 200 = 902,
    so 962 / 902 − 1 = 0.0665…; the laboratory's exports in 2025 count in no growth."""
    services.cluster_kpis_ensure(cluster=cluster)
    ClusterKpi.objects.filter(cluster=cluster, kpi__code__in=["EXPORT", "EXPGR"]).update(active=True)
    mill = EnterpriseFactory(cluster=cluster, value_chain_link="processing", name="Tegirmon")
    farm = EnterpriseFactory(cluster=cluster, value_chain_link="supply", name="Fermer")
    lab = EnterpriseFactory(cluster=cluster, value_chain_link="service", name="Laboratoriya")
    figures = {}
    for i, month in enumerate((1, 2, 3)):
        figures[D(2024, month, 1)] = {mill: (1, 0, 100 + i), farm: (1, 0, 200 + i)}
        figures[D(2025, month, 1)] = {mill: (1, 0, 130 + i), farm: (1, 0, 190 + i), lab: (1, 0, 50)}
    figures[D(2024, 6, 1)] = {mill: (1, 0, 1000), farm: (1, 0, 1000), lab: (1, 0, 1000)}
    figures[D(2024, 12, 1)] = {mill: (1, 0, 7), farm: (1, 0, 7), lab: (1, 0, 7)}
    # March as the docstring says (the loop gave it 132 / 192 and 102 / 202).
    figures[D(2025, 3, 1)] = {mill: (1, 0, 130), farm: (1, 0, 190), lab: (1, 0, 50)}
    figures[D(2024, 3, 1)] = {mill: (1, 0, 100), farm: (1, 0, 200)}
    report_months(cluster, figures)
    services.kpi_values_compute_many(clusters=[cluster], spans=["2025-03", "2025-Q1"])

    def growth(period, enterprise=None, **where):
        if enterprise is not None:
            (row,) = [v for v in firms(period) if v.enterprise_id == enterprise.pk]
            return row.value
        return KpiValue.objects.get(cluster=cluster, kpi__code="EXPGR", period=period, **where).value

    def firms(period):
        return enterprise_rows(cluster, period, Kpi.objects.get(code="EXPGR"))

    assert growth("2025-03", scope="cluster") == pytest.approx(Decimal(320) / Decimal(300) - 1, abs=Decimal("1e-8"))
    assert growth("2025-03", enterprise=mill) == pytest.approx(Decimal("0.3"), abs=Decimal("1e-8"))
    assert growth("2025-03", enterprise=farm) == pytest.approx(Decimal("-0.05"), abs=Decimal("1e-8"))
    assert lab.pk not in {v.enterprise_id for v in firms("2025-03")}
    assert float(growth("2025-Q1", scope="cluster")) == pytest.approx(962 / 902 - 1, abs=1e-8)
