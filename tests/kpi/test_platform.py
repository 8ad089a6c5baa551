"""Platform KPIs of a batch are read with a fixed number of queries, whatever its clusters and periods."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kpi import platform
from kpi.models import Span
from tests.governance.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db

CODES = ["PARTIC", "REGS", "WGS", "PROJSEL", "DISCIP", "TIMELY"]


def spans(year: int, months: int) -> list[Span]:
    found = []
    for m in range(1, months + 1):
        found.append(Span.month(datetime.date(year, m, 1)))
        if m % 3 == 0:
            found.append(Span.quarter_of(datetime.date(year, m, 1)))
    return found


def queries(clusters, batch) -> dict[str, int]:
    counts = {}
    for code in CODES:
        with CaptureQueriesContext(connection) as captured:
            platform.platform_figures(code, clusters, batch)
        counts[code] = len(captured)
    return counts


def test_the_queries_do_not_grow_with_the_periods_or_the_clusters(cluster, other_cluster):
    one_month = queries([cluster], spans(2025, 1))
    two_years = queries([cluster, other_cluster], spans(2025, 12) + spans(2026, 12))
    assert two_years == one_month
    assert sum(two_years.values()) <= 8  # today: one query per source, two for timeliness, none for PROJSEL's default


def test_one_batch_answers_every_period_as_on_its_own_day(cluster, other_cluster):
    EnterpriseFactory.create_batch(4, cluster=cluster, joined_on=datetime.date(2025, 1, 10))
    EnterpriseFactory(cluster=cluster, joined_on=datetime.date(2025, 9, 1))
    EnterpriseFactory(cluster=cluster, joined_on=datetime.date(2025, 1, 10), status="left")
    EnterpriseFactory(cluster=other_cluster, joined_on=datetime.date(2025, 5, 31))
    figures = platform.platform_figures("PARTIC", [cluster, other_cluster], spans(2025, 12))
    participants = {key: numerator for key, (numerator, _denominator) in figures.items()}
    assert participants[(cluster.pk, "2025-06")] == 4
    assert participants[(cluster.pk, "2025-Q2")] == 4
    assert participants[(cluster.pk, "2025-09")] == 5
    assert participants[(cluster.pk, "2025-Q3")] == 5
    assert participants[(other_cluster.pk, "2025-04")] == 0
    assert participants[(other_cluster.pk, "2025-05")] == 1
    assert len(participants) == 2 * (12 + 4)
