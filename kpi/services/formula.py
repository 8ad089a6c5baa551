"""A KPI's formula: the one source for its terms, its value and its status, in Python and in the computation's SQL.

    value = factor × numerator / denominator + shift        (no denominator: factor × numerator + shift)
    factor = the KPI's multiplier, times the days of the period where the KPI says so (INVENT)

Growth on the same period a year before (EXPGR) reads the numerator's element in this period over the same
element a year before, minus one. The sums that feed a term follow DESIGN.md ("Aggregation rules"): over months
flows are summed and stocks averaged, over enterprises both are summed; ratios are ratios of the sums.

A status says how a value stands against the cluster's target and minimum: worse than the minimum, worse than the
target, or on target ("worse" is above for a lower-is-better KPI, below otherwise). `kpi_status` and `status_sql`
are the two renderings of `STATUS_RULE`; `Term.value` and `value_sql` the two of the value. The computation uses
the SQL ones and the platform KPIs and alerts the Python ones; tests check the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from ..choices import NO_STATUS, Direction, KpiStatus, SubmissionStatus
from ..models import ClusterKpi, Kpi

THIS_PERIOD, YEAR_BEFORE = 0, 1  # which year a term's element is read in
NUMERATOR, DENOMINATOR = 0, 1  # the side of the fraction an element feeds


@dataclass(frozen=True)
class Term:
    """One KPI as the computation reads it: which elements, in which year, and what is done with their sums."""

    kpi_id: int
    numerator: int | None  # data element id (None: a platform KPI, read from the platform's own records)
    numerator_year: int
    denominator: int | None  # data element id, or None for a sum
    denominator_year: int
    multiplier: Decimal
    per_days: bool  # times the days of the period
    shift: Decimal  # added at the end: −1 for growth

    @classmethod
    def of(cls, kpi: Kpi) -> Term:
        growth = kpi.year_over_year  # the numerator's element over itself a year before, minus one
        return cls(
            kpi_id=kpi.pk,
            numerator=kpi.numerator_id,
            numerator_year=THIS_PERIOD,
            denominator=kpi.numerator_id if growth else kpi.denominator_id,
            denominator_year=YEAR_BEFORE if growth else THIS_PERIOD,
            multiplier=kpi.multiplier,
            per_days=kpi.per_days_in_period,
            shift=Decimal(-1 if growth else 0),
        )

    @property
    def is_ratio(self) -> bool:
        return self.denominator is not None

    def factor(self, days: int) -> Decimal:
        return self.multiplier * (days if self.per_days else 1)

    def elements(self) -> list[tuple[int, int, int]]:
        """(element id, year, side) of every element the term reads."""
        read = [
            (self.numerator, self.numerator_year, NUMERATOR),
            (self.denominator, self.denominator_year, DENOMINATOR),
        ]
        return [(element, year, side) for element, year, side in read if element is not None]

    def value(self, numerator: Decimal, denominator: Decimal | None, days: int) -> Decimal | None:
        """The value from the sums (`denominator` None for a sum); None where the denominator is zero."""
        if denominator is None:
            return self.factor(days) * numerator + self.shift
        if denominator == 0:
            return None
        return self.factor(days) * numerator / denominator + self.shift


def value_sql(sums: str, term: str = "t", span: str = "sp") -> str:
    """`Term.value` in SQL: the sums in `sums`.num and `sums`.den, the term's columns (named as Term's fields) in
    `term`, the period's days in `span`.days. A ratio whose denominator is zero has no value."""
    factor = f"1.0 * {term}.multiplier * CASE WHEN {term}.per_days = 1 THEN {span}.days ELSE 1 END"
    return (
        f"CASE WHEN {term}.denominator IS NULL THEN {factor} * {sums}.num + {term}.shift "
        f"WHEN {sums}.den = 0 THEN NULL "
        f"ELSE {factor} * {sums}.num / {sums}.den + {term}.shift END"
    )


# How a value is judged, worst first: the first threshold the value is worse than gives its status.
STATUS_RULE = ((KpiStatus.BELOW_MINIMUM, "minimum"), (KpiStatus.BELOW_TARGET, "target"))


def _worse(value: Decimal, threshold: Decimal, direction: str) -> bool:
    return value > threshold if direction == Direction.LOWER else value < threshold


def kpi_status(value, target, minimum, direction: str) -> str:
    """On target, below target or below minimum ("below" means worse: above, for a lower-is-better KPI); blank
    without a value or without a target and a minimum."""
    thresholds = {"target": target, "minimum": minimum}
    if value is None or (target is None and minimum is None):
        return NO_STATUS
    for status, name in STATUS_RULE:
        threshold = thresholds[name]
        if threshold is not None and _worse(value, threshold, direction):
            return status
    return KpiStatus.ON_TARGET


def status_sql(row: str, *, judged: str) -> str:
    """`kpi_status` in SQL, over `row`.value, .target, .minimum and .direction; blank where `judged` is false.
    Its choice values are the parameters of `STATUS_PARAMS`."""

    def worse(threshold: str) -> str:
        return (
            f"(({row}.direction = %(direction_lower)s AND {row}.value > {row}.{threshold}) "
            f"OR ({row}.direction <> %(direction_lower)s AND {row}.value < {row}.{threshold}))"
        )

    cases = " ".join(
        f"WHEN {row}.{name} IS NOT NULL AND {worse(name)} THEN %(status_{status})s" for status, name in STATUS_RULE
    )
    return (
        f"CASE WHEN {row}.value IS NULL OR NOT ({judged}) OR ({row}.target IS NULL AND {row}.minimum IS NULL) "
        f"THEN %(status_none)s {cases} ELSE %(status_{KpiStatus.ON_TARGET})s END"
    )


STATUS_PARAMS = {
    "direction_lower": Direction.LOWER.value,
    "status_none": NO_STATUS,
    **{f"status_{status}": status.value for status in KpiStatus},
}


def judges_every_scope(setting: ClusterKpi) -> bool:
    """Whether link and enterprise values are judged against the cluster's target (only ratios, and only where the
    office compares the links); the cluster's value always is."""
    return setting.compare_links and setting.kpi.is_ratio


def counted_statuses(*, count_submitted: bool) -> list[str]:
    """Approved (and then locked) figures always count; submitted ones only where the cluster says so."""
    statuses: list[str] = [SubmissionStatus.APPROVED, SubmissionStatus.LOCKED]
    return [SubmissionStatus.SUBMITTED, *statuses] if count_submitted else statuses
