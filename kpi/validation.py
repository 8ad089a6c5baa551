"""The one validation of reported figures, for the monthly form, the Excel upload and the API.

Hard rules reject a value with a message at its field; soft rules only warn (a value far from the
enterprise's own recent months) and ask for a comment before the submission goes in. The work is
done in sets: the stored figures and the history that a whole batch needs are read in two queries.
"""

from __future__ import annotations

import datetime
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import DataElement, DataValue, add_months

if TYPE_CHECKING:
    from core.typing import StrOrPromise

QUANTUM = Decimal("0.0001")
MAX_VALUE = Decimal("1e15")
MAX_COMMENT = 1000  # characters, as the monthly form's field
MIN_HISTORY_MONTHS = 3  # fewer months of history than this: no soft rule (nothing to compare with)
# A difference from the average smaller than this is too small to compare: 0 trained employees against an average
# of 0.17 is not unusual. Whole units (people, contracts, units) for counts; one unit of the figure otherwise.
MIN_DIFFERENCE_COUNT = Decimal(3)
MIN_DIFFERENCE = Decimal(1)
# A number written as text: the digits 0–9 only (Python's Decimal would also read Arabic-Indic or full-width
# digits, and "1_000"), an optional sign, a decimal point and an exponent ("1.5E+06", as spreadsheets export).
NUMBER_TEXT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", re.ASCII)


@dataclass(frozen=True)
class Problem:
    """A message about one row of a batch (or one field of the form): field is the contract's name."""

    row: int
    field: str
    message: str
    code: str = "invalid"

    def as_dict(self) -> dict:
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass
class Row:
    """One figure to write, resolved to ids. `comment` None means "leave the stored comment"."""

    index: int
    enterprise_id: int
    period_id: int
    month: datetime.date
    element: DataElement
    value: Decimal | None
    comment: str | None = None

    def __post_init__(self) -> None:
        self.element_id = self.element.pk
        self.key = (self.enterprise_id, self.period_id, self.element_id)


# --- Values ---------------------------------------------------------------------------------------


def parse_value(raw, element: DataElement) -> tuple[Decimal | None, str | None]:
    """A reported value as a Decimal (None for empty), or an error message. The rules, the same for the form,
    Excel and the API:

    - empty (None or blank text) is no value, not zero;
    - a number, or text of the digits 0–9 with a decimal point or comma, spaces between thousands and an
      optional exponent; other digits (Arabic-Indic, full-width), "1_000", booleans, lists and objects are not
      numbers;
    - a negative value is refused as given (-0.00001 too);
    - the value is rounded to 4 decimals (spreadsheets carry binary noise), then must stay below 10^15 (a value
      that rounds onto the limit is refused) and, for counts, be a whole number.
    """
    if raw is None or (isinstance(raw, str) and raw.strip() == ""):
        return None, None
    if isinstance(raw, bool) or not isinstance(raw, int | float | Decimal | str):
        return None, _("Enter a number.")
    if isinstance(raw, str):
        text = raw.strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
        if not NUMBER_TEXT.fullmatch(text):
            if any(c.isdigit() and not c.isascii() for c in text):
                return None, _("Enter the number with the digits 0–9.")
            return None, _("Enter a number.")
        raw = text
    try:
        value = raw if isinstance(raw, Decimal) else Decimal(str(raw))
    except (InvalidOperation, ValueError):
        return None, _("Enter a number.")
    if not value.is_finite():
        return None, _("Enter a number.")
    if value < 0:
        return None, _("The value cannot be negative.")
    if value >= MAX_VALUE:
        return None, _("The value is too large.")
    value = value.quantize(QUANTUM, rounding=ROUND_HALF_UP)
    if value >= MAX_VALUE:
        return None, _("The value is too large.")
    if element.is_integer and value != value.to_integral_value():
        return None, _("Enter a whole number.")
    return value, None


# --- Hard rules across elements ---------------------------------------------------------------------


@dataclass(frozen=True)
class NotAbove:
    """`part` cannot exceed `whole` for the same enterprise and month."""

    part: str
    whole: str
    message: StrOrPromise


CROSS_RULES: tuple[NotAbove, ...] = (
    NotAbove("defective_units", "produced_units", gettext_lazy("Defective units cannot exceed units produced.")),
    NotAbove("shipments_on_time", "shipments_total", gettext_lazy("Shipments on time cannot exceed all shipments.")),
    NotAbove(
        "purchases_in_cluster",
        "purchases_total",
        gettext_lazy("Purchases from cluster participants cannot exceed all purchases."),
    ),
    NotAbove("local_inputs", "purchases_total", gettext_lazy("Locally made inputs cannot exceed all purchases.")),
    NotAbove(
        "finished_output", "total_output", gettext_lazy("Finished-product output cannot exceed the total output.")
    ),
    NotAbove("value_added", "total_output", gettext_lazy("Value added cannot exceed the total output.")),
    NotAbove("employees_trained", "employees", gettext_lazy("Employees trained cannot outnumber the employees.")),
)
DAYS_ELEMENT = "downtime_days"  # at most the days of the month


def month_days(month: datetime.date) -> int:
    return (add_months(month, 1) - month).days


def check_rows(
    rows: list[Row], stored: Mapping[tuple[int, int, int], Decimal | None], codes: Mapping[str, int]
) -> list[Problem]:
    """The hard rules over a batch of parsed rows, against the stored figures they join.

    `stored` maps (enterprise, period, element) to the stored value for every key the batch's
    enterprises and months have; `codes` maps element codes to ids. A broken cross-element rule is
    reported on the batch's row of the part (defective units) when the batch holds it, else on the
    row of the whole (units produced).
    """
    problems: list[Problem] = []
    for row in rows:
        if row.element.code == DAYS_ELEMENT and row.value is not None and row.value > month_days(row.month):
            problems.append(
                Problem(
                    row.index,
                    "value",
                    _("Downtime cannot exceed the %(days)s days of the month.") % {"days": month_days(row.month)},
                )
            )
    incoming: dict[tuple[int, int], dict[str, Row]] = defaultdict(dict)
    for row in rows:
        incoming[(row.enterprise_id, row.period_id)][row.element.code] = row
    for (enterprise_id, period_id), batch in incoming.items():
        for rule in CROSS_RULES:
            part_row, whole_row = batch.get(rule.part), batch.get(rule.whole)
            if part_row is None and whole_row is None:
                continue
            part = part_row.value if part_row else stored.get((enterprise_id, period_id, codes[rule.part]))
            whole = whole_row.value if whole_row else stored.get((enterprise_id, period_id, codes[rule.whole]))
            if part is None or whole is None or part <= whole:
                continue
            blamed = part_row or whole_row
            assert blamed is not None  # one of them is in the batch (see above)
            problems.append(Problem(blamed.index, "value", str(rule.message)))
    return problems


# --- Soft rules -----------------------------------------------------------------------------------


@dataclass
class History:
    """Each enterprise's figures per element and month, for the soft rule: stored, overlaid by the batch."""

    values: dict[tuple[int, int], dict[datetime.date, Decimal]] = field(default_factory=dict)
    windows: dict[tuple[datetime.date, int], tuple[datetime.date, ...]] = field(default_factory=dict)

    def average(self, enterprise_id: int, element_id: int, month: datetime.date, months: int) -> tuple[Decimal, int]:
        series = self.values.get((enterprise_id, element_id), {})
        before = self.windows.get((month, months))
        if before is None:
            before = self.windows[(month, months)] = tuple(add_months(month, -k) for k in range(1, months + 1))
        window = [series[m] for m in before if m in series]
        if not window:
            return Decimal(0), 0
        return sum(window, Decimal(0)) / len(window), len(window)


def history_for(
    *,
    cluster_id: int,
    enterprise_ids: Iterable[int],
    element_ids: Iterable[int],
    first: datetime.date,
    last: datetime.date,
    months: int,
    overlay: Iterable[Row] = (),
) -> History:
    """Stored figures of the enterprises from `months` before `first` to `last`, with the batch on top."""
    history = History()
    rows = DataValue.objects.filter(
        cluster_id=cluster_id,
        enterprise_id__in=list(enterprise_ids),
        data_element_id__in=list(element_ids),
        period__month__gte=add_months(first, -max(months, 12)),  # and the same month a year before
        period__month__lte=last,
        value__isnull=False,
    ).values_list("enterprise_id", "data_element_id", "period__month", "value")
    for enterprise_id, element_id, month, value in rows.iterator(chunk_size=5000):
        assert value is not None  # value__isnull=False
        history.values.setdefault((enterprise_id, element_id), {})[month] = value
    for row in overlay:
        series = history.values.setdefault((row.enterprise_id, row.element_id), {})
        if row.value is None:
            series.pop(row.month, None)
        else:
            series[row.month] = row.value
    return history


def soft_warnings(rows: Iterable[Row], history: History, *, threshold: Decimal, months: int) -> list[Problem]:
    """A warning for each value further than `threshold` (a share) from the enterprise's recent average.

    Cotton follows the seasons: a harvest month is far from the summer before it but close to the
    same month a year earlier. A value within the threshold of that month is not unusual.
    """
    warnings = []
    for row in rows:
        if row.value is None:
            continue
        average, count = history.average(row.enterprise_id, row.element_id, row.month, months)
        if count < MIN_HISTORY_MONTHS or average == 0:
            continue
        if abs(row.value - average) < (MIN_DIFFERENCE_COUNT if row.element.is_integer else MIN_DIFFERENCE):
            continue
        if abs(row.value - average) > threshold * average:
            year_before = history.values.get((row.enterprise_id, row.element_id), {}).get(add_months(row.month, -12))
            if year_before and abs(row.value - year_before) <= threshold * year_before:
                continue
            warnings.append(
                Problem(
                    row.index,
                    "value",
                    _(
                        "%(value)s is far from this enterprise's average of the last %(months)s months (%(average)s). "
                        "Check it, and explain it in a comment."
                    )
                    % {"value": _fmt(row.value), "months": count, "average": _fmt(average)},
                    code="unusual",
                )
            )
    return warnings


def _fmt(value: Decimal) -> str:
    value = value.quantize(Decimal("0.01")) if value != value.to_integral_value() else value.quantize(Decimal(1))
    return f"{value:,}".replace(",", "\u00a0")
