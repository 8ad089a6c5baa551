"""A KPI's formula has two renderings, Python (platform KPIs, alerts) and SQL (the computation): both give the
values and statuses written here by hand, on the database the suite runs on."""

from decimal import Decimal

import pytest
from django.db import connection

from kpi.choices import NO_STATUS, Direction, KpiStatus
from kpi.services.formula import STATUS_PARAMS, Term, kpi_status, status_sql, value_sql

D = Decimal

# value, target, minimum, direction, expected status
STATUSES = [
    (D("0.05"), D("0.02"), D("0.04"), Direction.LOWER, KpiStatus.BELOW_MINIMUM),
    (D("0.03"), D("0.02"), D("0.04"), Direction.LOWER, KpiStatus.BELOW_TARGET),
    (D("0.02"), D("0.02"), D("0.04"), Direction.LOWER, KpiStatus.ON_TARGET),
    (D("0.5"), D("0.6"), D("0.4"), Direction.HIGHER, KpiStatus.BELOW_TARGET),
    (D("0.3"), D("0.6"), D("0.4"), Direction.HIGHER, KpiStatus.BELOW_MINIMUM),
    (D("0.4"), D("0.6"), D("0.4"), Direction.HIGHER, KpiStatus.BELOW_TARGET),  # at the minimum: not below it
    (D("0.7"), None, D("0.4"), Direction.HIGHER, KpiStatus.ON_TARGET),
    (D("0.3"), None, D("0.4"), Direction.HIGHER, KpiStatus.BELOW_MINIMUM),
    (D("0.5"), D("0.6"), None, Direction.HIGHER, KpiStatus.BELOW_TARGET),
    (None, D("0.6"), D("0.4"), Direction.HIGHER, NO_STATUS),
    (D("0.3"), None, None, Direction.HIGHER, NO_STATUS),
]


def sql_status(value, target, minimum, direction, judged=True) -> str:
    sql = (
        f"SELECT {status_sql('v', judged='v.judged = 1')} FROM (SELECT CAST(%(value)s AS numeric) AS value, "
        "CAST(%(target)s AS numeric) AS target, CAST(%(minimum)s AS numeric) AS minimum, "
        "%(direction)s AS direction, CAST(%(judged)s AS integer) AS judged) v"
    )
    params = {
        **STATUS_PARAMS,
        "value": value,
        "target": target,
        "minimum": minimum,
        "direction": direction,
        "judged": int(judged),
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("value", "target", "minimum", "direction", "expected"), STATUSES)
def test_both_renderings_of_the_status_rule_judge_as_written(value, target, minimum, direction, expected):
    assert kpi_status(value, target, minimum, direction) == expected
    assert sql_status(value, target, minimum, direction) == expected


@pytest.mark.django_db
def test_a_value_that_is_not_judged_has_no_status_in_sql():
    assert sql_status(D("0.3"), D("0.6"), D("0.4"), Direction.HIGHER, judged=False) == NO_STATUS


def term(**fields) -> Term:
    base = dict(
        kpi_id=1,
        numerator=1,
        numerator_year=0,
        denominator=None,
        denominator_year=0,
        multiplier=D(1),
        per_days=False,
        shift=D(0),
    )
    return Term(**{**base, **fields})


# term, numerator sum, denominator sum, days of the period, expected value (worked by hand)
VALUES = [
    (term(multiplier=D(1)), D(1250), None, 30, D(1250)),  # a sum: output in a month
    (term(denominator=2, multiplier=D(100)), D(3), D(120), 31, D("2.5")),  # defects per 100 units
    (term(denominator=2, multiplier=D(1), per_days=True), D(400), D(1200), 90, D(30)),  # INVENT: stock/flow × days
    # EXPGR: 1 380 exported this quarter against 1 200 the same quarter a year before: 1380 / 1200 − 1 = 0.15
    (term(denominator=1, denominator_year=1, shift=D(-1)), D(1380), D(1200), 92, D("0.15")),
    (term(denominator=2), D(5), D(0), 30, None),  # nothing to divide by: no value
]


def sql_value(t: Term, numerator, denominator, days):
    sql = (
        f"SELECT {value_sql('s', 't', 'sp')} FROM "
        "(SELECT CAST(%(num)s AS numeric) AS num, CAST(%(den)s AS numeric) AS den) s, "
        "(SELECT CAST(%(multiplier)s AS numeric) AS multiplier, CAST(%(per_days)s AS integer) AS per_days, "
        "CAST(%(shift)s AS numeric) AS shift, CAST(%(denominator)s AS integer) AS denominator) t, "
        "(SELECT CAST(%(days)s AS integer) AS days) sp"
    )
    params = {
        "num": numerator,
        "den": denominator,
        "multiplier": t.multiplier,
        "per_days": int(t.per_days),
        "shift": t.shift,
        "denominator": t.denominator,
        "days": days,
    }
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


@pytest.mark.django_db
@pytest.mark.parametrize(("t", "numerator", "denominator", "days", "expected"), VALUES)
def test_both_renderings_of_the_value_give_the_hand_worked_value(t, numerator, denominator, days, expected):
    python = t.value(numerator, denominator, days)
    sql = sql_value(t, numerator, denominator, days)
    if expected is None:
        assert python is None and sql is None
    else:
        assert python == pytest.approx(expected, abs=D("1e-9"))
        assert D(str(sql)) == pytest.approx(expected, abs=D("1e-9"))


def test_growth_reads_one_element_in_two_years_and_a_sum_reads_one():
    growth = term(numerator=7, denominator=7, denominator_year=1, shift=D(-1))
    assert growth.elements() == [(7, 0, 0), (7, 1, 1)]
    assert term(numerator=3).elements() == [(3, 0, 0)]
