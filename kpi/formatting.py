"""How KPI values read: percentages stored as fractions show as %, money and counts with their precision."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format

from .choices import Unit

STATUS_COLOURS = {"on_target": "#2e7d32", "below_target": "#ef6c00", "below_minimum": "#c62828", "": "#9e9e9e"}
STATUS_CLASSES = {"on_target": "ok", "below_target": "warn", "below_minimum": "bad", "": ""}

_DIGITS: dict[str, int] = {Unit.PERCENT: 1, Unit.COUNT: 0, Unit.PEOPLE: 0, Unit.CONTRACTS: 0, Unit.DAYS: 1}


def scaled(value, unit: str) -> float | None:
    """The number as shown (a fraction becomes percent points), for charts."""
    if value is None or value == "":
        return None
    number = float(value)
    return number * 100 if unit == Unit.PERCENT else number


def display(value, unit: str) -> str:
    """ "12.5 %", "1 034.3", "—" for no value; in the active language's number format."""
    if value is None or value == "":
        return "—"
    number = scaled(value, unit)
    assert number is not None  # a value was given
    digits = _DIGITS.get(unit, 1 if abs(number) < 1000 else 0)
    text = number_format(Decimal(str(round(number, digits))), decimal_pos=digits, use_l10n=True, force_grouping=True)
    return f"{text} %" if unit == Unit.PERCENT else text
