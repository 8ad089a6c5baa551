"""How KPI values read: percentages stored as fractions show as %, money and counts with their precision."""

from __future__ import annotations

from decimal import Decimal

from django.utils.formats import number_format
from django.utils.translation import gettext as _

from .choices import Unit

STATUS_COLOURS = {"on_target": "#2e7d32", "below_target": "#b45309", "below_minimum": "#c62828", "": "#9e9e9e"}
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


def display_change(value, unit: str) -> str:
    """A change as people read it: signed, and a percentage's change in percentage points ("+0.6 p.p.": 2.0 %
    to 2.6 % is not a change of 0.6 %)."""
    if value is None or value == "":
        return "—"
    number = scaled(value, unit)
    assert number is not None  # a value was given
    digits = _DIGITS.get(unit, 1 if abs(number) < 1000 else 0)
    rounded = round(number, digits)
    text = number_format(Decimal(str(abs(rounded))), decimal_pos=digits, use_l10n=True, force_grouping=True)
    signed = ("+" if rounded > 0 else "−" if rounded < 0 else "±") + text
    return _("%(number)s p.p.") % {"number": signed} if unit == Unit.PERCENT else signed


# Excel's number format per unit: percentages stay fractions shown as %, counts whole, the rest with a decimal.
XLSX_FORMATS: dict[str, str] = {
    Unit.PERCENT: "0.0%",
    Unit.COUNT: "#,##0",
    Unit.PEOPLE: "#,##0",
    Unit.CONTRACTS: "#,##0",
    Unit.DAYS: "0.0",
}


def xlsx_format(unit: str) -> str:
    return XLSX_FORMATS.get(unit, "#,##0.0")


def xlsx_change_format(unit: str) -> str:
    """A change's number format: signed; a percentage's in percentage points (the value given in points)."""
    if unit == Unit.PERCENT:
        points = _("p.p.").replace('"', "")
        return f'+0.0" {points}";-0.0" {points}";0.0" {points}"'
    base = xlsx_format(unit)
    return f"+{base};-{base};{base}"
